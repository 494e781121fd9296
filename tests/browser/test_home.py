"""The home page and the members' area in a real browser: what a visitor and a member see,
axe-core at desktop and 375 px, the header on a phone. (The editor's preview panel is walked in
test_journeys.py.)"""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct-horse-battery-staple"
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile-375"])


@pytest.fixture
def member(demo_site):
    return get_user_model().objects.create_user(
        "hrout", email="helen@example.org", password=PASSWORD, first_name="Helen"
    )


def sign_in(page, next_path="/"):
    page.goto(f"/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill("hrout")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def assert_title_in_first_third(page):
    """The h1 is on screen, below no more than a third of the screen of header and breadcrumb."""
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_be_in_viewport()
    box = heading.bounding_box()
    height = page.viewport_size["height"]
    assert box["y"] <= height / 3, f"h1 starts {box['y']:.0f}px down a {height}px screen"


def test_home_shows_whats_new_and_the_groups(demo_site, browser_page):
    page = browser_page
    page.goto("/")
    expect(page).to_have_title("BCIS focus groups")
    expect(page.get_by_role("heading", name="Latest progress")).to_be_visible()
    expect(page.get_by_role("heading", name="Latest papers")).to_be_visible()
    expect(page.get_by_role("heading", name="Open training opportunities")).to_be_visible()
    groups = page.get_by_role("region", name="Our focus groups")
    groups.get_by_role("link", name="Stroke Thrombectomy").click()
    expect(page).to_have_url(re.compile(r"/focus-groups/stroke-thrombectomy/$"))
    assert page.console_errors == []


@VIEWPORTS
def test_home_has_no_accessibility_violations(demo_site, browser_page, assert_accessible, viewport):
    page = browser_page
    page.set_viewport_size(viewport)
    assert page.goto("/").status == 200
    assert_accessible(page, f"home page at {viewport['width']}px")
    assert page.console_errors == []


@VIEWPORTS
def test_members_area_has_no_accessibility_violations(
    member, browser_page, assert_accessible, viewport
):
    page = browser_page
    page.set_viewport_size(viewport)
    sign_in(page)
    page.get_by_role("link", name="Members' area").click()
    expect(page).to_have_url(re.compile(r"/members/$"))
    expect(page.get_by_role("heading", name="Members' area", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Draft of the published paper (members only)").first)
    assert_accessible(page, f"members' area at {viewport['width']}px")
    assert page.console_errors == []


def test_anonymous_visitor_is_asked_to_sign_in_for_the_members_area(demo_site, browser_page):
    page = browser_page
    page.goto("/")
    expect(page.get_by_role("link", name="Members' area")).to_have_count(0)
    page.goto("/members/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/members/$"))


def test_home_title_shows_in_the_first_third_of_a_phone_screen(demo_site, browser_page):
    page = browser_page
    page.set_viewport_size(MOBILE)
    page.goto("/")
    assert_title_in_first_third(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]


def test_home_title_shows_in_the_first_third_of_a_phone_screen_when_signed_in(member, browser_page):
    page = browser_page
    page.set_viewport_size(MOBILE)
    sign_in(page)
    assert_title_in_first_third(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]


def test_focus_group_title_shows_in_the_first_third_of_a_phone_screen(demo_site, browser_page):
    """Header and breadcrumb together."""
    page = browser_page
    page.set_viewport_size(MOBILE)
    page.goto("/focus-groups/stroke-thrombectomy/")
    assert_title_in_first_third(page)
