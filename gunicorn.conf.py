"""gunicorn's settings for this site (gunicorn reads this file from the project folder).
Plain threads; cached pages are answered by Varnish in front (make serve-proxy)."""

import os
from pathlib import Path

workers = int(os.environ.get("WEB_CONCURRENCY", 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1_000_000))
graceful_timeout = 30
keepalive = 5
# The control socket in this server's own folder, so two servers on one machine never share one.
control_socket = str(Path(__file__).resolve().parent / "var" / f"gunicorn-{os.getpid()}.ctl")
Path(control_socket).parent.mkdir(exist_ok=True)
