"""App latency: a warm rerun on the server, and share link to results in headless Chromium.

    .venv/bin/python bench/app_latency.py

The case: a 200×200 grid, f, two first partials and one second partial. Goals: a warm rerun
≤ 300 ms on the server; a share link to visible results ≤ 2 s in the browser (warm server).
Also: a heavy job (1500×1500 grid, 3 partials: 72 MB of results) through a compute worker,
against the same job computed in-process — what the worker's isolation costs.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUERY = {"f": "sin(x*y) + x**2*y", "var.x": "linspace(-2, 2, 200)", "var.y": "linspace(-2, 2, 200)",
         "wrt": ["x", "y", "x,y"], "plot": "heatmap"}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def server_rerun() -> list[float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in QUERY.items():
        at.query_params[key] = value
    at.run()  # cold: computes and caches
    times = []
    for i in range(7):  # warm reruns: a view option changes, results come from the cache
        start = time.perf_counter()
        at.number_input(key="digits").set_value(6 + i % 2).run()
        times.append(time.perf_counter() - start)
    assert not at.exception
    return times


def heavy_job() -> tuple[list[float], list[float]]:
    from compute import Limits
    from compute.jobs import JobLimits, JobPool, JobRequest, run_request

    request = JobRequest("a*x*y + sin(x*y)", grids=(("x", "linspace(0, 1, 1500)"),
                                                    ("y", "linspace(0, 1, 1500)")),
                         params=(("a", 3.0),), wrt=("x", "y", "x,y"))
    limits = Limits(max_points=10**8)
    pool = JobPool(JobLimits(workers=1))
    worker, inline = [], []
    try:
        pool.run(request, limits)  # starts the worker
        for _ in range(7):
            start = time.perf_counter()
            pool.run(request, limits)
            worker.append(time.perf_counter() - start)
            start = time.perf_counter()
            run_request(request, limits)
            inline.append(time.perf_counter() - start)
    finally:
        pool.close()
    return worker, inline


def browser_link() -> list[float]:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(ROOT / "artifacts" / "latency-streamlit.log", "w")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py",
                               "--server.address=127.0.0.1", f"--server.port={port}"],
                              cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
    link = f"{url}/?{urllib.parse.urlencode(QUERY, doseq=True)}"
    times = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            for i in range(6):  # the first warms the server (imports, cache); then fresh browsers
                context = browser.new_context(viewport={"width": 1400, "height": 1400})
                page = context.new_page()
                start = time.perf_counter()
                page.goto(link)
                page.get_by_text("∂²f/∂x∂y: min").first.wait_for(timeout=120_000)
                if i:
                    times.append(time.perf_counter() - start)
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    return times


def main() -> None:
    (ROOT / "artifacts").mkdir(exist_ok=True)
    rerun = server_rerun()
    worker, inline = heavy_job()
    link = browser_link()
    print(f"warm server rerun (200×200, f + 3 partials): median {statistics.median(rerun) * 1000:.0f} ms "
          f"(min {min(rerun) * 1000:.0f}, max {max(rerun) * 1000:.0f}; goal ≤ 300 ms)")
    print(f"heavy job (2.25M points, 3 partials) through a worker: median "
          f"{statistics.median(worker) * 1000:.0f} ms; computed in-process: "
          f"{statistics.median(inline) * 1000:.0f} ms")
    print(f"share link to results in headless Chromium (warm server): median "
          f"{statistics.median(link):.2f} s (min {min(link):.2f}, max {max(link):.2f}; goal ≤ 2 s)")


if __name__ == "__main__":
    main()
