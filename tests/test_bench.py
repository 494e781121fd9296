"""The benchmark's pure helpers (scripts/bench.py): reading wrk's report, answering the register
form, counting memory. The benchmark itself is timed and is run by `make bench`, not here."""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"
spec = importlib.util.spec_from_file_location("bench_script", SCRIPT)
bench = importlib.util.module_from_spec(spec)
sys.modules["bench_script"] = bench  # dataclasses look their module up here
spec.loader.exec_module(bench)

# A real report from `wrk -t2 -c4 -d2s --latency -s percentiles.lua` (Debian's wrk 4.1.0).
WRK_OUTPUT = """\
Running 2s test @ http://127.0.0.1:18999/nonexistent
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.86ms    2.66ms  16.60ms   84.75%
    Req/Sec   840.00    213.77     1.09k    80.00%
  Latency Distribution
     50%    1.46ms
     75%    4.07ms
     90%    6.82ms
     99%   12.06ms
  3348 requests in 2.00s, 1.66MB read
  Non-2xx or 3xx responses: 3348
Requests/sec:   1672.70
Transfer/sec:    849.42KB
BENCH latency_p50_us 1464
BENCH latency_p90_us 6822
BENCH latency_p95_us 8505
BENCH latency_p99_us 12055
"""


def test_wrk_report_gives_rate_percentiles_and_errors():
    result = bench.parse_wrk(WRK_OUTPUT)
    assert result.requests == 3348
    assert result.seconds == 2.0
    assert result.rps == 1672.70
    # p95 only comes from the Lua hook; the hook's microseconds win over wrk's rounded ms.
    assert result.p(95) == 8.505
    assert result.p(99) == 12.055
    assert result.p(50) == 1.464
    assert result.p(75) == 4.07  # from wrk's own distribution
    assert result.non_2xx_3xx == 3348
    assert result.errors == 3348


def test_wrk_report_without_lua_hook_still_gives_wrk_percentiles_and_socket_errors():
    text = WRK_OUTPUT.split("BENCH")[0].replace(
        "  Non-2xx or 3xx responses: 3348\n",
        "  Socket errors: connect 0, read 2, write 0, timeout 5\n",
    )
    result = bench.parse_wrk(text)
    assert result.p(99) == 12.06
    assert result.p(95) is None
    assert result.non_2xx_3xx == 0
    assert result.socket_errors == 7


@pytest.mark.parametrize(
    ("text", "expected"),
    [("850.00us", 0.85), ("1.46ms", 1.46), ("2.01s", 2010.0), ("1.00m", 60_000.0)],
)
def test_wrk_durations_are_read_in_milliseconds(text, expected):
    assert bench.parse_duration_ms(text) == pytest.approx(expected)


def test_an_unknown_duration_is_an_error_not_a_zero():
    with pytest.raises(ValueError, match="not a wrk duration"):
        bench.parse_duration_ms("fast")


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert bench.percentile(values, 99) == 99
    assert bench.percentile(values, 50) == 50
    assert bench.percentile([5.0], 99) == 5.0
    assert bench.percentile([], 99) is None


REGISTER_FORM = """
<form method="get" action="/search/"><input name="query"></form>
<form method="post" action="" novalidate>
  <input type="hidden" name="csrfmiddlewaretoken" value="tok123">
  <input type="text" name="full_name" required>
  <input type="email" name="email" required>
  <input type="text" name="gmc_number" inputmode="numeric">
  <select name="region"><option value="">Choose</option><option value="london">London</option>
    <option value="wales">Wales</option></select>
  <input type="radio" name="training_intention" value="within_12_months">
  <input type="radio" name="training_intention" value="later">
  <textarea name="comments"></textarea>
  <input type="checkbox" name="consent_privacy" value="yes">
  <div class="bench-honeypot" aria-hidden="true"><input type="text" name="website"></div>
  <input type="text" name="nickname" tabindex="-1">
  <button type="submit">Send</button>
</form>
"""


def test_the_register_form_is_answered_like_a_person_would():
    form = bench.find_post_form(REGISTER_FORM)
    data = dict(bench.fill_form(form, serial=4242))
    assert data["csrfmiddlewaretoken"] == "tok123"
    assert data["email"] == "bench-4242@example.org"
    assert data["gmc_number"] == "1004242"
    assert len(data["gmc_number"]) == 7
    assert data["region"] == "london"
    assert data["training_intention"] == "within_12_months"
    assert data["consent_privacy"] == "yes"
    assert data["full_name"] == "Bench Tester 4242"
    assert data["comments"]
    # Fields hidden from people (honeypots) stay empty, and the search form is not the one.
    assert "website" not in data
    assert "nickname" not in data
    assert "query" not in data


def test_each_post_gets_a_different_email_and_gmc_number():
    form = bench.find_post_form(REGISTER_FORM)
    first, second = dict(bench.fill_form(form, 1)), dict(bench.fill_form(form, 2))
    assert first["email"] != second["email"]
    assert first["gmc_number"] != second["gmc_number"]


def test_a_page_without_a_csrf_post_form_has_no_register_form():
    assert bench.find_post_form('<form method="get"><input name="query"></form>') is None


def test_a_form_shown_again_with_errors_counts_as_rejected():
    assert bench.looks_rejected('<div class="error-summary" role="alert">There is a problem</div>')
    assert bench.looks_rejected('<input name="email" aria-invalid="true">')
    assert not bench.looks_rejected("<h1>Thank you for registering</h1>")


def test_rate_limit_settings_are_found_by_name():
    settings_text = 'REGISTRY_RATE_LIMIT_PER_MINUTE = int(os.environ.get("REGISTER_RATELIMIT", 5))'
    names = bench.rate_limit_env_names([settings_text])
    assert "REGISTER_RATELIMIT" in names
    assert "REGISTRY_RATE_LIMIT" in names


def test_database_locked_errors_are_counted_in_the_server_log():
    log = "ok\nsqlite3.OperationalError: database is locked\nx database is locked\n"
    assert bench.count_database_locked(log) == 2


def test_resident_memory_sums_a_process_tree_from_proc(tmp_path):
    for pid, children, rss in [(10, "11 12", 1024), (11, "", 2048), (12, "", 512)]:
        task = tmp_path / str(pid) / "task" / str(pid)
        task.mkdir(parents=True)
        (task / "children").write_text(children)
        (tmp_path / str(pid) / "status").write_text(f"Name:\tgunicorn\nVmRSS:\t{rss} kB\n")
    pids = bench.process_tree(10, proc=tmp_path)
    assert sorted(pids) == [10, 11, 12]
    assert bench.rss_mb(pids, proc=tmp_path) == 3.5


def test_this_process_has_resident_memory():
    assert bench.rss_mb(bench.process_tree(os.getpid())) > 1


def test_growth_and_table_formatting():
    assert bench.growth_percent(200.0, 210.0) == 5.0
    table = bench.format_table(["page", "req/s"], [["home", "1,234"], ["static CSS", "56"]])
    lines = table.splitlines()
    assert lines[0].startswith("page")
    assert lines[2].endswith("1,234")
    assert lines[3].endswith("   56")  # numbers right-aligned


def test_quick_mode_shortens_every_duration(monkeypatch):
    monkeypatch.setenv("BENCH_QUICK", "1")
    quick = bench.Plan.from_env()
    monkeypatch.delenv("BENCH_QUICK")
    full = bench.Plan.from_env()
    assert full.wrk_seconds == 10 and full.write_seconds == 60
    assert full.memory_requests == 10_000 and full.write_clients == 16
    assert quick.wrk_seconds < full.wrk_seconds
    assert quick.write_seconds < full.write_seconds
    assert quick.memory_requests < full.memory_requests


def test_cache_headers_after_warm_up_are_summed_up():
    assert bench.summarise_cache_headers(["hit", "hit", "hit", "hit"]) == "hit"
    assert bench.summarise_cache_headers(["miss", "hit", "miss", "hit"]) == "hit 2/4"
    assert bench.summarise_cache_headers(["miss"] * 4) == "miss"
    assert bench.summarise_cache_headers([None] * 4) == "no header"
