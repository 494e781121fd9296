"""Varnish with the repo's VCL (deploy/varnish/default.vcl) in front of the real site: gunicorn
with the production settings on this test run's database, purging Varnish by cache tag after
each commit (VARNISH_PURGE_URL), as `make serve-proxy` runs them. The test process changes
content through Wagtail's API and shares gunicorn's cache folder, as a worker or a second app
server would. A few VCL rules the site never puts to the test (it never marks a response that
sets a cookie shareable) run against a small stand-in backend at the end.

Runs when varnishd is installed; VARNISH_REQUIRED=1 (CI) makes its absence a failure."""

import gzip
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.test import Client

from tests.support.forms import fill_form, find_post_form, looks_rejected
from tests.support.servers import ROOT, Server, free_port, production_env

if not shutil.which("varnishd"):
    if os.environ.get("VARNISH_REQUIRED") == "1":
        raise RuntimeError("VARNISH_REQUIRED=1 but varnishd is not installed")
    pytest.skip("varnishd is not installed", allow_module_level=True)

# One xdist worker runs the whole module, so gunicorn and varnishd start once.
pytestmark = pytest.mark.xdist_group("varnish")

# Real commits, so gunicorn sees the test's pages; serialized_rollback restores the rows
# migrations made (the root page, groups) for the tests after these.
on_the_database = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Varnish:
    """varnishd with the repo's VCL in front of the backend on ``backend_port``. A second
    listening address speaks the PROXY protocol, so a test can send a request as if from
    another address (client.ip) while everything stays on loopback."""

    def __init__(self, folder, backend_port, port=None):
        self.folder = Path(folder)
        # varnishd reads the VCL as its own user: open every folder down from the system's
        # temporary folder (pytest's are private; under xdist there is one more level).
        system_tmp = Path(tempfile.gettempdir()).resolve()
        for path in (self.folder, *self.folder.resolve().parents):
            if path == system_tmp or system_tmp not in path.parents:
                break
            path.chmod(0o755)
        vcl = (ROOT / "deploy/varnish/default.vcl").read_text()
        assert '.port = "8001"' in vcl
        (self.folder / "default.vcl").write_text(
            vcl.replace('.port = "8001"', f'.port = "{backend_port}"')
        )
        self.port = port or free_port()
        self.proxy_protocol_port = free_port()
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            ["varnishd", "-F", "-f", str(self.folder / "default.vcl"),
             "-a", f"127.0.0.1:{self.port}",
             "-a", f"127.0.0.1:{self.proxy_protocol_port},PROXY",
             "-n", str(self.folder / "n"), "-s", "malloc,32m"],
            stdout=open(self.folder / "varnishd.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, (self.folder / "varnishd.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                assert time.monotonic() < deadline, "varnishd did not start"
                time.sleep(0.1)

    def purge_from(self, address, keys):
        """PURGE ``keys`` as a request from ``address`` (through the PROXY protocol port)."""
        with socket.create_connection(("127.0.0.1", self.proxy_protocol_port), timeout=5) as s:
            s.sendall(
                f"PROXY TCP4 {address} 127.0.0.1 40000 80\r\n"
                f"PURGE / HTTP/1.1\r\nHost: 127.0.0.1\r\nxkey-purge: {keys}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            return int(s.makefile("rb").readline().split()[1])

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def visit(url, cookies=None, **kwargs):
    """A request from a new visitor (no cookies unless given), never through a proxy the shell
    may name."""
    with requests.Session() as visitor:
        visitor.trust_env = False
        return visitor.get(url, cookies=cookies, timeout=30, **kwargs)


def is_hit(response):
    """Varnish answered from its store: X-Varnish names this request and the stored one."""
    return len(response.headers["X-Varnish"].split()) == 2


# --- the real site behind Varnish ---


@pytest.fixture(scope="module")
def proxy(django_db_setup, tmp_path_factory):
    """gunicorn (production settings, this run's database, the Django page cache on) behind
    varnishd, started once for the module. gunicorn purges Varnish after its own commits; its
    secret key is this process's, so a session made here signs a member in there."""
    folder = tmp_path_factory.mktemp("varnish")
    backend_port, varnish_port = free_port(), free_port()
    env = production_env(
        folder,
        SECRET_KEY=django_settings.SECRET_KEY,
        PAGE_CACHE="on",
        VARNISH_PURGE_URL=f"http://127.0.0.1:{varnish_port}/",
    )
    varnish = Varnish(folder, backend_port, varnish_port).start()
    server = Server.gunicorn(env, folder / "gunicorn.log", port=backend_port)
    try:
        server.start()
        varnish.media, varnish.cache_dir = folder / "media", folder / "cache"
        yield varnish
    finally:
        varnish.stop()  # first: gunicorn then has no kept-alive connections to wait for
        server.stop()
    assert "Traceback" not in server.log(), server.log()[-3000:]


@pytest.fixture
def site(proxy, settings):
    """This process purges the same Varnish and shares gunicorn's cache and media folders;
    both caches start empty."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(proxy.cache_dir),
        }
    }
    settings.VARNISH_PURGE_URLS = [proxy.url + "/"]
    settings.MEDIA_ROOT = proxy.media
    caches["default"].clear()
    assert proxy.purge_from("127.0.0.1", "everything") == 200
    return proxy


@pytest.fixture
def pages(site, make_register, make_document, make_focus_group, home_page):
    """A focus group with a register and a paper's document, a second group and a privacy
    page: their paths, and the objects the tests change."""
    from focusgroups.models import FocusGroupPaper
    from home.models import StandardPage

    register = make_register()
    group = register.get_parent().specific
    document = make_document(filename="paper.pdf", read=False)
    group.papers = [
        FocusGroupPaper(
            title="Discussion paper", version_label="As presented to Council", document=document
        )
    ]
    group.save_revision().publish()
    other_group = make_focus_group(slug="valves", title="Valves", n=0)
    privacy = StandardPage(title="Privacy notice", slug="privacy", introduction="How we keep it.")
    home_page.add_child(instance=privacy)
    privacy.save_revision().publish()
    return {
        "group": group.url,
        "home": "/",
        "index": group.get_parent().url,
        "other group": other_group.url,
        "privacy": privacy.url,
        "register": register.url,
        "objects": {"group": group, "document": document},
    }


def warm(proxy, *paths):
    """Each page stored in Varnish: its second request is a hit."""
    for path in paths:
        visit(proxy.url + path)
        assert is_hit(visit(proxy.url + path)), path


@on_the_database
def test_a_public_page_is_a_varnish_hit_the_second_time(pages, site):
    first = visit(site.url + pages["group"])
    second = visit(site.url + pages["group"])
    assert first.status_code == 200 and not is_hit(first)
    assert is_hit(second) and second.text == first.text
    assert "Stroke Thrombectomy" in second.text
    assert "xkey" not in second.headers  # the tags are Varnish's business only


@on_the_database
def test_hashed_static_files_are_kept_and_unhashed_names_are_not(pages, site):
    page = visit(site.url + pages["group"]).text
    hashed = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)
    visit(site.url + hashed)
    assert is_hit(visit(site.url + hashed))
    visit(site.url + "/static/css/site.css")  # may change under the same name: not immutable
    assert not is_hit(visit(site.url + "/static/css/site.css"))


@on_the_database
def test_a_hit_is_gzipped_and_tracking_parameters_do_not_make_another_page(pages, site):
    warm(site, pages["privacy"])
    raw = visit(site.url + pages["privacy"], headers={"Accept-Encoding": "gzip"}, stream=True)
    assert is_hit(raw) and raw.headers["Content-Encoding"] == "gzip"
    assert b"Privacy notice" in gzip.decompress(raw.raw.read())
    tracked = visit(site.url + pages["privacy"] + "?utm_source=news&gclid=1")
    assert is_hit(tracked) and "Privacy notice" in tracked.text


@on_the_database
def test_publishing_a_change_purges_exactly_the_pages_that_show_it(pages, site):
    from focusgroups.models import FocusGroupPage

    shown_in = [pages["group"], pages["home"], pages["index"]]
    unrelated = [pages["other group"], pages["privacy"]]
    warm(site, *shown_in, *unrelated)

    group = FocusGroupPage.objects.get(pk=pages["objects"]["group"].pk)
    group.summary = "Now recruiting a second cohort."
    group.save_revision().publish()

    for path in shown_in:
        fresh = visit(site.url + path)
        assert not is_hit(fresh) and "Now recruiting a second cohort." in fresh.text, path
    for path in unrelated:
        assert is_hit(visit(site.url + path)), path


@on_the_database
def test_a_document_change_purges_exactly_the_pages_that_show_it(pages, site):
    from home.templatetags.site_tags import file_description

    unrelated = [pages["home"], pages["index"], pages["other group"], pages["privacy"]]
    warm(site, pages["group"], *unrelated)
    document = pages["objects"]["document"]
    shown = f'<span class="paper__file">({file_description(document)})</span>'
    assert shown in visit(site.url + pages["group"]).text

    # A longer revision replaces the file: the group page shows its size by the link.
    document.file.save("revised.pdf", ContentFile(b"%PDF-1.4\n" + b"%" * 40_000), save=False)
    document.save()
    revised = f'<span class="paper__file">({file_description(document)})</span>'
    assert revised != shown

    fresh = visit(site.url + pages["group"])
    assert not is_hit(fresh) and revised in fresh.text
    for path in unrelated:
        assert is_hit(visit(site.url + path)), path


@on_the_database
def test_a_register_entry_posted_through_varnish_purges_exactly_the_pages_that_count_it(
    pages, site
):
    unrelated = [pages["home"], pages["index"], pages["privacy"]]
    warm(site, pages["group"], *unrelated)
    assert "have registered so far" not in visit(site.url + pages["group"]).text

    with requests.Session() as visitor:  # keeps the CSRF cookie between the form and the post
        visitor.trust_env = False
        form_url = site.url + pages["register"]
        form = find_post_form(visitor.get(form_url, timeout=30).text)
        posted = visitor.post(
            site.url + (form.get("action") or pages["register"]),
            data=fill_form(form, serial=1),
            headers={"Referer": form_url},
            timeout=30,
        )
    assert posted.status_code == 200 and not looks_rejected(posted.text), posted.text[:2000]
    assert "Thanks for registering." in posted.text

    fresh = visit(site.url + pages["group"])
    assert not is_hit(fresh)
    assert "Fewer than 5 people have registered so far" in fresh.text
    for path in unrelated:
        assert is_hit(visit(site.url + path)), path


def session_cookie(user):
    """The cookie of a session signed in as ``user``, made here and kept in the database."""
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return {name: client.cookies[name].value}


@on_the_database
def test_a_signed_in_members_pages_are_never_stored(pages, site, django_user_model):
    member = django_user_model.objects.create_user("member", "member@example.org", "x-pw-123456")
    signed_in = session_cookie(member)
    for path in (pages["home"], "/members/"):
        for _ in range(2):
            answer = visit(site.url + path, cookies=signed_in, allow_redirects=False)
            assert answer.status_code == 200 and not is_hit(answer), path
            assert "Signed in as" in answer.text
    anonymous = visit(site.url + pages["home"])
    assert not is_hit(anonymous) and "Signed in as" not in anonymous.text


@on_the_database
def test_the_register_form_is_never_stored(pages, site):
    first = visit(site.url + pages["register"])
    second = visit(site.url + pages["register"])
    for answer in (first, second):
        assert answer.status_code == 200 and not is_hit(answer)
        assert find_post_form(answer.text) is not None
    assert first.cookies["csrftoken"] != second.cookies["csrftoken"]  # each visitor their own


@on_the_database
def test_an_admin_page_is_never_stored(pages, site, django_user_model):
    editor = django_user_model.objects.create_superuser("editor", "e@example.org", "x-pw-123456")
    signed_in = session_cookie(editor)
    for _ in range(2):
        answer = visit(site.url + "/admin/", cookies=signed_in, allow_redirects=False)
        assert answer.status_code == 200 and not is_hit(answer)
        assert "Dashboard" in answer.text
    for _ in range(2):
        anonymous = visit(site.url + "/admin/", allow_redirects=False)
        assert anonymous.status_code == 302 and not is_hit(anonymous)


@on_the_database
def test_purge_is_refused_from_an_address_outside_the_vcls_list(pages, site):
    warm(site, pages["privacy"])
    assert site.purge_from("203.0.113.9", "everything") == 403
    assert is_hit(visit(site.url + pages["privacy"]))
    assert site.purge_from("127.0.0.1", "everything") == 200
    assert not is_hit(visit(site.url + pages["privacy"]))


# --- VCL rules the site never puts to the test, against a stand-in backend ---


class StandIn(BaseHTTPRequestHandler):
    """Marks every page shareable, even one that sets a cookie (the site never does), except
    /browser-only/, which only browsers may keep (the site always says private instead)."""

    served = {}

    def do_GET(self):
        StandIn.served[self.path] = StandIn.served.get(self.path, 0) + 1
        body = f"{self.path} {StandIn.served[self.path]}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if self.path.startswith("/browser-only"):
            self.send_header("Cache-Control", "max-age=600")
        else:
            self.send_header("Cache-Control", "public, max-age=0, s-maxage=600")
            self.send_header("xkey", "everything")
        if self.path.startswith("/cookie"):
            self.send_header("Set-Cookie", "csrftoken=x")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    backend = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    varnish = Varnish(tmp_path_factory.mktemp("stand-in"), backend.server_port).start()
    yield varnish
    varnish.stop()
    backend.shutdown()


def test_a_shareable_response_that_sets_a_cookie_is_never_stored(stand_in):
    visit(stand_in.url + "/cookie/")
    again = visit(stand_in.url + "/cookie/")
    assert not is_hit(again) and again.text == "/cookie/ 2"


def test_a_response_not_marked_public_with_s_maxage_is_never_stored(stand_in):
    visit(stand_in.url + "/browser-only/")
    again = visit(stand_in.url + "/browser-only/")
    assert not is_hit(again) and again.text == "/browser-only/ 2"


@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken", "messages"])
def test_a_request_with_a_session_or_csrf_cookie_is_never_answered_from_the_store(stand_in, cookie):
    path = f"/page-{cookie}/"
    visit(stand_in.url + path)
    assert is_hit(visit(stand_in.url + path))
    with_cookie = visit(stand_in.url + path, cookies={cookie: "s"})
    assert not is_hit(with_cookie) and with_cookie.text == f"{path} 2"
