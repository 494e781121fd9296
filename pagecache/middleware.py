"""A full-page cache for anonymous visitors, with exact invalidation by tags (see tags.py).

``PageCacheMiddleware`` (last of all) applies the storability rules once: a shareable page is
marked ``public, max-age=0, s-maxage=…, stale-while-revalidate=…`` with an ``xkey`` header of
its tags, for a proxy in front (Varnish, a CDN); anything else ``private, no-store``. Without a
proxy, ``PageCacheServeMiddleware`` (first of all) answers hits before anything else runs and
stores shareable pages, every header included. Cacheable requests get ``X-Cache: hit|miss``.
"""

import hashlib
import logging
import time
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.utils.cache import cc_delim_re, patch_cache_control

from pagecache import purge, tags

logger = logging.getLogger(__name__)

# The format of an entry is in the name: entries stored by an older release are never read.
ENTRY_PREFIX = "pagecache:page:v3:"
# Only these query strings may be cached, so random parameters cannot fill the cache.
CACHEABLE_QUERY_PATHS = ("/search/",)
CACHEABLE_QUERY_PARAMS = {"query", "page"}


def may_be_served(request):
    """Could this request get a shared page? Decided before sessions and authentication run: a
    session or messages cookie means someone who may be signed in or has a message waiting."""
    if not settings.PAGE_CACHE_ENABLED or request.method not in ("GET", "HEAD"):
        return False
    excluded = (*settings.PAGE_CACHE_EXCLUDED_PATHS, settings.STATIC_URL, settings.MEDIA_URL)
    if request.path.startswith(tuple(p for p in excluded if p)):
        return False
    query = request.META.get("QUERY_STRING", "")
    if query and not (
        request.path.startswith(CACHEABLE_QUERY_PATHS)
        and {name for name, _ in parse_qsl(query, keep_blank_values=True)} <= CACHEABLE_QUERY_PARAMS
    ):
        return False
    return not ({settings.SESSION_COOKIE_NAME, "messages"} & request.COOKIES.keys())


def cache_key(request):
    """The key of a request that may get a shared page, else None. It holds the scheme and
    the validated host, so an https page never answers plain http and no unknown host matches."""
    if not may_be_served(request):
        return None
    try:
        raw = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    except DisallowedHost:
        return None  # Django answers it with a 400 below
    return ENTRY_PREFIX + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def find(key):
    entry = tags.cache().get(key)  # expires by itself after its timeout
    return entry if entry and tags.current_versions(entry["tags"]) == entry["tags"] else None


def response_is_storable(request, response, collector):
    """The storability rules (each has its test in tests/test_pagecache.py)."""
    if request.user.is_authenticated:
        return False
    # A visitor who typed a page password has access of their own.
    if request.session.get("passed_page_view_restrictions"):
        return False
    if collector.uncacheable or getattr(request, "is_preview", False):
        return False
    if request.method != "GET" or response.status_code != 200 or response.streaming:
        return False
    if response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    if request.session.modified:
        return False
    cache_control = {
        part.split("=")[0].strip().lower()
        for part in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    if cache_control & {"private", "no-store", "no-cache"}:
        return False
    return not ("cookie" in response.get("Vary", "").lower() and request.COOKIES)


def mark_shareable(response, versions, timeout):
    """Proxies keep it ``timeout`` seconds or until a tag is purged; browsers revalidate."""
    response["Cache-Control"] = (
        f"public, max-age=0, s-maxage={timeout}, "
        f"stale-while-revalidate={settings.PAGE_CACHE_STALE_SECONDS}"
    )
    response["xkey"] = " ".join(sorted(versions))


def mark_private(response):
    del response["xkey"]
    if response.get("Cache-Control", "").startswith("public"):
        del response["Cache-Control"]
    patch_cache_control(response, private=True, no_store=True)


class PageCacheServeMiddleware:
    """First of all: answers hits, and stores what the inner half found shareable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = cache_key(request)
        if key is None:
            return self.get_response(request)
        try:
            entry = find(key)
        except Exception:  # an unreachable cache means a slower page, never a broken one
            logger.exception("Page cache lookup failed for %s", request.path)
            entry = None
        if entry is not None:
            response = HttpResponse(entry["body"], status=entry["status"])
            for name, value in entry["headers"]:
                response[name] = value
            response["X-Cache"] = "hit"
            return response

        response = self.get_response(request)
        plan = getattr(request, "_pagecache_plan", None)
        if plan is not None and response.cookies:  # a cookie set on the way out
            mark_private(response)
        elif plan is not None:
            versions, timeout = plan
            headers = [(k, v) for k, v in response.items() if k.lower() != "x-cache"]
            entry = {
                "tags": versions,
                "status": response.status_code,
                "headers": headers,
                "body": response.content,
            }
            try:
                tags.cache().set(key, entry, timeout)
                purge.record_url(tags.cache(), versions, request.build_absolute_uri())
            except Exception:  # a full or unreachable cache must never break a page
                logger.exception("Could not store %s in the page cache", request.path)
        return response


class PageCacheMiddleware:
    """Last of all: collects the page's tags while it renders and decides if it is shareable.
    Responses under PAGE_CACHE_OWN_HEADERS_PATHS keep their own caching headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not may_be_served(request):
            response = self.get_response(request)
        else:
            response = self.render(request)
            if response.status_code == 200:
                response["X-Cache"] = "miss"
        shareable = getattr(request, "_pagecache_plan", None) is not None
        if not shareable and not request.path.startswith(settings.PAGE_CACHE_OWN_HEADERS_PATHS):
            mark_private(response)
        return response

    def render(self, request):
        started_at = time.time()
        collector, token = tags.start()
        try:
            response = self.get_response(request)
        finally:
            tags.stop(token)
        if not response_is_storable(request, response, collector):
            return response
        timeout = collector.seconds_left(settings.PAGE_CACHE_SECONDS)
        try:
            versions = tags.versions_for_storing(collector.tags, started_at)
        except Exception:  # cache unreachable: serve the page, store nothing
            logger.exception("Page cache unreachable; not storing %s", request.path)
            versions = None
        if timeout > 0 and versions is not None:
            request._pagecache_plan = (versions, timeout)
            mark_shareable(response, versions, timeout)
        return response
