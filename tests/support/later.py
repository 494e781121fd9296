"""Run a command of the site as if it were later: `python -m tests.support.later SECONDS
run_worker --once` runs the worker with its clock SECONDS ahead, in a process of its own.

A browser test schedules a change in Wagtail's dialog, which takes whole minutes; rather than
wait for that minute to come, it runs the worker in a process whose clock is past it."""

import datetime as dt
import sys


def main(seconds, *command):
    from django.utils import timezone

    real_now = timezone.now
    timezone.now = lambda: real_now() + dt.timedelta(seconds=seconds)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *command])


if __name__ == "__main__":
    main(float(sys.argv[1]), *sys.argv[2:])
