"""The focus group pages: what each section shows, in what order, and at what cost."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from focusgroups.models import (
    FocusGroupIndexPage,
    FocusGroupMember,
    FocusGroupMilestone,
    FocusGroupOpportunity,
    FocusGroupPage,
    FocusGroupPaper,
)
from home.models import HomePage, StandardPage

pytestmark = pytest.mark.django_db

# The ESMINT deadline from the brief: 27 June 2022, 23:59 CEST = 21:59 UTC = 22:59 BST.
ESMINT_DEADLINE_UTC = dt.datetime(2022, 6, 27, 21, 59, tzinfo=dt.UTC)


def html_of(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def section(html, section_id):
    match = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section #{section_id}"
    return match.group(0)


class TestPageTreeRules(WagtailPageTestCase):
    def test_focus_groups_live_under_the_index_and_nowhere_else(self):
        self.assertAllowedParentPageTypes(FocusGroupPage, {FocusGroupIndexPage})
        self.assertCanNotCreateAt(FocusGroupPage, FocusGroupPage)
        self.assertCanNotCreateAt(HomePage, FocusGroupPage)

    def test_index_lives_under_home_and_holds_only_focus_groups(self):
        self.assertAllowedParentPageTypes(FocusGroupIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(FocusGroupIndexPage, {FocusGroupPage})

    def test_home_page_sits_at_the_root_and_takes_index_and_general_pages(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})
        self.assertAllowedSubpageTypes(HomePage, {FocusGroupIndexPage, StandardPage})


def editor_post_data(page, **overrides):
    """The edit form's fields as the admin would post them, with one member added."""
    data = {
        "title": page.title,
        "slug": page.slug,
        "summary": page.summary,
        "introduction": rich_text("<p>About 800 patients a year.</p>"),
        "participants": rich_text("<p>Six cardiologists.</p>"),
        "aim": rich_text("<p>24/7 access.</p>"),
        "remit": rich_text("<p>Make the case.</p>"),
        "ongoing_work": rich_text(""),
        "body": streamfield([]),
        "call_to_action_heading": "Register your interest",
        "call_to_action_text": "",
        "call_to_action_page": "",
        "call_to_action_label": "Register",
        "milestones": inline_formset([]),
        "members": inline_formset([{"name": "New Member", "hospital": "", "role": ""}]),
        "papers": inline_formset([]),
        "opportunities": inline_formset([]),
        "seo_title": "",
        "search_description": "",
    }
    data.update(overrides)
    return nested_form_data(data)


def test_focus_group_page_can_be_edited_and_previewed_in_the_admin(make_focus_group, admin_client):
    page = make_focus_group(n=0)
    case = WagtailPageTestCase()
    case.client = admin_client
    case.assertPageIsEditable(page, post_data=editor_post_data(page))
    case.assertPageIsPreviewable(page, post_data=editor_post_data(page))


def test_editor_sees_the_page_in_tabs(make_focus_group, admin_client):
    page = make_focus_group(n=0)
    html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    tabs = re.findall(r'role="tab"[^>]*>(.*?)</a>', html, re.S)
    labels = [re.sub(r"<[^>]+>", "", t).split()[0] for t in tabs]
    assert labels[:5] == ["Content", "Members", "Papers", "Opportunities", "Promote"]


def test_publishing_from_the_editor_adds_the_member_to_the_live_page(
    make_focus_group, admin_client, client
):
    page = make_focus_group(n=0)
    data = editor_post_data(page)
    data["action-publish"] = "action-publish"
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302
    assert "New Member" in section(html_of(client, page), "members")


def test_every_editor_field_has_help_text():
    from django.db import models as dj_models

    for model in (
        FocusGroupPage,
        FocusGroupMember,
        FocusGroupMilestone,
        FocusGroupPaper,
        FocusGroupOpportunity,
        FocusGroupIndexPage,
        HomePage,
        StandardPage,
    ):
        own_fields = [
            f
            for f in model._meta.get_fields()
            if getattr(f, "model", None) is model
            and f.concrete
            and not f.auto_created
            and f.editable
            and not isinstance(f, dj_models.OneToOneField)
            and f.name not in {"page", "sort_order"}
        ]
        missing = [f.name for f in own_fields if not f.help_text]
        assert not missing, f"{model.__name__} fields without help text: {missing}"


def test_home_page_lists_focus_groups_with_their_summaries(client, make_focus_group, home_page):
    make_focus_group(summary="Helping deliver thrombectomy for stroke.")
    html = html_of(client, home_page)
    assert "Stroke Thrombectomy" in html
    assert "Helping deliver thrombectomy for stroke." in html
    assert 'href="/focus-groups/stroke-thrombectomy/"' in html


def test_index_lists_only_live_focus_groups(client, make_focus_group, index_page):
    make_focus_group()
    draft = make_focus_group(slug="draft-group", title="Secret draft group")
    draft.unpublish()
    html = html_of(client, index_page)
    assert "Stroke Thrombectomy" in html
    assert "Secret draft group" not in html


def test_each_text_section_renders_under_its_heading(client, make_focus_group):
    page = make_focus_group(
        introduction="<p>An estimated 800 patients per year.</p>",
        participants="<p>Six interventional cardiologists.</p>",
        aim="<p>Equitable 24/7 access.</p>",
        remit="<p>Agree training and accreditation.</p>",
        ongoing_work="<p>Talk to your local stroke team.</p>",
    )
    html = html_of(client, page)
    assert "800 patients per year" in section(html, "need")
    assert "Six interventional cardiologists" in section(html, "participants")
    assert "Equitable 24/7 access" in section(html, "aim")
    assert "Agree training and accreditation" in section(html, "remit")
    assert "Talk to your local stroke team" in section(html, "progress")


def test_empty_optional_sections_are_left_out(client, make_focus_group):
    page = make_focus_group(n=0, participants="", aim="", remit="")
    html = html_of(client, page)
    for section_id in ("participants", "aim", "remit", "progress", "members", "papers"):
        assert f'id="{section_id}"' not in html


def test_milestones_show_month_and_year_oldest_first_whatever_the_entry_order(
    client, make_focus_group
):
    page = make_focus_group(n=0)
    page.milestones = [
        FocusGroupMilestone(date=dt.date(2021, 4, 15), title="Presented to NHSE"),
        FocusGroupMilestone(date=dt.date(2021, 1, 20), title="Presented to BCIS Council"),
    ]
    page.save_revision().publish()
    progress = section(html_of(client, page), "progress")
    assert progress.index("January 2021") < progress.index("April 2021")
    assert progress.index("Presented to BCIS Council") < progress.index("Presented to NHSE")
    assert "20 January" not in progress  # a month is the precision shown


def test_members_keep_editor_order_and_show_cleanly_without_a_hospital(client, make_focus_group):
    page = make_focus_group(n=0)
    page.members = [
        FocusGroupMember(name="Helen Routledge", hospital="Worcestershire Royal Hospital"),
        FocusGroupMember(name="Raj Bathula"),
        FocusGroupMember(name="Alison Calver", hospital="Southampton University Hospital"),
    ]
    page.save_revision().publish()
    members = section(html_of(client, page), "members")
    assert members.index("Helen Routledge") < members.index("Raj Bathula")
    assert members.index("Raj Bathula") < members.index("Alison Calver")
    raj = re.search(
        r"<li class=\"member\">\s*<span class=\"member__name\">Raj Bathula.*?</li>", members, re.S
    ).group(0)
    assert "member__hospital" not in raj
    assert "()" not in members
    assert not re.search(r",\s*<", members)


def test_items_listed_in_code_keep_their_list_order_in_the_database(make_focus_group):
    """The demo loader lists items without sort_order; rows that tie may come back in any order
    on PostgreSQL, so each is numbered as it is saved."""
    page = make_focus_group(n=0)
    page.members = [FocusGroupMember(name=name) for name in ("Zoe", "Adam", "Mia")]
    page.papers = [FocusGroupPaper(title=title) for title in ("Second", "First")]
    page.save_revision().publish()
    members = FocusGroupMember.objects.filter(page=page)
    assert [m.name for m in members] == ["Zoe", "Adam", "Mia"]
    assert len({m.sort_order for m in members}) == 3
    papers = FocusGroupPaper.objects.filter(page=page)
    assert [p.title for p in papers] == ["Second", "First"]
    assert None not in {p.sort_order for p in papers}


def test_member_role_is_shown_only_when_given(client, make_focus_group):
    page = make_focus_group(n=0)
    page.members = [FocusGroupMember(name="A Person", role="Secretary"), FocusGroupMember(name="B")]
    page.save_revision().publish()
    members = section(html_of(client, page), "members")
    assert members.count("member__role") == 1
    assert "Secretary" in members


def test_paper_with_file_links_to_download_with_type_and_size(
    client, make_focus_group, make_document
):
    document = make_document(content=b"%PDF-1.4\n" + b"x" * (212 * 1024))
    page = make_focus_group(n=0)
    page.papers = [
        FocusGroupPaper(
            title="Discussion paper",
            version_label="As presented to Council",
            date=dt.date(2021, 1, 1),
            document=document,
        ),
    ]
    page.save_revision().publish()
    papers = section(html_of(client, page), "papers")
    assert f'href="{document.url}"' in papers
    assert "(PDF, 212 KB)" in papers
    assert "January 2021" in papers
    assert "Coming soon" not in papers


def test_paper_without_file_says_coming_soon_and_has_no_link(client, make_focus_group):
    page = make_focus_group(n=0)
    page.papers = [FocusGroupPaper(title="Discussion paper", version_label="Published version")]
    page.save_revision().publish()
    papers = section(html_of(client, page), "papers")
    assert "Coming soon" in papers
    assert "<a " not in papers
    assert "/documents/" not in papers


def test_versions_of_one_paper_are_grouped_by_paper_name_under_the_current_title(
    client, make_focus_group, make_document
):
    page = make_focus_group(n=0)
    page.papers = [
        FocusGroupPaper(
            title="The paper (draft title)",
            paper_name="Stroke paper",
            version_label="As presented to Council",
            document=make_document(),
        ),
        FocusGroupPaper(
            title="The paper",
            paper_name="Stroke paper",
            version_label="Published version (updated)",
            is_current=True,
        ),
    ]
    page.save_revision().publish()
    papers = section(html_of(client, page), "papers")
    assert papers.count('<h3 class="paper__title">') == 1
    assert '<h3 class="paper__title">The paper</h3>' in papers
    assert "As presented to Council" in papers and "Published version (updated)" in papers
    current = re.search(r'<li class="paper__version">.*?</li>', papers.split("Council")[1], re.S)
    assert "Current version" in current.group(0)
    assert papers.count("Current version") == 1


def test_papers_with_the_same_title_but_no_paper_name_are_separate_papers(client, make_focus_group):
    page = make_focus_group(n=0)
    page.papers = [
        FocusGroupPaper(title="Annual report", version_label="2023"),
        FocusGroupPaper(title="Annual report", version_label="2024"),
    ]
    page.save_revision().publish()
    papers = section(html_of(client, page), "papers")
    assert papers.count('<h3 class="paper__title">Annual report</h3>') == 2
    assert "Current version" not in papers


def test_the_migration_groups_existing_versions_and_marks_the_latest_current(
    make_focus_group,
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("focusgroups.migrations.0003_paper_versions")
    page = make_focus_group(n=0)
    page.papers = [
        FocusGroupPaper(title="The paper", version_label="Council", date=dt.date(2021, 1, 1)),
        FocusGroupPaper(title="The paper", version_label="Published", date=dt.date(2022, 1, 1)),
        FocusGroupPaper(title="Alone", version_label="Only"),
    ]
    page.save_revision().publish()
    migration.name_existing_versions(apps, None)
    rows = {p.version_label: p for p in FocusGroupPaper.objects.filter(page=page)}
    assert rows["Council"].paper_name == rows["Published"].paper_name == "The paper"
    assert rows["Published"].is_current and not rows["Council"].is_current
    assert rows["Only"].paper_name == "" and not rows["Only"].is_current


def test_document_download_returns_the_file_as_an_attachment(client, make_document):
    content = b"%PDF-1.4 the paper itself"
    document = make_document(content=content)
    response = client.get(document.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"].startswith("attachment")


def esmint_page(make_focus_group):
    page = make_focus_group(n=0)
    page.opportunities = [
        FocusGroupOpportunity(
            title="ESMINT Fellowships & Observerships",
            summary="Fellowships.",
            deadline_date=dt.date(2022, 6, 27),
            deadline_time=dt.time(23, 59),
            deadline_time_zone="Europe/Paris",
        )
    ]
    page.save_revision().publish()
    return FocusGroupPage.objects.get(pk=page.pk)


def test_deadline_is_shown_in_its_own_zone_and_in_uk_time(client, make_focus_group):
    page = esmint_page(make_focus_group)
    with time_machine.travel(ESMINT_DEADLINE_UTC - dt.timedelta(days=1), tick=False):
        opportunities = section(html_of(client, page), "opportunities")
    assert "27 June 2022, 23:59 CEST" in opportunities
    assert "22:59 BST, UK time" in opportunities
    assert 'datetime="2022-06-27T21:59:00Z"' in opportunities


def test_deadline_stored_as_the_exact_moment_across_the_cest_uk_difference(make_focus_group):
    opportunity = esmint_page(make_focus_group).opportunities.get()
    assert opportunity.deadline_at == ESMINT_DEADLINE_UTC
    assert opportunity.deadline_uk == dt.datetime(
        2022, 6, 27, 22, 59, tzinfo=ZoneInfo("Europe/London")
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # One minute before 23:59 CEST the opportunity is open (it is 22:58 in the UK) ...
        (ESMINT_DEADLINE_UTC - dt.timedelta(minutes=1), "Open"),
        (ESMINT_DEADLINE_UTC, "Open"),
        # ... and one minute after, it closes by itself, though it is still 23:00 in the UK.
        (ESMINT_DEADLINE_UTC + dt.timedelta(minutes=1), "Closed"),
    ],
)
def test_opportunity_opens_and_closes_by_itself_at_the_deadline(
    client, make_focus_group, moment, expected
):
    page = esmint_page(make_focus_group)
    with time_machine.travel(moment, tick=False):
        opportunities = section(html_of(client, page), "opportunities")
    assert f'<span class="status status--{expected.lower()}">{expected}</span>' in opportunities
    assert ("Add to calendar" in opportunities) == (expected == "Open")


def test_closed_opportunities_sort_after_open_ones(client, make_focus_group):
    page = make_focus_group(n=0)
    page.opportunities = [
        FocusGroupOpportunity(title="Closed one", summary="x", deadline_date=dt.date(2022, 6, 27)),
        FocusGroupOpportunity(title="Open later", summary="x", deadline_date=dt.date(2031, 1, 1)),
        FocusGroupOpportunity(title="Open soon", summary="x", deadline_date=dt.date(2030, 1, 1)),
        FocusGroupOpportunity(title="Rolling", summary="x"),
    ]
    page.save_revision().publish()
    with time_machine.travel(dt.datetime(2026, 11, 29, tzinfo=dt.UTC), tick=False):
        html = section(html_of(client, page), "opportunities")
    order = [html.index(t) for t in ("Open soon", "Open later", "Rolling", "Closed one")]
    assert order == sorted(order)


def test_calendar_file_holds_the_deadline_in_utc(client, make_focus_group):
    page = esmint_page(make_focus_group)
    opportunity = page.opportunities.get()
    url = page.url + f"opportunities/{opportunity.pk}/add-to-calendar/"
    with time_machine.travel(ESMINT_DEADLINE_UTC - dt.timedelta(days=30), tick=False):
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert "\r\nDTSTART:20220627T215900Z\r\n" in body
    assert "SUMMARY:Application deadline: ESMINT Fellowships & Observerships" in body
    assert f"UID:opportunity-{opportunity.pk}-deadline@" in body
    assert body.rstrip().endswith("END:VCALENDAR")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_calendar_file_escapes_special_characters(client, make_focus_group):
    page = make_focus_group(n=0)
    page.opportunities = [
        FocusGroupOpportunity(
            title="Course; part 1, basics",
            summary="Line one\nLine two",
            deadline_date=dt.date(2031, 1, 1),
        )
    ]
    page.save_revision().publish()
    page = FocusGroupPage.objects.get(pk=page.pk)
    opportunity = page.opportunities.get()
    body = client.get(
        page.url + f"opportunities/{opportunity.pk}/add-to-calendar/"
    ).content.decode()
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:Application deadline: Course\\; part 1\\, basics" in unfolded
    assert "Line one\\nLine two" in unfolded


def test_no_calendar_file_for_a_closed_deadline(client, make_focus_group):
    page = esmint_page(make_focus_group)
    opportunity = page.opportunities.get()
    with time_machine.travel(ESMINT_DEADLINE_UTC + dt.timedelta(days=1), tick=False):
        response = client.get(page.url + f"opportunities/{opportunity.pk}/add-to-calendar/")
    assert response.status_code == 404


def test_call_to_action_links_to_the_chosen_page_and_hides_without_one(
    client, make_focus_group, home_page
):
    target = StandardPage(title="Interest register", slug="register", body=[])
    home_page.add_child(instance=target)
    page = make_focus_group(call_to_action_page=target, call_to_action_label="Join the register")
    html = html_of(client, page)
    assert 'href="/register/"' in html and "Join the register" in html
    page.call_to_action_page = None
    page.save_revision().publish()
    assert "Join the register" not in html_of(client, page)


def count_queries(client, url):
    # Warm the per-site caches (site root paths, menu, site settings), as on a running server.
    client.get(url)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_focus_group_page_query_count_does_not_grow_with_its_content(client, make_focus_group):
    small = make_focus_group(slug="small", n=3)
    large = make_focus_group(slug="large", n=30)
    assert len(large.members.all()) == 30
    assert count_queries(client, small.url) == count_queries(client, large.url)


def test_home_and_index_query_counts_do_not_grow_with_the_number_of_groups(
    client, make_focus_group, home_page, index_page
):
    make_focus_group(slug="one")
    home_queries, index_queries = count_queries(client, "/"), count_queries(client, index_page.url)
    for i in range(5):
        make_focus_group(slug=f"group-{i}")
    assert count_queries(client, "/") == home_queries
    assert count_queries(client, index_page.url) == index_queries


def test_call_to_action_chooser_offers_register_pages_only(make_focus_group, admin_client):
    from registry.models import InterestRegisterPage

    form_class = FocusGroupPage.get_edit_handler().get_form_class()
    widget = form_class.base_fields["call_to_action_page"].widget
    assert widget.target_models == [InterestRegisterPage]
    group = make_focus_group()
    html = admin_client.get(f"/admin/pages/{group.pk}/edit/").content.decode()
    assert "registry.interestregisterpage" in html


def paper_versions(*versions):
    """Papers as the editor's Papers tab posts them: (paper name, current?) per version."""
    return inline_formset(
        [
            {
                "title": f"Version {i}",
                "paper_name": name,
                "is_current": "on" if current else "",
                "version_label": f"Version {i}",
                "date": "",
                "description": "",
                "document": "",
            }
            for i, (name, current) in enumerate(versions)
        ]
    )


def test_a_paper_cannot_be_saved_with_two_current_versions(make_focus_group, admin_client):
    page = make_focus_group(n=0)
    data = editor_post_data(
        page, papers=paper_versions(("Stroke paper", True), (" stroke PAPER ", True))
    )
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 200  # the form again, not a redirect
    html = response.content.decode()
    assert "The page could not be saved due to validation errors" in html
    assert (
        "Only one version of a paper can be the current version. Untick &#x27;Current "
        "version&#x27; on all but one of the versions named &#x27;stroke PAPER&#x27;." in html
    )
    page.refresh_from_db()
    assert not page.get_latest_revision().as_object().papers.exists()


def test_one_current_version_per_paper_saves(make_focus_group, admin_client):
    page = make_focus_group(n=0)
    data = editor_post_data(
        page,
        papers=paper_versions(
            ("Stroke paper", True),
            ("Stroke paper", False),
            ("Workforce paper", True),
            ("", True),
            ("", True),  # no paper name: papers of their own, each may be current
        ),
    )
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302
    page.refresh_from_db()
    saved = page.get_latest_revision().as_object()
    assert [p.is_current for p in saved.papers.all()] == [True, False, True, True, True]


def test_a_deleted_second_current_version_does_not_count(make_focus_group, admin_client):
    page = make_focus_group(n=0)
    data = editor_post_data(
        page, papers=paper_versions(("Stroke paper", True), ("Stroke paper", True))
    )
    data["papers-1-DELETE"] = "1"
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.get_latest_revision().as_object().papers.count() == 1
