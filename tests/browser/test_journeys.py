"""The journeys of a communications officer, walked in a real browser from sign-in to the public
site: each one signs in to /admin/, edits in Wagtail's own editor, previews or schedules, publishes,
and then looks at the site as an anonymous visitor in a fresh browser context (no cookies, no
session, nothing shared with the editor's browser)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from home.placeholder_pdf import make_placeholder_pdf
from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct-horse-battery-staple"
GROUP_URL = "/focus-groups/stroke-thrombectomy/"
SLOW = 30_000  # ms: a 2-core CI machine running the suite twice


@pytest.fixture
def editor(demo_site):
    """A communications officer: in the "Communications editors" group, not a superuser."""
    user = get_user_model().objects.create_user(
        username="comms", email="comms@example.org", password=PASSWORD, is_staff=False
    )
    user.groups.add(Group.objects.get(name="Communications editors"))
    return user


@pytest.fixture
def visitor(chromium, live_server):
    """Opens a fresh browser context for an anonymous visitor (or anyone else who is not the
    editor); every context opened is closed at the end."""
    contexts = []

    def _open(viewport=DESKTOP):
        context = chromium.new_context(
            viewport=viewport, base_url=live_server.url, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(SLOW)
        return page

    yield _open
    for context in contexts:
        context.close()


def sign_in_to_the_admin(page, username="comms", password=PASSWORD):
    page.set_default_timeout(SLOW)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def edit(page, slug):
    from wagtail.models import Page

    target = Page.objects.get(slug=slug)
    page.goto(f"/admin/pages/{target.pk}/edit/")
    expect(page.get_by_role("button", name="Save draft")).to_be_visible()


def publish(page):
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("has been published")).to_be_visible()


def save_draft(page):
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("has been updated")).to_be_visible()


# 1. Add an opportunity, preview it (panel and new tab), publish, see it live -------------------


def test_editor_adds_an_opportunity_previews_it_publishes_and_a_visitor_sees_it(
    editor, browser_page, visitor
):
    page = browser_page
    sign_in_to_the_admin(page)
    edit(page, "stroke-thrombectomy")
    page.get_by_role("tab", name="Opportunities").click()
    page.get_by_role("button", name="Add opportunity").last.click()
    panel = page.get_by_role("tabpanel", name="Opportunities")
    panel.get_by_label("Title").last.fill("Preview Fellowship")
    panel.get_by_label("Summary").last.fill("A fellowship first seen in the preview.")
    panel.get_by_label("Deadline date").last.fill("2099-01-31")

    # The preview panel, before anything is saved.
    page.get_by_role("button", name="Toggle preview").click()
    frame = page.frame_locator("iframe#w-preview-iframe")
    expect(frame.get_by_role("heading", name=re.compile("Preview Fellowship"))).to_be_visible(
        timeout=SLOW
    )
    expect(frame.get_by_text("Application deadline:").last).to_be_visible()

    # "Preview in new tab": the same unsaved page, full size.
    with page.context.expect_page() as new_tab_info:
        page.get_by_role("link", name="Preview in new tab").click()
    new_tab = new_tab_info.value
    new_tab.wait_for_load_state()
    expect(new_tab.get_by_role("heading", name=re.compile("Preview Fellowship"))).to_be_visible()
    expect(new_tab.get_by_text("A fellowship first seen in the preview.")).to_be_visible()
    new_tab.close()

    publish(page)
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert csp_errors == []

    anonymous = visitor()
    assert anonymous.goto(GROUP_URL).status == 200
    opportunities = anonymous.locator("#opportunities")
    expect(
        opportunities.get_by_role("heading", name=re.compile("Preview Fellowship"))
    ).to_be_visible()
    expect(opportunities.get_by_text("A fellowship first seen in the preview.")).to_be_visible()
    # Once published it is saved, so its "Add to calendar" file exists.
    item = opportunities.get_by_role("listitem").filter(has_text="Preview Fellowship")
    with anonymous.expect_download() as download_info:
        item.get_by_role("link", name=re.compile("Add to calendar")).click()
    with open(download_info.value.path(), encoding="utf-8") as ics:
        assert "Preview Fellowship" in ics.read()


# 2. Upload a paper from the page editor: private while a draft, public once published ----------

SECRET_WORD = "Quillborough"  # in the PDF's text only, so only a search of its text finds it


@pytest.fixture
def page_cache_on(settings):
    """The full-page cache for anonymous visitors, as in production (tests run without it)."""
    settings.PAGE_CACHE_ENABLED = True


def test_a_paper_uploaded_from_the_editor_stays_private_until_its_page_is_published(
    editor, browser_page, visitor, run_worker, page_cache_on, tmp_path
):
    from wagtail.documents import get_document_model
    from wagtail.models import Collection

    pdf = tmp_path / "embargoed-draft.pdf"
    pdf.write_bytes(make_placeholder_pdf(["Embargoed draft"], [f"{SECRET_WORD} findings."]))

    page = browser_page
    sign_in_to_the_admin(page)
    edit(page, "stroke-thrombectomy")
    page.get_by_role("tab", name="Papers").click()
    page.get_by_role("button", name="Add paper").last.click()
    papers = page.get_by_role("tabpanel", name="Papers")
    papers.get_by_label("Title").last.fill("Embargoed draft paper")
    papers.get_by_label("Version label").last.fill("Draft for Council")
    papers.get_by_role("button", name="Choose a document").last.click()

    chooser = page.get_by_role("dialog")
    chooser.get_by_role("tab", name="Upload").click()
    upload = chooser.get_by_role("tabpanel", name="Upload")
    upload.get_by_label("Title").fill("Embargoed draft")
    upload.get_by_label("File").set_input_files(pdf)
    # The dialog says where the file goes and who can see it.
    held = Collection.objects.get(name="Unpublished uploads")
    expect(upload.get_by_label("Collection")).to_have_value(str(held.pk))
    expect(upload.get_by_text(re.compile("nobody outside the admin can download"))).to_be_visible()
    upload.get_by_role("button", name="Upload").click()
    expect(chooser).to_be_hidden()
    expect(papers.get_by_text("Embargoed draft").last).to_be_visible()
    save_draft(page)

    document = get_document_model().objects.get(title="Embargoed draft")
    assert document.collection.name == "Unpublished uploads"
    run_worker()  # the worker reads the file's text a moment after the upload

    # An anonymous visitor, even one who has the file's address, gets nothing.
    anonymous = visitor()
    assert anonymous.goto(document.url).status == 404
    search_url = f"/search/?query={SECRET_WORD}"
    for _ in range(2):  # the second answer comes from the page cache
        answer = anonymous.goto(search_url)
    assert answer.headers.get("x-cache") == "hit"
    expect(anonymous.get_by_text("Embargoed draft")).to_have_count(0)
    anonymous.goto(GROUP_URL)
    expect(anonymous.get_by_text("Embargoed draft paper")).to_have_count(0)

    # Publishing the page makes the paper downloadable at once, and findable.
    edit(page, "stroke-thrombectomy")
    publish(page)

    anonymous.goto(GROUP_URL)
    paper = anonymous.locator(".paper").filter(has_text="Embargoed draft paper")
    with anonymous.expect_download() as download_info:
        paper.get_by_role("link", name=re.compile("Download")).click()
    download = download_info.value
    assert download.suggested_filename == "embargoed-draft.pdf"
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == pdf.read_bytes()
    answer = anonymous.goto(search_url)
    assert answer.headers.get("x-cache") != "hit"
    expect(anonymous.get_by_role("link", name=re.compile("Embargoed draft"))).to_be_visible()
