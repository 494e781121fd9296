"""Two production servers sharing one PostgreSQL database and one Redis: what an editor
publishes through one is what the other serves on its very next request.

Runs when PostgreSQL (127.0.0.1:5432) answers and the redis-server program is installed, as on
every development and CI machine here: the Redis is the test's own (the shared one is never
written to); both servers listen on loopback only.
"""

import contextlib
import shutil
import socket
import uuid

import pytest
import requests
from bs4 import BeautifulSoup

from tests.support.forms import fill_form, find_post_form, looks_rejected
from tests.support.servers import RedisServer, Server, manage, postgres_database, production_env

PG = ("127.0.0.1", 5432)


def reachable(address):
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.skipif(
        not (reachable(PG) and shutil.which("redis-server")),
        reason="needs PostgreSQL on loopback and the redis-server program",
    ),
    # One xdist worker runs them all, so the two servers are set up once, not once per worker.
    pytest.mark.xdist_group("multiserver"),
]


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(django_db_setup, redis_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    with contextlib.ExitStack() as stack:
        env = production_env(
            tmp,
            database=stack.enter_context(postgres_database("bcis_multi")),
            REDIS_URL=redis_server.url,
            DJANGO_SUPERUSER_PASSWORD="multi-server-editor-pw",
        )
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo_content")
        manage(env, "createsuperuser", "--noinput", "--username", "editor", "--email", "e@x.org")
        servers = [
            stack.enter_context(Server.gunicorn(env, tmp / f"gunicorn-{n}.log")) for n in (1, 2)
        ]
        yield [server.url for server in servers]


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


def test_a_register_entry_posted_to_one_server_shows_in_the_others_counts(cluster):
    server_a, server_b = cluster
    group_url = "/focus-groups/stroke-thrombectomy/"
    register_url = group_url + "register/"
    requests.get(server_a + group_url, timeout=30)
    before = requests.get(server_a + group_url, timeout=30)
    assert before.headers["X-Cache"] == "hit"
    assert "registered so far" not in before.text  # nothing is shown before anyone registers

    # Five people (the smallest number shown exactly) register through server B.
    for serial in range(5):
        visitor = requests.Session()
        form = find_post_form(visitor.get(server_b + register_url, timeout=30).text)
        answers = fill_form(form, serial=serial + 1000)
        posted = visitor.post(
            server_b + (form.get("action") or register_url),
            data=answers,
            headers={"Referer": server_b + register_url},
            timeout=30,
        )
        assert posted.status_code == 200 and not looks_rejected(posted.text), posted.text

    after = requests.get(server_a + group_url, timeout=30)
    assert after.headers["X-Cache"] == "miss"
    assert "Registrations so far: <strong>5</strong>" in after.text


def test_the_guarded_redis_backend_behaves_as_djangos_on_a_real_redis(redis_server):
    """Everything the site asks of pagecache.backends.GuardedRedisCache works on a real Redis,
    and what it stores reads the same through Django's own backend."""
    from django.core.cache.backends.redis import RedisCache

    from pagecache.backends import GuardedRedisCache

    params = {"KEY_PREFIX": f"t-{uuid.uuid4().hex}"}
    cache = GuardedRedisCache(redis_server.url, params)
    djangos = RedisCache(redis_server.url, params)
    try:
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
        client = redis_server.client()
        for key in client.scan_iter(f"{params['KEY_PREFIX']}:*"):
            client.delete(key)
