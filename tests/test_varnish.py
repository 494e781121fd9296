"""The VCL (deploy/varnish/default.vcl) in a real varnishd, in front of a small stand-in backend
that answers as Django does: what it keeps, what it never keeps, and PURGE by tag.
Runs when varnishd is installed; VARNISH_REQUIRED=1 (CI) makes its absence a failure."""

import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
if not shutil.which("varnishd"):
    if os.environ.get("VARNISH_REQUIRED") == "1":
        raise RuntimeError("VARNISH_REQUIRED=1 but varnishd is not installed")
    pytest.skip("varnishd is not installed", allow_module_level=True)

counts = {}
http = requests.Session()
http.trust_env = False  # never through a configured HTTP proxy


class Backend(BaseHTTPRequestHandler):
    def do_GET(self):
        counts[self.path] = counts.get(self.path, 0) + 1
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if self.path.startswith("/private"):
            self.send_header("Cache-Control", "private, no-store")
        else:
            self.send_header("Cache-Control", "public, max-age=0, s-maxage=600")
            self.send_header("xkey", "everything page:" + self.path.strip("/").split("?")[0])
        if self.path.startswith("/cookie"):
            self.send_header("Set-Cookie", "csrftoken=x")
        body = f"{self.path} {counts[self.path]}".encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def varnish(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("varnish")
    for folder in (tmp, *tmp.parents[:2]):  # varnishd reads the VCL as its own user
        folder.chmod(0o755)
    backend = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    vcl = (ROOT / "deploy/varnish/default.vcl").read_text()
    (tmp / "v.vcl").write_text(vcl.replace('"8001"', f'"{backend.server_port}"'))
    port = free_port()
    proc = subprocess.Popen(
        ["varnishd", "-F", "-a", f"127.0.0.1:{port}", "-f", str(tmp / "v.vcl"),
         "-n", str(tmp / "n"), "-s", "malloc,16m"],
        stdout=open(tmp / "varnishd.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            http.get(url + "/ready/", timeout=2)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "varnishd did not start"
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    backend.shutdown()


def test_a_shareable_page_is_a_varnish_hit_the_second_time(varnish):
    assert http.get(varnish + "/a/").headers["X-Proxy-Cache"] == "miss"
    second = http.get(varnish + "/a/")
    assert second.headers["X-Proxy-Cache"] == "hit" and second.text == "/a/ 1"
    assert "xkey" not in second.headers


def test_private_pages_and_cookies_are_never_stored(varnish):
    for path in ("/private/", "/cookie/"):
        http.get(varnish + path)
        assert http.get(varnish + path).headers["X-Proxy-Cache"] == "miss", path
    http.get(varnish + "/b/")
    signed_in = http.get(varnish + "/b/", cookies={"sessionid": "s"})
    assert signed_in.text == "/b/ 2"


def test_tracking_parameters_do_not_make_another_page(varnish):
    http.get(varnish + "/c/")
    assert http.get(varnish + "/c/?utm_source=x&gclid=1").text == "/c/ 1"


def test_purge_by_tag_clears_exactly_the_pages_that_carry_it(varnish):
    http.get(varnish + "/d/")
    http.get(varnish + "/e/")
    purged = http.request("PURGE", varnish + "/", headers={"xkey-purge": "page:d"})
    assert purged.status_code == 200
    assert http.get(varnish + "/d/").text == "/d/ 2"
    assert http.get(varnish + "/e/").text == "/e/ 1"


def test_shareable_html_is_gzipped(varnish):
    http.get(varnish + "/f/")
    raw = http.get(varnish + "/f/", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert raw.headers.get("Content-Encoding") == "gzip"
