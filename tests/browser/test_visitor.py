"""A visitor's journey through the public pages, in a real browser, with accessibility checks."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PUBLIC_PAGES = [
    ("/", "home page"),
    ("/focus-groups/", "focus groups index"),
    ("/focus-groups/stroke-thrombectomy/", "focus group page"),
]


def test_visitor_reaches_the_focus_group_and_downloads_the_paper(demo_site, browser_page):
    page = browser_page
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("BCIS focus groups")
    # The home page also links to the group from its latest news: follow the list of groups.
    groups = page.get_by_role("region", name="Our focus groups")
    groups.get_by_role("link", name="Stroke Thrombectomy").click()
    expect(page).to_have_url(re.compile(r"/focus-groups/stroke-thrombectomy/$"))
    expect(page.get_by_role("heading", name="Stroke Thrombectomy", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    expect(page.get_by_text("Helen Routledge")).to_be_visible()
    expect(page.get_by_text("Coming soon.")).to_be_visible()

    download_link = page.get_by_role("link", name=re.compile(r"^Download as presented to council"))
    expect(download_link).to_contain_text("PDF")
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read(5) == b"%PDF-"
    assert page.console_errors == []


def test_skip_link_moves_focus_to_the_main_content(demo_site, browser_page):
    page = browser_page
    page.goto("/focus-groups/stroke-thrombectomy/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main-content$"))


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile-375"])
@pytest.mark.parametrize(("path", "label"), PUBLIC_PAGES, ids=[p[1] for p in PUBLIC_PAGES])
def test_public_pages_have_no_accessibility_violations(
    demo_site, browser_page, assert_accessible, viewport, path, label
):
    page = browser_page
    page.set_viewport_size(viewport)
    response = page.goto(path)
    assert response.status == 200
    assert_accessible(page, f"{label} at {viewport['width']}px")
    assert page.console_errors == []


def test_focus_group_page_fits_a_phone_without_sideways_scrolling(demo_site, browser_page):
    page = browser_page
    page.set_viewport_size(MOBILE)
    page.goto("/focus-groups/stroke-thrombectomy/")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= MOBILE["width"]
