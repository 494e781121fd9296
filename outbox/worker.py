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
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

logger = logging.getLogger(__name__)

PERIODIC = []  # [(seconds, dotted name, callable)]


def every(seconds):
    """Decorator: run the function from the worker loop at most once every `seconds`."""

    def register(func):
        PERIODIC.append((seconds, f"{func.__module__}.{func.__qualname__}", func))
        return func

    return register


class Loop:
    def __init__(self, *, interval=1.0, worker_id="worker"):
        self.interval = interval
        self.running = True
        self.last_run = {}
        self.worker_id = worker_id
        # django-tasks-db's own worker, used for what it does best: running one claimed task
        # and recording its result. The loop around it is ours (periodic jobs, no reload).
        self.worker = Worker(
            queue_names=["*"],
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

    def run_periodic(self, now):
        for seconds, name, func in PERIODIC:
            if now - self.last_run.get(name, float("-inf")) < seconds:
                continue
            self.last_run[name] = now
            try:
                func()
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                logger.exception("Periodic job %s failed", name)

    def next_task(self):
        """Claim the next ready task on the background queue, or None."""
        with exclusive_transaction():
            task_result = (
                DBTaskResult.objects.ready().filter(backend_name="background").get_locked()
            )
            if task_result is not None:
                task_result.claim(self.worker_id)
        return task_result

    def run_ready_tasks(self):
        ran = 0
        while self.running:
            task_result = self.next_task()
            if task_result is None:
                break
            self.worker.run_task(task_result)
            ran += 1
        return ran

    def run_once(self):
        """Due periodic jobs, then every ready task: one pass. Tests call it directly."""
        self.run_periodic(time.monotonic())
        return self.run_ready_tasks()

    def run_forever(self):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        logger.info("Worker started")
        while self.running:
            close_old_connections()
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - e.g. the database is down: wait and try again
                logger.exception("Worker pass failed; trying again shortly")
                close_old_connections()
            if self.running:
                time.sleep(self.interval)
        logger.info("Worker stopped")
