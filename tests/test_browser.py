"""Real browser: Debian's Chromium, driven by Playwright, against `streamlit run`."""

from __future__ import annotations

import pytest

from browser import ARTIFACTS, wait_idle

pytestmark = pytest.mark.browser


def test_default_page_shows_the_seed_matrix(page, server_url) -> None:
    page.goto(server_url)
    wait_idle(page)
    page.get_by_text("∂f/∂k").first.wait_for(timeout=60_000)
    table = page.locator("[data-testid='stTable']").nth(2)
    text = table.inner_text()
    for number in ("9", "13", "18", "26", "36", "52"):
        assert number in text.split() or f"{number}.0" in text, text
    page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)


def test_typing_a_new_function_updates_results(page, server_url) -> None:
    page.goto(server_url)
    wait_idle(page)
    box = page.get_by_role("textbox", name="Function")
    box.fill("t - k**2")
    box.press("Control+Enter")
    page.get_by_text("-6").first.wait_for(timeout=30_000)
    wait_idle(page)
    text = page.locator("[data-testid='stTable']").nth(2).inner_text()
    assert "-4" in text and "-6" in text
