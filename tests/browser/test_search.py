"""Searching the site in a real browser: from the header to a result, with accessibility checks."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SEARCH_STATES = [
    ("/search/", "empty search form"),
    ("/search/?query=thrombectomy", "search results"),
    ("/search/?query=zzyzxnothing", "no results"),
]


def test_visitor_searches_from_the_header_and_opens_a_result(demo_site, browser_page):
    page = browser_page
    page.goto("/")
    search_box = page.get_by_role("searchbox", name="Search the site")
    search_box.fill("thrombectomy training")
    search_box.press("Enter")

    expect(page).to_have_url(re.compile(r"/search/\?query=thrombectomy\+training$"))
    expect(page.get_by_role("heading", level=2)).to_contain_text("for “thrombectomy training”")
    expect(page.get_by_role("searchbox", name="Search pages and papers")).to_have_value(
        "thrombectomy training"
    )
    results = page.get_by_role("list").filter(has=page.get_by_role("heading", level=3))
    expect(results.get_by_text("Paper — PDF")).to_be_visible()

    result = page.get_by_role("heading", name="Stroke Thrombectomy", exact=True, level=3)
    result.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/focus-groups/stroke-thrombectomy/$"))
    expect(page.get_by_role("heading", name="Stroke Thrombectomy", level=1)).to_be_visible()
    assert page.console_errors == []


def test_visitor_finds_the_paper_by_a_phrase_inside_it(demo_site, browser_page):
    page = browser_page
    page.goto("/search/")
    page.get_by_role("searchbox", name="Search pages and papers").fill(
        "rota resilience across regional stroke networks"
    )
    page.get_by_role("button", name="Search").last.click()
    link = page.get_by_role("heading", level=3).get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_contain_text("discussion paper")
    expect(page.locator("mark", has_text="resilience")).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile-375"])
@pytest.mark.parametrize(("path", "label"), SEARCH_STATES, ids=[s[1] for s in SEARCH_STATES])
def test_search_pages_have_no_accessibility_violations(
    demo_site, browser_page, assert_accessible, viewport, path, label
):
    page = browser_page
    page.set_viewport_size(viewport)
    response = page.goto(path)
    assert response.status == 200
    assert_accessible(page, f"{label} at {viewport['width']}px")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport["width"], f"{label} scrolls sideways"
    assert page.console_errors == []
