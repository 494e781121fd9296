"""Site-wide jobs the background worker runs (outbox/worker.py)."""

import io

from django.core.management import call_command

from outbox.worker import every


@every(60)
def publish_scheduled():
    """Wagtail's scheduled publishing, unpublishing and expiry, every minute: no cron needed,
    under `make run` or in production, as long as a worker runs."""
    call_command("publish_scheduled", stdout=io.StringIO())
