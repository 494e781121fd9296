"""Members sign in and out, reset a forgotten password and change it, on the site's own pages."""

import io
import re
import statistics
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command

from accounts.forms import SIGN_IN_ERROR

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
NEW_PASSWORD = "a-brand-new-passphrase-2026"
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


class SlowEmailBackend(EmailBackend):
    """Django's test outbox, with the delay of a real SMTP server."""

    delay = 0.15

    def send_messages(self, messages):
        time.sleep(self.delay)
        return super().send_messages(messages)


def wait_for_mail(count=1, timeout=5.0):
    """Run the background worker (which sends queued emails) and return the outbox."""
    from outbox.worker import Loop

    Loop().run_ready_tasks()
    return mail.outbox


@pytest.fixture
def member(db):
    return get_user_model().objects.create_user(
        "hrout",
        email="helen@example.org",
        password=PASSWORD,
        first_name="Helen",
        last_name="Routledge",
    )


def sign_in(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


# Sign in and out ----------------------------------------------------------------------------


def test_sign_in_page_uses_the_sites_template_and_offers_a_password_reset(client, home_page):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "site-header" in html and "site-footer" in html
    assert "<h1>Sign in</h1>" in html
    assert 'href="/accounts/password-reset/">Forgot your password?</a>' in html
    assert '<meta name="robots" content="noindex">' in html


def test_member_signs_in_and_goes_back_to_the_page_they_came_from(client, member, home_page):
    response = sign_in(client, "hrout", PASSWORD, next="/focus-groups/")
    assert response.status_code == 302
    assert response["Location"] == "/focus-groups/"
    assert client.session["_auth_user_id"] == str(member.pk)


def test_sign_in_never_redirects_to_another_site(client, member, home_page):
    response = sign_in(client, "hrout", PASSWORD, next="https://evil.example/phish")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_in_error_reads_the_same_for_an_unknown_user_a_wrong_password_and_inactive(
    client, member, home_page
):
    get_user_model().objects.create_user("gone", "gone@example.org", PASSWORD, is_active=False)
    responses = {
        "unknown user": sign_in(client, "nobody-at-all", PASSWORD),
        "wrong password": sign_in(client, "hrout", "not-the-password"),
        "inactive account": sign_in(client, "gone", PASSWORD),
    }
    bodies = {}
    for case, response in responses.items():
        assert response.status_code == 200, case
        html = response.content.decode()
        assert SIGN_IN_ERROR in html, case
        assert "<title>Error: Sign in" in html
        # Same page apart from the typed username echoed back and the CSRF token.
        bodies[case] = CSRF_INPUT.sub("", html).replace('value="nobody-at-all"', 'value="X"')
        bodies[case] = bodies[case].replace('value="hrout"', 'value="X"')
        bodies[case] = bodies[case].replace('value="gone"', 'value="X"')
    assert len(set(bodies.values())) == 1


def test_empty_sign_in_form_lists_each_missing_field(client, home_page):
    html = sign_in(client, "", "").content.decode()
    assert "There is a problem" in html
    assert 'href="#id_username"' in html and 'href="#id_password"' in html


def test_header_offers_sign_in_with_the_way_back(client, home_page):
    html = client.get("/focus-groups/?a=1").content.decode()
    assert 'href="/accounts/login/?next=/focus-groups/%3Fa%3D1">Sign in</a>' in html
    assert "Sign out" not in html


def test_header_shows_the_members_name_and_a_sign_out_button_when_signed_in(
    client, member, home_page
):
    client.force_login(member)
    html = client.get("/").content.decode()
    assert "Helen Routledge" in html
    assert ">Sign in</a>" not in html
    form = re.search(r'<form method="post" action="/accounts/logout/">.*?</form>', html, re.S)
    assert form and "csrfmiddlewaretoken" in form.group(0) and "Sign out" in form.group(0)
    assert 'href="/accounts/password-change/"' in html


def test_sign_out_is_a_post_and_ends_the_session(client, member, home_page):
    client.force_login(member)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signed-out/"
    assert "_auth_user_id" not in client.session
    page = client.get("/accounts/signed-out/")
    assert "You have signed out" in page.content.decode()


# Forgotten password -------------------------------------------------------------------------


def reset(client, email):
    return client.post("/accounts/password-reset/", {"email": email})


def test_reset_page_answers_the_same_for_known_and_unknown_addresses(client, member, home_page):
    known = reset(client, "helen@example.org")
    unknown = reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password-reset/sent/"
    assert dict(known.headers) == dict(unknown.headers)
    assert known.content == unknown.content
    assert known.cookies.keys() == unknown.cookies.keys()
    done = client.get("/accounts/password-reset/sent/").content.decode()
    assert "If an account uses the address you gave" in done


def test_reset_email_goes_only_to_an_address_with_an_account(client, member, home_page):
    reset(client, "nobody@example.org")
    reset(client, "HELEN@example.org")
    outbox = wait_for_mail(1)
    time.sleep(0.1)
    assert len(outbox) == 1
    assert outbox[0].to == ["helen@example.org"]
    assert "BCIS focus groups" in outbox[0].subject
    assert "hrout" in outbox[0].body  # the username, for members who forgot it too


def test_no_more_than_three_reset_emails_go_to_one_address_in_an_hour(client, member, home_page):
    """Nobody can fill a member's inbox; the answer stays the same, so it reveals nothing."""
    answers = [reset(client, "helen@example.org") for _ in range(5)]
    assert len(wait_for_mail(3)) == 3
    time.sleep(0.3)
    assert len(mail.outbox) == 3
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, "/accounts/password-reset/sent/")
    }
    assert answers[-1].content == answers[0].content


def test_reset_emails_to_another_address_are_counted_apart(client, member, home_page):
    for _ in range(3):
        reset(client, "someone-else@example.org")
    reset(client, "helen@example.org")
    assert [m.to for m in wait_for_mail(1)] == [["helen@example.org"]]


def test_too_many_reset_requests_from_one_connection_get_a_clear_429(
    client, member, home_page, settings
):
    settings.ACCOUNTS_RESET_REQUESTS_PER_CLIENT = 4
    for n in range(4):
        assert reset(client, f"x{n}@example.org").status_code == 302
    refused = reset(client, "helen@example.org")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    html = refused.content.decode()
    assert "<h1>Too many password reset requests</h1>" in html
    assert "No email has been sent" in html and "site-header" in html
    time.sleep(0.3)
    assert mail.outbox == []  # nothing went to the account either


def test_reset_email_is_sent_by_the_worker_not_the_request(client, member, home_page, settings):
    settings.EMAIL_BACKEND = "tests.test_accounts.SlowEmailBackend"
    response = reset(client, "helen@example.org")
    assert response.status_code == 302
    assert len(mail.outbox) == 0  # not sent yet: the answer did not wait for it
    assert len(wait_for_mail(1)) == 1


def test_reset_request_does_the_same_database_work_for_known_and_unknown_addresses(
    client, member, home_page
):
    """The request only queues a task, whoever the address belongs to: the account is looked
    up by the worker, so the answer's timing cannot tell an attacker who has an account."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def tables_touched(email):
        with CaptureQueriesContext(connection) as queries:
            reset(client, email)
        shapes = [q["sql"].split(" WHERE ")[0].split(" VALUES ")[0] for q in queries]
        # Savepoint names and the moment of the request differ from one request to the next.
        return [re.sub(r"s\d+_x\d+|'[^']*'", "?", sql) for sql in shapes]

    reset(client, "warm-up@example.org")
    known = tables_touched("helen@example.org")
    unknown = tables_touched("nobody@example.org")
    assert known == unknown
    assert not any("auth_user" in sql for sql in known)


def test_reset_takes_the_same_time_for_known_and_unknown_addresses(
    client, member, home_page, settings
):
    """Median of 50 each, interleaved, with a mail server as slow as a real one."""
    settings.EMAIL_BACKEND = "tests.test_accounts.SlowEmailBackend"
    settings.ACCOUNTS_RESET_EMAILS_PER_ADDRESS = settings.ACCOUNTS_RESET_REQUESTS_PER_CLIENT = 1000
    SlowEmailBackend.delay = 0.05
    timings = {"known": [], "unknown": []}
    try:
        for i in range(50):
            for case, email in (("known", "helen@example.org"), ("unknown", f"x{i}@example.org")):
                started = time.perf_counter()
                response = reset(client, email)
                timings[case].append(time.perf_counter() - started)
                assert response.status_code == 302
    finally:
        SlowEmailBackend.delay = 0.15
    known = statistics.median(timings["known"])
    unknown = statistics.median(timings["unknown"])
    assert abs(known - unknown) < 0.020, (
        f"known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms"
    )
    assert len(wait_for_mail(50, timeout=30)) == 50


def test_reset_form_explains_a_badly_typed_address(client, home_page):
    response = reset(client, "not-an-email")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and 'href="#id_email"' in html
    assert "Enter a valid email address." in html


def reset_link(outbox):
    match = re.search(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", outbox[-1].body)
    assert match, outbox[-1].body
    return match.group(1)


def test_member_resets_the_password_through_the_emailed_link_once(client, member, home_page):
    reset(client, "helen@example.org")
    link = reset_link(wait_for_mail(1))
    response = client.get(link)
    # Django swaps the token for a session marker so it does not leak in the Referer header.
    assert response.status_code == 302
    set_password_url = response["Location"]
    assert "set-password" in set_password_url
    html = client.get(set_password_url).content.decode()
    assert "Choose a new password" in html
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response["Location"] == "/accounts/reset/done/"
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert sign_in(client, "hrout", NEW_PASSWORD).status_code == 302
    # The link is spent: it now says so and offers a new one.
    client.logout()
    html = client.get(link, follow=True).content.decode()
    assert "This reset link no longer works" in html
    assert 'href="/accounts/password-reset/"' in html


def test_new_password_must_have_twelve_characters(client, member, home_page):
    reset(client, "helen@example.org")
    set_password_url = client.get(reset_link(wait_for_mail(1)))["Location"]
    short = "elevenchars"  # 11 characters, not common, not numeric
    response = client.post(set_password_url, {"new_password1": short, "new_password2": short})
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in (
        response.content.decode()
    )
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


# Passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("elevenchars", "too short"),
        ("password1234", "too common"),
        ("418529637041", "entirely numeric"),
        ("helenroutledge", "too similar"),
    ],
)
def test_password_validators_refuse_weak_passwords(member, password, problem):
    with pytest.raises(ValidationError) as excinfo:
        validate_password(password, user=member)
    assert any(problem in message for message in excinfo.value.messages)


def test_a_twelve_character_passphrase_is_accepted(member):
    validate_password("twelve-chars", user=member)


def test_member_changes_the_password_while_signed_in(client, member, home_page):
    assert client.get("/accounts/password-change/")["Location"].startswith(
        "/accounts/login/?next=/accounts/password-change/"
    )
    client.force_login(member)
    wrong = client.post(
        "/accounts/password-change/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    response = client.post(
        "/accounts/password-change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == "/accounts/password-change/done/"
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    # Still signed in on this device.
    assert client.get("/accounts/password-change/done/").status_code == 200


def test_a_weak_new_password_is_flagged_on_the_new_password_field_when_changing(
    client, member, home_page
):
    client.force_login(member)
    response = client.post(
        "/accounts/password-change/",
        {"old_password": PASSWORD, "new_password1": "elevenchars", "new_password2": "elevenchars"},
    )
    form = response.context["form"]
    assert "too short" in " ".join(form.errors["new_password1"])
    assert "new_password2" not in form.errors
    assert 'href="#id_new_password1"' in response.content.decode()


def test_a_weak_new_password_is_flagged_on_the_new_password_field_when_resetting(
    client, member, home_page
):
    reset(client, "helen@example.org")
    set_password_url = client.get(reset_link(wait_for_mail(1)))["Location"]
    response = client.post(
        set_password_url, {"new_password1": "password1234", "new_password2": "password1234"}
    )
    form = response.context["form"]
    assert "too common" in " ".join(form.errors["new_password1"])
    assert "new_password2" not in form.errors


# The demo member account --------------------------------------------------------------------


def test_ensure_demo_member_creates_an_ordinary_member_and_prints_the_password(monkeypatch):
    monkeypatch.delenv("DEMO_MEMBER_USERNAME", raising=False)
    monkeypatch.delenv("DEMO_MEMBER_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("ensure_demo_member", stdout=out)
    password = re.search(r"generated password is: (\S+)", out.getvalue()).group(1)
    user = get_user_model().objects.get(username="member")
    assert user.check_password(password)
    assert not user.is_staff and not user.is_superuser
    assert not user.has_perm("wagtailadmin.access_admin")


def test_ensure_demo_member_takes_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_MEMBER_PASSWORD", "demo-member-passphrase")
    call_command("ensure_demo_member", stdout=io.StringIO())
    out = io.StringIO()
    call_command("ensure_demo_member", stdout=out)
    assert get_user_model().objects.filter(username="member").count() == 1
    assert get_user_model().objects.get(username="member").check_password("demo-member-passphrase")
    assert "generated password" not in out.getvalue()


def test_the_admin_account_is_the_only_superuser_after_make_runs_commands(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("ADMIN_USERNAME", raising=False)
    call_command("load_demo_content", stdout=io.StringIO())
    call_command("ensure_admin", stdout=io.StringIO())
    call_command("ensure_demo_member", stdout=io.StringIO())
    superusers = list(
        get_user_model().objects.filter(is_superuser=True).values_list("username", flat=True)
    )
    assert superusers == ["admin"]
