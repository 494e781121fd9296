"""Send emails after the response has gone, so how long a page takes says nothing about them.

The password-reset page must answer an address with an account exactly as it answers one
without: same words, same status, and the same time. Rendering and sending the email (an SMTP
round trip in production) happens on a short-lived background thread instead of in the request.
Failures are logged, never shown: the visitor is told the same thing either way.
"""

import logging
import threading

from django.db import connections

logger = logging.getLogger(__name__)

THREAD_NAME = "accounts-outgoing-email"


def _run(jobs):
    try:
        for job in jobs:
            try:
                job()
            except Exception:
                logger.exception("Could not send an account email in the background")
    finally:
        # The thread's own database connections, if anything opened one.
        connections.close_all()


def send_in_background(jobs):
    """Run each callable in `jobs` (each sends one email) on a background thread."""
    if not jobs:
        return None
    thread = threading.Thread(target=_run, args=(list(jobs),), name=THREAD_NAME, daemon=False)
    thread.start()
    return thread
