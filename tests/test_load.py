"""Bounded load test (loopback only, stops by itself): 10 browser sessions run heavy jobs at
once; the health endpoint keeps answering within 1 s (99th percentile; no poll hangs) and every
session gets its own result."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from browser import CHROMIUM_ARGS, chromium_path, wait_idle

pytestmark = pytest.mark.browser
SESSIONS = 10


POLLER = """
import sys, time, urllib.request
url, seconds = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + seconds
while time.monotonic() < end:
    start = time.perf_counter()
    try:
        ok = urllib.request.urlopen(url + "/_stcore/health", timeout=5).read() == b"ok"
        print(time.perf_counter() - start if ok else "inf", flush=True)
    except OSError:
        print("inf", flush=True)
    time.sleep(0.1)
"""


def start_poller(url: str, seconds: float) -> subprocess.Popen:
    """Health polls from a process of their own, so the test's browser driver cannot delay them."""
    return subprocess.Popen([sys.executable, "-c", POLLER, url, str(seconds)], stdout=subprocess.PIPE,
                            text=True)


def query_for(a: int) -> dict:
    return {"f": "a*x*y + sin(x*y)*0", "var.x": "linspace(0, 1, 1500)", "var.y": "linspace(0, 1, 1500)",
            "param.a": str(a), "wrt": ["x", "y", "x,y"],
            # A heatmap, not the default WebGL surface: headless Chromium draws 3-D in software,
            # and ten of those would measure the test machine's renderer, not the server.
            "plot": "heatmap"}


def _may_drop_sys_nice() -> bool:
    """Whether setpriv can take CAP_SYS_NICE away here (it needs CAP_SETPCAP, as root has)."""
    if not shutil.which("setpriv"):
        return False
    probe = subprocess.run(["setpriv", "--bounding-set", "-sys_nice", "true"], capture_output=True,
                           check=False)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def niced_browser(playwright, tmp_path_factory):
    """The browsers stand in for users on other machines; here they share the server's two
    cores, so they run at the lowest priority rather than starving the server under test: the
    idle scheduling class (a thread there runs only when no normal thread wants the CPU, and
    nice values no longer matter) and nice 19, both inherited by every Chromium process. Run as
    root, Chromium raises its own display threads to nice -8 — above the server — so
    CAP_SYS_NICE is dropped from its bounding set first where possible."""
    drop = "setpriv --bounding-set -sys_nice " if _may_drop_sys_nice() else ""
    idle = "chrt --idle 0 " if shutil.which("chrt") else ""
    wrapper = tmp_path_factory.mktemp("chromium") / "chromium-niced"
    wrapper.write_text(f"#!/bin/sh\nexec {drop}{idle}nice -n 19 {chromium_path()} \"$@\"\n")
    wrapper.chmod(0o755)
    browser = playwright.chromium.launch(executable_path=str(wrapper), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def wait_for_result(page, timeout_ms: int = 180_000) -> str:
    """The caption of the first partial's table, failing at once (with the page's message) when
    the page shows an error instead."""
    caption = page.get_by_text("∂f/∂x: min").first
    error = page.locator("[data-testid='stAlertContentError'], [data-testid='stException']").first
    caption.or_(error).wait_for(timeout=timeout_ms)
    if not caption.is_visible():
        pytest.fail(f"the page showed an error instead of results: {error.inner_text()}")
    wait_idle(page)
    return caption.inner_text()


def test_ten_heavy_sessions_at_once(niced_browser, fresh_server_url) -> None:
    browser = niced_browser
    server_url = fresh_server_url
    contexts, pages = [], []
    poller = None
    try:
        warm = browser.new_context()  # one visit first: imports and workers start once, not per test
        warm_page = warm.new_page()
        warm_page.goto(f"{server_url}/?{urllib.parse.urlencode(query_for(1), doseq=True)}")
        wait_for_result(warm_page)
        warm.close()
        poller = start_poller(server_url, 240)
        start = time.perf_counter()
        for i in range(SESSIONS):
            a = 2 + i  # each session its own parameter, so its own result
            context = browser.new_context(viewport={"width": 1400, "height": 1600})
            page = context.new_page()
            # "commit": open the next session as soon as this one's request is answered, so the
            # ten jobs really run at once rather than one page load after another.
            page.goto(f"{server_url}/?{urllib.parse.urlencode(query_for(a), doseq=True)}",
                      wait_until="commit")
            contexts.append(context)
            pages.append((a, page))
        for a, page in pages:
            text = wait_for_result(page)
            assert f"max {a}," in text, (a, text)  # ∂f/∂x = a·y, largest at y = 1
        elapsed = time.perf_counter() - start
    finally:
        for context in contexts:
            context.close()
        if poller is not None:
            poller.terminate()
            output = poller.communicate(timeout=30)[0]  # always reaped: no process outlives the test
    latencies = [float(line) for line in output.split()]
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(f"\n{SESSIONS} sessions × 2.25M points × 3 partials: {elapsed:.1f} s; health over "
          f"{len(latencies)} polls: median {latencies[len(latencies) // 2] * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    # This machine is shared and noisy: a single poll can stall on the OS, so the bound is on
    # the 99th percentile, with no poll allowed to hang.
    assert len(latencies) >= 50
    assert p99 < 1.0, f"health p99 {p99:.2f} s"
    assert latencies[-1] < 5.0, f"a health poll took {latencies[-1]:.2f} s"
