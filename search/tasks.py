"""The search app's periodic job, run by the worker (`manage.py run_worker`, outbox/worker.py)."""

from wagtail.contrib.search_promotions.models import Query, QueryDailyHits

from outbox.worker import every


@every(6 * 60 * 60)
def purge_old_search_counts():
    """What `manage.py searchpromotions_garbage_collect` (Wagtail's) does: daily search counts
    older than WAGTAILSEARCH_HITS_MAX_AGE days are deleted, then search terms left with no
    counts and no promoted results. Safe to run twice at once."""
    QueryDailyHits.garbage_collect()
    Query.garbage_collect()
