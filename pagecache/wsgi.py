"""The page cache's front door: a WSGI wrapper that answers hits before Django runs at all.

A hit costs one read of its tags' versions from the shared cache (the page itself is kept in
the process after its first hit); no request object, middleware, session, URL resolution or
database. What is sent is exactly what Django sent when it stored the page (status, every
header, body), plus ``X-Cache: hit``. Anything else, or any doubt (an unreachable cache), goes
to Django, which then does not read the cache again.

Requests that go to Django take one of RENDER_CONCURRENCY slots per process first (a bulkhead):
a burst of register posts or uncached pages queues for a slot instead of all competing at once
for the interpreter, so cached pages, which never take a slot, stay fast during the burst.

config/wsgi.py wraps the application with it, so gunicorn serves through it in production. The
rules for what may be served are PageCacheServeMiddleware's, from pagecache/middleware.py.
"""

import logging
import threading

from django.conf import settings
from django.http import QueryDict

from pagecache.middleware import LOOKED_UP, cache_key, find
from search.middleware import SEARCH_PATH, count_search

logger = logging.getLogger(__name__)


class PageCacheFront:
    def __init__(self, application, render_concurrency=None):
        self.application = application
        slots = render_concurrency or getattr(settings, "RENDER_CONCURRENCY", 0)
        self.render_slots = threading.BoundedSemaphore(slots) if slots else None

    def render(self, environ, start_response):
        if self.render_slots is None:
            return self.application(environ, start_response)
        with self.render_slots:
            return self.application(environ, start_response)

    def __call__(self, environ, start_response):
        try:
            key = cache_key(environ)
            entry = find(key) if key is not None else None
        except Exception:  # an unreachable cache means a slower page, never a broken one
            logger.exception("Page cache lookup failed for %s", environ.get("PATH_INFO"))
            return self.render(environ, start_response)
        if entry is None:
            if key is not None:
                environ[LOOKED_UP] = key
            return self.render(environ, start_response)

        method = environ["REQUEST_METHOD"].upper()
        if environ.get("PATH_INFO") == SEARCH_PATH and method == "GET":
            count_search(QueryDict(environ.get("QUERY_STRING", "")))
        start_response(
            f"{entry['status']} {entry['reason']}", [*entry["headers"], ("X-Cache", "hit")]
        )
        return [] if method == "HEAD" else [entry["body"]]
