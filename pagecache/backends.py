"""Django's own ``RedisCache``, made optional at run time: Redis holds only copies, so an
unreachable or slow Redis costs speed, never a page. A failure counts as a miss (a read gives
the default, a write does nothing, ``set_many`` lists every key as not stored, ``incr`` answers
as if the count had just begun) and raises nothing.

A circuit breaker per process and Redis keeps a dead or frozen Redis cheap: after a failure,
calls skip Redis for ``RETRY_AFTER`` seconds (option, default 3), then one call tries it again
and first makes everything kept from before stale (``tags.after_outage``: invalidations sent
meanwhile were lost). One warning when an outage begins, one when it ends. Timeouts are
redis-py's ``socket_connect_timeout`` and ``socket_timeout`` options.
"""

import logging
import threading
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

from pagecache import tags

logger = logging.getLogger(__name__)

# What a Redis that is down, frozen, full or restarting raises; anything else is a bug.
UNAVAILABLE = (redis.exceptions.RedisError, OSError)

_breakers = {}
_recovering = threading.local()


class Breaker:
    """Whether to try Redis at all; shared by the process's threads (each has its own cache)."""

    def __init__(self, name, retry_after):
        self.name, self.retry_after = name, retry_after
        self.lock = threading.Lock()
        self.down_since = None  # None: Redis is believed reachable
        self.retry_at = 0.0

    def may_try(self, probe):
        """True if Redis is up, or if this caller is the one to try it again and succeeds."""
        if self.down_since is None:
            return True
        with self.lock:
            if self.down_since is None or time.monotonic() < self.retry_at:
                return self.down_since is None
            self.retry_at = time.monotonic() + self.retry_after
        _recovering.active = True
        try:
            probe()
            tags.after_outage()
        except Exception as error:  # noqa: BLE001 - Redis stays skipped whatever went wrong
            if not isinstance(error, UNAVAILABLE):
                logger.exception("Making the cache stale after an outage failed")
            self.failed(error)
            return False
        finally:
            _recovering.active = False
        logger.warning(
            "Redis (%s) reachable again after %.1f s; everything cached before the outage "
            "is treated as stale.",
            self.name,
            time.monotonic() - self.down_since,
        )
        self.down_since = None
        return True

    def failed(self, error):
        with self.lock:
            first = self.down_since is None
            if first:
                self.down_since = time.monotonic()
            self.retry_at = time.monotonic() + self.retry_after
        if first:
            logger.warning(
                "Redis (%s) unreachable: %s. The cache is skipped (pages are rendered afresh) "
                "and retried every %s s.",
                self.name,
                error or type(error).__name__,
                self.retry_after,
            )


class GuardedRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        retry_after = float(options.pop("RETRY_AFTER", 3))
        super().__init__(server, {**params, "OPTIONS": options})
        name = str(server).split("@")[-1]
        # One per process and Redis (dict.setdefault is atomic: every thread gets the same).
        self.breaker = _breakers.setdefault((name, retry_after), Breaker(name, retry_after))

    def guarded(self, fallback, call, *args, **kwargs):
        """``call(*args, **kwargs)``, or ``fallback`` if Redis is unreachable or skipped."""
        if getattr(_recovering, "active", False):
            return call(*args, **kwargs)
        if not self.breaker.may_try(lambda: self.has_key("probe")):
            return fallback
        try:
            return call(*args, **kwargs)
        except UNAVAILABLE as error:
            self.breaker.failed(error)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self.guarded(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self.guarded(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self.guarded(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self.guarded(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self.guarded(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self.guarded({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self.guarded(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        """While Redis is unreachable: ``delta``, as if the count had just begun."""
        return self.guarded(delta, super().incr, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        """The keys that could not be stored (every one while Redis is unreachable)."""
        return self.guarded(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        self.guarded(None, super().delete_many, keys, version)

    # clear() is not guarded: whoever asks (`manage.py clear_page_cache`) must hear it failed.
