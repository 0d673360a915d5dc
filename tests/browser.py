"""Real-browser fixtures: a `streamlit run` server on a loopback port and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: scripts/test.sh installs it from Debian")
        pytest.skip("Chromium is not installed (scripts/test.sh installs it)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    yield from serve_app("streamlit.log")


@pytest.fixture(scope="module")
def fresh_server_url() -> Iterator[str]:
    """A server of its own (for the load test: no state left by other tests)."""
    yield from serve_app("streamlit-load.log")


SERVER_PIDS: dict[str, int] = {}  # url → the streamlit server's process id


def serve_app(log_name: str, env: dict[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / log_name).open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
         "--server.address=127.0.0.1", f"--server.port={port}",
         "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode() == "ok":
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"streamlit did not start; see {ARTIFACTS / log_name}")
        time.sleep(0.3)
    SERVER_PIDS[url] = proc.pid
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2200})
    pg = context.new_page()
    yield pg
    context.close()


VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}  # the sizes every page is judged at


@pytest.fixture(scope="module", params=list(VIEWPORTS))
def sized_page(request, browser):
    """One browser context per viewport, reused across a module's views (the script cache stays
    warm): yields (viewport name, page)."""
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    yield request.param, context.new_page()
    context.close()


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished the current run (never a sleep)."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def open_page(page, url: str) -> None:
    """Open a link and wait until its first results table is drawn."""
    page.goto(url)
    wait_idle(page)
    page.locator("[data-testid='stTable']").first.wait_for(timeout=60_000)


def settle(page) -> None:
    """Let the rerun a widget change starts begin, then wait for it to finish."""
    page.wait_for_timeout(300)
    wait_idle(page)
