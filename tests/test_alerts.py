"""Opportunity alerts: a register manager emails an open opportunity to the registrants who
agreed to be told about training, exactly once each, paced through the outbox; each email
carries a one-click link that stops these emails; every alert is logged."""

import datetime as dt
import re
from collections import Counter

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.utils import timezone

from alerts.models import Alert, AlertOptOut, AlertRecipient
from alerts.sending import stop_token
from focusgroups.models import FocusGroupOpportunity
from outbox.models import OutgoingEmail
from registry.models import RegisterEntry

pytestmark = pytest.mark.django_db

ADMIN = "/admin/alerts/"


@pytest.fixture
def manager(db):
    user = get_user_model().objects.create_user(username="manager", password="x" * 12)
    user.groups.add(Group.objects.get(name="Register managers"))
    return user


@pytest.fixture
def comms_editor(db):
    user = get_user_model().objects.create_user(username="comms", password="x" * 12)
    user.groups.add(Group.objects.get(name="Communications editors"))
    return user


def client_for(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def group(make_focus_group):
    return make_focus_group(slug="stroke-thrombectomy", n=1)


@pytest.fixture
def opportunity(group):
    return FocusGroupOpportunity.objects.get(page=group)


@pytest.fixture
def register(make_register, group):
    return make_register(group=group)


def add_entries(register, n, start=0, consent=True, **fields):
    now = timezone.now()
    RegisterEntry.objects.bulk_create(
        [
            RegisterEntry(
                page=register,
                full_name=f"Person {i}",
                email=f"person{i}@nhs.example",
                gmc_number=f"{i:07d}",
                role=fields.get("role", "consultant"),
                hospital="Royal Test Infirmary",
                region=fields.get("region", "london"),
                experience="carotid_stenting",
                training_intention=fields.get("training_intention", "within_12_months"),
                consent_privacy_at=now,
                consent_contact_at=now if consent else None,
                consent_wording_version="1",
            )
            for i in range(start, start + n)
        ],
        batch_size=500,
    )


def prepare(client, opportunity, **filters):
    data = {"subject": "Training opportunity", "preview": "1", **filters}
    response = client.post(f"{ADMIN}opportunity/{opportunity.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith(ADMIN), response["Location"]
    return Alert.objects.latest("pk")


def send(client, alert):
    return client.post(f"{ADMIN}{alert.pk}/send/", follow=True)


def deliver_everything(run_worker, clock, rounds=200):
    """Run the worker, moving the clock on a minute each pass, until the outbox is empty."""
    for _ in range(rounds):
        run_worker()
        if not OutgoingEmail.objects.exclude(status__in=["sent", "failed"]).exists():
            return
        clock.shift(dt.timedelta(minutes=1))
    raise AssertionError("The outbox never emptied")


def recipients():
    return Counter(address for message in mail.outbox for address in message.to)


class FlakyBackend(EmailBackend):
    """The locmem backend, failing every send in a stretch in the middle."""

    calls = 0
    fail_from, fail_until = 600, 1100

    def send_messages(self, messages):
        FlakyBackend.calls += 1
        if self.fail_from <= FlakyBackend.calls < self.fail_until:
            raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)


# --- exactly once ---


def test_2000_recipients_each_get_exactly_one_email_through_a_mail_server_outage(
    manager, register, opportunity, run_worker, settings
):
    settings.EMAIL_BACKEND = "tests.test_alerts.FlakyBackend"
    settings.ALERTS_PER_MINUTE = 400
    FlakyBackend.calls = 0
    add_entries(register, 2000)
    with time_machine.travel(dt.datetime(2029, 6, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = client_for(manager)  # signed in at the travelled-to time
        alert = prepare(client, opportunity)
        send(client, alert)
        deliver_everything(run_worker, clock)
    assert FlakyBackend.calls > 2000  # the outage really happened and was retried
    counts = recipients()
    assert len(counts) == 2000
    assert set(counts.values()) == {1}
    alert.refresh_from_db()
    assert alert.recipient_count == 2000
    assert AlertRecipient.objects.filter(alert=alert).count() == 2000


def test_emails_are_paced_at_alerts_per_minute(
    manager, register, opportunity, run_worker, settings
):
    settings.ALERTS_PER_MINUTE = 2
    add_entries(register, 5)
    with time_machine.travel(dt.datetime(2029, 6, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = client_for(manager)  # signed in at the travelled-to time
        send(client, prepare(client, opportunity))
        sent = []
        for _ in range(4):
            run_worker()
            sent.append(len(mail.outbox))
            clock.shift(dt.timedelta(minutes=1))
    assert sent == [2, 4, 5, 5]


def test_a_second_click_on_send_sends_nothing_more(manager, register, opportunity, run_worker):
    add_entries(register, 3)
    client = client_for(manager)
    alert = prepare(client, opportunity)
    send(client, alert)
    response = send(client, alert)
    assert "already sent" in response.content.decode()
    run_worker()
    assert OutgoingEmail.objects.count() == 3
    assert sorted(recipients().values()) == [1, 1, 1]


def test_someone_who_registers_while_an_alert_is_sending_is_not_included(
    manager, register, opportunity, run_worker, settings
):
    settings.ALERTS_PER_MINUTE = 1
    add_entries(register, 2)
    with time_machine.travel(dt.datetime(2029, 6, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = client_for(manager)  # signed in at the travelled-to time
        send(client, prepare(client, opportunity))
        run_worker()  # the first of two is sent; the second is due in a minute
        add_entries(register, 1, start=50)
        deliver_everything(run_worker, clock)
    assert set(recipients()) == {"person0@nhs.example", "person1@nhs.example"}


def test_only_consenting_entries_matching_the_filters_receive_the_alert(
    manager, register, make_register, group, opportunity, run_worker
):
    add_entries(register, 2)  # person0, person1: consent, London
    add_entries(register, 2, start=10, consent=False)  # never agreed
    add_entries(register, 1, start=20, region="scotland")
    other = make_register(group=group, slug="other-register", title="Other register")
    add_entries(other, 1, start=30)
    add_entries(other, 1, start=0)  # person0 again, on another register: one email
    RegisterEntry.objects.filter(email="person1@nhs.example").update(consent_contact_at=None)
    client = client_for(manager)
    response = client.post(
        f"{ADMIN}opportunity/{opportunity.pk}/",
        {"subject": "S", "count": "1", "register": register.pk, "region": "london"},
    )
    assert response.context["count"] == 1
    send(client, prepare(client, opportunity))
    run_worker()
    assert recipients() == Counter(
        {"person0@nhs.example": 1, "person20@nhs.example": 1, "person30@nhs.example": 1}
    )
    mail.outbox.clear()
    alert = prepare(client, opportunity, register=register.pk, region="london")
    assert alert.filters == "Register: Stroke thrombectomy interest register; Region: London"
    send(client, alert)
    run_worker()
    assert recipients() == Counter({"person0@nhs.example": 1})


# --- the email and its stop link ---


def test_the_email_shows_the_opportunity_its_deadline_in_both_zones_and_the_links(
    manager, register, opportunity, run_worker
):
    opportunity.deadline_date = dt.date(2030, 6, 27)
    opportunity.deadline_time = dt.time(23, 59)
    opportunity.deadline_time_zone = "Europe/Paris"
    opportunity.save()
    add_entries(register, 1)
    client = client_for(manager)
    alert = prepare(client, opportunity)
    preview = client.get(f"{ADMIN}{alert.pk}/").content.decode()
    assert "27 June 2030, 23:59 CEST" in preview and "22:59 BST" in preview
    send(client, alert)
    run_worker()
    (message,) = mail.outbox
    assert message.subject == "Training opportunity"
    assert opportunity.title in message.body and "A fellowship." in message.body
    assert "27 June 2030, 23:59 CEST (22:59 BST UK time)" in message.body
    page_url = opportunity.page.get_full_url()
    assert page_url in message.body
    assert f"{page_url}opportunities/{opportunity.pk}/add-to-calendar/" in message.body
    link = re.search(r"http://testserver(/alerts/stop/\S+/)", message.body).group(1)
    assert message.extra_headers["List-Unsubscribe"] == f"<http://testserver{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def sent_alert(manager, register, opportunity, run_worker):
    client = client_for(manager)
    alert = prepare(client, opportunity)
    send(client, alert)
    run_worker()
    return alert


def test_the_stop_link_asks_once_then_withdraws_consent_and_records_when(
    manager, register, opportunity, run_worker
):
    add_entries(register, 1)
    alert = sent_alert(manager, register, opportunity, run_worker)
    entry = RegisterEntry.objects.get()
    url = f"/alerts/stop/{stop_token(alert, entry)}/"
    page = Client().get(url)
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    assert "Stop these emails" in page.content.decode()
    entry.refresh_from_db()
    assert entry.consent_contact_at is not None  # a GET (a link scanner) changes nothing
    done = Client().post(url)
    assert done.status_code == 200 and done["Cache-Control"] == "private, no-store"
    assert "Emails about training opportunities stopped" in done.content.decode()
    entry.refresh_from_db()
    assert entry.consent_contact_at is None
    assert AlertOptOut.objects.get(alert=alert, entry=entry).created_at
    again = Client().post(url)
    assert again.status_code == 200 and "already stopped" in again.content.decode()
    assert AlertOptOut.objects.count() == 1
    assert "already stopped" in Client().get(url).content.decode()


def test_the_stop_link_works_once_even_if_consent_is_given_again(
    manager, register, opportunity, run_worker
):
    add_entries(register, 1)
    alert = sent_alert(manager, register, opportunity, run_worker)
    entry = RegisterEntry.objects.get()
    url = f"/alerts/stop/{stop_token(alert, entry)}/"
    Client().post(url)
    RegisterEntry.objects.update(consent_contact_at=timezone.now())  # agreed again later
    assert "already stopped" in Client().post(url).content.decode()
    entry.refresh_from_db()
    assert entry.consent_contact_at is not None


def test_a_forged_or_altered_stop_link_is_refused(manager, register, opportunity, run_worker):
    add_entries(register, 2)
    alert = sent_alert(manager, register, opportunity, run_worker)
    first, second = RegisterEntry.objects.order_by("pk")
    token = stop_token(alert, first)
    value, signature = token.rsplit(":", 1)
    forged = stop_token(alert, second).rsplit(":", 1)[0] + ":" + signature
    for bad in (token[:-2] + "xx", forged, "nonsense", value):
        assert Client().post(f"/alerts/stop/{bad}/").status_code in (400, 404), bad
    assert RegisterEntry.objects.filter(consent_contact_at__isnull=True).count() == 0


def test_mail_clients_one_click_post_works_without_a_csrf_token(
    manager, register, opportunity, run_worker
):
    add_entries(register, 1)
    sent_alert(manager, register, opportunity, run_worker)
    header = mail.outbox[0].extra_headers["List-Unsubscribe"]
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        header.strip("<>").removeprefix("http://testserver"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert RegisterEntry.objects.get().consent_contact_at is None


def test_stopping_covers_every_register_and_the_next_alert_skips_them(
    manager, register, make_register, group, opportunity, run_worker
):
    add_entries(register, 2)
    other = make_register(group=group, slug="other-register", title="Other register")
    add_entries(other, 1)  # person0 on a second register
    alert = sent_alert(manager, register, opportunity, run_worker)
    entry = RegisterEntry.objects.filter(page=register, email="person0@nhs.example").get()
    Client().post(f"/alerts/stop/{stop_token(alert, entry)}/")
    assert not RegisterEntry.objects.filter(
        email="person0@nhs.example", consent_contact_at__isnull=False
    ).exists()
    mail.outbox.clear()
    sent_alert(manager, register, opportunity, run_worker)
    assert recipients() == Counter({"person1@nhs.example": 1})


# --- deadlines ---


def test_an_alert_for_a_closed_opportunity_cannot_be_prepared_or_sent(
    manager, register, opportunity, run_worker
):
    add_entries(register, 1)
    client = client_for(manager)
    alert = prepare(client, opportunity)
    opportunity.deadline_date = timezone.localdate() - dt.timedelta(days=1)
    opportunity.save()
    response = client.get(f"{ADMIN}opportunity/{opportunity.pk}/", follow=True)
    assert "deadline" in response.content.decode() and "has passed" in response.content.decode()
    assert "has passed" in client.get(f"{ADMIN}{alert.pk}/").content.decode()
    response = send(client, alert)
    assert "has passed" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DRAFT
    assert not OutgoingEmail.objects.exists()


# --- the log ---


def test_the_log_shows_who_sent_what_to_how_many_and_the_progress(
    manager, register, opportunity, run_worker, settings
):
    settings.EMAIL_BACKEND = "tests.test_alerts.FlakyBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 1
    FlakyBackend.calls, FlakyBackend.fail_from, FlakyBackend.fail_until = 0, 2, 3
    try:
        add_entries(register, 3)
        alert = sent_alert(manager, register, opportunity, run_worker)
    finally:
        FlakyBackend.fail_from, FlakyBackend.fail_until = 600, 1100
    alert.refresh_from_db()
    assert (alert.sent_by, alert.recipient_count) == ("manager", 3)
    index = client_for(manager).get(ADMIN)
    rows = index.context["rows"]
    assert [(a.pk, p["sent"], p["failed"]) for a, p in rows] == [(alert.pk, 2, 1)]
    detail = client_for(manager).get(f"{ADMIN}{alert.pk}/").content.decode()
    assert "Delivered so far</dt><dd>2" in detail and "Failed</dt><dd>1" in detail


# --- who may do what ---


def admin_urls(alert, opportunity):
    return [
        ADMIN,
        f"{ADMIN}opportunity/{opportunity.pk}/",
        f"{ADMIN}{alert.pk}/",
        f"{ADMIN}{alert.pk}/send/",
    ]


def draft(opportunity, register):
    return Alert.objects.create(
        opportunity=opportunity, opportunity_title=opportunity.title, subject="S", created_by="x"
    )


def test_anonymous_visitors_are_sent_to_sign_in(register, opportunity):
    alert = draft(opportunity, register)
    for url in admin_urls(alert, opportunity):
        for method in ("get", "post"):
            response = getattr(Client(), method)(url)
            assert response.status_code == 302, url
            assert "/admin/login/" in response["Location"]


def test_communications_editors_cannot_see_or_send_alerts(
    comms_editor, register, opportunity, run_worker
):
    add_entries(register, 2)
    alert = draft(opportunity, register)
    client = client_for(comms_editor)
    assert "Opportunity alerts" not in client.get("/admin/").content.decode()
    for url in admin_urls(alert, opportunity):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"subject": "S"}).status_code == 403, url
    run_worker()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DRAFT and mail.outbox == []


def test_register_managers_use_every_alert_screen(manager, register, opportunity, run_worker):
    add_entries(register, 2)
    alert = draft(opportunity, register)
    client = client_for(manager)
    assert "Opportunity alerts" in client.get("/admin/").content.decode()
    index, prepare_page, detail = admin_urls(alert, opportunity)[:3]
    assert client.get(index).status_code == 200
    page = client.get(prepare_page)
    assert page.status_code == 200 and page.context["count"] == 2
    assert client.get(detail).status_code == 200
    assert client.get(f"{ADMIN}{alert.pk}/send/").status_code == 405
    assert send(client, alert).status_code == 200
    run_worker()
    assert len(mail.outbox) == 2


def test_a_focus_group_page_offers_managers_an_alert_per_open_opportunity(
    comms_editor, group, opportunity
):
    """Someone who edits pages and manages the register sees the item; an editor does not."""
    both = get_user_model().objects.create_user(username="both", password="x" * 12)
    both.groups.add(*Group.objects.filter(name__in=["Register managers", "Communications editors"]))
    url = f"/admin/pages/{group.pk}/edit/"
    prepare_url = f"{ADMIN}opportunity/{opportunity.pk}/"
    assert prepare_url in client_for(both).get(url).content.decode()
    editor_page = client_for(comms_editor).get(url)
    assert editor_page.status_code == 200 and prepare_url not in editor_page.content.decode()
    opportunity.deadline_date = timezone.localdate() - dt.timedelta(days=1)
    opportunity.save()
    assert prepare_url not in client_for(both).get(url).content.decode()
