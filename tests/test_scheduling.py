"""Scheduled publishing reaches visitors: the job runs in another process than the server, and
the server's very next answer carries the new text, under `make run` (runserver, development
settings) and under `make serve` (gunicorn, production settings without Redis).

The servers and the job share the test's database and one cache folder, as `make run` and
`make serve` share theirs with the worker they start.
"""

import datetime as dt
import time

import pytest
import requests
from django.utils import timezone

from tests.support.servers import Server, child_env, manage, production_env

# Real commits, so the servers see the test's pages; serialized_rollback restores the rows
# migrations made (the root page, groups) for the tests after these.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def start(kind, folder):
    """The server and the environment its scheduled job shares (database, cache folder)."""
    if kind == "runserver":
        env = child_env("config.settings.dev", CACHE_DIR=folder / "cache", PAGE_CACHE="on")
        return Server.runserver(env, folder / "server.log").start(), env
    env = production_env(folder, PAGE_CACHE="on", WEB_CONCURRENCY=2)
    return Server.gunicorn(env, folder / "server.log").start(), env


@pytest.mark.parametrize("kind", ["runserver", "gunicorn"])
def test_a_scheduled_change_goes_live_on_the_running_servers_next_request(
    make_focus_group, tmp_path, kind
):
    page = make_focus_group(n=0, summary="The old summary of the group.")
    server, env = start(kind, tmp_path)
    url = server.url + page.url
    try:
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
        manage(env, "publish_scheduled", timeout=120)
        answer = requests.get(url, timeout=10)
        assert "The new summary, published on schedule." in answer.text
    finally:
        server.stop()
