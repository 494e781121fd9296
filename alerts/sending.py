"""Who an alert goes to, its email, and sending it: freezing the recipients and queueing one
email each in the outbox (outbox/), paced at ALERTS_PER_MINUTE.

Pacing: each email's delivery task is enqueued with `run_after` spread over the minutes ahead
(ALERTS_PER_MINUTE a minute) and a lower priority than the site's other emails, so the worker
hands the mail server a steady trickle and a registrant's confirmation email never waits
behind an alert. Each email is an OutgoingEmail row whose `next_attempt_at` is its slot: the
outbox's worker claims it before sending, retries it with back-off, and puts it back in the
queue if a worker dies (outbox/tasks.py), so a crash or restart resumes where it stopped.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alerts.models import REFERENCE_PREFIX, Alert, AlertRecipient
from outbox.mail import one_line
from outbox.models import OutgoingEmail
from registry.models import RegisterEntry

SALT = "alerts.stop-opportunity-emails"
PRIORITY = -10  # below the register's and accounts' emails (priority 0)


def consenting_entries(register=None, region="", role="", training_intention=""):
    """Entries whose owner agreed to be told about training and has not withdrawn it."""
    entries = RegisterEntry.objects.filter(consent_contact_at__isnull=False)
    if register is not None:
        entries = entries.filter(page=register)
    if region:
        entries = entries.filter(region=region)
    if role:
        entries = entries.filter(role=role)
    if training_intention:
        entries = entries.filter(training_intention=training_intention)
    return entries


def one_entry_per_person(entries):
    """One entry per email address (someone on two registers gets one email), oldest first."""
    seen, chosen = set(), []
    for entry in entries.order_by("pk").only("pk", "email", "public_id"):
        if entry.email not in seen:
            seen.add(entry.email)
            chosen.append(entry)
    return chosen


def recipients_for(alert):
    return one_entry_per_person(
        consenting_entries(alert.register, alert.region, alert.role, alert.training_intention)
    )


# --- the one-click stop link ---


def stop_token(alert, entry):
    return signing.dumps([alert.pk, entry.public_id.hex], salt=SALT)


def read_stop_token(token):
    """(alert pk, entry public id hex), or signing.BadSignature if it was not ours."""
    value = signing.loads(token, salt=SALT)
    if not (isinstance(value, list) and len(value) == 2):
        raise signing.BadSignature("Unexpected value")
    return int(value[0]), str(value[1])


def absolute(request, path):
    if request is not None:
        return request.build_absolute_uri(path)
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{path}"


def stop_url(alert, entry, request=None):
    return absolute(request, reverse("alerts:stop", args=[stop_token(alert, entry)]))


# --- the email ---


def email_context(alert, opportunity, request=None, stop_link=""):
    page = opportunity.page
    page_url = page.get_full_url(request)
    return {
        "alert": alert,
        "opportunity": opportunity,
        "title": one_line(opportunity.title),
        "summary": opportunity.summary,
        "deadline": opportunity.deadline_display,
        "deadline_uk": opportunity.deadline_uk_display
        if opportunity.shows_uk_time_separately
        else "",
        "page_title": one_line(page.title),
        "page_url": page_url,
        "ics_url": f"{page_url}opportunities/{opportunity.pk}/add-to-calendar/",
        "stop_url": stop_link,
        "society_name": "British Cardiovascular Interventional Society",
    }


def render_body(context):
    return render_to_string("alerts/emails/opportunity.txt", context)


def default_subject(opportunity):
    return one_line(f"Training opportunity: {opportunity.title}")[:200]


class CannotSend(Exception):
    """The alert may not be sent; the message says why, for the manager."""


def check_sendable(opportunity, now=None):
    if opportunity is None:
        raise CannotSend("The opportunity has been removed from its page, so it cannot be sent.")
    if not opportunity.is_open(now):
        raise CannotSend(
            f"The deadline for “{opportunity.title}” has passed "
            f"({opportunity.deadline_display}), so an alert about it cannot be sent."
        )


def send(alert, user, request=None, now=None):
    """Send a draft alert: returns how many emails were queued, or None if the alert was not
    a draft any more (sent by an earlier click). Raises CannotSend if the deadline passed."""
    now = now or timezone.now()
    opportunity = alert.opportunity
    check_sendable(opportunity, now)
    from outbox.tasks import deliver_email

    per_minute = max(1, settings.ALERTS_PER_MINUTE)
    with transaction.atomic():
        claimed = Alert.objects.filter(pk=alert.pk, status=Alert.Status.DRAFT).update(
            status=Alert.Status.SENDING,
            sent_at=now,
            sent_by_user=user,
            sent_by=user.get_username(),
        )
        if not claimed:
            return None
        alert.refresh_from_db()
        # Frozen here: whoever registers from now on is not part of this alert.
        entries = recipients_for(alert)
        AlertRecipient.objects.bulk_create(
            [AlertRecipient(alert=alert, entry=entry) for entry in entries], batch_size=500
        )
        base = email_context(alert, opportunity, request)
        emails = []
        for position, entry in enumerate(entries):
            link = stop_url(alert, entry, request)
            emails.append(
                OutgoingEmail(
                    kind="alerts.opportunity",
                    to=[entry.email],
                    subject=alert.subject,
                    body=render_body({**base, "stop_url": link}),
                    headers={
                        "List-Unsubscribe": f"<{link}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                    reference=f"{REFERENCE_PREFIX}{alert.pk}:{entry.pk}",
                    next_attempt_at=now + dt.timedelta(minutes=position // per_minute),
                    created_at=now,
                )
            )
        emails = OutgoingEmail.objects.bulk_create(emails, batch_size=500)
        for email in emails:
            deliver_email.using(run_after=email.next_attempt_at, priority=PRIORITY).enqueue(
                email.pk
            )
        Alert.objects.filter(pk=alert.pk).update(recipient_count=len(entries))
    alert.refresh_from_db()
    return len(entries)


def progress(alert):
    """{"queued", "sent", "failed"} counted from the alert's outbox emails. Sent emails are
    deleted after OUTBOX_KEEP_DAYS; then the last counts stored on the alert are shown."""
    counts = {"queued": 0, "sent": 0, "failed": 0}
    if alert.status == Alert.Status.DRAFT:
        return counts
    rows = (
        OutgoingEmail.objects.filter(reference__startswith=alert.reference_prefix)
        .values("status")
        .annotate(n=Count("pk"))
    )
    found = 0
    for row in rows:
        found += row["n"]
        if row["status"] == OutgoingEmail.Status.SENT:
            counts["sent"] += row["n"]
        elif row["status"] == OutgoingEmail.Status.FAILED:
            counts["failed"] += row["n"]
        else:
            counts["queued"] += row["n"]
    if found == 0 and alert.recipient_count:
        counts["sent"], counts["failed"] = alert.sent_count, alert.failed_count
        return counts
    if (counts["sent"], counts["failed"]) != (alert.sent_count, alert.failed_count):
        Alert.objects.filter(pk=alert.pk).update(
            sent_count=counts["sent"], failed_count=counts["failed"]
        )
        alert.sent_count, alert.failed_count = counts["sent"], counts["failed"]
    return counts
