"""gunicorn's settings for this site; gunicorn reads this file from the project folder by itself
(`make serve`, `make bench` and the two-server test all start it from here).

Many threads, few renders: each worker has enough threads that a visitor asking for a cached
page always finds one free, even while register posts and uncached pages queue; but at most
RENDER_CONCURRENCY of those threads run Django at once (pagecache/wsgi.py), so a cached page
shares the interpreter with two renders at most, not with every thread.
"""

import os
import sys

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
SWITCH_INTERVAL_SECONDS = float(os.environ.get("GUNICORN_SWITCH_INTERVAL", 0.001))


def post_fork(server, worker):
    """A cached page holds the GIL for a fraction of a millisecond, but by default a thread
    waits up to 5 ms for it each time it comes back from the network while another thread of
    the worker is rendering (a register post, an uncached page). A shorter switch interval
    keeps cached pages quick while the worker is busy."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
