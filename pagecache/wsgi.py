"""The page cache's front door: a WSGI wrapper that answers hits before Django runs at all.

A hit costs one read of its tags' versions from the shared cache (the page itself is kept in
the process after its first hit); no request object, middleware, session, URL resolution or
database. What is sent is exactly what Django sent when it stored the page (status, every
header, body), plus ``X-Cache: hit``. Anything else, or any doubt (an unreachable cache), goes
to Django, which then does not read the cache again.

Renders are kept from crowding out cached pages in three ways (a bulkhead):

* in each process, Django runs on RENDER_CONCURRENCY threads only; a burst of register posts or
  uncached pages queues for them instead of all competing at once for the interpreter;
* across every process of the server, at most SERVER_RENDER_SLOTS requests run Django at once
  (gunicorn.conf.py sets it to one less than the number of cores), so a burst never takes the
  last core: that one stays free for cached pages, static files and the database;
* render threads may run at a lower CPU priority (RENDER_NICENESS).

Cached pages and static files never wait for any of these.

config/wsgi.py wraps the application with it, so gunicorn serves through it in production. The
rules for what may be served are PageCacheServeMiddleware's, from pagecache/middleware.py.
"""

import contextlib
import fcntl
import logging
import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings

from pagecache.middleware import LOOKED_UP, cache_key, find

logger = logging.getLogger(__name__)

# Called as listener(environ) for every request the front answers from the cache, before Django
# would have seen it (the search app counts searches this way). A listener must be quick and
# must not use the database: it runs outside Django's request handling.
hit_listeners = []


class ServerSlots:
    """At most ``count`` renders at once across every process that shares ``directory``.

    Each slot is a lock file held with flock(2) while Django runs. The kernel releases a lock
    when its holder dies, so a worker killed mid-render never loses a slot for good.
    """

    def __init__(self, directory, count):
        self.paths = [Path(directory) / f"render-{n}.lock" for n in range(count)]
        self._local = threading.local()

    def _descriptors(self):
        descriptors = getattr(self._local, "descriptors", None)
        if descriptors is None:  # one set per thread: flock excludes other threads too
            descriptors = [os.open(path, os.O_RDWR | os.O_CREAT, 0o600) for path in self.paths]
            self._local.descriptors = descriptors
        return descriptors

    @contextlib.contextmanager
    def held(self):
        descriptors = self._descriptors()
        order = random.sample(descriptors, len(descriptors))
        for descriptor in order:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                continue
        else:  # every slot busy: wait for one (the wait releases the interpreter lock)
            descriptor = order[0]
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


class RenderPool:
    """The threads of this process that run Django: at most ``size`` at once, each ``niceness``
    steps below the CPU priority of the threads answering cached pages.

    Linux keeps a nice value per thread, so only these threads are lowered; where the system
    refuses (another OS, a container that forbids it), they run at the usual priority. The
    threads are started on first use in each process, so a pool made before gunicorn forks its
    workers is never shared between them.
    """

    def __init__(self, size, niceness=0):
        self.size = size
        self.niceness = niceness
        self._lock = threading.Lock()
        self._executor = None
        self._pid = None

    def _lower_priority(self):
        if not self.niceness:
            return
        thread = threading.get_native_id()
        try:
            now = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(19, now + self.niceness))
        except (AttributeError, OSError) as error:
            logger.warning("Render threads keep the usual CPU priority: %s", error)

    def _threads(self):
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._executor = ThreadPoolExecutor(
                        self.size, thread_name_prefix="render", initializer=self._lower_priority
                    )
                    self._pid = os.getpid()
        return self._executor

    def run(self, function, *args):
        """Run ``function(*args)`` on a render thread, waiting for one to be free."""
        return self._threads().submit(function, *args).result()


def server_slots_from_settings():
    count = getattr(settings, "SERVER_RENDER_SLOTS", 0)
    directory = getattr(settings, "RENDER_LOCK_DIR", "")
    if count and directory:
        return ServerSlots(directory, count)
    return None


class PageCacheFront:
    def __init__(
        self, application, render_concurrency=None, render_niceness=None, server_slots=None
    ):
        self.application = application
        slots = render_concurrency or getattr(settings, "RENDER_CONCURRENCY", 0)
        if render_niceness is None:
            render_niceness = getattr(settings, "RENDER_NICENESS", 0)
        self.render_pool = RenderPool(slots, render_niceness) if slots else None
        if server_slots is None:
            server_slots = server_slots_from_settings()
        self.server_slots = server_slots
        self.static_prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else None

    def _render_whole(self, environ, start_response):
        """Django's answer, in full when it is an ordinary page: rendering, reading the body and
        closing the response (Django's end-of-request signal) all happen on the render thread;
        an answer to HEAD keeps its headers and loses its body. A streamed answer (a document
        download) is handed back to be sent as it is read."""
        with self.server_slots.held() if self.server_slots else contextlib.nullcontext():
            response = self.application(environ, start_response)
            if getattr(response, "streaming", True) is not False:
                return response
            try:
                body = b"".join(response)
            finally:
                response.close()
            return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def render(self, environ, start_response):
        if self.static_prefix and environ.get("PATH_INFO", "").startswith(self.static_prefix):
            # WhiteNoise answers from its first middleware: as cheap as a cached page.
            return self.application(environ, start_response)
        if self.render_pool is None:
            return self._render_whole(environ, start_response)
        return self.render_pool.run(self._render_whole, environ, start_response)

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
        for listener in hit_listeners:
            try:
                listener(environ)
            except Exception:  # a statistic must never cost a visitor their page
                logger.exception("Page cache hit listener %r failed", listener)
        start_response(
            f"{entry['status']} {entry['reason']}", [*entry["headers"], ("X-Cache", "hit")]
        )
        return [] if method == "HEAD" else [entry["body"]]
