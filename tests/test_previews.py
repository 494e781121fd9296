"""Editors can preview every page type, in every preview mode it declares, before saving: with
new (unsaved) repeating items of every kind and with every optional field left empty, both when
adding a page and when editing one, through Wagtail's own preview views."""

import datetime as dt

import pytest
from django.urls import reverse
from wagtail.models import Page, get_page_models
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from focusgroups.models import FocusGroupIndexPage, FocusGroupPage
from home.models import HomePage, StandardPage
from registry.models import EXTRA_FIELD_CHOICES, InterestRegisterPage

pytestmark = pytest.mark.django_db

TITLE = "Previewed title"
FUTURE = (dt.date.today() + dt.timedelta(days=60)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=60)).isoformat()

# What each inline item is called in its preview, so the test sees it really is shown.
MEMBER, MILESTONE, PAPER, OPPORTUNITY = (
    "Unsaved Member",
    "Unsaved milestone",
    "Unsaved paper",
    "Unsaved fellowship",
)
QUESTION = "Unsaved question"


def focus_group_items(document):
    """One of each repeating item, unsaved, in each of its shapes (optional fields empty or
    filled; deadlines open, closed and absent)."""
    return {
        "members": inline_formset(
            [
                {"name": MEMBER, "hospital": "", "role": ""},
                {"name": "Full Member", "hospital": "Royal Test Infirmary", "role": "Chair"},
            ]
        ),
        "milestones": inline_formset(
            [
                {"date": "2021-01-01", "title": MILESTONE, "description": ""},
                {"date": "2022-04-01", "title": "Described", "description": "Some detail."},
            ]
        ),
        "papers": inline_formset(
            [
                {
                    "title": PAPER,
                    "version_label": "Draft",
                    "date": "",
                    "description": "",
                    "document": "",
                },
                {
                    "title": PAPER,
                    "version_label": "Published",
                    "date": "2022-06-01",
                    "description": "Out now.",
                    "document": str(document.pk),
                },
            ]
        ),
        "opportunities": inline_formset(
            [
                {
                    "title": OPPORTUNITY,
                    "summary": "Open.",
                    "link": "",
                    "deadline_date": FUTURE,
                    "deadline_time": "23:59",
                    "deadline_time_zone": "Europe/Paris",
                },
                {
                    "title": "Closed one",
                    "summary": "Closed.",
                    "link": "https://example.org/",
                    "deadline_date": PAST,
                    "deadline_time": "12:00",
                    "deadline_time_zone": "Europe/London",
                },
                {
                    "title": "No deadline",
                    "summary": "Any time.",
                    "link": "",
                    "deadline_date": "",
                    "deadline_time": "23:59",
                    "deadline_time_zone": "UTC",
                },
            ]
        ),
    }


def register_items():
    """One further question of every type the editor can choose."""
    return {
        "form_fields": inline_formset(
            [
                {
                    "label": f"{QUESTION} {kind}",
                    "help_text": "A hint.",
                    "required": "on" if i % 2 else "",
                    "field_type": kind,
                    "choices": "Yes\nNo" if kind in {"checkboxes", "radio", "dropdown"} else "",
                    "default_value": "",
                }
                for i, (kind, _) in enumerate(EXTRA_FIELD_CHOICES)
            ]
        )
    }


def empty_formsets(*names):
    return {name: inline_formset([]) for name in names}


# For each page type: its required fields (every optional one empty), its repeating items, and
# the text each item shows in a preview (checked only in the modes that show them).
CASES = {
    HomePage: {
        "fields": lambda: {"introduction": rich_text("<p>Welcome.</p>"), "body": streamfield([])},
        "items": None,
    },
    StandardPage: {
        "fields": lambda: {
            "introduction": "",
            "body": streamfield([("paragraph", rich_text("<p>Body.</p>"))]),
        },
        "items": None,
    },
    FocusGroupIndexPage: {"fields": lambda: {"introduction": rich_text("")}, "items": None},
    FocusGroupPage: {
        "fields": lambda: {
            "summary": "A summary.",
            "introduction": rich_text("<p>The need.</p>"),
            "participants": rich_text(""),
            "aim": rich_text(""),
            "remit": rich_text(""),
            "ongoing_work": rich_text(""),
            "body": streamfield([]),
            "call_to_action_heading": "",
            "call_to_action_text": "",
            "call_to_action_page": "",
            "call_to_action_label": "",
            **empty_formsets("members", "milestones", "papers", "opportunities"),
        },
        "items": "focus_group",
        "shows": {"": [MEMBER, MILESTONE, PAPER, OPPORTUNITY, "Closed one", "No fixed deadline"]},
    },
    InterestRegisterPage: {
        "fields": lambda: {
            "introduction": rich_text("<p>Intro.</p>"),
            "thank_you_text": rich_text("<p>Thanks.</p>"),
            "privacy_notice_text": rich_text("<p>Notice.</p>"),
            "privacy_notice_page": "",
            "privacy_notice_version": "1",
            "staff_notification_addresses": "",
            "opens_at": "",
            "closes_at": "",
            "closed_text": "",
            **empty_formsets("form_fields"),
        },
        "items": "register",
        "shows": {"form": [QUESTION]},
    },
}


def post_data(model, slug, with_items, document=None):
    data = {"title": TITLE, "slug": slug, "seo_title": "", "search_description": ""}
    data.update(CASES[model]["fields"]())
    if with_items and CASES[model]["items"] == "focus_group":
        data.update(focus_group_items(document))
    elif with_items and CASES[model]["items"] == "register":
        data.update(register_items())
    return nested_form_data(data)


def preview_modes(model):
    return [mode for mode, _ in model().preview_modes]


@pytest.fixture
def pages(home_page, index_page, make_register, make_document):
    """A saved page of every type, and the parent a new one of each type is added under."""
    register = make_register()
    group = register.get_parent().specific
    standard = StandardPage(title="About", slug="about", body=[])
    home_page.add_child(instance=standard)
    standard.save_revision().publish()
    return {
        "document": make_document(),
        "saved": {
            HomePage: home_page,
            StandardPage: standard,
            FocusGroupIndexPage: index_page,
            FocusGroupPage: group,
            InterestRegisterPage: register,
        },
        "parent": {
            HomePage: Page.get_first_root_node(),
            StandardPage: home_page,
            FocusGroupIndexPage: home_page,
            FocusGroupPage: index_page,
            InterestRegisterPage: group,
        },
    }


def test_every_page_type_has_a_preview_case():
    """A new page type must be added to CASES, so that its previews are tested too."""
    assert set(get_page_models()) - {Page} == set(CASES)


def preview(client, url, data, mode):
    """Post the edit form to the preview view as the editor's preview panel does, then load the
    preview as the panel's frame and the 'Preview in new tab' link do."""
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.json() == {"is_valid": True, "is_available": True}, response.json()
    pages = []
    for query in (f"?mode={mode}&in_preview_panel=true", f"?mode={mode}"):
        response = client.get(url + query)
        assert response.status_code == 200, query
        # Framed by the admin, under the admin's policy (accounts/middleware.py).
        assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
        pages.append(response.content.decode())
    return pages


CASE_IDS = [m.__name__ for m in CASES]


@pytest.mark.parametrize("with_items", [False, True], ids=["empty", "new-items"])
@pytest.mark.parametrize("model", list(CASES), ids=CASE_IDS)
def test_a_new_page_previews_in_every_mode(admin_client, pages, model, with_items):
    parent = pages["parent"][model]
    if model.max_count == 1:  # there can be only one: preview the first, as on a new site
        pages["saved"][model].delete()
        parent.refresh_from_db()
    assert model.can_create_at(parent)
    url = reverse(
        "wagtailadmin_pages:preview_on_add",
        args=[model._meta.app_label, model._meta.model_name, parent.pk],
    )
    data = post_data(model, "brand-new-page", with_items, pages["document"])
    for mode in preview_modes(model):
        for html in preview(admin_client, url, data, mode):
            assert TITLE in html
            if with_items:
                for text in CASES[model].get("shows", {}).get(mode, []):
                    assert text in html, (mode, text)


@pytest.mark.parametrize("with_items", [False, True], ids=["empty", "new-items"])
@pytest.mark.parametrize("model", list(CASES), ids=CASE_IDS)
def test_a_saved_page_previews_its_unsaved_changes_in_every_mode(
    admin_client, pages, model, with_items
):
    page = pages["saved"][model]
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    data = post_data(model, page.slug, with_items, pages["document"])
    for mode in preview_modes(model):
        for html in preview(admin_client, url, data, mode):
            assert TITLE in html
            if with_items:
                for text in CASES[model].get("shows", {}).get(mode, []):
                    assert text in html, (mode, text)


@pytest.mark.parametrize("model", list(CASES), ids=CASE_IDS)
def test_wagtails_own_preview_check_passes_for_every_mode(admin_client, pages, model):
    case = WagtailPageTestCase()
    case.client = admin_client
    page = pages["saved"][model]
    data = post_data(model, page.slug, True, pages["document"])
    for mode in preview_modes(model):
        case.assertPageIsPreviewable(page, mode=mode, post_data=data)


def test_a_preview_leaves_out_the_calendar_link_of_an_unsaved_opportunity(admin_client, pages):
    """An opportunity has no address for its .ics file until it is saved: the preview shows the
    deadline but no 'Add to calendar' link (it was a NoReverseMatch error before)."""
    url = reverse(
        "wagtailadmin_pages:preview_on_add",
        args=["focusgroups", "focusgrouppage", pages["parent"][FocusGroupPage].pk],
    )
    html = preview(
        admin_client, url, post_data(FocusGroupPage, "new", True, pages["document"]), ""
    )[0]
    assert "Application deadline:" in html
    assert "Add to calendar" not in html


def test_the_live_page_keeps_its_calendar_link(client, make_focus_group):
    page = make_focus_group(n=1)
    opportunity = page.opportunities.get()
    html = client.get(page.url).content.decode()
    assert f'href="{page.url}opportunities/{opportunity.pk}/add-to-calendar/" download' in html


@pytest.mark.parametrize("model", list(CASES), ids=CASE_IDS)
def test_every_page_type_previews_on_a_phone_and_on_a_desktop(admin_client, pages, model):
    """The editor's preview panel offers the two sizes the site is checked at, by name."""
    html = admin_client.get(
        reverse("wagtailadmin_pages:edit", args=[pages["saved"][model].pk])
    ).content.decode()
    assert 'aria-label="Preview on a phone (375 px wide)"' in html
    assert 'aria-label="Preview on a desktop screen (1280 px wide)"' in html
    assert 'data-device-width="375"' in html and 'data-device-width="1280"' in html
    assert model().default_preview_size == "mobile"
