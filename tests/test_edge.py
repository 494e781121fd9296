"""What the site answers at its edge: posts it cannot read, the headers on static files and
error pages, visitors' addresses behind a proxy, lockouts, rate limits that outlive the cache,
and members-only documents kept out of shared caches."""

import datetime as dt
import logging
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest
import time_machine
from axes.helpers import get_client_ip_address
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from outbox.worker import PERIODIC
from ratelimit.addresses import ClientAddressFilter, client_address
from ratelimit.limits import count_attempt, hashed, purge_ended_windows
from ratelimit.models import AttemptCount
from registry.models import RegisterEntry
from tests.conftest import register_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client(home_page):
    """A client that checks CSRF tokens as a browser's requests are checked, with a token."""
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    client.token = client.cookies["csrftoken"].value
    return client


def assert_site_security_headers(response, label=""):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, label
    assert headers["X-Content-Type-Options"] == "nosniff", label
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", label
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin", label
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin", label
    assert "camera=()" in headers["Permissions-Policy"], label


# Posts in another charset than UTF-8 ----------------------------------------------------------


@pytest.fixture
def form_urls(make_register):
    register = make_register()
    return {
        "register": register.url,
        "sign-in": "/accounts/login/",
        "password reset": "/accounts/password-reset/",
        "search": "/search/",
    }


FORM_NAMES = ["register", "sign-in", "password reset", "search"]


def urlencoded_post(client, url, charset, data):
    body = "&".join(f"{key}={value}" for key, value in data.items())
    return client.generic(
        "POST",
        url,
        body.encode("latin-1"),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )


def assert_sites_400(response, caplog, label):
    assert response.status_code == 400, label
    html = response.content.decode()
    assert "we could not read what your browser sent" in html, label
    assert "Nothing was saved" in html, label
    assert_site_security_headers(response, label)
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert "charset" in lines[0].getMessage() and len(lines[0].getMessage()) < 300
    assert lines[0].exc_info is None  # no traceback
    assert lines[0].request is not None  # so the line ends with the visitor's address


@pytest.mark.parametrize("name", FORM_NAMES)
@pytest.mark.parametrize("charset", ["iso-8859-1", "utf-16", "UTF8", "no-such-charset"])
def test_a_urlencoded_post_in_another_charset_gets_the_sites_400_and_one_log_line(
    csrf_client, form_urls, name, charset, caplog
):
    data = register_post_data(full_name="Zoë") | {
        "csrfmiddlewaretoken": csrf_client.token,
        "username": "hrout",
        "password": "x",
        "query": "stroke",
    }
    with caplog.at_level(logging.INFO):
        response = urlencoded_post(csrf_client, form_urls[name], charset, data)
    assert_sites_400(response, caplog, name)


@pytest.mark.parametrize("name", FORM_NAMES)
def test_a_multipart_post_in_another_charset_gets_the_sites_400(
    csrf_client, form_urls, name, caplog
):
    boundary = "XyZ"
    fields = {"csrfmiddlewaretoken": csrf_client.token, "username": "hrout", "email": "a@b.c"}
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            for key, value in fields.items()
        )
        + f"--{boundary}--\r\n"
    )
    with caplog.at_level(logging.INFO):
        response = csrf_client.generic(
            "POST",
            form_urls[name],
            body.encode("latin-1"),
            content_type=f"multipart/form-data; charset=iso-8859-1; boundary={boundary}",
        )
    assert_sites_400(response, caplog, name)


def test_a_post_that_says_utf_8_is_read_as_usual(csrf_client, make_register):
    register = make_register()
    data = register_post_data() | {"csrfmiddlewaretoken": csrf_client.token}
    response = csrf_client.post(
        register.url,
        urlencode(data | {"full_name": "Zoë Example"}),
        content_type="application/x-www-form-urlencoded; charset=UTF-8",
    )
    assert response.status_code == 302
    response = csrf_client.post(register.url, data | {"email": "b@example.org"})  # multipart
    assert response.status_code == 302
    assert RegisterEntry.objects.filter(full_name="Zoë Example").count() == 1
    assert RegisterEntry.objects.count() == 2


def test_a_bad_post_still_gets_the_400_if_the_middleware_is_gone(csrf_client, form_urls, settings):
    """Django's own 400 page read the post again and failed: the site's handler does not."""
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "accounts.middleware.RefuseBadEncodingMiddleware"
    ]
    data = {"csrfmiddlewaretoken": csrf_client.token, "username": "a", "password": "b"}
    response = urlencoded_post(csrf_client, form_urls["sign-in"], "iso-8859-1", data)
    assert response.status_code == 400
    assert "we could not read what your browser sent" in response.content.decode()
    assert_site_security_headers(response)


# Security headers on static files and error pages ---------------------------------------------


def test_static_files_carry_the_security_headers(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert_site_security_headers(response, "static file")


def boom(request):
    raise RuntimeError("a bug in a view")


def forbidden(request):
    raise PermissionDenied


class ExplodingMiddleware:
    """Fails before any other middleware has run: Django renders the 500 page outside the
    whole middleware stack."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/explode/":
            raise RuntimeError("a bug in a middleware")
        return self.get_response(request)


urlpatterns = [
    path("boom/", boom),
    path("forbidden/", forbidden),
    path("", include("config.urls")),
]
handler400 = "accounts.errors.bad_request"
handler403 = "accounts.errors.permission_denied"
handler404 = "accounts.errors.page_not_found"
handler500 = "accounts.errors.server_error"


@pytest.fixture
def raising_site(settings, home_page):
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [
        settings.MIDDLEWARE[0],
        f"{__name__}.ExplodingMiddleware",
        *settings.MIDDLEWARE[1:],
    ]
    client = Client(raise_request_exception=False)
    return client


def test_config_urls_name_the_sites_error_handlers():
    from config import urls

    for code in (400, 403, 404, 500):
        assert getattr(urls, f"handler{code}") == globals()[f"handler{code}"]


@pytest.mark.parametrize("url", ["/boom/", "/explode/"], ids=["view", "middleware"])
def test_a_500_page_carries_the_security_headers(raising_site, url, caplog):
    with caplog.at_level(logging.ERROR):
        response = raising_site.get(url)
    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.content.decode()
    assert_site_security_headers(response, url)


def test_403_and_404_pages_carry_the_security_headers(raising_site):
    forbidden_response = raising_site.get("/forbidden/")
    assert forbidden_response.status_code == 403
    assert "You cannot see this page" in forbidden_response.content.decode()
    assert_site_security_headers(forbidden_response, "403")
    missing = raising_site.get("/no-such-page/")
    assert missing.status_code == 404
    assert_site_security_headers(missing, "404")


def test_a_csrf_failure_gets_the_sites_page_with_the_security_headers(home_page):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert "Your form has expired" in response.content.decode()
    assert_site_security_headers(response, "csrf failure")


def test_the_error_handlers_add_the_headers_themselves(rf):
    from accounts import errors

    for response in (
        errors.bad_request(rf.get("/")),
        errors.server_error(rf.get("/")),
        errors.permission_denied(rf.get("/"), PermissionDenied()),
        errors.page_not_found(rf.get("/"), Http404()),
    ):
        assert_site_security_headers(response, response.status_code)
    admin = errors.server_error(rf.get("/admin/pages/"))
    assert "'unsafe-inline'" in admin["Content-Security-Policy"]  # the admin's own policy


# The visitor's address behind proxies ---------------------------------------------------------

LOAD_BALANCER = "10.0.0.2"
VISITOR = "198.51.100.7"
CDN_EDGE = "192.0.2.50"


def address_of(rf, settings, proxies, forwarded=None, remote=LOAD_BALANCER):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(rf.get("/", **meta))


def test_without_trusted_proxies_the_forwarded_header_is_ignored(rf, settings):
    assert address_of(rf, settings, 0, VISITOR, remote="203.0.113.9") == "203.0.113.9"
    assert address_of(rf, settings, 0, None, remote="203.0.113.9") == "203.0.113.9"


def test_behind_one_proxy_the_address_it_saw_is_the_visitors(rf, settings):
    assert address_of(rf, settings, 1, VISITOR) == VISITOR
    # Whatever the visitor wrote in the header themselves is to the left: never trusted.
    assert address_of(rf, settings, 1, f"6.6.6.6, {VISITOR}") == VISITOR
    assert address_of(rf, settings, 1, f"6.6.6.6, 7.7.7.7, {VISITOR}") == VISITOR


def test_behind_two_proxies_the_address_the_outer_one_saw_is_the_visitors(rf, settings):
    assert address_of(rf, settings, 2, f"{VISITOR}, {CDN_EDGE}") == VISITOR
    assert address_of(rf, settings, 2, f"6.6.6.6, {VISITOR}, {CDN_EDGE}") == VISITOR
    # A request that did not come through both proxies: nothing in the header is trusted.
    assert address_of(rf, settings, 2, VISITOR) == LOAD_BALANCER
    assert address_of(rf, settings, 2, None) == LOAD_BALANCER


def test_a_header_that_is_not_an_address_falls_back_to_the_connection(rf, settings):
    assert address_of(rf, settings, 1, "not-an-address") == LOAD_BALANCER


def test_axes_reads_the_same_address(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {VISITOR}")
    assert get_client_ip_address(request) == VISITOR


def test_log_lines_about_a_request_end_with_the_visitors_address(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {VISITOR}")
    formatter = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    client_filter = ClientAddressFilter()
    about_request = logging.makeLogRecord({"msg": "Forbidden", "request": request})
    other = logging.makeLogRecord({"msg": "Worker started"})
    assert client_filter.filter(about_request) and client_filter.filter(other)
    assert formatter.format(about_request).endswith(f"Forbidden [client {VISITOR}]")
    assert formatter.format(other).endswith("Worker started")
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["client"]
    assert settings.LOGGING["filters"]["client"]["()"] == "ratelimit.addresses.ClientAddressFilter"


PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def member(db):
    return get_user_model().objects.create_user("hrout", password=PASSWORD)


def sign_in(client, username, password, forwarded=None, remote=LOAD_BALANCER):
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_behind_a_proxy_a_lockout_is_the_visitors_not_everyones(client, member, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        # A new spoofed address each time does not escape the count.
        sign_in(client, "hrout", "wrong", forwarded=f"6.6.6.{n}, {VISITOR}")
    assert sign_in(client, "hrout", PASSWORD, forwarded=VISITOR).status_code == 429
    # Another visitor through the same load balancer signs in as usual.
    response = sign_in(client, "hrout", PASSWORD, forwarded="203.0.113.20")
    assert response.status_code == 302


def test_behind_a_proxy_the_register_limit_is_per_visitor(client, make_register, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    settings.REGISTRY_RATE_LIMIT = 2
    register = make_register()

    def post(n, visitor):
        return client.post(
            register.url,
            register_post_data(email=f"p{n}@example.org"),
            REMOTE_ADDR=LOAD_BALANCER,
            HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, {visitor}, {CDN_EDGE}",
        )

    assert [post(n, VISITOR).status_code for n in range(3)] == [302, 302, 429]
    assert post(3, "203.0.113.20").status_code == 302


def test_behind_a_proxy_the_reset_request_limit_is_per_visitor(client, home_page, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNTS_RESET_REQUESTS_PER_CLIENT = 1

    def reset(visitor):
        return client.post(
            "/accounts/password-reset/",
            {"email": "someone@example.org"},
            REMOTE_ADDR=LOAD_BALANCER,
            HTTP_X_FORWARDED_FOR=visitor,
        )

    assert [reset(VISITOR).status_code for _ in range(2)] == [302, 429]
    assert reset("203.0.113.20").status_code == 302


# One address guessing across many usernames ---------------------------------------------------


def test_the_address_limit_is_fifty_within_the_fifteen_minute_cool_off(settings):
    assert settings.ACCOUNTS_ADDRESS_FAILURE_LIMIT == 50
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


def test_fifty_failures_from_one_address_lock_it_out_for_every_username(client, member):
    address = "203.0.113.5"
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for n in range(49):  # four guesses for each of 13 usernames: no pair is locked
            assert sign_in(client, f"user{n // 4}", "guess", remote=address).status_code == 200
        # Under the address limit: a member signs in from there, which clears only their own
        # failures, not the address's.
        assert sign_in(client, "hrout", PASSWORD, remote=address).status_code == 302
        client.logout()
        assert sign_in(client, "user99", "guess", remote=address).status_code == 429  # the 50th
        # Now every username is refused from that address, the right password too...
        assert sign_in(client, "hrout", PASSWORD, remote=address).status_code == 429
        assert "_auth_user_id" not in client.session
        # ...but not from another address,
        assert sign_in(client, "hrout", PASSWORD, remote="198.51.100.30").status_code == 302
        client.logout()
        # and only for the cool-off time.
        clock.shift(dt.timedelta(minutes=16))
        assert sign_in(client, "hrout", PASSWORD, remote=address).status_code == 302


def test_the_lockout_page_names_the_lockout_that_happened(client, member, settings):
    """The pair's page speaks of this username and 5 attempts; the address's of every
    username and its own limit (here 8, so that the test stays short), never '5'."""
    settings.ACCOUNTS_ADDRESS_FAILURE_LIMIT = 8
    for _ in range(4):
        sign_in(client, "hrout", "wrong", remote="203.0.113.5")
    pair = sign_in(client, "hrout", "wrong", remote="203.0.113.5").content.decode()
    assert "with this username from your connection is paused for 15 minutes" in pair
    assert "after 5 failed attempts" in pair and "every username" not in pair

    for n in range(7):  # two guesses each for four usernames: no pair reaches five
        sign_in(client, f"user{n // 2}", "guess", remote="198.51.100.9")
    whole = sign_in(client, "user9", "guess", remote="198.51.100.9")
    assert whole.status_code == 429
    html = whole.content.decode()
    assert "for every username, after 8 failed attempts from it" in html
    assert "5 failed attempts" not in html and "with this username" not in html


def test_the_pair_lockout_still_comes_after_five(client, member):
    for _ in range(4):
        assert sign_in(client, "hrout", "wrong", remote="203.0.113.5").status_code == 200
    assert sign_in(client, "hrout", "wrong", remote="203.0.113.5").status_code == 429
    assert sign_in(client, "other", "wrong", remote="203.0.113.5").status_code == 200


# The shared rate limiter ----------------------------------------------------------------------


def test_counts_survive_the_cache_being_emptied(settings):
    assert [count_attempt("test:key", 2, 60) for _ in range(2)] == [False, False]
    cache.clear()  # what a Redis restart does
    assert count_attempt("test:key", 2, 60) is True


def test_counting_needs_no_cache_at_all(settings):
    """Redis down: the limits still count (the cache is never touched)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    assert [count_attempt("test:down", 1, 60) for _ in range(2)] == [False, True]


def test_a_window_starts_with_the_first_attempt_and_ends_after_its_seconds():
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 30, tzinfo=dt.UTC), tick=False) as c:
        assert count_attempt("test:w", 1, 60) is False
        c.shift(dt.timedelta(seconds=59))
        assert count_attempt("test:w", 1, 60) is True  # same window: not a minute-of-clock one
        c.shift(dt.timedelta(seconds=1))
        assert count_attempt("test:w", 1, 60) is False  # a new window
        assert count_attempt("test:w", 1, 60) is True
    assert count_attempt("test:zero", 0, 60) is True  # a limit of 0 refuses everything


def test_keys_carry_no_address_or_email():
    assert "198.51" not in hashed(VISITOR) and len(hashed(VISITOR)) == 32
    assert hashed(None) == hashed("unknown")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_attempts_are_each_counted_once():
    results, barrier = [], threading.Barrier(8)

    def worker():
        try:
            barrier.wait()
            for _ in range(3):
                results.append(count_attempt("test:race", 12, 60))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AttemptCount.objects.get(key="test:race").count == 24
    assert results.count(False) == 12 and results.count(True) == 12


def test_ended_windows_are_purged_by_the_worker():
    assert "ratelimit.limits.purge_ended_windows" in [name for _, name, _ in PERIODIC]
    count_attempt("test:old", 5, 60)
    count_attempt("test:new", 5, 3600)
    assert purge_ended_windows(timezone.now() + dt.timedelta(seconds=61)) == 1
    assert list(AttemptCount.objects.values_list("key", flat=True)) == ["test:new"]


def test_accounts_no_longer_imports_the_registry():
    for module in Path("accounts").rglob("*.py"):
        text = module.read_text()
        assert "from registry" not in text and "import registry" not in text, module


# Members-only documents ------------------------------------------------------------------------


def members_only_document(make_document, parent_collection=True):
    from wagtail.models import BaseViewRestriction, Collection, CollectionViewRestriction

    collection = Collection.get_first_root_node().add_child(name="Members only")
    CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=BaseViewRestriction.LOGIN
    )
    if not parent_collection:  # a sub-collection inherits its parent's restriction
        collection = collection.add_child(name="Council papers")
    document = make_document(title="Members' draft", filename="members-draft.pdf")
    document.collection = collection
    document.save()
    return document


@pytest.mark.parametrize("direct", [True, False], ids=["restricted", "inside restricted"])
def test_members_only_documents_are_never_kept_by_a_shared_cache(
    client, make_document, member, home_page, direct
):
    document = members_only_document(make_document, parent_collection=direct)
    anonymous = client.get(document.url)
    assert anonymous.status_code == 302
    assert anonymous["Cache-Control"] == "private, no-store"
    client.force_login(member)
    response = client.get(document.url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    again = client.get(document.url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, no-store"


def test_public_documents_keep_their_own_headers(client, make_document, home_page):
    document = make_document(filename="public-paper.pdf")
    response = client.get(document.url)
    assert response.status_code == 200
    assert "Cache-Control" not in response
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert client.get("/documents/999999/nothing.pdf").status_code == 404
