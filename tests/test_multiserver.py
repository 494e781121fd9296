"""Two production servers sharing one PostgreSQL database and one Redis: what an editor
publishes through one is what the other serves on its very next request.

Runs when PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer, as on every
development and CI machine here; both servers listen on loopback only.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


def reachable(address):
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not (reachable(PG) and reachable(REDIS)), reason="needs PostgreSQL and Redis on loopback"
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import psycopg

    name = f"bcis_multi_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    tmp = tmp_path_factory.mktemp("cluster")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "REDIS_URL": "redis://127.0.0.1:6379/11",
        "CACHE_KEY_PREFIX": name,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "MEDIA_ROOT": str(tmp / "media"),
        "STATIC_ROOT": str(tmp / "static"),
        "DJANGO_SUPERUSER_PASSWORD": "multi-server-editor-pw",
    }

    def manage(*args):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )

    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    manage("load_demo_content")
    manage("createsuperuser", "--noinput", "--username", "editor", "--email", "e@example.org")

    servers, urls = [], []
    for _ in range(2):
        port = free_port()
        log = open(tmp / f"gunicorn-{port}.log", "w")  # noqa: SIM115
        servers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(url + "/", timeout=10)
                    break
                except (requests.ConnectionError, requests.Timeout):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
        yield urls
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        import redis

        client = redis.Redis.from_url("redis://127.0.0.1:6379/11")
        for key in client.scan_iter(f"{name}:*"):
            client.delete(key)
        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sign_in(base):
    session = requests.Session()
    session.get(base + "/admin/login/")
    response = session.post(
        base + "/admin/login/",
        data={
            "username": "editor",
            "password": "multi-server-editor-pw",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": base + "/admin/login/"},
    )
    assert response.status_code == 200 and "/admin/login/" not in response.url
    return session


def form_fields(html):
    """Every field of the page editor's form as the browser would submit it."""
    form = BeautifulSoup(html, "html.parser").find("form", id="page-edit-form")
    data = []
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or field.get("type") in {"submit", "button", "file"}:
            continue
        if field.get("type") in {"checkbox", "radio"} and not field.has_attr("checked"):
            continue
        if field.name == "textarea":
            value = field.text
        elif field.name == "select":
            chosen = field.find("option", selected=True)
            value = chosen.get("value", "") if chosen else ""
        else:
            value = field.get("value", "")
        data.append((name, value))
    return data


def test_a_publish_through_one_server_is_served_by_the_other_at_once(cluster):
    server_a, server_b = cluster
    page_url = "/focus-groups/stroke-thrombectomy/"
    requests.get(server_b + page_url, timeout=30)
    warmed = requests.get(server_b + page_url, timeout=30)
    assert warmed.headers["X-Cache"] == "hit"

    editor = sign_in(server_a)
    listing = editor.get(server_a + "/admin/pages/search/?q=Stroke+Thrombectomy")
    assert listing.status_code == 200
    # The focus group's own edit link: its register and other child pages match the search too.
    edit_links = BeautifulSoup(listing.text, "html.parser").find_all(
        "a", href=lambda h: h and h.startswith("/admin/pages/") and h.endswith("/edit/")
    )
    page_id = next(
        a["href"] for a in edit_links if a.get_text(" ", strip=True) == "Stroke Thrombectomy"
    ).split("/")[3]
    edit_url = f"{server_a}/admin/pages/{page_id}/edit/"
    data = [
        (name, "Published through server A." if name == "summary" else value)
        for name, value in form_fields(editor.get(edit_url).text)
    ]
    # The editor's JavaScript adds the StreamField's block count; the demo body is empty.
    data += [("body-count", "0"), ("action-publish", "action-publish")]
    published = editor.post(edit_url, data=data, headers={"Referer": edit_url})
    assert published.status_code == 200, published.text[:500]

    fresh = requests.get(server_b + page_url, timeout=30)
    assert fresh.headers["X-Cache"] == "miss"
    assert "Published through server A." in fresh.text


def load_bench_helpers():
    """The benchmark's form reader: it answers the register form as a careful person would."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_script", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_script", module)
    spec.loader.exec_module(module)
    return module


def test_a_register_entry_posted_to_one_server_shows_in_the_others_counts(cluster):
    server_a, server_b = cluster
    bench = load_bench_helpers()
    group_url = "/focus-groups/stroke-thrombectomy/"
    register_url = group_url + "register/"
    requests.get(server_a + group_url, timeout=30)
    before = requests.get(server_a + group_url, timeout=30)
    assert before.headers["X-Cache"] == "hit"
    assert "Registrations so far" not in before.text  # nothing is shown before anyone registers

    # Five people (the smallest number shown exactly) register through server B.
    for serial in range(5):
        visitor = requests.Session()
        form = bench.find_post_form(visitor.get(server_b + register_url, timeout=30).text)
        answers = bench.fill_form(form, serial=serial + 1000)
        posted = visitor.post(
            server_b + (form["action"] or register_url),
            data=answers,
            headers={"Referer": server_b + register_url},
            timeout=30,
        )
        assert posted.status_code == 200 and not bench.looks_rejected(posted.text), posted.text

    after = requests.get(server_a + group_url, timeout=30)
    assert after.headers["X-Cache"] == "miss"
    assert "Registrations so far: <strong>5</strong>" in after.text


def test_the_redis_backend_reuses_one_client_and_behaves_as_djangos():
    """pagecache.backends.GuardedRedisCache keeps one redis-py client per process instead of
    building one per call; everything the site asks of a cache still works on a real Redis, and
    what it stores reads the same through Django's own backend."""
    from django.core.cache.backends.redis import RedisCache

    from pagecache.backends import GuardedRedisCache

    params = {"KEY_PREFIX": f"t-{uuid.uuid4().hex}"}
    cache = GuardedRedisCache("redis://127.0.0.1:6379/12", params)
    djangos = RedisCache("redis://127.0.0.1:6379/12", params)
    try:
        assert cache.client is GuardedRedisCache("redis://127.0.0.1:6379/12", params).client
        cache.set("page", {"body": b"<html>"}, 60)
        cache.set_many({"tag:a": 7, "tag:b": 8}, timeout=None)
        assert cache.get("page") == {"body": b"<html>"}
        assert djangos.get("page") == {"body": b"<html>"}
        assert cache.get_many(["tag:a", "tag:b", "tag:none"]) == {"tag:a": 7, "tag:b": 8}
        assert cache.add("tag:a", 1) is False and cache.incr("tag:a") == 8
        with pytest.raises(ValueError):
            cache.incr("tag:none")
        assert cache.touch("tag:a", 30) and cache.has_key("tag:a")
        assert cache.delete("page") and cache.get("page") is None
        cache.delete_many(["tag:a", "tag:b"])
        assert cache.get_many(["tag:a", "tag:b"]) == {}
    finally:
        for key in cache.client.scan_iter(f"{params['KEY_PREFIX']}:*"):
            cache.client.delete(key)
