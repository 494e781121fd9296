"""gunicorn's settings for this site; gunicorn reads this file from the project folder by itself
(`make serve`, `make bench` and the two-server test all start it from here).

Threads let a worker answer a cached page while its other threads wait on the database (for
example during a burst of register posts), instead of queueing every visitor behind them.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle each worker now and then, so that a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = 2000
