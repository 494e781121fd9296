"""Count every search for the admin's "Search terms" report, including those the page cache
answers without running the search view (this middleware sits outside the page cache).

Counts are gathered in memory and written in one go every SEARCH_HITS_FLUSH_SECONDS (and when
a worker exits), so a busy search page costs no database write per request. A worker that is
killed outright loses at most that many seconds of statistics.
"""

import atexit
import logging
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import DatabaseError
from django.db.models import F
from django.utils import timezone
from wagtail.contrib.search_promotions.models import Query, QueryDailyHits
from wagtail.search.utils import normalise_query_string

logger = logging.getLogger(__name__)

SEARCH_PATH = "/search/"

_pending = Counter()
_lock = threading.Lock()
_last_flush = time.monotonic()


def record_hits(query, date, count=1):
    """Add `count` hits for `query` on `date`: one UPDATE once the term has been seen that day."""
    try:
        counted = QueryDailyHits.objects.filter(
            query__query_string=normalise_query_string(query), date=date
        ).update(hits=F("hits") + count)
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


def count_hit(query):
    with _lock:
        _pending[(query, timezone.now().date())] += 1
        due = time.monotonic() - _last_flush >= settings.SEARCH_HITS_FLUSH_SECONDS
    if due:
        flush_hits()


atexit.register(flush_hits)


def count_search(params):
    """Count the search asked for by these query parameters: once per search, not once per page
    of its results, and nothing for an empty query."""
    from search.views import clean_query

    query = clean_query(params.get("query", ""))
    if query and params.get("page", "1") in ("", "1"):
        count_hit(query)


class SearchHitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and request.path == SEARCH_PATH:
            count_search(request.GET)
        return self.get_response(request)
