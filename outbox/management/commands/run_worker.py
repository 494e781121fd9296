"""Run the background worker: queued emails, document text, scheduled publishing."""

import os
import socket

from django.core.management.base import BaseCommand

from outbox.worker import Loop


class Command(BaseCommand):
    help = (
        "Run the background worker until stopped: send queued emails, read uploaded documents' "
        "text and run the periodic jobs (scheduled publishing, stale claims)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to wait when the queue is empty."
        )
        parser.add_argument(
            "--once", action="store_true", help="Run what is due and ready once, then exit."
        )

    def handle(self, *, interval, once, **options):
        loop = Loop(interval=interval, worker_id=f"{socket.gethostname()}-{os.getpid()}"[:64])
        if once:
            loop.run_once()
        else:
            loop.run_forever()
