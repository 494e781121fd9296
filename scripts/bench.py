#!/usr/bin/env python3
"""The rerunnable benchmark behind `make bench` (see docs/performance.md).

Serves the production configuration (gunicorn, 2 workers, WhiteNoise) on loopback ports with
the demo content in a throwaway SQLite database, then measures with wrk:

* the home, focus group and search pages, each on an instance with the page cache switched off
  (PAGE_CACHE=off) and on a default instance warmed first, plus one hashed static CSS file;
* requests per second, p50, p95 and p99 latency, and each page's rate as a share of the static
  file's rate in the same run;
* each page's SQL query count (in-process, Django's test Client and CaptureQueriesContext);
* gunicorn's resident memory (master and workers) before and after, and its growth over
  10,000 requests;
* a write load: 16 clients posting the interest register form for 60 seconds, on SQLite and on
  PostgreSQL, with the home page measured during the load and idle.

Targets from issue 6 are printed next to the figures. Anything the branch does not have yet
(the page cache, the register, PostgreSQL) is reported as "skipped: <reason>", never as a pass.

BENCH_QUICK=1 shortens every duration for a smoke run. Loopback only; nothing leaves the machine.
The parsing and form-filling helpers at the top are pure and covered by tests/test_bench.py.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

PAGES = [
    ("home", "/"),
    ("focus group", "/focus-groups/stroke-thrombectomy/"),
    ("search", "/search/?query=thrombectomy"),
]
REGISTER_PATH = "/focus-groups/stroke-thrombectomy/register/"
STATIC_NAME = "css/site.css"

# Issue 6's targets on the 2-core development machine.
TARGET_CACHED_RATIO = 0.80
TARGET_CACHED_RPS = 1000
TARGET_CACHED_P99_MS = 20
TARGET_UNCACHED_FOCUS_P95_MS = 150
TARGET_MEMORY_MB = 400
TARGET_MEMORY_GROWTH_PCT = 10
TARGET_WRITE_P99_MS = 2000
TARGET_HOME_P99_FACTOR = 2

# Environment variable names that may carry the register's per-address rate limit. The script
# also sets every *RATE_LIMIT* name it finds read from the environment in the settings.
RATE_LIMIT_ENV_NAMES = ["REGISTRY_RATE_LIMIT"]
RATE_LIMIT_VALUE = os.environ.get("BENCH_RATE_LIMIT_VALUE", "1000000")
# The cache the instances share: the local Redis when it answers (BENCH_REDIS_URL=off for none).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"


# --------------------------------------------------------------------------------------------
# Pure helpers (tested)
# --------------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_duration_ms(text):
    """wrk's durations ('850.00us', '1.23ms', '2.01s', '1.00m') in milliseconds."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(us|ms|s|m|h)\s*", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_count(text):
    """wrk's counts ('1.30k', '2.5M', '812') as a number."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kMG]?)\s*", text)
    if not match:
        raise ValueError(f"not a wrk count: {text!r}")
    return float(match.group(1)) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[match.group(2)]


@dataclass
class WrkResult:
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    latency_ms: dict = field(default_factory=dict)  # percentile (int) -> milliseconds
    non_2xx_3xx: int = 0
    socket_errors: int = 0

    @property
    def errors(self):
        return self.non_2xx_3xx + self.socket_errors

    def p(self, pct):
        return self.latency_ms.get(pct)


def parse_wrk(output):
    """Read wrk's --latency report and the BENCH lines printed by our Lua done() hook.

    wrk's own distribution gives p50/p75/p90/p99; the hook adds p95 (and repeats the others
    with microsecond precision, which wins where both are present).
    """
    result = WrkResult()
    in_distribution = False
    for line in output.splitlines():
        stripped = line.strip()
        if stripped.startswith("Latency Distribution"):
            in_distribution = True
            continue
        if in_distribution:
            match = re.fullmatch(r"([0-9.]+)%\s+(\S+)", stripped)
            if match:
                result.latency_ms[round(float(match.group(1)))] = parse_duration_ms(match.group(2))
                continue
            in_distribution = False
        match = re.match(r"(\d+) requests in (\S+),", stripped)
        if match:
            result.requests = int(match.group(1))
            result.seconds = parse_duration_ms(match.group(2)) / 1000
            continue
        match = re.match(r"Requests/sec:\s+([0-9.]+)", stripped)
        if match:
            result.rps = float(match.group(1))
            continue
        match = re.match(r"Non-2xx or 3xx responses:\s+(\d+)", stripped)
        if match:
            result.non_2xx_3xx = int(match.group(1))
            continue
        match = re.match(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", stripped
        )
        if match:
            result.socket_errors = sum(int(group) for group in match.groups())
            continue
        match = re.match(r"BENCH latency_p(\d+)_us (\d+)", stripped)
        if match:
            result.latency_ms[int(match.group(1))] = int(match.group(2)) / 1000
    if not result.rps and result.seconds:
        result.rps = result.requests / result.seconds
    return result


def percentile(values, pct):
    """Nearest-rank percentile of a list of numbers (None for an empty list)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats
    return ordered[int(rank) - 1]


def median_run(runs):
    """The run with the median rate of requests (the lower middle one of an even number)."""
    ordered = sorted(runs, key=lambda run: run.rps)
    return ordered[(len(ordered) - 1) // 2]


def growth_percent(before, after):
    if not before:
        return None
    return (after - before) * 100 / before


def count_database_locked(log_text):
    return log_text.count("database is locked")


def verdict(ok):
    return "PASS" if ok else "FAIL"


def format_table(headers, rows):
    """A plain-text table with right-aligned numbers, as printed to the terminal."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def fmt(row):
        parts = []
        for i, cell in enumerate(row):
            numeric = bool(re.fullmatch(r"[-+0-9.,x%]+( ms| MB)?", cell))
            parts.append(cell.rjust(widths[i]) if numeric else cell.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    lines = [fmt(cells[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt(row) for row in cells[1:]]
    return "\n".join(lines)


def ms(value):
    return "-" if value is None else f"{value:.1f} ms"


class _FormParser(HTMLParser):
    """Collect the POST forms of a page: action and every input, select and textarea."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None
        self._hidden_depth = []  # stack of booleans: is this open element hiding its content?

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        hides = (
            "hidden" in attrs
            or attrs.get("aria-hidden") == "true"
            or "honeypot" in attrs.get("class", "").lower()
        )
        if tag not in {"input", "br", "img", "meta", "link", "hr", "option"}:
            self._hidden_depth.append(hides)
        inside_hidden = any(self._hidden_depth)
        if tag == "form":
            self._form = {
                "action": attrs.get("action", ""),
                "method": attrs.get("method", "get").lower(),
                "fields": [],
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            self._form["fields"].append(
                {
                    "tag": "input",
                    "type": attrs.get("type", "text").lower(),
                    "name": attrs.get("name", ""),
                    "value": attrs.get("value", ""),
                    "required": "required" in attrs,
                    "trap": inside_hidden
                    or attrs.get("tabindex") == "-1"
                    or "honeypot" in attrs.get("name", "").lower(),
                    "attrs": attrs,
                }
            )
        elif tag == "select":
            self._select = {
                "tag": "select",
                "name": attrs.get("name", ""),
                "options": [],
                "multiple": "multiple" in attrs,
                "trap": inside_hidden,
            }
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attrs.get("value"))
        elif tag == "textarea":
            self._textarea = {
                "tag": "textarea",
                "name": attrs.get("name", ""),
                "value": "",
                "required": "required" in attrs,
                "trap": inside_hidden,
            }
            self._form["fields"].append(self._textarea)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag not in {"input", "br", "img", "meta", "link", "hr", "option"} and self._hidden_depth:
            self._hidden_depth.pop()
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data


def find_post_form(html):
    """The page's POST form that carries a CSRF token: {'action', 'fields'} or None."""
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        names = {f["name"] for f in form["fields"]}
        if form["method"] == "post" and "csrfmiddlewaretoken" in names:
            return form
    return None


def _text_value(name, input_type, serial):
    lname = name.lower()
    if input_type == "email" or "email" in lname:
        return f"bench-{serial}@example.org"
    if "gmc" in lname:
        return str(1_000_000 + serial % 9_000_000)
    if input_type == "number":
        return "1"
    if input_type == "date":
        return "2026-01-15"
    if input_type == "url":
        return "https://example.org/"
    if input_type == "tel" or "phone" in lname:
        return "01234 567890"
    if "name" in lname:
        return f"Bench Tester {serial}"
    if "hospital" in lname or "trust" in lname:
        return "Benchmark General Hospital"
    return "Benchmark answer"


def fill_form(form, serial):
    """Answer every visible question of a form the way a careful person would.

    Hidden inputs keep their values (the CSRF token), every tick box is ticked (the consents),
    the first real choice is picked in radio groups and drop-downs, text gets a plausible
    answer that is unique per `serial` where it must be (email, GMC number). Honeypot traps
    (inputs hidden from people) are left empty. Returns a list of (name, value) pairs.
    """
    data = []
    radios_done = set()
    for f in form["fields"]:
        name = f["name"]
        if not name or f.get("trap") and f.get("type") != "hidden":
            continue
        if f["tag"] == "select":
            choices = [v for v in f["options"] if v]
            if choices:
                data.append((name, choices[0]))
        elif f["tag"] == "textarea":
            data.append((name, f["value"] or "Benchmark answer"))
        else:
            kind = f["type"]
            if kind in {"submit", "button", "reset", "image", "file"}:
                continue
            if kind == "hidden":
                data.append((name, f["value"]))
            elif kind == "checkbox":
                data.append((name, f["value"] or "on"))
            elif kind == "radio":
                if name not in radios_done:
                    radios_done.add(name)
                    data.append((name, f["value"]))
            else:
                data.append((name, _text_value(name, kind, serial)))
    return data


_REJECTED = re.compile(r'error-summary|aria-invalid="true"|class="[^"]*error-message', re.I)


def looks_rejected(html):
    """A form page shown again with validation errors."""
    return bool(_REJECTED.search(html))


def rate_limit_env_names(settings_texts):
    """Environment variables the settings read whose names mention a rate limit."""
    names = set(RATE_LIMIT_ENV_NAMES)
    for text in settings_texts:
        names.update(re.findall(r"[\"']([A-Z][A-Z0-9_]*RATE_?LIMIT[A-Z0-9_]*)[\"']", text))
    return sorted(names)


def rate_limit_setting_names(settings_texts):
    """Settings assigned at the top level whose names end in RATE_LIMIT (REGISTRY_RATE_LIMIT)."""
    names = set()
    for text in settings_texts:
        names.update(re.findall(r"^([A-Z][A-Z0-9_]*RATE_?LIMIT)\s*=", text, re.M))
    return sorted(names)


def override_settings_module(base_module, overrides):
    """Source of a settings module: the production settings plus a few raised limits."""
    lines = [
        '"""Written by scripts/bench.py for one run: production settings, rate limit raised."""',
        f"from {base_module} import *  # noqa: F403",
        "",
    ]
    lines += [f"{name} = {value!r}" for name, value in sorted(overrides.items())]
    return "\n".join(lines) + "\n"


def process_tree(pid, proc=Path("/proc")):
    """pid and all its descendants, read from /proc/<pid>/task/*/children."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in (proc / str(current) / "task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return pids


def rss_mb(pids, proc=Path("/proc")):
    """Sum of VmRSS over processes, in MB (1,000,000 bytes would flatter; this is MiB)."""
    total_kib = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in (proc / str(pid) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


# --------------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------------


@dataclass
class Plan:
    quick: bool
    wrk_seconds: int
    wrk_threads: int = 2
    wrk_connections: int = 4
    memory_requests: int = 10_000
    write_seconds: int = 60
    write_clients: int = 16
    rounds: int = 3

    @classmethod
    def from_env(cls):
        quick = os.environ.get("BENCH_QUICK", "") not in {"", "0", "false", "no"}
        if quick:
            return cls(quick=True, wrk_seconds=3, memory_requests=1_000, write_seconds=8, rounds=1)
        return cls(quick=False, wrk_seconds=10)


# --------------------------------------------------------------------------------------------
# Servers and tools
# --------------------------------------------------------------------------------------------

LUA_PERCENTILES = """
done = function(summary, latency, requests)
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("BENCH latency_p%d_us %d\\n", p, latency:percentile(p)))
  end
end
"""

LUA_MIX = """
local paths, i = {}, 0
init = function(args)
  for j = 1, #args do paths[#paths + 1] = args[j] end
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""

ACCEPT_ENCODING = "gzip, deflate, br"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd, env, quiet=True, check=True):
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{result.stdout}\n{result.stderr}")
    if not quiet:
        print(result.stdout, end="")
    return result


def manage(env, *args, check=True):
    return run([PYTHON, "manage.py", *args], env, check=check)


def bench_redis_url():
    """BENCH_REDIS_URL, by default the local Redis when one answers; "off" for none."""
    url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    if url.lower() in ("", "off", "0", "no", "false"):
        return None
    if "BENCH_REDIS_URL" in os.environ:
        return url
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 6379), timeout=1):
        return url
    return None


def production_env(workdir, **extra):
    """The production settings on loopback, with nothing inherited that would change them."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "SQLITE_PATH",
            "REDIS_URL",
            "PAGE_CACHE",
            "MEDIA_ROOT",
            "STATIC_ROOT",
        }
        and not k.startswith(("AWS_", "FRONTEND_CACHE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        MEDIA_ROOT=str(Path(workdir) / "media"),
        STATIC_ROOT=str(Path(workdir) / "static"),
        SQLITE_PATH=str(Path(workdir) / "bench.sqlite3"),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    redis_url = bench_redis_url()
    if redis_url:
        # The production topology's shared Redis cache; the run's own key prefix keeps earlier
        # runs' pages out.
        env["REDIS_URL"] = redis_url
        env["CACHE_KEY_PREFIX"] = f"bcis-bench-{Path(workdir).name}"
    else:
        # One server without Redis: the workers share a cache folder, this run's own.
        env["CACHE_DIR"] = str(Path(workdir) / "cache")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Server:
    """gunicorn with the production settings on a free loopback port."""

    def __init__(self, name, env, logdir, workers=2):
        self.name = name
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.log_path = Path(logdir) / f"gunicorn-{re.sub(r'[^a-z0-9]+', '-', name)}.log"
        self.process = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=90):
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--forwarded-allow-ips=127.0.0.1",
                "--log-level",
                "warning",
                # e.g. BENCH_GUNICORN_ARGS="--threads 4" to try threaded workers.
                *shlex.split(os.environ.get("BENCH_GUNICORN_ARGS", "")),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                # Listening; wait until both workers have booted.
                if len(process_tree(self.process.pid)) > self.workers:
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start within {timeout}s")

    def rss_mb(self):
        return rss_mb(process_tree(self.process.pid))

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def http_get(url, **kwargs):
    import requests

    return requests.get(url, headers={"Accept-Encoding": ACCEPT_ENCODING}, timeout=30, **kwargs)


def run_wrk(url, seconds, threads, connections, lua_path):
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Accept-Encoding: {ACCEPT_ENCODING}",
        "-s",
        str(lua_path),
        url,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr}")
    return parse_wrk(result.stdout)


def run_wrk_mix(base_url, paths, seconds, threads, connections, lua_path):
    """wrk cycling through `paths` for `seconds`."""
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "-H",
        f"Accept-Encoding: {ACCEPT_ENCODING}",
        "-s",
        str(lua_path),
        base_url,
        "--",
        *paths,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr}")
    return parse_wrk(result.stdout)


def run_requests(base_url, paths, total, rate, threads, connections, lua_path):
    """At least `total` requests cycling through `paths`.

    wrk runs for a duration, not a request count, so the duration is worked out from the rate
    measured so far and the run repeated until the count is reached. Returns (requests, errors).
    """
    done = errors = 0
    for _ in range(10):
        if done >= total:
            break
        seconds = max(2, int((total - done) / max(rate, 1) * 1.1) + 1)
        result = run_wrk_mix(base_url, paths, seconds, threads, connections, lua_path)
        done += result.requests
        errors += result.errors
        rate = result.rps or rate
    return done, errors


# --------------------------------------------------------------------------------------------
# Query counts (run in a subprocess with the production settings)
# --------------------------------------------------------------------------------------------


def count_queries_main():
    """Print {page: {status, queries, x_cache}} as JSON; the second (warm) request is counted."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    out = {}
    for name, path in [*PAGES, ("register", REGISTER_PATH)]:
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        out[name] = {
            "status": response.status_code,
            "queries": len(ctx.captured_queries),
            "x_cache": response.get("X-Cache"),
        }
    print("BENCH_QUERIES " + json.dumps(out))


def query_counts(env):
    result = run([PYTHON, str(Path(__file__).resolve()), "--count-queries"], env)
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_QUERIES "):
            return json.loads(line.split(" ", 1)[1])
    raise RuntimeError(f"no query counts in:\n{result.stdout}\n{result.stderr}")


def register_row_count(env):
    """Entries stored in the register, or None when the register model does not exist."""
    code = (
        "from django.apps import apps\n"
        "try:\n"
        "    model = apps.get_model('registry', 'RegisterEntry')\n"
        "except LookupError:\n"
        "    print('BENCH_ROWS none')\n"
        "else:\n"
        "    print('BENCH_ROWS', model.objects.count())\n"
    )
    result = manage(env, "shell", "-c", code)
    value = re.search(r"BENCH_ROWS (\S+)", result.stdout).group(1)
    return None if value == "none" else int(value)


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.targets = []  # (what, figure, target, verdict)
        self.data = {}

    def target(self, what, figure, target, ok, skipped=None):
        self.targets.append(
            (what, figure, target, f"skipped: {skipped}" if skipped else verdict(ok))
        )


def say(message):
    print(message, flush=True)


def prepare_database(env):
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_demo_content")


def static_url(env):
    manifest = json.loads((Path(env["STATIC_ROOT"]) / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"][STATIC_NAME]


def summarise_cache_headers(values):
    """'hit' or 'miss' when every value agrees, 'hit 3/4' when mixed, 'no header' when absent."""
    if not values or all(v is None for v in values):
        return "no header"
    if len(set(values)) == 1:
        return values[0]
    return f"hit {values.count('hit')}/{len(values)}"


def warm(server, paths, rounds=8):
    """Request each path a few times (both workers) and sum up the last four X-Cache values."""
    seen = {}
    for path in paths:
        values = []
        for _ in range(rounds):
            response = http_get(server.base_url + path)
            if response.status_code != 200:
                raise RuntimeError(f"{server.name}: {path} answered {response.status_code}")
            values.append(response.headers.get("X-Cache"))
        seen[path] = summarise_cache_headers(values[-4:])
    return seen


def throughput(plan, workdir, report):
    lua = Path(workdir) / "percentiles.lua"
    lua.write_text(LUA_PERCENTILES)
    mix_lua = Path(workdir) / "mix.lua"
    mix_lua.write_text(LUA_MIX)

    cached = Server("cached", production_env(workdir), workdir).start()
    uncached = Server("uncached", production_env(workdir, PAGE_CACHE="off"), workdir).start()
    servers = [cached, uncached]
    try:
        paths = [path for _, path in PAGES]
        css = static_url(cached.env)
        cache_seen = warm(cached, [*paths, css])
        uncache_seen = warm(uncached, paths)
        memory_before = {s.name: s.rss_mb() for s in servers}
        say(f"  memory after start-up and warm-up: {fmt_mem(memory_before)}")

        def measure(server, path):
            url = server.base_url + path
            say(f"  wrk {plan.wrk_seconds}s -t{plan.wrk_threads} -c{plan.wrk_connections} {url}")
            return run_wrk(url, plan.wrk_seconds, plan.wrk_threads, plan.wrk_connections, lua)

        # Static file and cached pages in interleaved rounds: a page is compared with the static
        # file measured just before it, and the median round is kept, so a slow spell on the
        # machine skews neither side.
        rounds = []
        for number in range(1, plan.rounds + 1):
            say(f"  round {number} of {plan.rounds}: static file, then each cached page")
            static_run = measure(cached, css)
            rounds.append((static_run, {name: measure(cached, path) for name, path in PAGES}))
        static = median_run([static_run for static_run, _ in rounds])
        ratios = {}
        rows = [("static CSS", "file", static, "-")]
        for name, path in PAGES:
            per_round = sorted(
                (
                    ((pages[name].rps / run.rps if run.rps else 0.0), pages[name])
                    for run, pages in rounds
                ),
                key=lambda pair: pair[0],
            )
            ratios[name], result = per_round[len(per_round) // 2]
            rows.append((name, "cached", result, cache_seen[path]))
        for name, path in PAGES:
            rows.append((name, "uncached", measure(uncached, path), uncache_seen[path]))
        memory_after = {s.name: s.rss_mb() for s in servers}

        # Memory growth over N requests on the instance that does the real work.
        growth_before = uncached.rss_mb()
        say(f"  {plan.memory_requests:,} requests (home, focus group, search) on 'uncached'")
        uncached_rps = [r.rps for _, mode, r, _ in rows if mode == "uncached"]
        counted, counted_errors = run_requests(
            uncached.base_url,
            paths,
            plan.memory_requests,
            len(uncached_rps) / sum(1 / r for r in uncached_rps if r) if all(uncached_rps) else 10,
            plan.wrk_threads,
            plan.wrk_connections,
            mix_lua,
        )
        growth_after = uncached.rss_mb()
        server_errors = [s.name for s in servers if "Traceback" in s.log_text()]
    finally:
        for server in servers:
            server.stop()

    table = []
    for name, mode, result, header in rows:
        ratio = ratios.get(name) if mode == "cached" else result.rps / static.rps
        table.append(
            [
                name,
                mode,
                f"{result.rps:,.0f}",
                ms(result.p(50)),
                ms(result.p(95)),
                ms(result.p(99)),
                "-" if mode == "file" else f"{ratio:.2f}x",
                result.errors,
                header,
            ]
        )
    say("")
    say(
        format_table(
            ["page", "mode", "req/s", "p50", "p95", "p99", "of static", "errors", "X-Cache"],
            table,
        )
    )
    report.data["throughput"] = [
        {
            "page": name,
            "mode": mode,
            "rps": r.rps,
            "p50_ms": r.p(50),
            "p95_ms": r.p(95),
            "p99_ms": r.p(99),
            "errors": r.errors,
            "x_cache": header,
            "ratio_to_static": ratios.get(name) if mode == "cached" else None,
        }
        for name, mode, r, header in rows
    ]
    report.data["cached_rounds"] = [
        {"static_rps": run.rps, **{name: pages[name].rps for name, _ in PAGES}}
        for run, pages in rounds
    ]

    for name, mode, result, header in rows:
        if mode != "cached":
            continue
        ratio = ratios[name]
        skipped = None
        if not header.startswith("hit"):
            skipped = f"X-Cache {header!r} after warm-up: page cache not active"
        report.target(
            f"{name} cached: rate vs static",
            f"{ratio:.2f}x",
            f">= {TARGET_CACHED_RATIO:.2f}x",
            ratio >= TARGET_CACHED_RATIO,
            skipped,
        )
        report.target(
            f"{name} cached: req/s",
            f"{result.rps:,.0f}",
            f"> {TARGET_CACHED_RPS:,}",
            result.rps > TARGET_CACHED_RPS,
            skipped,
        )
        report.target(
            f"{name} cached: p99",
            ms(result.p(99)),
            f"< {TARGET_CACHED_P99_MS} ms",
            (result.p(99) or 1e9) < TARGET_CACHED_P99_MS,
            skipped,
        )
    for name, mode, result, header in rows:
        if name == "focus group" and mode == "uncached":
            report.target(
                f"focus group uncached: p95 at {plan.wrk_connections} connections",
                ms(result.p(95)),
                f"< {TARGET_UNCACHED_FOCUS_P95_MS} ms",
                (result.p(95) or 1e9) < TARGET_UNCACHED_FOCUS_P95_MS,
                "uncached instance answered X-Cache: hit" if "hit" in header else None,
            )
    for name, mode, result, _ in rows:
        if result.errors:
            report.target(f"{name} {mode}: errors", result.errors, "0", False)

    say("")
    say(f"gunicorn resident memory (master + 2 workers), before: {fmt_mem(memory_before)}")
    say(f"gunicorn resident memory (master + 2 workers), after:  {fmt_mem(memory_after)}")
    growth = growth_percent(growth_before, growth_after)
    say(
        f"memory growth over {counted:,} requests on 'uncached': "
        f"{growth_before:.1f} MB -> {growth_after:.1f} MB ({growth:+.1f}%), "
        f"{counted_errors} errors"
    )
    peak = max([*memory_before.values(), *memory_after.values(), growth_after])
    report.target(
        "gunicorn memory (largest instance)",
        f"{peak:.1f} MB",
        f"< {TARGET_MEMORY_MB} MB",
        peak < 400,
    )
    report.target(
        f"memory growth over {counted:,} requests",
        f"{growth:+.1f}%",
        f"< {TARGET_MEMORY_GROWTH_PCT}%",
        growth < TARGET_MEMORY_GROWTH_PCT,
        None if counted >= plan.memory_requests else f"only {counted} requests completed",
    )
    if server_errors:
        report.target("server errors in the logs", ", ".join(server_errors), "none", False)
    report.data["memory"] = {
        "before_mb": memory_before,
        "after_mb": memory_after,
        "growth_requests": counted,
        "growth_before_mb": growth_before,
        "growth_after_mb": growth_after,
        "growth_pct": growth,
    }


def fmt_mem(values):
    return ", ".join(f"{name} {value:.1f} MB" for name, value in values.items())


def queries(workdir, report):
    uncached = query_counts(production_env(workdir, PAGE_CACHE="off"))
    cached = query_counts(production_env(workdir))
    rows = []
    for name in uncached:
        u, c = uncached[name], cached[name]
        if u["status"] == 404:
            rows.append([name, "-", "-", "skipped: page not found (404)"])
            continue
        rows.append([name, u["queries"], c["queries"], c["x_cache"] or "no header"])
    say("")
    say("SQL queries per request (in-process, the second request of each page is counted):")
    say(format_table(["page", "uncached", "cached", "X-Cache (cached)"], rows))
    report.data["queries"] = {"uncached": uncached, "cached": cached}


# --- write load ---------------------------------------------------------------------------


@dataclass
class WriteTally:
    accepted: int = 0
    rejected: int = 0
    errors: int = 0
    latencies_ms: list = field(default_factory=list)
    error_samples: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome, latency_ms=None, sample=None):
        with self.lock:
            setattr(self, outcome, getattr(self, outcome) + 1)
            if latency_ms is not None:
                self.latencies_ms.append(latency_ms)
            if sample and len(self.error_samples) < 5:
                self.error_samples.append(sample)


def post_client(base_url, client_number, deadline, tally, run_id):
    """One visitor: fetch the form (CSRF cookie and token), answer it, send it; repeat."""
    import requests

    session = requests.Session()
    form_url = base_url + REGISTER_PATH
    serial = 0
    while time.monotonic() < deadline:
        serial += 1
        unique = run_id * 10_000_000 + client_number * 100_000 + serial
        try:
            page = session.get(form_url, timeout=30)
            form = find_post_form(page.text) if page.status_code == 200 else None
            if form is None:
                tally.add("errors", sample=f"GET form: {page.status_code}, no POST form")
                continue
            data = fill_form(form, unique)
            action = urljoin(form_url, form["action"] or form_url)
            started = time.perf_counter()
            response = session.post(
                action,
                data=data,
                headers={"Referer": form_url},
                allow_redirects=False,
                timeout=30,
            )
            latency = (time.perf_counter() - started) * 1000
        except requests.RequestException as error:
            tally.add("errors", sample=f"{type(error).__name__}: {error}")
            continue
        redirected = response.status_code in {301, 302, 303}
        if redirected or response.status_code == 200 and not looks_rejected(response.text):
            tally.add("accepted", latency)
        elif response.status_code == 200:
            tally.add("rejected", latency, sample="form shown again with errors")
        else:
            tally.add("errors", latency, sample=f"POST answered {response.status_code}")


def write_load(plan, workdir, report, label, env):
    """16 clients posting the register for N seconds against one instance, home measured too."""
    say(f"\nWrite load on {label}:")
    settings_texts = [p.read_text() for p in (ROOT / "config" / "settings").glob("*.py")]
    settings_texts += [p.read_text() for p in (ROOT / "registry").rglob("*.py")]
    # The limit is raised both ways a register may read it: from the environment, and (for a
    # plain setting) through a settings module that is production plus the raised limit.
    limit_names = rate_limit_env_names(settings_texts)
    env = dict(env, **dict.fromkeys(limit_names, RATE_LIMIT_VALUE))
    setting_names = rate_limit_setting_names(settings_texts)
    if setting_names:
        module = f"bench_settings_{re.sub(r'[^a-z0-9]+', '_', label.lower())}"
        source = override_settings_module(
            env["DJANGO_SETTINGS_MODULE"], dict.fromkeys(setting_names, int(RATE_LIMIT_VALUE))
        )
        (Path(workdir) / f"{module}.py").write_text(source)
        pythonpath = [workdir, *filter(None, [env.get("PYTHONPATH")])]
        env.update(DJANGO_SETTINGS_MODULE=module, PYTHONPATH=os.pathsep.join(pythonpath))
    raised = [f"{name}={RATE_LIMIT_VALUE} (environment)" for name in limit_names]
    raised += [f"{name}={RATE_LIMIT_VALUE} (setting)" for name in setting_names]
    say(f"  rate limit raised for the run: {', '.join(raised)}")
    lua = Path(workdir) / "percentiles.lua"
    lua.write_text(LUA_PERCENTILES)

    server = Server(f"write-{label}", env, workdir).start()
    try:
        probe = http_get(server.base_url + REGISTER_PATH)
        if probe.status_code != 200 or find_post_form(probe.text) is None:
            reason = (
                f"register page {REGISTER_PATH} answered {probe.status_code}"
                if probe.status_code != 200
                else "register page has no POST form with a CSRF token"
            )
            say(f"  skipped: {reason}")
            report.target(f"write load on {label}", "-", "-", False, reason)
            return reason
        rows_before = register_row_count(env)
        if rows_before is None:
            reason = "no registry.RegisterEntry model"
            report.target(f"write load on {label}", "-", "-", False, reason)
            return reason
        warm(server, ["/"])
        # A few seconds of load first, discarded: the idle baseline must not include the
        # workers' first requests (imports, connections) any more than the loaded figure does.
        run_wrk(server.base_url + "/", 3, 1, 2, lua)
        home_seconds = max(3, plan.write_seconds // 2)
        idle = run_wrk(server.base_url + "/", home_seconds, 1, 2, lua)

        tally = WriteTally()
        deadline = time.monotonic() + plan.write_seconds
        run_id = int(time.time()) % 200
        threads = [
            threading.Thread(target=post_client, args=(server.base_url, n, deadline, tally, run_id))
            for n in range(plan.write_clients)
        ]
        say(f"  {plan.write_clients} clients posting for {plan.write_seconds}s; wrk on / alongside")
        for thread in threads:
            thread.start()
        time.sleep(min(2, plan.write_seconds / 4))
        loaded = run_wrk(server.base_url + "/", max(2, plan.write_seconds - 4), 1, 2, lua)
        for thread in threads:
            thread.join()
        locked = count_database_locked(server.log_text())
    finally:
        server.stop()
    rows_after = register_row_count(env)
    stored = rows_after - rows_before
    p99 = percentile(tally.latencies_ms, 99)
    total = tally.accepted + tally.rejected + tally.errors
    say(
        f"  posts: {total} sent, {tally.accepted} accepted, {tally.rejected} rejected by "
        f"validation, {tally.errors} errors; {stored} rows stored; "
        f"'database is locked' in log: {locked}"
    )
    say(
        f"  POST latency p50 {ms(percentile(tally.latencies_ms, 50))}, p99 {ms(p99)}; "
        f"home p99 idle {ms(idle.p(99))}, during load {ms(loaded.p(99))}"
    )
    for sample in tally.error_samples:
        say(f"    e.g. {sample}")
    report.target(f"{label}: posts accepted", tally.accepted, "> 0", tally.accepted > 0)
    report.target(
        f"{label}: errors", tally.errors + tally.rejected, "0", not tally.errors + tally.rejected
    )
    report.target(f"{label}: 'database is locked'", locked, "0", locked == 0)
    report.target(
        f"{label}: POST p99",
        ms(p99),
        f"< {TARGET_WRITE_P99_MS} ms",
        (p99 or 1e9) < TARGET_WRITE_P99_MS,
    )
    report.target(
        f"{label}: rows stored = accepted",
        f"{stored} / {tally.accepted}",
        "equal",
        stored == tally.accepted,
    )
    factor = (loaded.p(99) or 0) / idle.p(99) if idle.p(99) else None
    report.target(
        f"{label}: home p99 under load / idle",
        "-" if factor is None else f"{factor:.2f}x",
        f"<= {TARGET_HOME_P99_FACTOR}x",
        factor is not None and factor <= TARGET_HOME_P99_FACTOR,
    )
    report.data.setdefault("write_load", {})[label] = {
        "clients": plan.write_clients,
        "seconds": plan.write_seconds,
        "accepted": tally.accepted,
        "rejected": tally.rejected,
        "errors": tally.errors,
        "database_locked": locked,
        "rows_stored": stored,
        "post_p50_ms": percentile(tally.latencies_ms, 50),
        "post_p99_ms": p99,
        "home_idle_p99_ms": idle.p(99),
        "home_loaded_p99_ms": loaded.p(99),
    }


@contextlib.contextmanager
def postgres_database(name):
    """Create a throwaway PostgreSQL database at 127.0.0.1:5432 and drop it afterwards."""
    import psycopg

    admin_url = os.environ.get(
        "BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_load_postgres(plan, workdir, report):
    name = os.environ.get("BENCH_POSTGRES_DB", "bcis_bench")
    try:
        context = postgres_database(name)
        url = context.__enter__()
    except Exception as error:  # PostgreSQL not reachable: say so and carry on.
        reason = f"PostgreSQL not reachable ({type(error).__name__}: {str(error).strip()[:80]})"
        say(f"\nWrite load on PostgreSQL: skipped: {reason}")
        report.target("write load on PostgreSQL", "-", "-", False, reason)
        return
    try:
        env = production_env(workdir, DATABASE_URL=url)
        say(f"\nPreparing PostgreSQL database {name} (migrate, demo content)")
        prepare_database(env)
        write_load(plan, workdir, report, "PostgreSQL", env)
    finally:
        context.__exit__(None, None, None)


def print_targets(report):
    say("\nTargets (issue 6):")
    say(format_table(["what", "figure", "target", "verdict"], report.targets))


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count-queries", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-write", action="store_true", help="skip the write load")
    parser.add_argument(
        "--write-only", action="store_true", help="only the write load (SQLite and PostgreSQL)"
    )
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.count_queries:
        count_queries_main()
        return 0
    if not shutil.which("wrk"):
        say("wrk is not installed: `make bench` installs Debian's wrk (apt-get install wrk).")
        return 2

    # A SIGTERM (timeout, Ctrl-C in make) unwinds normally so every gunicorn started is stopped.
    signal.signal(signal.SIGTERM, _interrupted)
    plan = Plan.from_env()
    report = Report()
    started = time.monotonic()
    say(
        f"BCIS benchmark {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"{'QUICK smoke run' if plan.quick else 'full run'}"
    )
    redis_url = bench_redis_url()
    say(
        f"Cache shared by the instances' workers: "
        f"{'Redis at ' + redis_url if redis_url else 'a cache folder (no Redis)'}"
    )
    with tempfile.TemporaryDirectory(prefix="bcis-bench-") as workdir:
        env = production_env(workdir)
        say("Preparing: temporary SQLite database, demo content, collectstatic")
        prepare_database(env)
        manage(env, "collectstatic", "--noinput", "-v0")
        if not args.write_only:
            throughput(plan, workdir, report)
            queries(workdir, report)
        if args.skip_write:
            report.target("write load", "-", "-", False, "--skip-write given")
        else:
            missing = write_load(plan, workdir, report, "SQLite", production_env(workdir))
            if missing:
                say(f"\nWrite load on PostgreSQL: skipped: {missing}")
                report.target("write load on PostgreSQL", "-", "-", False, missing)
            else:
                write_load_postgres(plan, workdir, report)
    print_targets(report)
    say(f"\nFinished in {time.monotonic() - started:.0f}s.")
    report.data.update(
        quick=plan.quick,
        cpus=os.cpu_count(),
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        targets=report.targets,
    )
    out = Path(args.json) if args.json else ROOT / "var" / "bench" / "last.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.data, indent=2, default=str))
    say(f"Figures written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    failed = [t for t in report.targets if t[3] == "FAIL"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
