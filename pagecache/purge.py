"""Tell the caches in front that tags changed, after commit: Varnish by key (xkey), and the
URLs recorded for those tags where WAGTAILFRONTENDCACHE names a CDN that purges by URL
(Cloudflare, CloudFront). A failure is logged, never breaks a publish."""

import logging

import requests
from django.conf import settings

logger = logging.getLogger(__name__)
URLS_PREFIX = "pagecache:urls:"
MAX_URLS_PER_TAG = 500


def record_url(cache, tags, url):
    """Remember which URLs showed each tag (only needed for URL-purging CDNs)."""
    if not getattr(settings, "WAGTAILFRONTENDCACHE", None):
        return
    for tag in tags:
        urls = cache.get(URLS_PREFIX + tag) or []
        if url not in urls:
            cache.set(URLS_PREFIX + tag, [*urls, url][-MAX_URLS_PER_TAG:], None)


def purge(cache, tags):
    names = " ".join(sorted(tags))
    for url in getattr(settings, "VARNISH_PURGE_URLS", ()):
        try:
            requests.request("PURGE", url, headers={"xkey-purge": names}, timeout=2)
        except requests.RequestException:
            logger.exception("Could not purge %s in Varnish at %s", names, url)
    if getattr(settings, "WAGTAILFRONTENDCACHE", None):
        try:
            from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache

            urls = {u for tag in tags for u in cache.get(URLS_PREFIX + tag) or []}
            if urls:
                purge_urls_from_cache(sorted(urls))
        except Exception:
            logger.exception("Could not purge %s in the frontend cache", names)
