"""What a cached page depends on, and how a change reaches exactly the pages that show it.

While a response is rendered, code that reads something cacheable names it with a *tag*:
``page:<id>`` for a page whose title or content appears (the page itself, its ancestors in the
breadcrumbs, the pages in a listing), ``children:<id>`` for a listing of a page's children,
``document:<id>``, ``settings`` for the site settings, ``menu`` for the main navigation,
``register:<id>`` for a register's public counts, ``search`` for search results.

Each tag has a version number in the cache. A cached response remembers the versions of its
tags when it was stored; it is served only while all of them are unchanged. A change bumps the
versions of the tags it affects (see signals.py), so every response that showed it is stale at
once, on every server that shares the cache, and nothing else is touched.
"""

import contextvars
import datetime as dt
import logging
import secrets

from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

CACHE_ALIAS = "default"
VERSION_PREFIX = "pagecache:tag:"
# A tag every cached response carries (see versions_for_storing).
EVERYTHING = "everything"

_collector = contextvars.ContextVar("pagecache_collector", default=None)


class Collector:
    def __init__(self):
        self.tags = set()
        self.expires_at = None
        self.uncacheable = False

    def expire_at(self, moment):
        if moment is not None and (self.expires_at is None or moment < self.expires_at):
            self.expires_at = moment

    def seconds_left(self, default):
        if self.expires_at is None:
            return default
        left = int((self.expires_at - timezone.now()).total_seconds()) + 1
        return max(0, min(default, left))


def start():
    collector = Collector()
    token = _collector.set(collector)
    return collector, token


def stop(token):
    _collector.reset(token)


def add(*tags):
    """Record that the response being rendered shows what these tags name."""
    collector = _collector.get()
    if collector is not None:
        collector.tags.update(str(tag) for tag in tags if tag)


def expire_at(moment: dt.datetime | None):
    """The response being rendered changes by itself at this moment (a deadline passing)."""
    collector = _collector.get()
    if collector is not None:
        collector.expire_at(moment)


def never_cache_this():
    """The response being rendered must not be stored (personal or one-off content)."""
    collector = _collector.get()
    if collector is not None:
        collector.uncacheable = True


def cache():
    return caches[CACHE_ALIAS]


def current_versions(tags):
    """The version of each tag; a tag never bumped is at version 0."""
    if not tags:
        return {}
    keys = {VERSION_PREFIX + tag: tag for tag in tags}
    found = cache().get_many(list(keys))
    return {tag: found.get(key, 0) for key, tag in keys.items()}


def versions_for_storing(tags, started_at):
    """The tag versions to store with a response rendered since ``started_at``, or None if one
    of its tags changed while it was being rendered (it may show the old content then).

    Every response also carries the EVERYTHING tag, which is never at version 0 once something
    is stored: emptying the cache resets it, so every copy kept anywhere (the processes keep
    their own copies of recent pages) is stale at once."""
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


def invalidate(*tags, purge=True):
    """Bump each tag's version: every cached response that showed it becomes stale at once.
    A publish never fails because the cache is down. A bump that cannot be written is lost,
    and ``after_outage`` below makes up for it when the cache answers again."""
    if purge:
        from pagecache import purge as purging

        names = {str(t) for t in tags if t}
        transaction.on_commit(lambda: purging.purge(cache(), names))
    try:
        lost = _bump(tags)
    except Exception:  # a cache without the guard of pagecache/backends.py
        logger.exception("Could not invalidate %s: the page cache may serve stale pages", tags)
        return
    if lost:  # the backend has already warned once about the outage itself
        logger.info(
            "Could not invalidate %s: the cache is unreachable. Everything cached before is "
            "treated as stale once it answers again.",
            tags,
        )


def _bump(tags):
    """Give each tag a new random version. A plain write, not an increment: two servers bumping
    the same tag at the same moment can never both write the same value (as a read-then-write
    increment could in a cache without an atomic one), so no bump is ever lost.
    Returns the cache keys that could not be written."""
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
    outage, and it counts Redis as back only once this has succeeded.

    Invalidations sent while Redis was unreachable are lost, but whatever it still holds from
    before (it may have been frozen, or cut off from this server only) is kept. Bumping the
    EVERYTHING tag, which every stored page carries and every remembered object's key holds,
    makes all of it stale at once: this process's own copies, and every other server's, which
    read the same version. Its time stamp also stops a page that was being rendered during the
    outage from being stored with the old content. Wagtail keeps its site paths in the cache too,
    outside the tags: they are forgotten as well.

    Chosen over refusing to store during an outage because a lost bump is only known to the
    process that lost it: bumping when any process sees Redis come back covers the pages other
    servers stored before (at the cost of a cold page cache once per outage)."""
    from wagtail.models import Site

    lost = _bump([EVERYTHING])
    if lost:  # only without the guard's probe mode; there, a failure raises
        raise ConnectionError("the cache did not take the new generation")
    Site.clear_site_root_paths_cache()


def _fresh_version():
    """A version no response can have been stored with: 63 random bits (0 means never bumped)."""
    return secrets.randbits(63) or 1


def remember(name, depends_on, build, timeout=3600):
    """Keep ``build()``'s result in the cache until one of the tags it depends on changes.
    For small shared pieces (the menu, the site settings) that every page needs."""
    depends_on = sorted(depends_on)
    add(*depends_on)
    # EVERYTHING too: emptying the cache or an outage (after_outage) makes every object stale.
    read = [*depends_on, EVERYTHING]
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
