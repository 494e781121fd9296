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


def test_editor_adds_a_member_publishes_and_sees_it_live(demo_site, editor, browser_page):
    page = browser_page
    page.goto("/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

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
