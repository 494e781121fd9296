"""Scheduled publishing reaches visitors: the job runs in another process than the server, and
the server's very next answer carries the new text, under `make run` (runserver, development
settings) and under `make serve` (gunicorn, production settings without Redis).

The servers and the job share the test's database and one cache folder, as `make run` and
`make serve` share theirs with the worker they start.
"""

import datetime as dt
import socket
import subprocess
import sys
import time

import pytest
import requests
from django.utils import timezone

from tests.support.processes import ROOT, environment

# Real commits, so the servers see the test's pages; serialized_rollback restores the rows
# migrations made (the root page, groups) for the tests after these.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url, server):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server stopped"
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


def start(kind, env, port, log):
    if kind == "runserver":
        command = ["manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    else:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
        command = ["-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "-w", "2"]
    return subprocess.Popen(
        [sys.executable, *command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


@pytest.mark.parametrize(
    "kind,settings_module",
    [("runserver", "config.settings.dev"), ("gunicorn", "config.settings.production")],
)
def test_a_scheduled_change_goes_live_on_the_running_servers_next_request(
    make_focus_group, tmp_path, kind, settings_module
):
    page = make_focus_group(n=0, summary="The old summary of the group.")
    env = environment(settings_module, tmp_path / "cache", tmp_path / "static")
    port = free_port()
    url = f"http://127.0.0.1:{port}{page.url}"
    with open(tmp_path / "server.log", "w") as log:
        server = start(kind, env, port, log)
        try:
            wait_until_up(url, server)
            requests.get(url, timeout=10)
            cached = requests.get(url, timeout=10)
            assert cached.headers.get("X-Cache") == "hit"
            assert "The old summary of the group." in cached.text

            # An editor schedules a change a moment ahead ("Go live at").
            page.refresh_from_db()
            page.summary = "The new summary, published on schedule."
            page.go_live_at = timezone.now() + dt.timedelta(seconds=2)
            page.save_revision().publish()
            page.refresh_from_db()
            assert page.has_unpublished_changes
            assert "The old summary" in requests.get(url, timeout=10).text  # not yet

            time.sleep(2.5)
            subprocess.run(
                [sys.executable, "manage.py", "publish_scheduled"],
                cwd=ROOT,
                env=env,
                check=True,
                timeout=120,
                capture_output=True,
            )
            answer = requests.get(url, timeout=10)
            assert "The new summary, published on schedule." in answer.text
        finally:
            server.terminate()
            server.wait(timeout=30)
