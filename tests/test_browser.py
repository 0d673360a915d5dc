"""Real browser: Debian's Chromium, driven by Playwright, against `streamlit run`."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from browser import ARTIFACTS, ROOT, wait_idle

pytestmark = pytest.mark.browser
SEED_DK_ROWS = ["1 9 13", "2 18 26", "4 36 52"]


def table_rows(page, index: int) -> list[str]:
    """The rows of the index-th results table (in the open results tab: not the inspector's), as
    the text a reader sees."""
    table = page.locator("[role='tabpanel'] [data-testid='stTable']").nth(index)
    table.wait_for(timeout=60_000)
    return [" ".join(row.inner_text().split()) for row in table.locator("tr").all()]


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)
    page.locator("[data-testid='stTable']").first.wait_for(timeout=60_000)


def test_default_page_shows_the_seed_matrix_as_text(page, server_url) -> None:
    open_page(page, server_url)
    rows = table_rows(page, 2)
    assert rows[1:] == SEED_DK_ROWS, rows
    box = page.locator("[data-testid='stTable']").nth(2).bounding_box()
    assert box["y"] < 1400, "the seed matrix should be visible without scrolling far"
    page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)


def test_typing_a_new_function_updates_results(page, server_url) -> None:
    open_page(page, server_url)
    box = page.get_by_role("textbox", name="Function")
    box.fill("t - k**2")
    box.press("Control+Enter")
    page.get_by_text("-6").first.wait_for(timeout=30_000)
    wait_idle(page)
    assert table_rows(page, 2)[1:] == ["1 -4 -6", "2 -4 -6", "4 -4 -6"]


def test_share_link_reproduces_the_view_in_a_new_browser(browser, page, server_url) -> None:
    open_page(page, server_url)
    box = page.get_by_role("textbox", name="Function")
    box.fill("x*exp(-y*a)")
    box.press("Control+Enter")
    page.get_by_text("Grid for y").wait_for(timeout=30_000)
    wait_idle(page)
    grid = page.get_by_role("textbox", name="Grid for y")
    grid.fill("0, 1, 2")
    grid.press("Enter")
    page.get_by_text("3 values").last.wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Share").click()
    link = page.locator("[data-testid='stPopoverBody'] code").inner_text(timeout=30_000)
    link = re.sub(r"\s+", "", link)
    assert link.startswith(server_url)
    assert "f=x*exp(-y*a)" in urllib.parse.unquote(link)
    before = [table_rows(page, i) for i in range(3)]

    fresh = browser.new_context(viewport={"width": 1400, "height": 2200})
    try:
        other = fresh.new_page()
        open_page(other, link)
        after = [table_rows(other, i) for i in range(3)]
        assert after == before
        assert other.get_by_role("textbox", name="Function").input_value() == "x*exp(-y*a)"
    finally:
        fresh.close()


def test_the_share_popover_follows_a_plot_choice(page, server_url) -> None:
    """Plot options rerun only their fragment; the Share link (outside it) must still be the
    current view's, not the one before the click."""
    open_page(page, server_url)
    page.get_by_role("tab", name="Plot").click()
    page.get_by_role("radio", name="Contours").click()
    page.wait_for_url(re.compile(r"plot=contour"), timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Share").click()
    link = page.locator("[data-testid='stPopoverBody'] code").inner_text(timeout=30_000)
    assert "plot=contour" in re.sub(r"\s+", "", link), link


def test_a_link_draws_only_its_open_tab(page, server_url) -> None:
    """The first view of a link draws the tables and nothing hidden: no Plotly script (4.6 MB)
    and no surface behind the Plot tab (issue 9: that made a link's first table wait ~3× as long
    as a bare page's). Opening Plot draws it and puts ``view=plot`` in the address bar."""
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url.rsplit("/", 1)[-1]))
    query = {"f": "sin(x*y)", "var.x": "linspace(-2, 2, 200)", "var.y": "linspace(-2, 2, 200)",
             "wrt": ["x", "y"]}
    page.goto(f"{server_url}/?{urllib.parse.urlencode(query, doseq=True)}")
    page.locator("[data-testid='stDataFrame'] [role='gridcell']").first.wait_for(state="attached",
                                                                                 timeout=60_000)
    wait_idle(page)
    assert page.locator("[data-testid='stDataFrame']").count() == 3  # f, ∂f/∂x, ∂f/∂y
    assert page.locator("[data-testid='stPlotlyChart']").count() == 0
    assert not [s for s in scripts if s.startswith("PlotlyChart")], scripts
    page.get_by_role("tab", name="Plot").click()
    page.locator("[data-testid='stPlotlyChart']").wait_for(timeout=60_000)
    page.wait_for_url(re.compile(r"view=plot"), timeout=30_000)
    wait_idle(page)
    assert page.locator("[data-testid='stDataFrame']").count() == 0
    assert [s for s in scripts if s.startswith("PlotlyChart")]


@pytest.mark.parametrize(
    "query",
    [
        {"f": "__import__('os').system('touch {canary}')"},
        {"f": "x", "var.x": "__import__('os').system('touch {canary}')"},
        {"f": "x*a", "var.x": "1", "param.a": "[c for c in ().__class__.__base__.__subclasses__()]",
         "wrt": "__import__('os').system('touch {canary}')"},
    ],
    ids=["function", "grid", "param-and-wrt"],
)
def test_malicious_link_shows_an_error_and_runs_nothing(page, server_url, query) -> None:
    canary = ROOT / "artifacts" / "canary-browser"
    canary.unlink(missing_ok=True)
    filled = {k: v.format(canary=canary) for k, v in query.items()}
    page.goto(f"{server_url}/?{urllib.parse.urlencode(filled)}")
    wait_idle(page)
    alert = page.locator("[data-testid='stAlert']").first
    alert.wait_for(timeout=30_000)
    text = alert.inner_text()
    assert any(words in text for words in ("only named functions", "unknown", "not allowed")), text
    assert "Traceback" not in page.content()
    assert not canary.exists()


def test_gallery_card_opens_the_example_in_the_explorer(page, server_url) -> None:
    page.goto(f"{server_url}/gallery")
    wait_idle(page)
    page.get_by_text("Open in Explorer").first.click()
    page.get_by_role("textbox", name="Function").wait_for(timeout=60_000)
    wait_idle(page)
    page.locator("[role='tabpanel'] [data-testid='stTable']").nth(1).wait_for(timeout=60_000)
    assert page.get_by_role("textbox", name="Function").input_value() == "t*k + 2*t*k**2"
    assert table_rows(page, 1)[1:] == SEED_DK_ROWS  # f, then ∂f/∂k as the card asks
    assert "var.t=" in page.url
