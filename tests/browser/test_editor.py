"""An editor changes the focus group page in the Wagtail admin and sees it live."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EDITOR_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def editor(demo_site):
    return get_user_model().objects.create_superuser(
        username="editor", email="editor@example.org", password=EDITOR_PASSWORD
    )


def sign_in_to_the_admin(page):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_editor_adds_a_member_publishes_and_sees_it_live(demo_site, editor, browser_page):
    page = browser_page
    sign_in_to_the_admin(page)

    from focusgroups.models import FocusGroupPage

    focus_group = FocusGroupPage.objects.get(slug="stroke-thrombectomy")
    page.goto(f"/admin/pages/{focus_group.pk}/edit/")
    page.get_by_role("tab", name="Members").click()
    page.get_by_role("button", name="Add member").last.click()
    members_panel = page.get_by_role("tabpanel", name="Members")
    members_panel.get_by_label("Name").last.fill("Test Cardiologist")
    members_panel.get_by_label("Hospital").last.fill("Royal Test Infirmary")

    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("has been published")).to_be_visible()

    page.goto("/focus-groups/stroke-thrombectomy/")
    members = page.locator("#members")
    expect(members.get_by_text("Test Cardiologist")).to_be_visible()
    expect(members.get_by_text("Royal Test Infirmary")).to_be_visible()


def test_signed_in_editor_gets_the_user_bar_and_its_accessibility_checker_under_the_csp(
    demo_site, editor, browser_page
):
    """The strict Content-Security-Policy of public pages must not break Wagtail's user bar,
    whose accessibility checker (axe-core) editors use on the live page."""
    page = browser_page
    sign_in_to_the_admin(page)

    page.goto("/focus-groups/stroke-thrombectomy/")
    userbar = page.locator("wagtail-userbar")
    expect(userbar).to_be_attached()
    trigger = userbar.get_by_role("button", name=re.compile("View Wagtail quick actions"))
    trigger.click()
    checker = userbar.get_by_role("menuitem", name=re.compile("Issues found|Accessibility"))
    expect(checker).to_be_visible()
    checker.click()
    dialog = userbar.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(re.compile("issues found|No accessibility issues", re.I))
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert csp_errors == []
