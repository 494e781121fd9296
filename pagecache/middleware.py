"""A full-page cache for anonymous visitors, with exact invalidation by tags (see tags.py).

Two halves: PageCacheServeMiddleware near the top of the stack answers hits and stores pages;
PageCacheMiddleware at the bottom decides, with the user and the response in hand, what may be
stored and what it depends on.

Served from the cache: GET and HEAD requests from visitors who are not signed in, for public
pages. Never stored: anything for a signed-in user or a visitor who has unlocked a
password-protected page, previews, the admin, responses that set a cookie or carry a CSRF
token (forms), responses marked private or no-store, and anything but a 200.
Every cacheable request gets an ``X-Cache: hit`` or ``X-Cache: miss`` header.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.utils.cache import cc_delim_re

from pagecache import tags

logger = logging.getLogger(__name__)

ENTRY_PREFIX = "pagecache:page:"
# Query strings that may be cached; any other query string bypasses the cache, so random
# parameters cannot fill it.
CACHEABLE_QUERY_PATHS = ("/search/",)
CACHEABLE_QUERY_PARAMS = {"query", "page"}


def _excluded_prefixes():
    return tuple(getattr(settings, "PAGE_CACHE_EXCLUDED_PATHS", ()))


def cache_key(request):
    raw = f"{request.get_host()}|{request.get_full_path()}"
    return ENTRY_PREFIX + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def request_may_be_served(request):
    """Could this request get a shared cached page? Decided from the request alone, before
    sessions and authentication run: a session or messages cookie means a visitor who may be
    signed in, may have unlocked a password-protected page, or has a message waiting."""
    if not getattr(settings, "PAGE_CACHE_ENABLED", True):
        return False
    if request.method not in ("GET", "HEAD"):
        return False
    if request.path.startswith(_excluded_prefixes()):
        return False
    if request.GET and (
        not request.path.startswith(CACHEABLE_QUERY_PATHS)
        or not set(request.GET) <= CACHEABLE_QUERY_PARAMS
    ):
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def request_is_cacheable(request):
    """The inner check, once sessions and authentication have run."""
    if not request_may_be_served(request):
        return False
    if request.user.is_authenticated:
        return False
    # A visitor who has typed a page password has per-session access: no shared cache for them.
    session = getattr(request, "session", None)
    return not (session is not None and session.get("passed_page_view_restrictions"))


def response_is_storable(request, response, collector):
    if collector.uncacheable or response.status_code != 200 or response.streaming:
        return False
    if getattr(request, "is_preview", False):
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
    """The outer half, placed just after WhiteNoise: answers from the cache before sessions,
    authentication and the rest of the stack run (as cheaply as a static file), and stores the
    finished response, with every header the middleware inside it added (CSP and the other
    security headers), when the inner half has found it storable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request_may_be_served(request):
            return self.get_response(request)

        key = cache_key(request)
        backend = tags.cache()
        try:
            entry = backend.get(key)
            if entry is not None and tags.current_versions(entry["tags"]) == entry["tags"]:
                response = entry["response"]
                response["X-Cache"] = "hit"
                return response
        except Exception:  # an unreachable cache means a slower page, never a broken one
            logger.exception("Page cache lookup failed for %s", request.path)
            return self.get_response(request)

        response = self.get_response(request)
        plan = getattr(request, "_pagecache_plan", None)
        if plan is not None and not response.cookies:
            versions, timeout = plan
            try:
                backend.set(key, {"tags": versions, "response": response}, timeout)
            except Exception:  # a full or unreachable cache must never break a page
                logger.exception("Could not store %s in the page cache", request.path)
        return response


class PageCacheMiddleware:
    """The inner half, last of all: knows the signed-in user and the view's response, collects
    what the page depends on while it renders, and tells the outer half whether to store it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
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
        if response.status_code == 200:
            response["X-Cache"] = "miss"
        return response
