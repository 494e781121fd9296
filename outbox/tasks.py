"""The worker's side of the outbox: send one email, at most once, retrying with back-off."""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from outbox.models import OutgoingEmail
from outbox.signals import email_failed
from outbox.worker import every

logger = logging.getLogger(__name__)

Status = OutgoingEmail.Status


def retry_delay(attempts):
    """Seconds to wait after the `attempts`-th failure: 30 s, 1 min, 2 min... at most an hour."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    return min(base * 2 ** (attempts - 1), 3600)


def claim(email_pk, now):
    """Mark the email as being sent by this worker; False if it is not ours to send (already
    sent, failed for good, being sent by another worker, or not due yet)."""
    return bool(
        OutgoingEmail.objects.filter(
            pk=email_pk, status=Status.QUEUED, next_attempt_at__lte=now
        ).update(status=Status.SENDING, claimed_at=now)
    )


def message_for(email):
    headers = {"Message-ID": email.message_id, **(email.headers or {})}
    return EmailMessage(
        email.subject, email.body, settings.DEFAULT_FROM_EMAIL, email.to, headers=headers
    )


@task(backend="background", queue_name="email")
def deliver_email(email_pk):
    now = timezone.now()
    if not claim(email_pk, now):
        return "not due or not ours"
    email = OutgoingEmail.objects.get(pk=email_pk)
    try:
        message_for(email).send()
    except Exception as error:  # noqa: BLE001 - any mail failure is retried, then reported
        record_failure(email, error)
        return "failed"
    OutgoingEmail.objects.filter(pk=email_pk).update(
        status=Status.SENT, sent_at=timezone.now(), attempts=email.attempts + 1, last_error=""
    )
    return "sent"


def record_failure(email, error):
    attempts = email.attempts + 1
    reason = (f"{type(error).__name__}: {error}")[:300]
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        logger.error(
            "Gave up on email %s (%s) after %s attempts: %s", email.pk, email.kind, attempts, reason
        )
        OutgoingEmail.objects.filter(pk=email.pk).update(
            status=Status.FAILED, attempts=attempts, last_error=reason
        )
        email.status, email.attempts, email.last_error = Status.FAILED, attempts, reason
        email_failed.send(sender=OutgoingEmail, email=email)
        return
    delay = retry_delay(attempts)
    logger.warning(
        "Email %s (%s) not sent (attempt %s), trying again in %s s: %s",
        email.pk,
        email.kind,
        attempts,
        delay,
        reason,
    )
    due = timezone.now() + datetime.timedelta(seconds=delay)
    with transaction.atomic():
        OutgoingEmail.objects.filter(pk=email.pk).update(
            status=Status.QUEUED, attempts=attempts, last_error=reason, next_attempt_at=due
        )
        deliver_email.using(run_after=due).enqueue(email.pk)


@every(60)
def recover_stale_claims(now=None):
    """Emails claimed by a worker that died while sending go back to the queue.

    A claim older than OUTBOX_CLAIM_TIMEOUT_SECONDS (well beyond the mail server's timeout)
    can only belong to a worker that is gone. Returns how many were put back.
    """
    now = now or timezone.now()
    stale_before = now - datetime.timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
    pks = list(
        OutgoingEmail.objects.filter(
            status=Status.SENDING, claimed_at__lt=stale_before
        ).values_list("pk", flat=True)
    )
    recovered = 0
    for pk in pks:
        with transaction.atomic():
            if OutgoingEmail.objects.filter(
                pk=pk, status=Status.SENDING, claimed_at__lt=stale_before
            ).update(status=Status.QUEUED, next_attempt_at=now):
                deliver_email.enqueue(pk)
                recovered += 1
    # Queued long past their time: their task was lost (it failed before it could claim them).
    for pk in OutgoingEmail.objects.filter(
        status=Status.QUEUED, next_attempt_at__lt=stale_before
    ).values_list("pk", flat=True):
        with transaction.atomic():
            if OutgoingEmail.objects.filter(
                pk=pk, status=Status.QUEUED, next_attempt_at__lt=stale_before
            ).update(next_attempt_at=now):
                deliver_email.enqueue(pk)
                recovered += 1
    if recovered:
        logger.warning("Put %s email(s) back in the queue after a worker stopped", recovered)
    return recovered


@every(6 * 60 * 60)
def prune_old_emails(now=None):
    """Emails hold personal data: sent ones, and ones given up on, are deleted after
    OUTBOX_KEEP_DAYS, with the queue's finished task records."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    before = now - datetime.timedelta(days=settings.OUTBOX_KEEP_DAYS)
    deleted, _ = OutgoingEmail.objects.filter(
        status__in=[Status.SENT, Status.FAILED], created_at__lt=before
    ).delete()
    DBTaskResult.objects.finished().filter(finished_at__lt=before).delete()
    return deleted
