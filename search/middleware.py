"""Count every search for the admin's "Search terms" report, including those the page cache
answers without running the search view (this middleware sits outside the page cache)."""

import logging

from django.db import DatabaseError
from django.db.models import F
from django.utils import timezone
from wagtail.contrib.search_promotions.models import Query, QueryDailyHits
from wagtail.search.utils import normalise_query_string

logger = logging.getLogger(__name__)

SEARCH_PATH = "/search/"


def record_hit(query):
    """Query.get(query).add_hit(), in one UPDATE once the term has been seen today."""
    try:
        today = timezone.now().date()
        counted = QueryDailyHits.objects.filter(
            query__query_string=normalise_query_string(query), date=today
        ).update(hits=F("hits") + 1)
        if not counted:
            Query.get(query).add_hit(date=today)
    except DatabaseError:  # a statistic must never cost a visitor their results
        logger.exception("Could not record a hit for the search term %r", query)


class SearchHitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and request.path == SEARCH_PATH:
            from search.views import clean_query

            query = clean_query(request.GET.get("query", ""))
            # Once per search, not once per page of its results.
            if query and request.GET.get("page", "1") in ("", "1"):
                record_hit(query)
        return self.get_response(request)
