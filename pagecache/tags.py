"""What a cached page depends on, and how a change reaches exactly the pages that show it.

While a response is rendered, code that reads something cacheable names it with a *tag*:
``page:<id>`` (the page, its ancestors in breadcrumbs, pages in a listing), ``children:<id>``
(a listing of a page's children), ``document:<id>``, ``settings``, ``menu``, ``register:<id>``
(a register's public counts), ``search``. Each tag has a version in the cache; a stored
response is served only while the versions it was stored with are unchanged. A change bumps
the versions of the tags it affects (signals.py): every response that showed it is stale at
once, on every server sharing the cache, and nothing else is touched.
"""

import contextvars
import logging
import secrets

from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from pagecache import purge

logger = logging.getLogger(__name__)

VERSION_PREFIX = "pagecache:tag:"
# A tag every cached response carries (see versions_for_storing).
EVERYTHING = "everything"

_collector = contextvars.ContextVar("pagecache_collector", default=None)


class Collector:
    """What the response being rendered depends on, when it expires, and whether it is
    personal (never stored)."""

    def __init__(self):
        self.tags, self.expires_at, self.uncacheable = set(), None, False

    def seconds_left(self, default):
        if self.expires_at is None:
            return default
        left = int((self.expires_at - timezone.now()).total_seconds()) + 1
        return max(0, min(default, left))


def start():
    collector = Collector()
    return collector, _collector.set(collector)


def stop(token):
    _collector.reset(token)


def add(*tags):
    """Record that the response being rendered shows what these tags name."""
    if collector := _collector.get():
        collector.tags.update(str(tag) for tag in tags if tag)


def expire_at(moment):
    """The response being rendered changes by itself at this moment (a deadline passing)."""
    collector = _collector.get()
    if collector and moment and (collector.expires_at is None or moment < collector.expires_at):
        collector.expires_at = moment


def never_cache_this():
    """The response being rendered must not be stored (personal or one-off content)."""
    if collector := _collector.get():
        collector.uncacheable = True


def cache():
    return caches["default"]


def current_versions(tags):
    """The version of each tag; a tag never bumped is at version 0."""
    if not tags:
        return {}
    keys = {VERSION_PREFIX + tag: tag for tag in tags}
    found = cache().get_many(list(keys))
    return {tag: found.get(key, 0) for key, tag in keys.items()}


def versions_for_storing(tags, started_at):
    """The tag versions to store with a response rendered since ``started_at``, or None if one
    of its tags changed while it was being rendered (it may show the old content then). Every
    response also carries EVERYTHING, never at version 0 once something is stored: emptying
    the cache (or ``after_outage``) makes everything stored stale at once."""
    if cache().get(VERSION_PREFIX + EVERYTHING) is None:
        cache().add(VERSION_PREFIX + EVERYTHING, _fresh_version(), timeout=None)
    tags = {*tags, EVERYTHING}
    version_keys = {VERSION_PREFIX + tag: tag for tag in tags}
    stamp_keys = {VERSION_PREFIX + tag + ":at": tag for tag in tags}
    found = cache().get_many([*version_keys, *stamp_keys])
    if any(found.get(key, 0) >= started_at for key in stamp_keys):
        return None
    if not found.get(VERSION_PREFIX + EVERYTHING):  # the cache did not answer: store nothing
        return None
    return {tag: found.get(key, 0) for key, tag in version_keys.items()}


def invalidate(*tags, send_purge=True):
    """Bump each tag's version: every cached response that showed it is stale at once. Never
    fails a publish: a bump the cache cannot take is lost, and ``after_outage`` makes up for it."""
    if send_purge:
        names = {str(t) for t in tags if t}
        transaction.on_commit(lambda: purge.purge(cache(), names))
    try:
        if _bump(tags):  # the backend has warned about the outage; after_outage makes up
            logger.info("Could not invalidate %s: the cache is unreachable.", tags)
    except Exception:  # a cache without the guard of pagecache/backends.py
        logger.exception("Could not invalidate %s: the page cache may serve stale pages", tags)


def _bump(tags):
    """Give each tag a new random version (a plain write: unlike a read-then-write increment,
    two servers bumping at once never write the same value). Returns the keys not written."""
    names = {str(t) for t in tags if t}
    if not names:
        return []
    backend = cache()
    lost = backend.set_many({VERSION_PREFIX + tag: _fresh_version() for tag in names}, timeout=None)
    now = timezone.now().timestamp()
    lost += backend.set_many({VERSION_PREFIX + tag + ":at": now for tag in names}, timeout=3600)
    return lost


def after_outage():
    """Run by the Redis backend (pagecache/backends.py) before it uses Redis again after an
    outage: invalidations sent meanwhile were lost, so everything Redis kept from before is made
    stale by bumping EVERYTHING (every stored page and remembered object carries it; its time
    stamp also stops a page rendered during the outage from being stored). Wagtail's site
    paths, kept in the cache outside the tags, are forgotten too."""
    from wagtail.models import Site

    if _bump([EVERYTHING]):
        raise ConnectionError("the cache did not take the new generation")
    Site.clear_site_root_paths_cache()


def _fresh_version():
    """A version no response can have been stored with: 63 random bits (0 means never bumped)."""
    return secrets.randbits(63) or 1


def remember(name, depends_on, build, timeout=3600):
    """Keep ``build()``'s result (the menu, the site settings...) in the cache until one of the
    tags it depends on, or EVERYTHING, changes."""
    add(*depends_on)
    read = [*sorted(depends_on), EVERYTHING]
    try:
        versions = current_versions(read)
        key = "pagecache:obj:" + name + ":" + ",".join(f"{t}={versions[t]}" for t in read)
        value = cache().get(key)
    except Exception:  # an unreachable cache costs a query, never the page
        logger.exception("Cache unreachable; building %s afresh", name)
        return build()
    if value is None:
        value = build()
        try:
            cache().set(key, value, timeout)
        except Exception:
            logger.exception("Could not cache %s", name)
    return value
