"""The benchmark's pure parts (scripts/bench.py). The benchmark itself takes minutes, even with
BENCH_QUICK=1 (migrations and demo content on two databases), so `make bench` runs it, not CI."""

import importlib.util
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("bench_script", ROOT / "scripts" / "bench.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

# Debian's wrk 4.1.0, `wrk -t2 -c4 -d2s --latency`, with a socket errors line added. It writes
# seconds with a space after them ("1.02s ").
WRK = """\
Running 2s test @ http://127.0.0.1:18999/nonexistent
  2 threads and 4 connections
  Latency Distribution
     50%    1.46ms
     90%    6.82ms
     99%   12.06ms
  3348 requests in 2.00s, 1.66MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3348
Requests/sec:   1672.70
"""


@pytest.mark.parametrize("p99, ms", [("850.00us", 0.85), ("12.06ms", 12.06), ("2.01s ", 2010)])
def test_wrk_report_gives_rate_p99_in_ms_and_every_error(p99, ms):
    result = bench.parse_wrk(WRK.replace("12.06ms", p99))
    assert result == {"rps": 1672.70, "p99_ms": pytest.approx(ms), "errors": 3348 + 1 + 2}


def test_p99_is_the_nearest_rank():
    assert bench.p99(range(100, 0, -1)) == 99
    assert bench.p99([5, 1, 3]) == 5
    assert bench.p99([]) is None


def test_benchmark_answers_are_stored_by_the_real_register_form(make_register):
    from registry.models import RegisterEntry

    page, visitor = make_register(), Client(enforce_csrf_checks=True)
    html = visitor.get(page.url).content.decode()
    for n in (1, 2):
        response = visitor.post(page.url, bench.register_answers(html, n))
        assert response.status_code == 302, response.content.decode()[:2000]
    entries = RegisterEntry.objects.values_list("email", "gmc_number")
    assert len({email for email, _ in entries}) == len({gmc for _, gmc in entries}) == 2
    assert all(len(gmc) == 7 for _, gmc in entries)
