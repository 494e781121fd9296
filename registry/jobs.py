"""The register's periodic job, run by the background worker (outbox/worker.py)."""

import io

from django.core.management import call_command

from outbox.worker import every


@every(24 * 60 * 60)
def retention():
    """Daily: re-confirmation requests and deleting lapsed entries (safe to run twice)."""
    call_command("registry_retention", stdout=io.StringIO())
