#!/usr/bin/env python3
"""`make bench`: how fast the production settings serve the demo site on this machine, read
with docs/performance.md. On a throwaway database with the demo content (var/bench/), gunicorn
runs uncached (PAGE_CACHE=off), with Django's page cache, and behind Varnish; wrk measures each
page, and visitors post the register (SQLite, then PostgreSQL) while wrk measures the home page.
BENCH_QUICK=1 shortens every run (a smoke test, not a measurement). Exits 1 if a target fails.
"""

import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
QUICK = os.environ.get("BENCH_QUICK") == "1"
READ_SECONDS, WRITE_SECONDS, WRITERS = (2, 6, 4) if QUICK else (10, 30, 8)
PAGES = {
    "home": "/",
    "focus group index": "/focus-groups/",
    "focus group page": "/focus-groups/stroke-thrombectomy/",
    "register page": "/focus-groups/stroke-thrombectomy/register/",
    "search": "/search/?query=thrombectomy",
}
RATE_LIMIT = 1_000_000  # register posts a minute per address during the run (the site's: 10)
BENCH_SETTINGS = f"""from config.settings.production import *  # noqa: F403
REGISTRY_RATE_LIMIT = {RATE_LIMIT}  # every post of the write load comes from 127.0.0.1
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False  # plain HTTP
"""
VARNISH_RATIO = 0.9  # target: a page through Varnish / Varnish's rate for the static file
P99_RATIO = 0.5  # target: home p99 in the write load, through Varnish / through Django alone
POST_P99_MS = 2000  # target: the register's POST p99 in the write load (as before)
UNIT_MS = {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}
ANSWERS = {"role_other": "Bench role", "hospital": "Bench Hospital", "consent_privacy": "on"}


# --- Pure parts (tests/test_bench.py) --------------------------------------------------------
def parse_wrk(output):
    """Requests a second, p99 (ms) and errors (socket errors, non-2xx/3xx) from wrk --latency."""
    number, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M).groups()
    errors = re.findall(r"(?:connect|read|write|timeout|3xx responses:) (\d+)", output)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return {"rps": rps, "p99_ms": float(number) * UNIT_MS[unit], "errors": sum(map(int, errors))}


def p99(values):
    """The 99th percentile, nearest rank: the smallest value at or above 99% of them."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 99 // 100) - 1)] if ordered else None


def register_answers(html, n):
    """What visitor n sends: the form's CSRF token, the first choice of every radio group and
    list, the privacy consent, and a name, email and 7-digit GMC number no one else sends."""
    answers = {}
    for name, value in re.findall(r'<input type="radio" name="([^"]+)" value="([^"]*)"', html):
        answers.setdefault(name, value)
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        answers[name] = re.findall(r'<option value="([^"]+)"', options)[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    unique = {"full_name": f"Visitor {n}", "email": f"v{n}@example.org", "gmc_number": 10**6 + n}
    return answers | unique | ANSWERS | {"csrfmiddlewaretoken": token}


def server_env(name="commands", **extra):
    """The production settings on loopback, with var/bench/bench_settings.py's raised limit."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{WORK}{os.pathsep}{ROOT}",
        "SECRET_KEY": "make-bench-only-" + "x" * 50,
        "SQLITE_PATH": str(WORK / "bench.sqlite3"),
        "MEDIA_ROOT": str(WORK / "media"),
        "STATIC_ROOT": str(WORK / "static"),
        "CACHE_DIR": str(WORK / f"cache-{name}"),  # each server's own page cache
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def run(*cmd, **env):
    """A command's output, run with the servers' environment plus `env`."""
    done = subprocess.run(cmd, cwd=ROOT, env=server_env(**env), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def start(cmd, address, name, processes, env=None):
    """Start a server (its output in var/bench/<name>.log) and wait until it answers."""
    with open(WORK / f"{name}.log", "w") as log:
        processes.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log))
    url = f"http://{address}"
    run("curl", "-so/dev/null", "--retry-connrefused", "--retry", "99", "--retry-delay", "1", url)
    return url


def free_address():
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return f"127.0.0.1:{sock.getsockname()[1]}"


def stop(processes):
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def gunicorn(name, processes, **env):
    """gunicorn as make serve runs it (workers and threads from gunicorn.conf.py)."""
    address = free_address()
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", address]
    return start(cmd, address, name, processes, server_env(name, **env))


def django_and_varnish(name, processes, **env):
    """gunicorn with Varnish in front, which the app purges, as make serve-proxy runs them."""
    address = free_address()
    site = gunicorn(name, processes, VARNISH_PURGE_URL=f"http://{address}/", **env)
    vcl = (ROOT / "deploy/varnish/default.vcl").read_text().replace("8001", site.split(":")[-1])
    (WORK / f"{name}.vcl").write_text(vcl)
    cmd = ["varnishd", "-F", "-a", address, "-f", str(WORK / f"{name}.vcl"), "-n", str(WORK / name)]
    return site, start([*cmd, "-s", "malloc,128m"], address, f"{name}-varnish", processes)


def wrk(url, seconds=READ_SECONDS, connections=8):
    options = [f"-c{connections}", f"-d{seconds}s", "--timeout=10s", "-H", "Accept-Encoding: gzip"]
    return parse_wrk(run("wrk", "-t2", "--latency", *options, url))


def count_queries():
    """`bench.py --queries`: SQL queries on each page's second request (cache warm, when on)."""
    import django

    django.setup()  # the settings are in the environment
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, path in PAGES.items():
        Client(HTTP_HOST="127.0.0.1").get(path)
        with CaptureQueriesContext(connection) as captured:
            Client(HTTP_HOST="127.0.0.1").get(path)
        counts[name] = len(captured)
    print(json.dumps(counts))


def register_rows(**env):
    code = "from registry.models import RegisterEntry; print(RegisterEntry.objects.count())"
    return int(run(sys.executable, "manage.py", "shell", "-c", code, **env).split()[-1])


def visitor(site, serials, until):
    """A visitor posting the register until `until`: POST times (ms) of stored posts, errors."""
    form, session, post_ms, errors = site + PAGES["register page"], requests.Session(), [], []
    while time.monotonic() < until:
        try:
            answers = register_answers(session.get(form, timeout=30).text, next(serials))
            started, referer = time.perf_counter(), {"Referer": form}  # Django's CSRF check
            posted = session.post(form, answers, headers=referer, allow_redirects=False)
            status = posted.status_code  # 302, to the thank-you page, when the entry is stored
        except (requests.RequestException, AttributeError) as error:  # AttributeError: no form
            status = type(error).__name__
        if status == 302:
            post_ms.append((time.perf_counter() - started) * 1000)
        else:
            errors.append(str(status))
    return post_ms, errors


def write_load(label, processes, serials, **env):
    """WRITERS visitors post the register for WRITE_SECONDS; meanwhile wrk (2 connections) asks
    for the home page through Django, then through Varnish, for half that time each."""
    site, varnish = django_and_varnish(f"write-{label}", processes, **env)
    rows_before, until = register_rows(**env), time.monotonic() + WRITE_SECONDS
    with ThreadPoolExecutor(WRITERS) as pool:
        visitors = [pool.submit(visitor, site, serials, until) for _ in range(WRITERS)]
        time.sleep(1)
        half = max(2, WRITE_SECONDS // 2 - 1)
        home = [wrk(url + "/", half, connections=2)["p99_ms"] for url in (site, varnish)]
    post_ms, errors = (sum((v.result()[i] for v in visitors), []) for i in (0, 1))
    rows = register_rows(**env) - rows_before
    return {"post_ms": post_ms, "errors": errors, "rows": rows, "home": home}


def line(*cells):
    return f"{cells[0]:<18}" + "".join(f"{cell:>13}" for cell in cells[1:])


def reads(processes, static):
    """The rates table and memory; returns Varnish's rates and any errors wrk saw."""
    rows = {"static file": static} | PAGES
    uncached = gunicorn("uncached", processes, PAGE_CACHE="off")
    cached, varnish = django_and_varnish("cached", processes)
    servers = {"uncached": uncached, "Django cache": cached, "Varnish": varnish}
    print(f"Reads: wrk -t2 -c8 -d{READ_SECONDS}s, each row on each server in turn")
    rates, errors, kept, memory = {mode: {} for mode in servers}, [], {}, []
    for name, path in rows.items():
        for mode, url in servers.items():
            requests.get(url + path, timeout=60)  # a first request fills the caches
            result = wrk(url + path)
            rates[mode][name] = result["rps"]
            errors += [f"{name} ({mode}): {result['errors']} errors"] if result["errors"] else []
        kept[name] = requests.get(varnish + path, timeout=30).headers.get("X-Proxy-Cache")
    for process in processes[:2]:  # RSS of the uncached and the cached gunicorn and workers
        kb = run("ps", "-o", "rss=", "-p", str(process.pid), "--ppid", str(process.pid)).split()
        memory.append(sum(map(int, kb)) // 1024)
    sql = [json.loads(run(sys.executable, __file__, "--queries", PAGE_CACHE=c)) for c in "01"]
    header = ["uncached/s", "x static", "Django/s", "x static", "Varnish/s", "x static"]
    print("\n" + line("", *header, "Varnish", "SQL off/on"))
    for name in rows:
        cells = [(f"{r[name]:,.0f}", f"{r[name] / r['static file']:.2f}") for r in rates.values()]
        queries = f"{sql[0][name]}/{sql[1][name]}" if name in PAGES else "-"
        print(line(name, *itertools.chain(*cells), kept[name], queries))
    print(f"\nMemory (RSS, gunicorn + workers): {memory[0]} MB uncached, {memory[1]} MB cached")
    stop(processes)
    return rates["Varnish"], errors


def writes(processes):
    """The write load on SQLite, then on a throwaway PostgreSQL database."""
    db, postgres = f"bcis_bench_{os.getpid()}", ["-h", "127.0.0.1", "-U", "postgres"]
    run("createdb", *postgres, db)
    try:
        pg = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}"}
        print(f"\nPreparing PostgreSQL database {db}: migrate, load_demo_content")
        for args in (["migrate", "--noinput"], ["load_demo_content"]):
            run(sys.executable, "manage.py", *args, **pg)
        print(f"Write load: {WRITERS} visitors post the register for {WRITE_SECONDS}s each time")
        serials = itertools.count()  # every post's name, email and GMC number differ
        results = {"SQLite": write_load("SQLite", processes, serials)}
        stop(processes)
        results["PostgreSQL"] = write_load("PostgreSQL", processes, serials, **pg)
    finally:
        stop(processes)
        run("dropdb", *postgres, "--if-exists", "--force", db)
    print("\n" + line("", "accepted", "errors", "rows", "POST p99", "home Django", "home Varnish"))
    for label, w in results.items():
        row = [len(w["post_ms"]), len(w["errors"]), w["rows"], p99(w["post_ms"]) or 0, *w["home"]]
        print(line(label, *row[:3], *(f"{ms:.1f} ms" for ms in row[3:])))
    return results


def main():
    if "--queries" in sys.argv:
        return count_queries()
    # var/bench/: the settings module, the SQLite database with the demo content, static files
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True, mode=0o755)  # varnishd reads its VCL here as its own user
    (WORK / "bench_settings.py").write_text(BENCH_SETTINGS)
    print("Load:", run("uptime").strip())
    print(f"Settings: production on plain HTTP; REGISTRY_RATE_LIMIT raised to {RATE_LIMIT:,}")
    print("Varnish: deploy/varnish/default.vcl (keeps shareable pages and hashed static files)")
    print("Preparing var/bench/bench.sqlite3: migrate, load_demo_content, collectstatic")
    for args in (["migrate", "--noinput"], ["load_demo_content"], ["collectstatic", "--noinput"]):
        run(sys.executable, "manage.py", *args)
    manifest = json.loads((WORK / "static" / "staticfiles.json").read_text())
    static = "/static/" + manifest["paths"]["css/site.css"]
    processes, ok = [], []
    try:
        varnish, errors = reads(processes, static)
        results = writes(processes)
    finally:
        stop(processes)
    print("\nTargets (2-core machine):")
    for name in ("home", "focus group index", "focus group page", "search"):  # not the form
        what = f"{name} through Varnish >= {VARNISH_RATIO}x Varnish's rate for the static file"
        ok.append(check(varnish[name] >= VARNISH_RATIO * varnish["static file"], what))
    for db, w in results.items():
        n, (django, via_varnish), post_p99 = len(w["post_ms"]), w["home"], p99(w["post_ms"]) or 1e9
        ok.append(check(not w["errors"], f"{db}: 0 errors {sorted(set(w['errors']))}"))
        ok.append(check(n and w["rows"] == n, f"{db}: rows stored = posts accepted"))
        ok.append(check(post_p99 < POST_P99_MS, f"{db}: POST p99 < {POST_P99_MS} ms"))
        what = f"{db}: home p99 in the write load, Varnish <= {P99_RATIO}x Django alone"
        ok.append(check(via_varnish <= P99_RATIO * django, what))
    ok += [check(False, error) for error in errors]
    print("Load:", run("uptime").strip())
    return 0 if all(ok) else 1


def check(met, what):
    print(f"  {'PASS' if met else 'FAIL'}  {what}")
    return bool(met)


if __name__ == "__main__":
    sys.exit(main())
