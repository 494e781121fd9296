"""Shared fixtures: the page tree the tests build on, and the demo content."""

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

from focusgroups.models import (
    FocusGroupIndexPage,
    FocusGroupMember,
    FocusGroupMilestone,
    FocusGroupOpportunity,
    FocusGroupPage,
    FocusGroupPaper,
)
from home.models import HomePage, SiteSettings
from home.placeholder_pdf import make_placeholder_pdf


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Under pytest-xdist, a group of tests that share servers of their own (`xdist_group`)
    and use no test database starts first. pytest-django puts tests without a database last,
    and these are the longest (each group starts its servers from scratch): last, they would
    be the tail of a parallel run while the other worker sits idle. Without a database they
    may run at any point; a group with any database test stays where pytest-django put it
    (xdist runs a group together, and a transactional test must come after the others)."""

    def group(item):
        marker = item.get_closest_marker("xdist_group")
        return marker and (marker.args[0] if marker.args else marker.kwargs.get("name"))

    def uses_database(item):
        return bool(
            item.get_closest_marker("django_db")
            or {"db", "transactional_db", "live_server"} & set(item.fixturenames)
        )

    with_database = {group(i) for i in items if uses_database(i)}
    # A stable sort: each part keeps pytest-django's order.
    items.sort(key=lambda i: not (group(i) and group(i) not in with_database))


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads made by a test go to its own temporary folder, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def home_page(db):
    root = Page.get_first_root_node()
    # Wagtail's install leaves a placeholder welcome page at depth 2; the real home replaces it.
    for page in Page.objects.filter(depth=2):
        page.delete()
    root.refresh_from_db()
    home = HomePage(title="BCIS focus groups", slug="home", introduction="<p>Welcome.</p>")
    root.add_child(instance=home)
    home.save_revision().publish()
    site, _ = Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Test"},
    )
    SiteSettings.objects.get_or_create(site=site)  # as the demo loader makes them
    return home


@pytest.fixture
def index_page(home_page):
    index = FocusGroupIndexPage(title="Focus groups", slug="focus-groups", show_in_menus=True)
    home_page.add_child(instance=index)
    index.save_revision().publish()
    return index


@pytest.fixture
def make_document(db, run_worker):
    """Save a document; unless `read=False`, the worker then reads its text, as it would a
    moment after an upload."""

    def _make(title="Discussion paper", filename="paper.pdf", content=None, read=True):
        Document = get_document_model()
        document = Document(title=title)
        data = content if content is not None else make_placeholder_pdf(["A paper"], ["Text"])
        document.file.save(filename, ContentFile(data), save=False)
        document.save()
        if read:
            run_worker()
            document.refresh_from_db()
        return document

    return _make


@pytest.fixture
def make_focus_group(index_page):
    """Build a published focus group page with `n` of each repeating child."""

    def _make(slug="stroke-thrombectomy", n=3, **fields):
        page = FocusGroupPage(
            title=fields.pop("title", "Stroke Thrombectomy"),
            slug=slug,
            summary=fields.pop("summary", "Helping deliver thrombectomy for stroke."),
            introduction=fields.pop("introduction", "<p>About 800 patients a year.</p>"),
            aim=fields.pop("aim", "<p>24/7 access.</p>"),
            remit=fields.pop("remit", "<p>Make the case.</p>"),
            participants=fields.pop("participants", "<p>Six cardiologists.</p>"),
            **fields,
        )
        page.milestones = [
            FocusGroupMilestone(date=dt.date(2021, 1 + i % 12, 1), title=f"Milestone {i}")
            for i in range(n)
        ]
        page.members = [
            FocusGroupMember(name=f"Member {i}", hospital=f"Hospital {i}" if i % 2 else "")
            for i in range(n)
        ]
        page.papers = [
            FocusGroupPaper(title=f"Paper {i}", version_label="As presented to Council")
            for i in range(n)
        ]
        page.opportunities = [
            FocusGroupOpportunity(
                title=f"Opportunity {i}",
                summary="A fellowship.",
                deadline_date=dt.date(2030, 1, 1 + i % 28),
                deadline_time_zone="Europe/Paris",
            )
            for i in range(n)
        ]
        index_page.add_child(instance=page)
        page.save_revision().publish()
        return page

    return _make


@pytest.fixture
def demo_site(db, run_worker):
    """The demo content exactly as `make run` loads it, once the worker has read its paper."""
    call_command("load_demo_content", stdout=io.StringIO())
    run_worker()
    return HomePage.objects.get()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: cached menus, settings and pages from another
    test's database must never leak into this one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- interest register ---


@pytest.fixture
def make_register(make_focus_group):
    """Build a published interest register page under a focus group, with one further
    question (radio buttons) unless `questions=[]` is passed."""
    from registry.models import (
        InterestRegisterPage,
        RegisterFormField,
        RegisterNotificationSettings,
    )

    def _make(slug="register", group=None, questions=None, **fields):
        group = group or make_focus_group(slug="stroke-thrombectomy", n=0)
        # Set by register managers on RegisterNotificationSettings, not on the page.
        addresses = fields.pop(
            "staff_notification_addresses", "register@bcis.example, chair@bcis.example"
        )
        page = InterestRegisterPage(
            title=fields.pop("title", "Stroke thrombectomy interest register"),
            slug=slug,
            introduction=fields.pop("introduction", "<p>Tell us about your interest.</p>"),
            thank_you_text=fields.pop("thank_you_text", "<p>Thanks for registering.</p>"),
            privacy_notice_text=fields.pop("privacy_notice_text", "<p>We keep your details.</p>"),
            **fields,
        )
        if questions is None:
            questions = [
                RegisterFormField(
                    label="Stroke unit on site?",
                    help_text="At your main hospital.",
                    field_type="radio",
                    choices="Yes\nNo",
                    required=False,
                )
            ]
        page.form_fields = questions
        group.add_child(instance=page)
        page.save_revision().publish()
        if addresses:
            RegisterNotificationSettings.objects.create(
                page=page, staff_notification_addresses=addresses
            )
        return InterestRegisterPage.objects.get(pk=page.pk)

    return _make


def register_post_data(**overrides):
    """A complete, valid set of answers to the register form."""
    data = {
        "full_name": "Alex Example",
        "email": "Alex.Example@NHS.example",
        "gmc_number": "1234567",
        "role": "consultant",
        "role_other": "",
        "hospital": "Royal Test Infirmary",
        "region": "london",
        "experience": "I have done carotid or other neck artery stenting",
        "experience_details": "Twenty carotid stents.",
        "training_intention": "within_12_months",
        "comments": "",
        "consent_privacy": "on",
        "consent_contact": "on",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def run_worker(db):
    """Run the tasks the background worker would run now (queued emails, document text), in
    this process; not its periodic jobs. Returns how many tasks ran."""
    from outbox.worker import Loop

    def _run():
        return Loop().run_ready_tasks()

    return _run
