"""Opportunity alerts in a real browser: a register manager sends an alert for the demo
opportunity, each consenting registrant's email arrives once, one of them follows the stop
link (both public pages checked by axe-core at 1280 and 375 px), and a second alert skips
them."""

import datetime as dt
import re
from collections import Counter

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from focusgroups.models import FocusGroupOpportunity
from registry.models import InterestRegisterPage, RegisterEntry
from tests.browser.conftest import DESKTOP, MANAGER_PASSWORD, MOBILE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OPPORTUNITY = "ESMINT Fellowships & Observerships"


@pytest.fixture
def entries(demo_site):
    FocusGroupOpportunity.objects.filter(title=OPPORTUNITY).update(
        deadline_date=timezone.localdate() + dt.timedelta(days=60)
    )
    page = InterestRegisterPage.objects.get()
    made = []
    for i, consent in enumerate([True, True, True, False]):
        made.append(
            RegisterEntry.objects.create(
                page=page,
                full_name=f"Person {i}",
                email=f"person{i}@example.org",
                gmc_number=f"{3000000 + i}",
                role="consultant",
                hospital=f"Hospital {i}",
                region="london",
                experience="none",
                training_intention="within_12_months",
                consent_privacy_at=timezone.now(),
                consent_contact_at=timezone.now() if consent else None,
                consent_wording_version="test",
            )
        )
    return made


def send_alert(page, expected_count):
    page.goto("/admin/alerts/")
    page.get_by_role("listitem").filter(has_text=OPPORTUNITY).get_by_role("link").click()
    expect(page.get_by_text(f"{expected_count} people will receive this alert")).to_be_visible()
    page.get_by_role("button", name="Preview the email").click()
    expect(page.get_by_text("Application deadline:")).to_be_visible()
    page.get_by_role("button", name=f"Send to {expected_count} people").click()
    expect(page.get_by_text(f"Alert queued for {expected_count} people")).to_be_visible()


def delivered(run_worker):
    run_worker()
    return Counter(address for message in mail.outbox for address in message.to)


def test_manager_sends_an_alert_once_and_a_stopped_recipient_is_skipped_next_time(
    manager, entries, browser_page, run_worker, assert_accessible
):
    page = browser_page
    page.goto("/admin/")
    page.get_by_label("Username").fill("registrar")
    page.get_by_label("Password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    send_alert(page, 3)
    first = delivered(run_worker)
    assert first == Counter({f"person{i}@example.org": 1 for i in range(3)})
    assert delivered(run_worker) == first  # nothing further arrives

    (message,) = [m for m in mail.outbox if m.to == ["person0@example.org"]]
    link = re.search(r"(/alerts/stop/\S+/)", message.body).group(1)
    visitor = page.context.browser.new_context(base_url=page.url.split("/admin")[0])
    stop_page = visitor.new_page()
    for viewport in (DESKTOP, MOBILE):
        stop_page.set_viewport_size(viewport)
        stop_page.goto(link)
        expect(stop_page.get_by_role("heading", level=1)).to_have_text(
            "Stop emails about training opportunities?"
        )
        assert_accessible(stop_page, f"stop page at {viewport['width']}px")
    stop_page.get_by_role("button", name="Stop these emails").click()
    expect(stop_page.get_by_role("heading", level=1)).to_have_text(
        "Emails about training opportunities stopped"
    )
    for viewport in (MOBILE, DESKTOP):
        stop_page.set_viewport_size(viewport)
        assert_accessible(stop_page, f"stopped page at {viewport['width']}px")
    visitor.close()
    assert RegisterEntry.objects.get(email="person0@example.org").consent_contact_at is None

    mail.outbox.clear()
    send_alert(page, 2)
    assert delivered(run_worker) == Counter({"person1@example.org": 1, "person2@example.org": 1})
