"""A full-page cache for anonymous visitors, with exact invalidation by tags (see tags.py).

Three parts:

* ``PageCacheFront`` (pagecache/wsgi.py) wraps the WSGI application in production: a hit is
  answered there, before Django builds a request or runs any middleware, for about the cost of
  one cache read.
* ``PageCacheServeMiddleware``, first in MIDDLEWARE, answers hits where there is no front
  (runserver, the test client) and stores the finished response, every header included (the
  security headers, CSP), when the inner half has found it storable.
* ``PageCacheMiddleware``, last of all, decides with the user and the response in hand what may
  be stored and what it depends on.

Served from the cache: GET and HEAD requests from visitors who are not signed in, for public
pages. Never stored: anything for a signed-in user or a visitor who has unlocked a
password-protected page, previews, the admin, responses that set a cookie or carry a CSRF
token (forms), responses marked private or no-store, and anything but a 200 to a GET.
Every cacheable request gets an ``X-Cache: hit`` or ``X-Cache: miss`` header.
"""

import hashlib
import logging
import time
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpResponse
from django.http.cookie import parse_cookie
from django.utils.cache import cc_delim_re, patch_cache_control

from pagecache import purge, tags

logger = logging.getLogger(__name__)

# The format of an entry is in the name: entries stored by an older release are never read.
ENTRY_PREFIX = "pagecache:page:v2:"
# Query strings that may be cached; any other query string bypasses the cache, so random
# parameters cannot fill it.
CACHEABLE_QUERY_PATHS = ("/search/",)
CACHEABLE_QUERY_PARAMS = {"query", "page"}
# Set in the WSGI environment by the front when it has looked the request up and missed, so that
# the middleware does not read the cache a second time.
LOOKED_UP = "pagecache.key"


def _excluded_prefixes():
    excluded = tuple(getattr(settings, "PAGE_CACHE_EXCLUDED_PATHS", ()))
    return excluded + tuple(p for p in (settings.STATIC_URL, settings.MEDIA_URL) if p)


def _scheme(environ):
    """request.scheme, read from the WSGI environment (it honours SECURE_PROXY_SSL_HEADER)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return environ.get("wsgi.url_scheme", "http")


def _raw_host(environ, scheme):
    """The host as Django's request.get_host() reads it, before validation. Pages are stored only
    after Django has validated the host, so an unknown host can never match a stored page."""
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
        return environ["HTTP_X_FORWARDED_HOST"]
    if "HTTP_HOST" in environ:
        return environ["HTTP_HOST"]
    host, port = environ.get("SERVER_NAME", ""), str(environ.get("SERVER_PORT", ""))
    return host if port == ("443" if scheme == "https" else "80") else f"{host}:{port}"


def may_be_served(environ):
    """Could this request get a shared cached page?

    Decided from the request alone, before sessions and authentication run: a session or
    messages cookie means a visitor who may be signed in, may have unlocked a
    password-protected page, or has a message waiting."""
    if not getattr(settings, "PAGE_CACHE_ENABLED", True):
        return False
    if environ.get("REQUEST_METHOD", "GET").upper() not in ("GET", "HEAD"):
        return False
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/")
    if path.startswith(_excluded_prefixes()):
        return False
    query = environ.get("QUERY_STRING", "")
    if query:
        if not path.startswith(CACHEABLE_QUERY_PATHS):
            return False
        names = {name for name, _ in parse_qsl(query, keep_blank_values=True)}
        if not names <= CACHEABLE_QUERY_PARAMS:
            return False
    cookie_header = environ.get("HTTP_COOKIE")
    if cookie_header:
        cookies = parse_cookie(cookie_header)
        if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
            return False
    return True


def cache_key(environ):
    """The cache key of a request that may get a shared cached page, or None if it may not.
    The key holds the scheme, so a page stored for https is never the answer to a plain-http
    request (which must be redirected)."""
    if not may_be_served(environ):
        return None
    scheme = _scheme(environ)
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/")
    raw = f"{scheme}://{_raw_host(environ, scheme)}{path}?{environ.get('QUERY_STRING', '')}"
    return ENTRY_PREFIX + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def is_current(entry):
    return entry["expires"] > time.time() and (
        tags.current_versions(entry["tags"]) == entry["tags"]
    )


def find(key):
    """The stored entry under ``key`` if every tag it showed is unchanged and it has not expired,
    else None. Raises if the cache is unreachable (the caller serves the page fresh)."""
    entry = tags.cache().get(key)
    if entry is None or not is_current(entry):
        return None
    return entry


def entry_for(response, versions, timeout):
    """What is stored of a finished response: status, headers and body, ready to send as is."""
    headers = [(name, value) for name, value in response.items() if name.lower() != "x-cache"]
    return {
        "tags": versions,
        "expires": time.time() + timeout,
        "status": response.status_code,
        "reason": response.reason_phrase,
        "headers": headers,
        "body": response.content,
    }


def request_is_cacheable(request):
    """The inner check, once sessions and authentication have run."""
    if not may_be_served(request.META):
        return False
    if request.user.is_authenticated:
        return False
    # A visitor who has typed a page password has per-session access: no shared cache for them.
    session = getattr(request, "session", None)
    return not (session is not None and session.get("passed_page_view_restrictions"))


def response_is_storable(request, response, collector):
    if collector.uncacheable or response.status_code != 200 or response.streaming:
        return False
    if request.method != "GET" or getattr(request, "is_preview", False):
        return False
    if response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    cache_control = {
        part.split("=")[0].strip().lower()
        for part in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    if cache_control & {"private", "no-store", "no-cache"}:
        return False
    return "Cookie" not in response.get("Vary", "") or not request.COOKIES


class PageCacheServeMiddleware:
    """The outer half, first in MIDDLEWARE: answers hits the front did not see (runserver, the
    test client) before anything else runs, and stores the finished response, with every header
    the middleware inside it added, when the inner half has found it storable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        environ = request.META
        looked_up = LOOKED_UP in environ
        key = environ[LOOKED_UP] if looked_up else cache_key(environ)
        if key is None:
            return self.get_response(request)

        if not looked_up:
            try:
                entry = find(key)
            except Exception:  # an unreachable cache means a slower page, never a broken one
                logger.exception("Page cache lookup failed for %s", request.path)
                return self.get_response(request)
            if entry is not None:
                response = HttpResponse(
                    entry["body"], status=entry["status"], reason=entry["reason"]
                )
                for name, value in entry["headers"]:
                    response[name] = value
                response["X-Cache"] = "hit"
                return response

        response = self.get_response(request)
        plan = getattr(request, "_pagecache_plan", None)
        if plan is not None and response.cookies:  # a cookie set on the way out: keep it private
            response["Cache-Control"] = "private, no-store"
            del response["xkey"]
        elif plan is not None:
            versions, timeout = plan
            try:
                tags.cache().set(key, entry_for(response, versions, timeout), timeout)
                purge.record_url(tags.cache(), versions, request.build_absolute_uri())
            except Exception:  # a full or unreachable cache must never break a page
                logger.exception("Could not store %s in the page cache", request.path)
        return response


def mark_shareable(response, versions, timeout):
    """The one decision, told to every cache in front: a shared cache (Varnish, a CDN) may keep
    this page ``timeout`` seconds and forget it when one of its tags (the ``xkey`` header, read
    by Varnish's xkey module; Fastly and Cloudflare read the same keys) is purged. Browsers
    revalidate every time (max-age=0), so a change is seen on the next request."""
    response["Cache-Control"] = (
        f"public, max-age=0, s-maxage={timeout}, "
        f"stale-while-revalidate={settings.PAGE_CACHE_STALE_SECONDS}"
    )
    response["xkey"] = " ".join(sorted(versions))


def mark_private(response):
    """Anything not marked shareable is kept by no proxy and no browser."""
    if not response.get("Cache-Control", "").startswith("public, max-age=0, s-maxage="):
        patch_cache_control(response, private=True, no_store=True)
        if "public" in response.get("Cache-Control", ""):
            response["Cache-Control"] = "private, no-store"


class PageCacheMiddleware:
    """The inner half, last of all: knows the signed-in user and the view's response, collects
    what the page depends on while it renders, and tells the outer half whether to store it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._respond(request)
        if not request.path.startswith(tuple(settings.PAGE_CACHE_OWN_HEADERS_PATHS)):
            mark_private(response)
        return response

    def _respond(self, request):
        if not request_is_cacheable(request):
            return self.get_response(request)

        started_at = time.time()
        collector, token = tags.start()
        try:
            response = self.get_response(request)
        finally:
            tags.stop(token)

        if response_is_storable(request, response, collector):
            timeout = collector.seconds_left(settings.PAGE_CACHE_SECONDS)
            try:
                versions = tags.versions_for_storing(collector.tags, started_at)
            except Exception:  # cache unreachable: serve the page, store nothing
                logger.exception("Page cache unreachable; not storing %s", request.path)
                versions = None
            if timeout > 0 and versions is not None:
                request._pagecache_plan = (versions, timeout)
                mark_shareable(response, versions, timeout)
        if response.status_code == 200:
            response["X-Cache"] = "miss"
        return response
