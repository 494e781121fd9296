"""Count every search for the admin's "Search terms" report, including those the page cache
Django's page cache answers (this middleware sits outside it). Searches Varnish answers are not
counted.

Counts go to Wagtail's own tables: one ``Query`` row per normalised search term and one
``QueryDailyHits`` row per term and day; nothing per search in the cache. They are gathered in
memory and written in one go every SEARCH_HITS_FLUSH_SECONDS, always from inside a request that
Django is handling (so the database connection is looked after as usual), never from the
front, which answers outside Django. At most MAX_PENDING_TERMS different terms wait in memory;
beyond that a new term is dropped until the next write. A worker that is killed outright loses
at most that many seconds of statistics.

Rows older than WAGTAILSEARCH_HITS_MAX_AGE days are deleted by the worker (search/tasks.py).
"""

import atexit
import logging
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import F
from django.utils import timezone
from wagtail.contrib.search_promotions.models import Query, QueryDailyHits
from wagtail.search.utils import normalise_query_string

logger = logging.getLogger(__name__)

SEARCH_PATH = "/search/"
MAX_PENDING_TERMS = 1000

_pending = Counter()
_lock = threading.Lock()
_last_flush = time.monotonic()


def record_hits(query, date, count=1):
    """Add `count` hits for `query` on `date`: one UPDATE once the term has been seen that day."""
    query = normalise_query_string(query)
    if not query:
        return
    try:
        counted = QueryDailyHits.objects.filter(query__query_string=query, date=date).update(
            hits=F("hits") + count
        )
        if not counted:
            query_object = Query.get(query)
            daily, _ = QueryDailyHits.objects.get_or_create(query=query_object, date=date)
            QueryDailyHits.objects.filter(pk=daily.pk).update(hits=F("hits") + count)
    except DatabaseError:  # a statistic must never cost a visitor their results
        logger.exception("Could not record hits for the search term %r", query)


def flush_hits():
    """Write the counts gathered so far."""
    global _last_flush
    with _lock:
        pending = list(_pending.items())
        _pending.clear()
        _last_flush = time.monotonic()
    for (query, date), count in pending:
        record_hits(query, date, count)


def _flush_at_exit():
    flush_hits()
    close_old_connections()


atexit.register(_flush_at_exit)


def note_hit(query):
    """Count one search in memory; True if it is time to write the counts."""
    key = (normalise_query_string(query), timezone.now().date())
    with _lock:
        if key in _pending or len(_pending) < MAX_PENDING_TERMS:
            _pending[key] += 1
        return (
            time.monotonic() - _last_flush >= settings.SEARCH_HITS_FLUSH_SECONDS
            or len(_pending) >= MAX_PENDING_TERMS
        )


def search_term(params):
    """The search these query parameters ask for, counted once per search (not once per page of
    its results), or None: nothing for an empty query."""
    from search.views import clean_query

    query = clean_query(params.get("query", ""))
    if query and params.get("page", "1") in ("", "1"):
        return query
    return None


class SearchHitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        due = False
        if request.method == "GET" and request.path == SEARCH_PATH:
            query = search_term(request.GET)
            if query:
                due = note_hit(query)
        if due or (_pending and self.flush_is_due()):
            flush_hits()
        return self.get_response(request)

    @staticmethod
    def flush_is_due():
        return time.monotonic() - _last_flush >= settings.SEARCH_HITS_FLUSH_SECONDS
