"""Redis is optional at run time: stopped, frozen or cut off, it costs speed, never a page.

Every test starts a Redis of its own (a free port, a temporary folder, no persistence) and
stops, freezes (SIGSTOP) or cuts it off as it needs; the shared Redis on 6379 is never touched.
Unit tests check the cache backend (pagecache/backends.py) on its own; page tests run the site
in this process with the page cache on; the last tests run the production settings under
gunicorn, as the outage was first seen.
"""

import contextlib
import logging
import os
import socket
import threading
import time
import uuid

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.cache import cache as default_cache
from wagtail.models import Site
from wagtail.models.sites import SITE_ROOT_PATHS_CACHE_KEY, SITE_ROOT_PATHS_CACHE_VERSION

from pagecache import tags
from pagecache.backends import GuardedRedisCache
from tests.conftest import register_post_data
from tests.support.forms import fill_form, find_post_form, looks_rejected
from tests.support.servers import (
    RedisServer,
    Server,
    free_port,
    manage,
    postgres_database,
    production_env,
)

TIMEOUT = 0.25  # the connect and read timeouts the site uses by default
RETRY_AFTER = 1.0  # shorter than the site's 3 s, so the tests wait less
MAX_ANSWER_SECONDS = 2.0

needs_redis_server = pytest.mark.skipif(
    not any(
        os.access(os.path.join(folder, "redis-server"), os.X_OK)
        for folder in os.environ.get("PATH", "").split(os.pathsep)
    ),
    reason="needs the redis-server program",
)
pytestmark = needs_redis_server


class CutProxy:
    """A TCP relay between the site and Redis that can be cut, as a network fault would: while
    cut, every connection is closed at once and nothing reaches Redis, which keeps its data."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.cut = False
        self.sockets = set()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self):
        while True:
            try:
                incoming, _ = self.listener.accept()
            except OSError:
                return
            if self.cut:
                incoming.close()
                continue
            outgoing = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.sockets.update({incoming, outgoing})
            for source, sink in ((incoming, outgoing), (outgoing, incoming)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if self.cut:
                    break
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut_off(self):
        self.cut = True
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self.sockets.clear()

    def restore(self):
        self.cut = False

    def close(self):
        self.listener.close()
        self.cut_off()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def guarded_cache_settings(url):
    return {
        "default": {
            "BACKEND": "pagecache.backends.GuardedRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"outage-{uuid.uuid4().hex[:8]}",
            "TIMEOUT": 600,
            "OPTIONS": {
                "socket_connect_timeout": TIMEOUT,
                "socket_timeout": TIMEOUT,
                "RETRY_AFTER": RETRY_AFTER,
            },
        }
    }


@contextlib.contextmanager
def site_cache_at(settings, url):
    """The site's cache pointed at ``url``, with the page cache on; put back afterwards (before
    the Redis goes away, so the shared fixtures' clean-up does not meet a dead one)."""
    previous = settings.CACHES
    settings.CACHES = guarded_cache_settings(url)
    settings.PAGE_CACHE_ENABLED = True
    try:
        yield
    finally:
        settings.CACHES = previous


@pytest.fixture
def site_on_redis(settings, redis_server):
    with site_cache_at(settings, redis_server.url):
        yield redis_server


def backend(url, retry_after=RETRY_AFTER):
    return GuardedRedisCache(
        url,
        {
            "KEY_PREFIX": f"unit-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {
                "socket_connect_timeout": TIMEOUT,
                "socket_timeout": TIMEOUT,
                "RETRY_AFTER": retry_after,
            },
        },
    )


def timed(function, *args, **kwargs):
    started = time.monotonic()
    result = function(*args, **kwargs)
    return result, time.monotonic() - started


# --- the backend on its own ---


def test_an_unreachable_redis_reads_as_a_miss_and_no_write_raises():
    cache = backend(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    assert cache.get("page") is None
    assert cache.get("page", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set("page", {"body": b"x"}, 60) is None
    assert cache.add("page", 1) is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]  # neither was stored
    assert cache.incr("count") == 1 and cache.decr("count") == -1
    assert cache.delete("page") is False
    assert cache.delete_many(["a", "b"]) is None
    assert cache.touch("page") is False and cache.has_key("page") is False
    assert cache.get_or_set("menu", lambda: ["built"]) == ["built"]


def test_a_frozen_redis_costs_one_short_timeout_then_is_skipped(redis_server):
    cache = backend(redis_server.url)
    cache.set("page", "stored")
    redis_server.freeze()
    try:
        value, first = timed(cache.get, "page")
        assert value is None and first < 1.0  # one timeout, well under a second
        _, many = timed(lambda: [cache.get_many(["page", "tag"]) for _ in range(50)])
        assert many < TIMEOUT  # the breaker skips Redis: no call waits for it
    finally:
        redis_server.thaw()


def test_the_breaker_tries_redis_again_after_a_pause_and_uses_it_once_it_answers(redis_server):
    cache = backend(redis_server.url)
    cache.set("page", "stored")
    redis_server.freeze()
    try:
        assert cache.get("page") is None
    finally:
        redis_server.thaw()
    assert cache.get("page") is None  # Redis answers again, but the pause has not ended
    time.sleep(RETRY_AFTER + 0.1)
    assert cache.get("page") == "stored"


def test_an_outage_logs_one_warning_when_it_starts_and_one_when_it_ends(redis_server, caplog):
    cache = backend(redis_server.url)
    cache.set("page", "stored")
    caplog.set_level(logging.WARNING, logger="pagecache.backends")
    redis_server.freeze()
    try:
        for _ in range(3):
            for _ in range(20):
                cache.get("page")
            time.sleep(RETRY_AFTER + 0.05)  # each pause ends with one more failed try
    finally:
        redis_server.thaw()
    time.sleep(RETRY_AFTER + 0.05)
    assert cache.get("page") == "stored"
    messages = [r.getMessage() for r in caplog.records if r.name == "pagecache.backends"]
    assert len(messages) == 2, messages
    assert "unreachable" in messages[0] and "reachable again" in messages[1]


def test_a_killed_redis_is_a_miss_and_a_restarted_one_is_used_again(redis_server):
    cache = backend(redis_server.url)
    cache.set("page", "stored")
    redis_server.stop()
    assert cache.get("page") is None
    redis_server.start()  # a fresh, empty Redis on the same port
    time.sleep(RETRY_AFTER + 0.1)
    cache.set("page", "again")
    assert cache.get("page") == "again"


# --- no stale page after an outage ---


@pytest.fixture
def site_behind_a_cuttable_link(settings, redis_server):
    proxy = CutProxy(redis_server.port)
    with site_cache_at(settings, proxy.url):
        yield proxy
    proxy.close()


def republish(page, **changes):
    page = page.specific_class.objects.get(pk=page.pk)
    for name, value in changes.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return page


@pytest.mark.django_db
def test_a_page_changed_while_redis_was_cut_off_is_not_served_stale_afterwards(
    client, make_focus_group, site_behind_a_cuttable_link, redis_server
):
    """The invalidation sent during the outage is lost, and Redis still holds the old page;
    once Redis answers again, the old page is never served."""

    link = site_behind_a_cuttable_link
    page = make_focus_group(summary="Before the outage.")
    client.get(page.url)
    assert client.get(page.url)["X-Cache"] == "hit"
    stored_keys = redis_server.client().dbsize()

    link.cut_off()
    republish(page, summary="Published during the outage.")
    during = client.get(page.url)
    assert during.status_code == 200 and "Published during the outage." in during.text
    assert redis_server.client().dbsize() == stored_keys  # nothing reached Redis

    link.restore()
    time.sleep(RETRY_AFTER + 0.1)
    after = client.get(page.url)
    assert after["X-Cache"] == "miss"
    assert "Published during the outage." in after.text
    assert client.get(page.url)["X-Cache"] == "hit"  # and it is cached again


def root_paths_in_cache():
    key, version = SITE_ROOT_PATHS_CACHE_KEY, SITE_ROOT_PATHS_CACHE_VERSION
    return default_cache.get(key, version=version) is not None


@pytest.mark.django_db
def test_menus_settings_and_site_paths_kept_before_an_outage_are_rebuilt_after_it(
    home_page, site_behind_a_cuttable_link
):
    link = site_behind_a_cuttable_link
    built = []
    tags.remember("menu-test", ["menu"], lambda: built.append(1) or "menu")
    tags.remember("menu-test", ["menu"], lambda: built.append(1) or "menu")
    assert built == [1]  # kept in Redis
    Site.get_site_root_paths()
    assert root_paths_in_cache()

    link.cut_off()
    tags.invalidate("menu")  # lost
    link.restore()
    time.sleep(RETRY_AFTER + 0.1)
    tags.remember("menu-test", ["menu"], lambda: built.append(2) or "menu")
    assert built == [1, 2]
    assert not root_paths_in_cache()


# --- the site in this process, Redis stopped or frozen ---


@pytest.fixture
def outage_site(make_register, make_document, settings, redis_server):
    """A focus group with a register and a document, pages warmed in the cache, a member."""
    register = make_register()
    group = register.get_parent().specific
    document = make_document()
    get_user_model().objects.create_user("member", "member@example.org", "a-long-password-1")
    with site_cache_at(settings, redis_server.url):
        yield {"group": group, "register": register, "document": document}


def break_redis(server, how):
    if how == "stopped":
        server.stop()
    else:
        server.freeze()


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["stopped", "frozen"])
def test_every_journey_answers_quickly_while_redis_is_down(client, outage_site, redis_server, how):
    from django.test import Client

    from registry.models import RegisterEntry

    group, register, document = (outage_site[k] for k in ("group", "register", "document"))
    for url in ("/", group.url, register.url):
        client.get(url)
    assert client.get(group.url)["X-Cache"] == "hit"
    break_redis(redis_server, how)
    try:
        for url in ("/", group.url, register.url):
            response, seconds = timed(Client().get, url)
            assert response.status_code == 200, url
            assert seconds < MAX_ANSWER_SECONDS, (url, seconds)
        assert "Stroke Thrombectomy" in Client().get(group.url).text

        registrant = Client()
        posted, seconds = timed(registrant.post, register.url, register_post_data())
        assert posted.status_code == 302 and seconds < MAX_ANSWER_SECONDS
        thanks, seconds = timed(registrant.get, posted["Location"])
        assert "Thanks for registering." in thanks.text and seconds < MAX_ANSWER_SECONDS
        assert RegisterEntry.objects.filter(email__iexact="alex.example@nhs.example").exists()

        member = Client()
        signed_in, seconds = timed(
            member.post,
            "/accounts/login/",
            {"username": "member", "password": "a-long-password-1"},
        )
        assert signed_in.status_code == 302 and seconds < MAX_ANSWER_SECONDS
        assert member.session["_auth_user_id"]  # kept in the database
        assert member.get("/").status_code == 200

        download, seconds = timed(client.get, document.url)
        assert download.status_code == 200 and seconds < MAX_ANSWER_SECONDS
        assert b"".join(download.streaming_content).startswith(b"%PDF")
    finally:
        if how == "frozen":
            redis_server.thaw()


# --- production settings under gunicorn, as the outage was first seen ---


class Database:
    """The live server's own database: a fresh PostgreSQL database when the tests run on
    PostgreSQL, else an SQLite file in the test's folder."""

    def __init__(self, folder, stack):
        from django.db import connection

        self.postgres = connection.vendor == "postgresql"
        if self.postgres:
            self.env = stack.enter_context(postgres_database("bcis_outage"))
        else:
            self.path = folder / "outage.sqlite3"
            self.env = {"SQLITE_PATH": str(self.path)}

    def count_entries(self):
        sql = "SELECT count(*) FROM registry_registerentry"
        if self.postgres:
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"]) as db:
                return db.execute(sql).fetchone()[0]
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.path)) as db:
            return db.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def live_site(django_db_setup, tmp_path_factory):
    """gunicorn with the production settings, REDIS_URL pointing at a private Redis."""
    tmp = tmp_path_factory.mktemp("outage")
    with contextlib.ExitStack() as stack:
        redis_server = RedisServer(tmp).start()
        stack.callback(redis_server.stop)
        database = Database(tmp, stack)
        env = production_env(
            tmp,
            database=database.env,
            REDIS_URL=redis_server.url,
            DJANGO_SUPERUSER_PASSWORD="outage-member-password",
        )
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo_content")
        manage(env, "createsuperuser", "--noinput", "--username", "member", "--email", "m@x.org")
        server = stack.enter_context(Server.gunicorn(env, tmp / "gunicorn.log"))
        yield {"url": server.url, "redis": redis_server, "database": database, "server": server}


def quick(method, url, **kwargs):
    started = time.monotonic()
    response = method(url, timeout=10, **kwargs)
    seconds = time.monotonic() - started
    assert seconds < MAX_ANSWER_SECONDS, (url, seconds)
    return response


@pytest.mark.xdist_group("redis-outage-live-site")  # one worker sets the server up, once
@pytest.mark.parametrize("how", ["stopped", "frozen"])
def test_the_production_site_answers_every_journey_while_redis_is_down(live_site, how):
    base, redis_server, database = live_site["url"], live_site["redis"], live_site["database"]
    group_url = base + "/focus-groups/stroke-thrombectomy/"
    register_url = group_url + "register/"
    if redis_server.process.poll() is not None:  # stopped by the previous test
        redis_server.start()
    time.sleep(3.2)  # the site's breaker (3 s) lets Redis in again
    requests.get(group_url, timeout=10)
    assert requests.get(group_url, timeout=10).headers["X-Cache"] == "hit"
    entries_before = database.count_entries()

    break_redis(redis_server, how)
    try:
        for url in (base + "/", group_url, register_url):
            assert quick(requests.get, url).status_code == 200, url
        group_page = quick(requests.get, group_url)
        assert "Stroke" in group_page.text

        registrant = requests.Session()
        form = find_post_form(quick(registrant.get, register_url).text)
        answers = fill_form(form, serial=int(time.time() * 1000) % 1_000_000)
        posted = quick(
            registrant.post,
            base + (form.get("action") or register_url.removeprefix(base)),
            data=answers,
            headers={"Referer": register_url},
        )
        assert posted.status_code == 200 and not looks_rejected(posted.text)
        assert database.count_entries() == entries_before + 1

        member = requests.Session()
        quick(member.get, base + "/accounts/login/")
        signed_in = quick(
            member.post,
            base + "/accounts/login/",
            data={
                "username": "member",
                "password": "outage-member-password",
                "csrfmiddlewaretoken": member.cookies["csrftoken"],
            },
            headers={"Referer": base + "/accounts/login/"},
        )
        assert signed_in.status_code == 200 and "/accounts/login/" not in signed_in.url
        assert "sessionid" in member.cookies

        document_link = next(
            part.split('"', 1)[0] for part in group_page.text.split('href="/documents/')[1:]
        )
        download = quick(member.get, base + "/documents/" + document_link)
        assert download.status_code == 200 and download.content.startswith(b"%PDF")
    finally:
        if how == "frozen":
            redis_server.thaw()
    log = live_site["server"].log()
    assert "Traceback" not in log, log[-3000:]
