"""The interest register in a real browser: a cardiologist joins it by reading the labels,
a register manager filters the entries and downloads them, and axe-core checks every page
the register adds, at desktop width and at 375 px."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from registry import tokens
from registry.choices import CONSENT_PRIVACY_LABEL
from registry.models import ExportLog, InterestRegisterPage, RegisterEntry
from tests.browser.conftest import DESKTOP, MANAGER_PASSWORD, MOBILE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REGISTER_URL = "/focus-groups/stroke-thrombectomy/register/"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()


def add_entries(n, **fields):
    page = InterestRegisterPage.objects.get()
    entries = []
    for i in range(n):
        values = {
            "full_name": f"Person {i}",
            "email": f"person{i}@example.org",
            "gmc_number": f"{2000000 + i}",
            "role": "consultant",
            "hospital": f"Hospital {i}",
            "region": "london",
            "experience": "None yet",
            "training_intention": "within_12_months",
            "consent_privacy_at": timezone.now(),
            "consent_wording_version": "test",
        }
        values.update(fields)
        if "email" in fields:
            values["email"] = f"{i}-{fields['email']}"
        entries.append(RegisterEntry.objects.create(page=page, **values))
    return entries


def fill_the_form(page):
    page.get_by_label("Full name", exact=True).fill("Priya Example")
    page.get_by_label("Email address").fill("priya@example.org")
    page.get_by_label("GMC number").fill("7654321")
    page.get_by_label("Consultant interventional cardiologist").check()
    page.get_by_label("Hospital or NHS trust").fill("Royal Example Hospital")
    page.get_by_label("Region", exact=True).select_option(label="North West")
    page.get_by_label("I have done carotid or other neck artery stenting").check()
    page.get_by_label("Within the next 12 months").check()
    page.get_by_label(CONSENT_PRIVACY_LABEL).check()
    page.get_by_label("Contact me about training opportunities").check()


def test_visitor_joins_the_register_by_its_labels_and_sees_the_thank_you_text(
    demo_site, browser_page
):
    page = browser_page
    page.goto("/focus-groups/stroke-thrombectomy/")
    page.get_by_role("link", name="Register your interest").click()
    expect(page).to_have_url(re.compile(re.escape(REGISTER_URL) + "$"))
    fill_the_form(page)
    page.get_by_role("button", name="Join the register").click()
    expect(page.get_by_role("heading", name="Thank you", level=1)).to_be_visible()
    expect(page.get_by_text("Thank you for joining the register.")).to_be_visible()
    entry = RegisterEntry.objects.get()
    assert (entry.full_name, entry.region, entry.gmc_number) == (
        "Priya Example",
        "north_west",
        "7654321",
    )
    assert entry.consent_contact_at is not None and entry.consent_share_at is None
    assert page.console_errors == []


def test_errors_are_listed_at_the_top_and_what_was_typed_is_kept(demo_site, browser_page):
    page = browser_page
    page.goto(REGISTER_URL)
    page.get_by_label("Full name", exact=True).fill("Kept Name")
    page.get_by_label("GMC number").fill("12345")
    page.get_by_role("button", name="Join the register").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    link = summary.get_by_role("link", name="Enter your GMC number as 7 digits, like 1234567")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"#id_gmc_number$"))
    expect(page.get_by_label("Full name", exact=True)).to_have_value("Kept Name")
    expect(page.get_by_label("GMC number")).to_have_value("12345")
    assert not RegisterEntry.objects.exists()


# Each link of the error summary, with the field it leads to, from the top of the form down.
SUMMARY_LINKS = [
    ("Enter your GMC number as 7 digits, like 1234567", "id_gmc_number"),
    ("Select your current role", "id_role_0"),
    ("Select your region", "id_region"),
    ("Select your experience relevant to thrombectomy", "id_experience_0"),
    ("Agree to the privacy notice to join the register", "id_consent_privacy"),
]


def inside_the_viewport(page, locator):
    box = locator.bounding_box()
    height = page.evaluate("window.innerHeight")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_on_a_phone_an_error_summary_link_shows_the_questions_label_hint_and_error(
    demo_site, browser_page
):
    """At 375 px, following each link of the summary brings the question's label (or legend),
    hint and error message into view together, with the cursor in the field."""
    page = browser_page
    page.set_viewport_size(MOBILE)
    page.goto(REGISTER_URL)
    page.get_by_label("Full name", exact=True).fill("Kept Name")
    page.get_by_label("GMC number").fill("12345")
    page.get_by_role("button", name="Join the register").click()
    summary = page.get_by_role("alert")
    for message, field_id in SUMMARY_LINKS:
        page.evaluate("window.scrollTo(0, 0)")
        summary.get_by_role("link", name=message).click()
        field = page.locator(f"#{field_id}")
        expect(field).to_be_focused()
        question = field.locator("xpath=ancestor::div[contains(@class, 'form-group')][1]")
        parts = {
            "label": question.locator("label.label, legend, .choice label").first,
            "hint": question.locator(".hint"),
            "error": question.locator(".error-message"),
            "field": field,
        }
        for name, part in parts.items():
            assert inside_the_viewport(page, part), f"{message}: the {name} is out of view"
    expect(page).to_have_url(re.compile(r"#id_consent_privacy$"))
    assert page.console_errors == []


def open_form(page):
    page.goto(REGISTER_URL)


def open_form_with_errors(page):
    page.goto(REGISTER_URL)
    page.get_by_role("button", name="Join the register").click()
    expect(page.get_by_role("alert")).to_be_visible()


def open_thank_you(page):
    page.goto(REGISTER_URL)
    fill_the_form(page)
    page.get_by_role("button", name="Join the register").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()


def manage_url(entry):
    return f"{REGISTER_URL}manage/{tokens.make_token(entry)}/"


def open_manage(page):
    page.goto(manage_url(add_entries(1)[0]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your entry")


def open_withdraw(page):
    entry = add_entries(1)[0]
    page.goto(manage_url(entry))
    page.get_by_role("link", name="Withdraw from the register").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Withdraw")


def open_withdrawn(page):
    open_withdraw(page)
    page.get_by_role("button", name="Withdraw and delete my details").click()
    expect(page.get_by_role("heading", name="Your entry has been deleted")).to_be_visible()
    assert not RegisterEntry.objects.exists()


def open_bad_link(page):
    page.goto(f"{REGISTER_URL}manage/not-a-real-link/")
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()


def open_focus_group_with_picture(page):
    add_entries(6, region="wales")
    add_entries(2, region="london", email="b@example.org", training_intention="later")
    page.goto("/focus-groups/stroke-thrombectomy/")
    expect(page.get_by_role("heading", name="Who has registered so far")).to_be_visible()
    table = page.get_by_role("table", name="Registrations by region")
    expect(table.get_by_role("row", name="Wales 6")).to_be_visible()
    expect(table.locator("svg rect")).to_have_count(1)


def open_register_with_small_counts(page):
    """Every count under 5: one sentence, no table."""
    add_entries(3, region="wales")
    page.goto(REGISTER_URL)
    expect(page.get_by_text("Fewer than 5 people have registered so far")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)


def open_focus_group_with_one_breakdown_small(page):
    """Regions all under 5 (one sentence), training intentions listed with their bars."""
    for n, region in enumerate(["wales", "london", "scotland"]):
        add_entries(2, region=region, email=f"{n}@example.org")
    page.goto("/focus-groups/stroke-thrombectomy/")
    expect(page.get_by_text("Each region has fewer than 5 registrations so far")).to_be_visible()
    expect(page.get_by_role("table", name="Registrations by training intention")).to_be_visible()


PAGES = {
    "form": open_form,
    "form with errors": open_form_with_errors,
    "thank-you page": open_thank_you,
    "manage entry": open_manage,
    "withdraw confirmation": open_withdraw,
    "withdrawn": open_withdrawn,
    "bad link": open_bad_link,
    "focus group with picture": open_focus_group_with_picture,
    "register with every count under 5": open_register_with_small_counts,
    "focus group with one breakdown under 5": open_focus_group_with_one_breakdown_small,
}


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile-375"])
@pytest.mark.parametrize("name", list(PAGES))
def test_register_pages_have_no_accessibility_violations(
    demo_site, browser_page, assert_accessible, viewport, name
):
    page = browser_page
    page.set_viewport_size(viewport)
    PAGES[name](page)
    assert_accessible(page, f"{name} at {viewport['width']}px")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport["width"], f"{name} scrolls sideways"
    # A bad link is answered with status 400 on purpose; Chromium logs any 4xx document.
    expected = ["status of 400 (Bad Request)"] if name == "bad link" else []
    assert [e for e in page.console_errors if not any(x in e for x in expected)] == []


def test_manager_filters_the_entries_and_downloads_them(demo_site, manager, browser_page):
    add_entries(3, region="wales", hospital="Cardiff and Vale")
    add_entries(2, region="london", email="l@example.org", full_name="London Person")
    page = browser_page
    page.goto("/admin/")
    page.get_by_label("Username").fill("registrar")
    page.get_by_label("Password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Interest register")).to_be_visible()

    page.get_by_role("button", name="Interest register").click()
    page.get_by_role("link", name="Entries", exact=True).click()
    expect(page.get_by_text("London Person").first).to_be_visible()
    page.get_by_role("link", name="Wales", exact=True).click()
    expect(page).to_have_url(re.compile(r"region__exact=wales"))
    expect(page.get_by_text("London Person")).to_have_count(0)
    expect(page.get_by_text("Cardiff and Vale").first).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download XLSX").click()
    download = download_info.value
    assert download.suggested_filename == "register-entries.xlsx"
    with open(download.path(), "rb") as downloaded:
        sheet = load_workbook(io.BytesIO(downloaded.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert "Region" in header and "Does your hospital have an on-site stroke unit?" in header
    regions = {row[header.index("Region")] for row in data}
    assert len(data) == 3 and regions == {"Wales"}

    log = ExportLog.objects.get()
    assert (
        log.username == "registrar"
        and log.row_count == 3
        and log.filters == "Region: Wales (region__exact=wales)"
    )
    page.goto("/admin/registry/exportlog/")
    expect(page.get_by_text("Region: Wales (region__exact=wales)")).to_be_visible()
    assert timezone.now() - log.exported_at < dt.timedelta(minutes=5)


def test_form_works_with_javascript_switched_off(demo_site, chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(REGISTER_URL)
        page.get_by_role("button", name="Join the register").click()
        expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        fill_the_form(page)
        page.get_by_role("button", name="Join the register").click()
        expect(page.get_by_role("heading", name="Thank you", level=1)).to_be_visible()
    finally:
        context.close()
    assert RegisterEntry.objects.get().email == "priya@example.org"


def test_registrant_updates_then_withdraws_with_the_emailed_link(
    demo_site, browser_page, run_worker
):
    from django.core import mail

    page = browser_page
    page.goto(REGISTER_URL)
    fill_the_form(page)
    page.get_by_role("button", name="Join the register").click()
    expect(page.get_by_role("heading", name="Thank you", level=1)).to_be_visible()
    run_worker()  # the emails are queued with the entry; the worker sends them
    (confirmation,) = [m for m in mail.outbox if m.to == ["priya@example.org"]]
    link = re.search(r"https?://\S+/manage/\S+/", confirmation.body).group(0)

    page.goto(link)
    expect(page.get_by_label("Hospital or NHS trust")).to_have_value("Royal Example Hospital")
    page.get_by_label("Hospital or NHS trust").fill("Another Hospital")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Your changes are saved.")).to_be_visible()
    assert RegisterEntry.objects.get().hospital == "Another Hospital"

    page.get_by_role("link", name="Withdraw from the register").click()
    page.get_by_role("button", name="Withdraw and delete my details").click()
    expect(page.get_by_role("heading", name="Your entry has been deleted")).to_be_visible()
    assert not RegisterEntry.objects.exists()
