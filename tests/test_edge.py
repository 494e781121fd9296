"""What the site answers at its edge: posts it cannot read, the headers on static files and
error pages, visitors' addresses behind a proxy, lockouts, rate limits that outlive the cache,
and members-only documents kept out of shared caches."""

import logging
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import include, path

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
    from registry.models import RegisterEntry

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
