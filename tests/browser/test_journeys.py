"""The journeys of a communications officer, walked in a real browser from sign-in to the public
site: each one signs in to /admin/, edits in Wagtail's own editor, previews or schedules, publishes,
and then looks at the site as an anonymous visitor in a fresh browser context (no cookies, no
session, nothing shared with the editor's browser)."""

import contextlib
import datetime as dt
import re
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from home.placeholder_pdf import make_placeholder_pdf
from registry.choices import CONSENT_PRIVACY_LABEL
from tests.browser.conftest import DESKTOP, MANAGER_PASSWORD, MOBILE
from tests.support.servers import ROOT, child_env

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


def let_autosave_finish(page):
    """Wagtail saves the editor's changes in the background half a second after each one; a
    save still on its way when the editor submits arrives after it, and the editor is then
    told of "a new version in another window". Wait for it, as a person would see it done."""
    indicator = page.locator("#w-autosave-indicator")
    if indicator.count():
        page.wait_for_timeout(1_000)
        expect(indicator).not_to_have_attribute(
            "data-w-autosave-state-value", "saving", timeout=SLOW
        )


def publish(page):
    let_autosave_finish(page)
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text(re.compile("(has been|created and) published"))).to_be_visible(
        timeout=SLOW
    )


def save_draft(page):
    let_autosave_finish(page)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("has been updated")).to_be_visible(timeout=SLOW)


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


# 3. Schedule a change, let the time pass, the worker publishes it, the server shows it -------


@pytest.fixture
def shared_cache(settings, tmp_path):
    """The live server's cache in a folder another process can share, as `make run` shares
    its cache with its worker; the page cache on."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
            "TIMEOUT": 600,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
    settings.PAGE_CACHE_ENABLED = True
    return tmp_path / "cache"


def run_worker_once(env, later_by=0):
    """`manage.py run_worker --once` in another process, its clock `later_by` seconds ahead."""
    subprocess.run(
        [sys.executable, "-m", "tests.support.later", str(later_by), "run_worker", "--once"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
    )


def close_the_date_picker(page, dialog, *, wait_for_it=True):
    """Click away from the date field until its picker has closed. On a slow machine the
    picker opens late, after a first click away, and then covers the dialog's buttons: so wait
    for it to open first (it opens when the field takes focus), then close it."""
    pickers = page.locator(".xdsoft_datetimepicker:visible")
    if wait_for_it:
        with contextlib.suppress(AssertionError):
            expect(pickers).to_have_count(1, timeout=5000)
    for _ in range(10):
        dialog.get_by_role("heading", name="Set publishing schedule").click()
        try:
            expect(pickers).to_have_count(0, timeout=1000)
            return
        except AssertionError:
            continue
    expect(pickers).to_have_count(0)


def test_a_scheduled_change_goes_live_when_the_worker_runs_after_its_time(
    editor, browser_page, visitor, shared_cache, tmp_path
):
    new_summary = "Our new summary, published on schedule."
    anonymous = visitor()
    anonymous.goto(GROUP_URL)
    assert anonymous.goto(GROUP_URL).headers.get("x-cache") == "hit"  # cached, as in production
    expect(anonymous.get_by_text(new_summary)).to_have_count(0)

    page = browser_page
    sign_in_to_the_admin(page)
    edit(page, "stroke-thrombectomy")
    content = page.get_by_role("tabpanel", name="Content")
    content.get_by_role("textbox", name="Summary").fill(new_summary)

    # The editor's dialog takes whole minutes: a minute far enough ahead that saving the
    # schedule is done before it, even on a slow machine.
    go_live = timezone.localtime() + dt.timedelta(seconds=90)
    go_live = go_live.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    page.get_by_role("button", name="Toggle status").click()
    page.get_by_role("button", name="Set schedule").click()
    dialog = page.get_by_role("dialog", name="Set publishing schedule")
    go_live_field = dialog.get_by_label(re.compile("Go live date"))
    go_live_field.fill(f"{go_live:%Y-%m-%d %H:%M}")
    close_the_date_picker(page, dialog)
    expect(go_live_field).to_have_value(f"{go_live:%Y-%m-%d %H:%M}")
    let_autosave_finish(page)
    # Autosave's wait may have let a late picker open again.
    close_the_date_picker(page, dialog, wait_for_it=False)
    dialog.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_text("has been updated")).to_be_visible(timeout=SLOW)
    let_autosave_finish(page)
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Schedule to publish").click()
    expect(page.get_by_text("has been scheduled for publishing")).to_be_visible(timeout=SLOW)
    assert timezone.now() < go_live, "scheduling took so long that the time had already passed"

    # The background worker runs in a process of its own, as under `make run`. Before the
    # go-live time it changes nothing: visitors still get the old page, from the cache.
    env = child_env("config.settings.dev", CACHE_DIR=shared_cache, PAGE_CACHE="on")
    run_worker_once(env)
    answer = anonymous.goto(GROUP_URL)
    assert answer.headers.get("x-cache") == "hit"
    expect(anonymous.get_by_text(new_summary)).to_have_count(0)

    # Once the time has passed (the worker's clock is moved past it rather than waiting for
    # the minute to come), it publishes the change, and the server's next answer has it.
    run_worker_once(env, later_by=(go_live - timezone.now()).total_seconds() + 1)

    fresh = visitor()
    fresh.goto(GROUP_URL)
    expect(fresh.get_by_text(new_summary)).to_be_visible()
    anonymous.reload()
    expect(anonymous.get_by_text(new_summary)).to_be_visible()


# 4. A second focus group with its own register, its own questions and its own entries --------

NEW_GROUP = "Structural Heart Interventions"
EXPERIENCE_QUESTION = "Experience of transcatheter valve procedures"
EXPERIENCE_ANSWER = "I have assisted at TAVI procedures"
INTENTION_QUESTION = "When do you intend to seek structural heart training?"


def fill_rich_text(panel, heading, text):
    """Type into the (first) rich text editor under a heading of the editor. (Wagtail's rich
    text editor has no accessible name of its own; its panel has.)"""
    region = panel.get_by_role("region", name=re.compile(rf"^{heading}\*?$"))
    editor = region.locator('[contenteditable="true"]').first
    editor.click()
    editor.fill(text)


def textbox(panel, name):
    return panel.get_by_role("textbox", name=re.compile(rf"^{name}\*?$"))


def assert_accessible_at_both_widths(assert_accessible, page, label):
    for viewport in (MOBILE, DESKTOP):
        page.set_viewport_size(viewport)
        assert_accessible(page, f"{label} at {viewport['width']}px")


def test_a_second_group_gets_its_own_register_questions_and_entries(
    editor, manager, browser_page, visitor, assert_accessible
):
    from focusgroups.models import FocusGroupIndexPage

    page = browser_page
    sign_in_to_the_admin(page)

    # The new focus group, under the focus groups page.
    page.goto(f"/admin/pages/{FocusGroupIndexPage.objects.get().pk}/")
    page.get_by_role("link", name="Add child page").first.click()
    content = page.get_by_role("tabpanel", name="Content")
    textbox(content, "Title").fill(NEW_GROUP)
    textbox(content, "Summary").fill("Helping more patients get structural heart procedures.")
    fill_rich_text(content, "Introduction", "Many patients wait too long for a new valve.")
    publish(page)

    # Its register, with the group's own questions.
    row = page.get_by_role("row").filter(has_text=NEW_GROUP)
    row.get_by_role("button", name=f"More options for '{NEW_GROUP}'").click()
    row.get_by_role("link", name="Add child page").click()
    page.get_by_role("link", name="Interest register page", exact=True).click()
    content = page.get_by_role("tabpanel", name="Content")
    textbox(content, "Title").fill("Structural heart interest register")
    fill_rich_text(content, "Introduction", "Tell us about your structural heart plans.")
    fill_rich_text(content, "Thank you text", "Thank you for telling us.")
    fill_rich_text(content, "Privacy notice", "We keep your details for two years.")
    page.get_by_role("tab", name="Core questions").click()
    core = page.get_by_role("tabpanel", name="Core questions")
    textbox(core, "Experience and training heading").fill("Structural heart experience")
    textbox(core, "Experience question").fill(EXPERIENCE_QUESTION)
    textbox(core, "Experience answers").fill(f"None yet\n{EXPERIENCE_ANSWER}\nI perform TAVI")
    textbox(core, "Training question").fill(INTENTION_QUESTION)
    core.get_by_label("Ask to share with a partner programme").uncheck()
    publish(page)

    # A cardiologist, from the public site: the group's call to action leads to its register.
    cardiologist = visitor()
    cardiologist.goto("/focus-groups/")
    cardiologist.get_by_role("link", name=NEW_GROUP).first.click()
    assert_accessible_at_both_widths(assert_accessible, cardiologist, "the new group's page")
    cardiologist.get_by_role("link", name="Register your interest").click()
    expect(
        cardiologist.get_by_role("heading", name="Structural heart interest register")
    ).to_be_visible()
    expect(cardiologist.get_by_text("Structural heart experience")).to_be_visible()
    expect(cardiologist.get_by_text(re.compile("thrombectomy", re.I))).to_have_count(0)
    expect(cardiologist.get_by_text("Share my details with")).to_have_count(0)
    assert_accessible_at_both_widths(assert_accessible, cardiologist, "the new register")
    cardiologist.get_by_label("Full name", exact=True).fill("Priya Valve")
    cardiologist.get_by_label("Email address").fill("priya.valve@example.org")
    cardiologist.get_by_label("GMC number").fill("7654321")
    cardiologist.get_by_label("Consultant interventional cardiologist").check()
    cardiologist.get_by_label("Hospital or NHS trust").fill("Royal Example Hospital")
    cardiologist.get_by_label("Region", exact=True).select_option(label="North West")
    experience = cardiologist.get_by_role("group", name=EXPERIENCE_QUESTION)
    experience.get_by_label(EXPERIENCE_ANSWER).check()
    intention = cardiologist.get_by_role("group", name=INTENTION_QUESTION)
    intention.get_by_label("Within the next 12 months").check()
    cardiologist.get_by_label(CONSENT_PRIVACY_LABEL).check()
    cardiologist.get_by_role("button", name="Join the register").click()
    expect(cardiologist.get_by_role("heading", name="Thank you", level=1)).to_be_visible()
    expect(cardiologist.get_by_text("Thank you for telling us.")).to_be_visible()

    # The register manager finds the entry under this register, not the stroke one.
    registrar = visitor()
    sign_in_to_the_admin(registrar, "registrar", MANAGER_PASSWORD)
    registrar.goto("/admin/")
    registrar.get_by_role("button", name="Interest register").click()
    registrar.get_by_role("link", name="Entries", exact=True).click()
    row = registrar.get_by_role("row").filter(has_text="Priya Valve")
    expect(row).to_contain_text("Structural heart interest register")
    registrar.get_by_role("link", name="Stroke thrombectomy interest register", exact=True).click()
    expect(registrar.get_by_text("Priya Valve")).to_have_count(0)
    registrar.get_by_role("link", name="Structural heart interest register", exact=True).click()
    expect(registrar.get_by_role("row").filter(has_text="Priya Valve")).to_have_count(1)
