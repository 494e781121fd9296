"""gunicorn's settings for this site; gunicorn reads this file from the project folder by itself
(`make serve`, `make bench` and the two-server test all start it from here).

Many threads, few renders: each worker has enough threads that a visitor asking for a cached
page always finds one free, even while register posts and uncached pages queue; but at most
RENDER_CONCURRENCY of those threads run Django at once (pagecache/wsgi.py), and at most
SERVER_RENDER_SLOTS across all the workers, so a burst of renders never takes every core.
"""

import os
import shutil
import sys
import tempfile

workers = int(os.environ.get("WEB_CONCURRENCY", 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 16))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle each worker now and then, so that a slow leak can never grow without bound. Rarely:
# a worker takes a second or two of CPU to start, so recycling every few thousand requests
# would slow a busy morning down for nothing (memory grows under 2% over 10,000 requests).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1_000_000))
max_requests_jitter = max_requests // 10
SWITCH_INTERVAL_SECONDS = float(os.environ.get("GUNICORN_SWITCH_INTERVAL", 0.0002))


def available_cores():
    """The cores this process may run on (a container's cpuset, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 2


# Requests running Django at once across all workers: by default one less than the cores, so a
# burst of register posts leaves a core for cached pages, static files and the database.
SERVER_RENDER_SLOTS = int(os.environ.get("SERVER_RENDER_SLOTS", max(1, available_cores() - 1)))


def on_starting(server):
    """The server-wide render slots are lock files in a folder of this server's own; the
    workers, forked from here, find it in their environment (pagecache/wsgi.py)."""
    if SERVER_RENDER_SLOTS > 0:
        server.render_lock_dir = tempfile.mkdtemp(prefix="bcis-render-slots-")
        os.environ["RENDER_LOCK_DIR"] = server.render_lock_dir
        os.environ["SERVER_RENDER_SLOTS"] = str(SERVER_RENDER_SLOTS)


def on_exit(server):
    lock_dir = getattr(server, "render_lock_dir", None)
    if lock_dir:
        shutil.rmtree(lock_dir, ignore_errors=True)


def post_fork(server, worker):
    """A cached page holds the GIL for a fraction of a millisecond, but by default a thread
    waits up to 5 ms for it each time it comes back from the network while another thread of
    the worker is rendering (a register post, an uncached page). A switch interval of 0.2 ms
    keeps cached pages quick while the worker is busy; renders lose a few per cent."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
