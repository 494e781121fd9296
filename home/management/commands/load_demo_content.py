"""Build the demo site: home page, focus groups index and the Stroke Thrombectomy group.

Idempotent: anything that already exists is left exactly as it is, so running it again (as
`make run` does) duplicates nothing and never overwrites what editors changed in the admin.
The facts come from the society's own page; the prose is written for this site.
"""

import datetime as dt
import os

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.models import (
    BaseViewRestriction,
    Collection,
    CollectionViewRestriction,
    Page,
    PageViewRestriction,
    Site,
)
from wagtail.rich_text import RichText

from focusgroups.models import (
    FocusGroupIndexPage,
    FocusGroupMember,
    FocusGroupMilestone,
    FocusGroupOpportunity,
    FocusGroupPage,
    FocusGroupPaper,
)
from home.models import HomePage, SiteSettings, StandardPage
from home.placeholder_pdf import make_placeholder_pdf

PAPER_TITLE = (
    "Can Interventional Cardiologists Help Deliver the UK Mechanical Thrombectomy "
    "Interventional Programme for Patients with Acute Ischaemic Stroke? A Discussion Paper "
    "from the British Cardiovascular Interventional Society (BCIS) Stroke Thrombectomy Focus Group"
)
PAPER_DOCUMENT_TITLE = "Stroke thrombectomy discussion paper (as presented to Council)"

MEMBERS = [
    ("Helen Routledge", "Worcestershire Royal Hospital"),
    ("Raj Bathula", ""),
    ("Alison Calver", "Southampton University Hospital"),
    ("Nick Curzen", "Southampton University Hospital"),
    ("Hany Eteiba", ""),
    ("Thomas Keeble", ""),
    ("Jan Kovac", ""),
    ("Iqbal Malik", "Imperial College NHS Trust"),
    ("Will Roberts", "Worcestershire Royal Hospital"),
    ("Andrew Sharp", "University Hospital of Wales"),
    ("Mark Westwood", ""),
]

INTRODUCTION = (
    "<p>Removing the clot mechanically, as an emergency in the first hours after a stroke, "
    "gives many patients a far better chance of walking out of hospital and living "
    "independently. People with a large clot blocking a major artery respond poorly to "
    "clot-busting drugs alone, and without thrombectomy are the ones most likely to be left "
    "severely disabled.</p>"
    "<p>Around <strong>800 patients a year</strong> are estimated to be eligible. Thrombectomy "
    "has been the recommended treatment for large vessel occlusion since <strong>2017</strong>, "
    "yet four years later <strong>fewer than 10%</strong> of the patients who might benefit "
    "were receiving it.</p>"
)
PARTICIPANTS = (
    "<p>The group brings together <strong>six UK interventional cardiologists</strong> who have "
    "done the procedure, worked on training, or taken part in the national discussions so far. "
    "One of them is the Chairman of the ESC Council on Stroke. They are joined by a "
    "neurointerventional colleague and a stroke clinical lead.</p>"
)
AIM = (
    "<p>Our goal is that every patient in the UK who needs a thrombectomy can have one, "
    "around the clock, wherever they live. Neurointerventional radiologists alone are unlikely "
    "to provide that soon, or to keep it going, so the group is looking closely at how "
    "interventional cardiologists could help staff the rotas and care for these patients.</p>"
)
REMIT = (
    "<ul>"
    "<li>Set out clearly why more operators are needed.</li>"
    "<li>Develop practical proposals together with Radiology and the national clinical "
    "teams.</li>"
    "<li>Agree the training and accreditation interventional cardiologists would need, and "
    "secure access to that training.</li>"
    "</ul>"
)
ONGOING = (
    "<p>National meetings are moving steadily towards accepting operators from outside "
    "neurointerventional radiology to strengthen the rotas, so that patients across the whole "
    "UK can be treated. The answer will look different in each region. If you are interested, "
    "start a friendly conversation with your local stroke team and neurointerventional "
    "radiologists.</p>"
)
MILESTONES = [
    (
        dt.date(2021, 1, 1),
        "Discussion paper presented to BCIS Council",
        "The group's early work, and a paper written to its remit, went to the BCIS Council.",
    ),
    (
        dt.date(2021, 4, 1),
        "Case for change presented to NHS England",
        "The paper and the case for change were presented to the NHSE Thrombectomy "
        "Implementation Group and the National Clinical Directors.",
    ),
]


class Command(BaseCommand):
    help = "Create the demo pages and paper if they do not exist yet. Safe to run repeatedly."

    def handle(self, *args, **options):
        with transaction.atomic():
            home = self.ensure_home_page()
            self.ensure_site_settings(home)
            index = self.ensure_index_page(home)
            self.ensure_focus_group(index)
            self.ensure_members_only_content()
            self.ensure_interest_register()

    def say(self, message):
        self.stdout.write(message)

    def ensure_home_page(self):
        home = HomePage.objects.first()
        site = Site.objects.filter(is_default_site=True).first()
        if home is None:
            root = Page.get_first_root_node()
            # Wagtail's install makes a placeholder "Welcome" page with the slug "home"; the real
            # home page takes its place.
            placeholder = root.get_children().filter(slug="home").first()
            if placeholder is not None and placeholder.specific_class is Page:
                placeholder.delete()
                root.refresh_from_db()
            home = HomePage(
                title="BCIS focus groups",
                slug="home",
                introduction=(
                    "<p>The British Cardiovascular Interventional Society's focus groups take "
                    "on questions that matter to patients and to the profession, and report to "
                    "the society's Council. Each group's page sets out its case, its progress "
                    "and how you can take part.</p>"
                ),
                search_description=(
                    "Focus groups of the British Cardiovascular Interventional Society: their "
                    "aims, members, papers and training opportunities."
                ),
            )
            root.add_child(instance=home)
            home.save_revision().publish()
            self.say("Created the home page.")
        if site is None:
            site = Site(is_default_site=True)
        if site.root_page_id != home.pk or site.pk is None:
            site.root_page = home
            site.site_name = "BCIS focus groups"
            if site.pk is None or (site.hostname == "localhost" and site.port == 80):
                site.hostname = os.environ.get("SITE_HOSTNAME", "127.0.0.1")
                site.port = int(os.environ.get("PORT", "8000"))
            site.save()
            self.say(f"Pointed the default site ({site.hostname}:{site.port}) at the home page.")
        return home

    def ensure_site_settings(self, home):
        site = Site.objects.get(root_page=home)
        settings, created = SiteSettings.objects.get_or_create(
            site=site,
            defaults={
                "contact_email": "info@bcis.org.uk",
                "footer_text": "Demo content: the real BCIS focus groups pages are at bcis.org.uk.",
            },
        )
        if created:
            self.say("Created the site settings.")

    def ensure_index_page(self, home):
        index = FocusGroupIndexPage.objects.first()
        if index is not None:
            return index
        index = FocusGroupIndexPage(
            title="Focus groups",
            slug="focus-groups",
            show_in_menus=True,
            introduction=(
                "<p>Focus groups are small groups of society members, often joined by "
                "colleagues from other specialties, who look in depth at one problem and bring "
                "proposals to Council.</p>"
            ),
            search_description="The British Cardiovascular Interventional Society's focus groups.",
        )
        home.add_child(instance=index)
        index.save_revision().publish()
        self.say("Created the focus groups index at /focus-groups/.")
        return index

    def ensure_paper_document(self):
        Document = get_document_model()
        document = Document.objects.filter(title=PAPER_DOCUMENT_TITLE).first()
        if document is not None:
            return document
        collection = Collection.objects.filter(name="Papers").first()
        if collection is None:
            collection = Collection.get_first_root_node().add_child(name="Papers")
        pdf = make_placeholder_pdf(
            [
                "Can Interventional Cardiologists Help Deliver the UK Mechanical",
                "Thrombectomy Interventional Programme for Patients with Acute",
                "Ischaemic Stroke?",
                "A Discussion Paper from the BCIS Stroke Thrombectomy Focus Group",
            ],
            [
                "This file stands in for the discussion paper in the demo site.",
                "Upload the society's real paper in the Wagtail admin to replace it.",
                "",
                "Summary of the case: an estimated 800 patients a year are eligible for",
                "mechanical thrombectomy, yet fewer than 10% of those who might benefit",
                "receive it. Interventional cardiologists could help staff 24/7 rotas",
                "alongside neurointerventional radiologists, given agreed training and",
                "accreditation. Rota resilience across regional stroke networks is the",
                "central workforce question.",
            ],
        )
        document = Document(title=PAPER_DOCUMENT_TITLE, collection=collection)
        document.file.save(
            "stroke-thrombectomy-discussion-paper-placeholder.pdf", ContentFile(pdf), save=False
        )
        # Size and hash now, as the admin's upload form does, not on the first page view.
        document._set_document_file_metadata()
        document.save()
        self.say("Created the placeholder discussion paper (PDF).")
        return document

    def ensure_focus_group(self, index):
        if FocusGroupPage.objects.filter(slug="stroke-thrombectomy").exists():
            return
        document = self.ensure_paper_document()
        page = FocusGroupPage(
            title="Stroke Thrombectomy",
            slug="stroke-thrombectomy",
            summary=(
                "Making the case for interventional cardiologists to help deliver mechanical "
                "thrombectomy for stroke, so every eligible patient in the UK can be treated."
            ),
            search_description=(
                "The BCIS Stroke Thrombectomy Focus Group: why more thrombectomy operators are "
                "needed, the group's aims and progress, its discussion paper and members."
            ),
            introduction=INTRODUCTION,
            participants=PARTICIPANTS,
            aim=AIM,
            remit=REMIT,
            ongoing_work=ONGOING,
            call_to_action_heading="Register your interest",
            call_to_action_text=(
                "The register was launched at ACI. Interventional cardiologists can record "
                "their interest and their plans to seek training, so that every stakeholder "
                "can see where opportunities are needed."
            ),
            call_to_action_label="Register your interest",
        )
        page.milestones = [
            FocusGroupMilestone(date=date, title=title, description=description)
            for date, title, description in MILESTONES
        ]
        page.members = [
            FocusGroupMember(name=name, hospital=hospital) for name, hospital in MEMBERS
        ]
        page.papers = [
            FocusGroupPaper(
                title=PAPER_TITLE,
                paper_name="Stroke thrombectomy paper",
                version_label="As presented to Council",
                date=dt.date(2021, 1, 1),
                document=document,
                is_current=True,
            ),
            FocusGroupPaper(
                title=PAPER_TITLE,
                paper_name="Stroke thrombectomy paper",
                version_label="Published version (updated)",
            ),
        ]
        page.opportunities = [
            FocusGroupOpportunity(
                title="ESMINT Fellowships & Observerships",
                summary=(
                    "Fellowships and observerships offered by the European Society of Minimally "
                    "Invasive Neurological Therapy, for clinicians who want hands-on experience "
                    "of neurointervention."
                ),
                deadline_date=dt.date(2022, 6, 27),
                deadline_time=dt.time(23, 59),
                deadline_time_zone="Europe/Paris",
            ),
        ]
        index.add_child(instance=page)
        page.save_revision().publish()
        self.say(
            "Created the Stroke Thrombectomy focus group at /focus-groups/stroke-thrombectomy/."
        )

    # Members-only content (accounts) ------------------------------------------------------

    MEMBERS_PAGE_SLUG = "draft-published-paper"
    MEMBERS_DOCUMENT_TITLE = "Draft of the published paper (members only)"

    def ensure_members_only_collection(self):
        collection = Collection.objects.filter(name="Members only").first()
        if collection is None:
            collection = Collection.get_first_root_node().add_child(name="Members only")
            CollectionViewRestriction.objects.create(
                collection=collection, restriction_type=BaseViewRestriction.LOGIN
            )
            self.say("Created the 'Members only' document collection (signed-in members only).")
        return collection

    def ensure_members_only_document(self):
        Document = get_document_model()
        document = Document.objects.filter(title=self.MEMBERS_DOCUMENT_TITLE).first()
        if document is not None:
            return document
        pdf = make_placeholder_pdf(
            ["Draft of the published paper", "BCIS Stroke Thrombectomy Focus Group"],
            [
                "This file stands in for the members-only draft in the demo site.",
                "It sits in the 'Members only' collection, so only signed-in members",
                "can download it. Upload the real draft in the Wagtail admin.",
            ],
        )
        document = Document(
            title=self.MEMBERS_DOCUMENT_TITLE, collection=self.ensure_members_only_collection()
        )
        document.file.save("draft-published-paper-placeholder.pdf", ContentFile(pdf))
        document.save()
        self.say("Created the placeholder members-only draft (PDF).")
        return document

    def ensure_members_only_content(self):
        """A page and a paper only signed-in members can read, under the focus group."""
        group = FocusGroupPage.objects.filter(slug="stroke-thrombectomy").first()
        if group is None or group.get_children().filter(slug=self.MEMBERS_PAGE_SLUG).exists():
            return
        document = self.ensure_members_only_document()
        page = StandardPage(
            title="Draft of the published paper (members only)",
            slug=self.MEMBERS_PAGE_SLUG,
            introduction=(
                "The focus group's working draft of the updated paper, shared with members "
                "for comment before publication."
            ),
            body=[
                (
                    "paragraph",
                    RichText(
                        "<p>This page and its paper are for signed-in members only. Please do "
                        "not share the draft outside the society: it will change before it is "
                        "published.</p>"
                        f'<p><a linktype="document" id="{document.pk}">Download the draft '
                        "(PDF)</a></p>"
                    ),
                ),
            ],
        )
        group.add_child(instance=page)
        page.save_revision().publish()
        PageViewRestriction.objects.create(page=page, restriction_type=BaseViewRestriction.LOGIN)
        self.say(
            "Created the members-only page at "
            f"/focus-groups/stroke-thrombectomy/{self.MEMBERS_PAGE_SLUG}/."
        )

    def ensure_interest_register(self):
        """The interest register under the Stroke Thrombectomy group, a short privacy notice
        page, and the group's call to action pointing at the register (only if empty)."""
        from home.models import StandardPage
        from registry.models import InterestRegisterPage, RegisterFormField

        group = FocusGroupPage.objects.filter(slug="stroke-thrombectomy").first()
        if group is None:
            return
        notice = StandardPage.objects.child_of(group).filter(slug="register-privacy").first()
        if notice is None:
            notice = StandardPage(
                title="Interest register privacy notice",
                slug="register-privacy",
                introduction=(
                    "How the society uses the details you give on the stroke thrombectomy "
                    "interest register."
                ),
                body=[("paragraph", REGISTER_PRIVACY_BODY)],
            )
            group.add_child(instance=notice)
            notice.save_revision().publish()
            self.say("Created the register privacy notice page.")
        register = InterestRegisterPage.objects.child_of(group).first()
        if register is None:
            register = InterestRegisterPage(
                title="Stroke thrombectomy interest register",
                slug="register",
                introduction=REGISTER_INTRODUCTION,
                thank_you_text=(
                    "<p>Thank you for joining the register. Your answers help the focus group "
                    "show where training and operators are needed.</p>"
                ),
                privacy_notice_text=REGISTER_PRIVACY_SUMMARY,
                privacy_notice_page=notice,
                privacy_notice_version="1 (November 2026)",
                search_description=(
                    "Interventional cardiologists: record your interest in stroke thrombectomy "
                    "and your plans to seek training."
                ),
            )
            register.form_fields = [
                RegisterFormField(
                    label="Does your hospital have an on-site stroke unit?",
                    help_text="Choose the answer that fits your main hospital.",
                    field_type="radio",
                    choices="Yes\nNo\nNot sure",
                    required=False,
                )
            ]
            group.add_child(instance=register)
            register.save_revision().publish()
            self.say(
                "Created the interest register at /focus-groups/stroke-thrombectomy/register/."
            )
        if group.call_to_action_page_id is None:
            group.call_to_action_page = register
            group.save_revision().publish()
            self.say("Pointed the focus group's call to action at the register.")


REGISTER_INTRODUCTION = (
    "<p>Launched at ACI, this register lets interventional cardiologists record their "
    "interest in delivering mechanical thrombectomy for stroke, and their plans to seek "
    "training, so that the opportunities needed are clear to every stakeholder.</p>"
    "<p>It takes about five minutes. Only the society's register managers see your details; "
    "the public sees only totals by region and by training intention.</p>"
)
REGISTER_PRIVACY_SUMMARY = (
    "<p>The British Cardiovascular Interventional Society keeps your answers to plan training "
    "and to make the case for thrombectomy services. Only the society's register managers can "
    "see your details. We ask you to confirm your entry every two years and delete it if you "
    "do not. You can update or withdraw your entry at any time with the link we email you.</p>"
)
REGISTER_PRIVACY_BODY = (
    "<p>This notice explains how the British Cardiovascular Interventional Society (BCIS) "
    "uses the details you give on the stroke thrombectomy interest register.</p>"
    "<p><b>What we keep:</b> your name, email address, GMC number, role, hospital, region, "
    "experience, training intention, comments and the consents you give.</p>"
    "<p><b>Why:</b> to understand where interventional cardiologists want to help deliver "
    "thrombectomy and to plan training with national partners. Public pages show only "
    "totals, and never a number under five.</p>"
    "<p><b>Sharing:</b> only if you tick the box to share your details with the NHS England "
    "thrombectomy programme.</p>"
    "<p><b>How long:</b> while you keep confirming your entry; we ask every two years and "
    "delete entries that are not confirmed.</p>"
    "<p><b>Your rights:</b> use the link in your confirmation email to see, change or "
    "delete your entry at any time.</p>"
)
