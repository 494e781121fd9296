"""The outbox: every email is kept until it is delivered, and delivered once.

Emails are written in the transaction that causes them and sent by the worker
(`manage.py run_worker`). These tests cover the rules of the queue, then a real worker process
killed in the middle of sending.
"""

import datetime as dt
import signal
import subprocess
import sys
import time
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from outbox.mail import send_later
from outbox.models import OutgoingEmail
from outbox.signals import email_failed
from outbox.tasks import deliver_email, prune_old_emails, recover_stale_claims, retry_delay
from tests.support.servers import ROOT, child_env

Status = OutgoingEmail.Status


def queue(n=1, **kwargs):
    return [
        send_later("test.note", [f"person{i}@example.org"], f"Note {i}", "Body", **kwargs)
        for i in range(n)
    ]


@pytest.mark.django_db
def test_an_email_exists_only_if_its_transaction_commits(run_worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("what caused the email failed")
    assert not OutgoingEmail.objects.exists()
    assert run_worker() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_request_sends_nothing_the_worker_sends_each_email_once(run_worker):
    (email,) = queue()
    assert mail.outbox == []
    assert run_worker() == 1
    assert run_worker() == 0
    assert [m.to for m in mail.outbox] == [["person0@example.org"]]
    email.refresh_from_db()
    assert email.status == Status.SENT and email.attempts == 1 and email.sent_at
    assert mail.outbox[0].extra_headers["Message-ID"] == email.message_id


@pytest.mark.django_db
def test_a_second_delivery_task_for_the_same_email_sends_nothing(run_worker):
    (email,) = queue()
    deliver_email.enqueue(email.pk)  # as after a recovery racing a slow worker
    run_worker()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_failures_are_retried_with_growing_delays_then_reported(run_worker, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    reported = []

    def report(sender, email, **kwargs):
        reported.append(email.pk)

    email_failed.connect(report)
    try:
        (email,) = queue()
        start = timezone.now()
        with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("no route")):
            run_worker()
            email.refresh_from_db()
            assert (email.status, email.attempts) == (Status.QUEUED, 1)
            assert email.next_attempt_at >= start + dt.timedelta(seconds=30)
            with time_machine.travel(start + dt.timedelta(seconds=31)):
                run_worker()
            email.refresh_from_db()
            assert (email.status, email.attempts) == (Status.QUEUED, 2)
            assert email.next_attempt_at >= start + dt.timedelta(seconds=31 + 60)
            with time_machine.travel(start + dt.timedelta(minutes=10)):
                run_worker()
        email.refresh_from_db()
        assert (email.status, email.attempts) == (Status.FAILED, 3)
        assert "OSError: no route" in email.last_error
        assert reported == [email.pk]
        assert mail.outbox == []
    finally:
        email_failed.disconnect(report)


def test_retry_delays_double_and_stop_growing_at_an_hour(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(20) == 3600


@pytest.mark.django_db
def test_a_stale_claim_goes_back_to_the_queue_a_fresh_one_does_not(run_worker, settings):
    settings.OUTBOX_CLAIM_TIMEOUT_SECONDS = 300
    stale, fresh = queue(2)
    now = timezone.now()
    OutgoingEmail.objects.filter(pk=stale.pk).update(
        status=Status.SENDING, claimed_at=now - dt.timedelta(minutes=10)
    )
    OutgoingEmail.objects.filter(pk=fresh.pk).update(
        status=Status.SENDING, claimed_at=now - dt.timedelta(minutes=1)
    )
    assert recover_stale_claims(now) == 1
    run_worker()
    assert [m.to for m in mail.outbox] == [["person0@example.org"]]
    fresh.refresh_from_db()
    assert fresh.status == Status.SENDING  # another worker may still be sending it


@pytest.mark.django_db
def test_sent_emails_are_deleted_after_the_keeping_period(run_worker, settings):
    settings.OUTBOX_KEEP_DAYS = 30
    old, recent = queue(2)
    run_worker()
    OutgoingEmail.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    assert prune_old_emails() == 1
    assert list(OutgoingEmail.objects.values_list("pk", flat=True)) == [recent.pk]


# A real worker process, killed while sending --------------------------------------------


def worker_env(tmp_path):
    """A worker on the test's database, writing the emails it sends into ``tmp_path``."""
    return child_env("tests.support.worker_settings", TEST_EMAIL_DIR=tmp_path)


def start_worker(env):
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def delivered(folder, message_id):
    return sum(
        path.read_text().count(message_id) for path in folder.iterdir() if path.suffix == ".log"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_email_leaves_it_to_be_sent_once_on_restart(tmp_path):
    (tmp_path / "hang").touch()
    (email,) = queue()
    env = worker_env(tmp_path)
    worker = start_worker(env)
    try:
        assert wait_for(lambda: any(p.name.startswith("sending-") for p in tmp_path.iterdir()))
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    email.refresh_from_db()
    assert email.status == Status.SENDING  # claimed by the worker that died
    assert delivered(tmp_path, email.message_id) == 0
    (tmp_path / "hang").unlink()
    # The new worker looks for stale claims when it starts, then once a minute: let the dead
    # worker's claim pass the claim timeout (1 s in these settings) before it starts, however
    # fast it starts up.
    stale_at = email.claimed_at + dt.timedelta(seconds=1.2)
    time.sleep(max(0, (stale_at - timezone.now()).total_seconds()))
    worker = start_worker(env)
    try:
        assert wait_for(lambda: delivered(tmp_path, email.message_id) == 1)
        time.sleep(1.5)  # longer than the claim timeout: nothing is sent twice
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)
    assert delivered(tmp_path, email.message_id) == 1
    email.refresh_from_db()
    assert email.status == Status.SENT
