"""The Redis cache backend: Django's own, made optional at run time.

Redis holds nothing that is not also somewhere else (pages, menus, tag versions, settings), so
an unreachable or slow Redis must cost speed, never a page. This subclass of Django's
``RedisCache`` therefore treats every failure as a miss: a read returns the default, a write
does nothing (``add`` and ``touch`` say False, ``set_many`` lists every key as not stored,
``incr`` answers as if the count had just started), and nothing raises.

A **circuit breaker**, one per process and Redis, keeps a dead or frozen Redis cheap: after a
failure every call skips Redis at once for ``RETRY_AFTER`` seconds; then one call (the others
still skip) tries again with the recovery hooks below. So a frozen Redis costs each process one
timeout (``socket_timeout``, a quarter of a second by default) every few seconds, not one per
cache call. One warning is logged when an outage begins and one when it ends.

**Recovery hooks** (``on_recovery``) run before Redis is used again after an outage. An
invalidation sent while Redis was unreachable is lost, so what Redis still holds from before
may be stale; the page cache registers a hook that makes all of it stale at once
(pagecache/tags.py). The hooks are also the probe: Redis counts as back only once every hook
has succeeded, so no read from a recovered Redis can come before them.

Only public APIs: the Django side through ``RedisCache``'s public methods and settings, the
Redis side through one redis-py client per process (thread-safe; its pool holds the
connections). Django's own client would build a new ``redis.Redis`` on every call, which costs
more than the round trip itself (about 0.2 ms: a cached page's whole budget). Values are
encoded by Django's ``RedisSerializer``, so entries written by Django's backend and this one
read the same. One server only (``LOCATION`` is one URL).

Options besides redis-py's own (``socket_connect_timeout``, ``socket_timeout``, ...):
``RETRY_AFTER`` (seconds, default 3).
"""

import logging
import threading
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisSerializer
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# What a Redis that is down, frozen, full or restarting raises. Anything else (a value that
# cannot be pickled) is a bug and is raised as usual.
UNAVAILABLE = (redis.exceptions.RedisError, OSError)

# Called as hook() before Redis is used again after an outage; cache calls made inside a hook
# go to Redis (the breaker lets them through) and any failure keeps the breaker open.
on_recovery = []

_probing = threading.local()


class Breaker:
    """Whether to try Redis at all. Shared by every thread of the process (Django gives each
    thread its own cache object, so this lives outside it)."""

    CLOSED, OPEN, PROBE = "closed", "open", "probe"

    def __init__(self, name, retry_after):
        self.name = name
        self.retry_after = retry_after
        self.lock = threading.Lock()
        self.down_since = None  # None: Redis is believed reachable
        self.retry_at = 0.0

    def state(self):
        if self.down_since is None:  # the common case costs no lock
            return self.CLOSED
        with self.lock:
            if self.down_since is None:
                return self.CLOSED
            now = time.monotonic()
            if now < self.retry_at:
                return self.OPEN
            # This caller probes; everyone else keeps skipping until it is done.
            self.retry_at = now + self.retry_after
            return self.PROBE

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

    def recovered(self):
        with self.lock:
            down_since, self.down_since = self.down_since, None
        if down_since is not None:
            logger.warning(
                "Redis (%s) reachable again after %.1f s; everything cached before the outage "
                "is treated as stale.",
                self.name,
                time.monotonic() - down_since,
            )


_shared = {}
_shared_lock = threading.Lock()


def _connection(url, options, retry_after):
    """The process's redis-py client and breaker for this configuration, made once."""
    key = (url, tuple(sorted(options.items())), retry_after)
    with _shared_lock:
        if key not in _shared:
            client = redis.Redis.from_url(url, **options)
            _shared[key] = (client, Breaker(url.split("@")[-1], retry_after))
        return _shared[key]


class GuardedRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        retry_after = float(options.pop("RETRY_AFTER", 3))
        super().__init__(server, {**params, "OPTIONS": options})
        servers = [s for s in (server.split(",") if isinstance(server, str) else server) if s]
        if len(servers) != 1:
            raise ImproperlyConfigured("GuardedRedisCache takes exactly one Redis URL.")
        self.client, self.breaker = _connection(servers[0], options, retry_after)
        self.serializer = RedisSerializer()

    # --- the guard ---

    def guarded(self, fallback, operation, *args):
        """``operation(*args)``, or ``fallback`` if Redis is unreachable or being skipped."""
        if getattr(_probing, "active", False):  # inside a recovery hook: failures count
            return operation(*args)
        state = self.breaker.state()
        if state == Breaker.OPEN or (state == Breaker.PROBE and not self.probe()):
            return fallback
        try:
            return operation(*args)
        except UNAVAILABLE as error:
            self.breaker.failed(error)
            return fallback

    def probe(self):
        """Try Redis again after an outage: the recovery hooks, or a ping without any."""
        _probing.active = True
        try:
            self.client.ping()
            for hook in on_recovery:
                hook()
        except Exception as error:  # noqa: BLE001 - a failing hook must keep Redis skipped
            if not isinstance(error, UNAVAILABLE):
                logger.exception("A cache recovery hook failed; Redis stays skipped")
            self.breaker.failed(error)
            return False
        finally:
            _probing.active = False
        self.breaker.recovered()
        return True

    # --- Django's cache API; each step as Django's RedisCacheClient does it ---

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        value = self.serializer.dumps(value)
        timeout = self.get_backend_timeout(timeout)

        def add():
            if timeout == 0:
                if stored := bool(self.client.set(key, value, nx=True)):
                    self.client.delete(key)
                return stored
            return bool(self.client.set(key, value, ex=timeout, nx=True))

        return self.guarded(False, add)

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        value = self.guarded(None, self.client.get, key)
        return default if value is None else self.serializer.loads(value)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        value = self.serializer.dumps(value)
        timeout = self.get_backend_timeout(timeout)
        if timeout == 0:
            self.guarded(None, self.client.delete, key)
        else:
            self.guarded(None, lambda: self.client.set(key, value, ex=timeout))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        if timeout is None:
            return bool(self.guarded(False, self.client.persist, key))
        return bool(self.guarded(False, self.client.expire, key, timeout))

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(self.guarded(0, self.client.delete, key))

    def get_many(self, keys, version=None):
        key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not key_map:
            return {}
        names = list(key_map)
        values = self.guarded(None, self.client.mget, names)
        if values is None:
            return {}
        return {
            key_map[name]: self.serializer.loads(value)
            for name, value in zip(names, values, strict=True)
            if value is not None
        }

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(self.guarded(0, self.client.exists, key))

    def incr(self, key, delta=1, version=None):
        """Raises ValueError for a missing key, as Django's does; while Redis is unreachable
        it answers ``delta``, as if the count had just begun (a rate limit is then lenient)."""
        key = self.make_and_validate_key(key, version=version)
        missing = object()

        def incr():
            if not self.client.exists(key):
                return missing
            return self.client.incr(key, delta)

        value = self.guarded(delta, incr)
        if value is missing:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        """The keys that could not be stored (every one while Redis is unreachable)."""
        if not data:
            return []
        safe = {
            self.make_and_validate_key(key, version=version): self.serializer.dumps(value)
            for key, value in data.items()
        }
        timeout = self.get_backend_timeout(timeout)

        def set_many():
            pipeline = self.client.pipeline()
            pipeline.mset(safe)
            if timeout is not None:
                for name in safe:
                    pipeline.expire(name, timeout)
            pipeline.execute()
            return []

        return self.guarded(list(data), set_many)

    def delete_many(self, keys, version=None):
        names = [self.make_and_validate_key(key, version=version) for key in keys]
        if names:
            self.guarded(None, self.client.delete, *names)

    def clear(self):
        """Empties the Redis database. Not guarded: whoever asks (`manage.py clear_page_cache`)
        must hear that it failed."""
        return bool(self.client.flushdb())
