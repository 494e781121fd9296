"""A registrant is thanked only for an entry that was kept.

The database connection is cut at every statement of a register post in turn, at the commit,
and with a transaction silently marked for rollback. Every answer must be either the thank-you
page with the entry stored and each of its emails queued once, or a clear "not saved" page
(503, answers kept) with no entry and no email. On PostgreSQL the connection is terminated by
the server (pg_terminate_backend), as when a database fails over; on SQLite the connection is
closed under Django's feet.
"""

import re
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, transaction

from outbox.models import OutgoingEmail
from registry.models import RegisterEntry
from tests.conftest import register_post_data

# Real commits; serialized_rollback restores the rows migrations made (the root page, groups).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NOT_SAVED = "We could not save your answers just now"


def cut_connection():
    """Make the site's database connection die now, as a network or server failure would."""
    if connection.vendor == "postgresql":
        import psycopg

        pid = connection.connection.info.backend_pid
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
    else:
        connection.connection.close()


class StatementRecorder:
    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(sql)
        return execute(sql, params, many, context)


class CutAt:
    """Cut the connection just before the n-th statement of the post runs."""

    def __init__(self, n):
        self.n = n
        self.seen = 0
        self.cut_before = None

    def __call__(self, execute, sql, params, many, context):
        self.seen += 1
        if self.seen == self.n and self.cut_before is None:
            self.cut_before = sql
            cut_connection()
        return execute(sql, params, many, context)


@contextmanager
def cut_at_commit():
    """Cut the connection as the transaction that wrote the entry commits (earlier commits,
    such as the rate limiter's count, go through)."""
    target = transaction.get_connection()
    original = target._commit
    wrote_entry = []

    def watch(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "registry_registerentry"'):
            wrote_entry.append(sql)
        return execute(sql, params, many, context)

    def dying_commit():
        if wrote_entry:
            wrote_entry.clear()
            cut_connection()
        return original()

    with (
        connection.execute_wrapper(watch),
        mock.patch.object(target, "_commit", side_effect=dying_commit),
    ):
        yield


def post(client, register, n):
    data = register_post_data(email=f"person{n}@example.org", full_name=f"Person {n}")
    return client.post(register.url, data)


def check_outcome(response, n):
    """Either thanked with the entry and its emails, or told plainly with neither."""
    email = f"person{n}@example.org"
    stored = RegisterEntry.objects.filter(email=email).first()
    if response.status_code == 302:
        assert response["Location"].endswith("/thank-you/")
        assert stored is not None, "thanked for an entry that was not kept"
        kinds = sorted(
            OutgoingEmail.objects.filter(
                reference=f"registry.registerentry:{stored.pk}"
            ).values_list("kind", flat=True)
        )
        assert kinds == ["registry.confirmation", "registry.staff_notification"]
        return "saved"
    assert response.status_code == 503, response.status_code
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    if NOT_SAVED in html:  # the register's own answer: the form again, answers kept
        assert f'value="{email}"' in html
    else:  # the connection died before the register's view ran (finding the page)
        assert "Nothing you sent was saved" in html
    assert stored is None, "told the entry failed, yet it was stored"
    assert not [e for e in OutgoingEmail.objects.all() if email in e.to]
    return "refused"


@pytest.fixture
def register(make_register, settings):
    settings.REGISTRY_RATE_LIMIT = 10_000  # one address posts many times here
    return make_register()


def test_cutting_the_connection_at_any_statement_never_thanks_for_a_lost_entry(
    client, register, run_worker
):
    assert post(client, register, 0).status_code == 302  # warm: what later posts run
    outcomes = []  # (statement cut before, outcome)
    for n in range(1, 200):
        cut = CutAt(n)
        with connection.execute_wrapper(cut):
            response = post(client, register, n)
        if cut.cut_before is None:  # the post ran fewer statements: every one was tried
            assert check_outcome(response, n) == "saved"
            break
        outcomes.append((cut.cut_before, check_outcome(response, n)))
    cut_points = [sql for sql, _ in outcomes]
    assert any("INSERT" in sql and "registry_registerentry" in sql for sql in cut_points)
    assert any("outbox_outgoingemail" in sql for sql in cut_points)
    assert any("dbtaskresult" in sql for sql in cut_points)
    # Cut before the entry was written: refused. Cut after the commit: the entry stands.
    assert {sql[:30]: o for sql, o in outcomes if 'INSERT INTO "registry_' in sql} == {
        'INSERT INTO "registry_register': "refused"
    }
    assert outcomes[-1][1] == "saved"
    # Each stored entry's emails go out exactly once.
    run_worker()
    run_worker()
    sent = [m.to[0] for m in mail.outbox if m.to[0].startswith("person")]
    stored = set(RegisterEntry.objects.filter(page=register).values_list("email", flat=True))
    assert sorted(sent) == sorted(stored)


def test_cutting_the_connection_at_the_commit_refuses_and_keeps_nothing(client, register):
    with cut_at_commit():
        response = post(client, register, 1)
    assert check_outcome(response, 1) == "refused"


def test_a_transaction_silently_marked_for_rollback_is_not_thanked(client, register):
    """What Wagtail's immediate tasks did: log an error, mark the transaction for rollback,
    and let it roll back without raising."""
    from registry import emails

    original = emails.queue_new_entry_emails

    def queue_then_fail_quietly(entry, request):
        original(entry, request)
        transaction.set_rollback(True)

    with mock.patch.object(emails, "queue_new_entry_emails", queue_then_fail_quietly):
        response = post(client, register, 1)
    assert check_outcome(response, 1) == "refused"
    assert not RegisterEntry.objects.exists()


def test_no_task_runs_inside_the_registrants_transaction(client, register):
    """Register entries stay out of Wagtail's reference index, whose update ran as a task in
    the entry's transaction and could roll it back without an error."""
    recorder = StatementRecorder()
    with connection.execute_wrapper(recorder):
        response = post(client, register, 1)
    assert response.status_code == 302
    assert not [sql for sql in recorder.statements if "wagtailcore_referenceindex" in sql]


def test_the_not_saved_page_is_never_cached_and_says_what_to_do(client, register):
    with cut_at_commit():
        response = post(client, register, 1)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert re.search(r"<title>Error: ", html)
    assert "Please send the form again" in html
