"""The rate limits' periodic job, run by the worker (manage.py run_worker)."""

from outbox.worker import every
from ratelimit.limits import purge_ended_windows

# Hourly: a counter whose window has ended is never read again.
every(60 * 60)(purge_ended_windows)
