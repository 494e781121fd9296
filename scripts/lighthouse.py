#!/usr/bin/env python3
"""`make lighthouse`: Lighthouse (npm's, run against Debian's Chromium) on the home, focus group
and register pages, mobile profile, with the scores printed against issue 6's targets.

Serves the production configuration with gunicorn on a loopback port, with the demo content in
a throwaway SQLite database (var/lighthouse-site/), with `make bench`'s helpers. Lighthouse and
Chromium stay offline: the site makes no third-party request, Chromium's background networking
is switched off and Lighthouse's error reporting is off. Reports are kept in var/lighthouse/
(HTML and JSON).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (scripts/bench.py: the same server helpers)

ROOT = bench.ROOT
bench.WORK = ROOT / "var" / "lighthouse-site"  # its own folder: make bench may run meanwhile
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_PATH = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
PAGES = [
    ("home", "/"),
    ("focus group", "/focus-groups/stroke-thrombectomy/"),
    ("register", bench.PAGES["register page"]),
]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
TARGETS = {"performance": 0.95, "accessibility": 1.0, "best-practices": 0.95, "seo": 1.0}
CHROME_FLAGS = " ".join(
    [
        "--headless=new",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--no-first-run",
        "--metrics-recording-only",
        "--disable-domain-reliability",
    ]
)


def run_lighthouse(url, out_base):
    """Run Lighthouse once; returns the parsed JSON report."""
    cmd = [
        str(LIGHTHOUSE),
        url,
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        "--output=html",
        f"--output-path={out_base}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--no-enable-error-reporting",
        "--quiet",
    ]
    env = dict(os.environ, CHROME_PATH=CHROME_PATH, NO_UPDATE_NOTIFIER="1", CI="1")
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    report_path = Path(f"{out_base}.report.json")
    if result.returncode != 0 or not report_path.exists():
        raise RuntimeError(f"lighthouse failed on {url}:\n{result.stdout}\n{result.stderr}")
    return json.loads(report_path.read_text())


def shortfalls(report, category):
    """The audits that cost points in a category: (title, score)."""
    out = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref.get("weight", 0) and audit.get("score") is not None and audit["score"] < 1:
            out.append((audit["title"], audit["score"]))
    return out


def format_table(headers, rows):
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [headers, *rows]
    )


def main():
    if not LIGHTHOUSE.exists():
        print("Lighthouse is not installed: run `npm ci` (make lighthouse does).")
        return 2
    if not Path(CHROME_PATH).exists():
        print(f"No Chromium at {CHROME_PATH}: `make browser` installs Debian's chromium.")
        return 2
    outdir = ROOT / "var" / "lighthouse"
    outdir.mkdir(parents=True, exist_ok=True)
    rows, problems, failed = [], [], False
    shutil.rmtree(bench.WORK, ignore_errors=True)
    bench.WORK.mkdir(parents=True)
    (bench.WORK / "bench_settings.py").write_text(bench.BENCH_SETTINGS)
    print("Preparing: SQLite database, demo content, collectstatic", flush=True)
    for args in (["migrate", "--noinput"], ["load_demo_content"], ["collectstatic", "--noinput"]):
        bench.run(sys.executable, "manage.py", *args)
    processes = []
    site = bench.gunicorn("lighthouse", processes)
    try:
        for name, path in PAGES:
            url = site + path
            status = requests.get(url, timeout=30).status_code
            if status != 200:
                rows.append([name, "-", "-", "-", "-", f"skipped: {path} answered {status}"])
                continue
            print(f"  lighthouse (mobile) {url}", flush=True)
            slug = name.replace(" ", "-")
            report = run_lighthouse(url, outdir / slug)
            scores = {c: report["categories"][c]["score"] for c in CATEGORIES}
            misses = [c for c in CATEGORIES if (scores[c] or 0) < TARGETS[c]]
            failed = failed or bool(misses)
            rows.append(
                [name, *(f"{scores[c]:.2f}" for c in CATEGORIES)]
                + ["PASS" if not misses else "FAIL: " + ", ".join(misses)]
            )
            for category in CATEGORIES:
                for title, score in shortfalls(report, category):
                    problems.append(f"{name} / {category}: {title} ({score:.2f})")
    finally:
        bench.stop(processes)
    print()
    target_row = ["target", *(f">= {TARGETS[c]:.2f}" for c in CATEGORIES), ""]
    headers = ["page", "performance", "accessibility", "best practices", "SEO", "verdict"]
    print(format_table(headers, [target_row, *rows]))
    if problems:
        print("\nAudits that cost points:")
        for line in problems:
            print(f"  {line}")
    print(f"\nFull reports: {outdir.relative_to(ROOT)}/<page>.report.html")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
