"""How low can the home page's p99 go during the register write load on this machine?

`make bench` measures the home page on the same server that takes the register posts. This
script measures the best any design on one machine could do, by taking the site's own code out
of the way:

1. **CPU floor.** The home page (cached) on a server that does nothing else, idle and then
   while one busy loop per core runs at the lowest CPU priority there is (SCHED_IDLE). No
   render, no database, no load generator: only the cores being busy.
2. **Renders in other processes.** The write load (16 clients, as in `make bench`) against
   server A, whose workers run at nice 19 with one server render slot, while the home page is
   measured on server B, which serves cached pages only and shares nothing with A but the
   database, Redis and the cores.

If the p99 ratios printed here are above the 2x target, no arrangement of renders inside one
machine's gunicorn meets it while the load generator shares the cores; only moving cached pages
or the load off the machine does. Run with `make bench-ceiling` (about 3 minutes).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402  (the benchmark's own servers, wrk runner and register clients)

SECONDS = int(os.environ.get("BENCH_CEILING_SECONDS", 30))


def home_p99(server, seconds, lua):
    return bench.run_wrk(server.base_url + "/", seconds, 1, 2, lua).p(99)


def cpu_floor(env, workdir, lua):
    server = bench.Server("hits-only", env, workdir).start()
    try:
        bench.warm(server, ["/"])
        bench.run_wrk(server.base_url + "/", 3, 1, 2, lua)
        idle = home_p99(server, 10, lua)
        loops = [
            subprocess.Popen(["chrt", "--idle", "0", sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 2)
        ]
        try:
            time.sleep(1)
            busy = home_p99(server, 10, lua)
        finally:
            for loop in loops:
                loop.kill()
                loop.wait()
    finally:
        server.stop()
    return idle, busy


def renders_elsewhere(env, workdir, lua):
    settings_module = Path(workdir) / "ceiling_settings.py"
    settings_module.write_text(
        bench.override_settings_module(
            env["DJANGO_SETTINGS_MODULE"],
            {"REGISTRY_RATE_LIMIT": int(bench.RATE_LIMIT_VALUE)},
        )
    )
    writes_env = dict(
        env, DJANGO_SETTINGS_MODULE="ceiling_settings", PYTHONPATH=workdir, SERVER_RENDER_SLOTS="1"
    )
    writes = bench.Server("writes", writes_env, workdir).start()
    reads = bench.Server("reads", env, workdir).start()
    try:
        for pid in bench.process_tree(writes.process.pid):
            os.setpriority(os.PRIO_PROCESS, pid, 19)
        bench.warm(writes, ["/", bench.REGISTER_PATH])
        bench.warm(reads, ["/"])
        bench.run_wrk(reads.base_url + "/", 3, 1, 2, lua)
        idle = home_p99(reads, 10, lua)
        tally = bench.WriteTally()
        deadline = time.monotonic() + SECONDS
        clients = [
            threading.Thread(
                target=bench.post_client, args=(writes.base_url, n, deadline, tally, 99)
            )
            for n in range(16)
        ]
        for client in clients:
            client.start()
        time.sleep(2)
        loaded = home_p99(reads, SECONDS - 4, lua)
        for client in clients:
            client.join()
    finally:
        writes.stop()
        reads.stop()
    return idle, loaded, tally


def main():
    if not shutil.which("wrk") or not shutil.which("chrt"):
        print("needs wrk and chrt (`make bench` installs wrk; chrt is in util-linux)")
        return 2
    with tempfile.TemporaryDirectory(prefix="bcis-ceiling-") as workdir:
        env = bench.production_env(workdir)
        print("Preparing: temporary SQLite database, demo content, collectstatic", flush=True)
        bench.prepare_database(env)
        bench.manage(env, "collectstatic", "--noinput", "-v0")
        lua = Path(workdir) / "percentiles.lua"
        lua.write_text(bench.LUA_PERCENTILES)

        idle, busy = cpu_floor(env, workdir, lua)
        print(
            f"1. CPU floor: home p99 idle {idle:.1f} ms; with {os.cpu_count()} idle-priority "
            f"busy loops {busy:.1f} ms ({busy / idle:.1f}x)"
        )
        idle, loaded, tally = renders_elsewhere(env, workdir, lua)
        print(
            f"2. Renders in other processes (nice 19, one slot): {tally.accepted} posts, "
            f"{tally.errors} errors, POST p99 {bench.percentile(tally.latencies_ms, 99):.0f} ms; "
            f"home p99 on the hits-only server idle {idle:.1f} ms, during the load "
            f"{loaded:.1f} ms ({loaded / idle:.1f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
