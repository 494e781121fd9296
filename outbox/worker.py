"""The background worker: runs the "background" queue and the site's periodic jobs.

`manage.py run_worker` runs this loop: the periodic jobs that are due (each app registers its
own with `every()`), then every task that is ready, then a short sleep. Several workers may run
at once, on one server or many: tasks are claimed in the database, and each periodic job is
safe to run twice.
"""

import logging
import signal
import time

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

PERIODIC = []  # [(seconds, dotted name, callable)]


def every(seconds):
    """Decorator: run the function from the worker loop at most once every `seconds`."""

    def register(func):
        PERIODIC.append((seconds, f"{func.__module__}.{func.__qualname__}", func))
        return func

    return register


class Loop:
    def __init__(self, *, interval=1.0, worker_id="worker", queues=("*",)):
        self.interval = interval
        self.running = True
        self.last_run = {}
        self.worker = Worker(
            queue_names=list(queues),
            interval=0,
            batch=True,
            backend_name="background",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )

    def stop(self, *_args):
        self.running = False
        self.worker.running = False

    def run_periodic(self, now):
        for seconds, name, func in PERIODIC:
            if now - self.last_run.get(name, float("-inf")) < seconds:
                continue
            self.last_run[name] = now
            try:
                func()
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                logger.exception("Periodic job %s failed", name)
            finally:
                close_old_connections()

    def run_once(self):
        """Due periodic jobs, then every ready task. One pass; used by tests too."""
        self.run_periodic(time.monotonic())
        close_old_connections()
        self.worker.running = True
        self.worker.run()

    def run_forever(self):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        logger.info("Worker started")
        while self.running:
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - e.g. the database is down: wait and try again
                logger.exception("Worker pass failed; trying again shortly")
                close_old_connections()
            if self.running:
                time.sleep(self.interval)
        logger.info("Worker stopped")
