"""The point inspector in a real browser (issue 12, item 2): a click on a heatmap cell opens the
inspector at that grid point and its numbers are SymPy's; a link with ``inspect.NAME`` opens a
fresh browser on the same panel."""

from __future__ import annotations

import math
import urllib.parse

import pytest

from browser import ARTIFACTS, wait_idle

pytestmark = pytest.mark.browser
LINK = {"v": "1", "f": "sin(x)*y", "var.x": "linspace(0, 3, 7)", "var.y": "1, 2, 3", "wrt": "x",
        "plot": "heatmap", "view": "plot"}
PANEL = "[data-testid='stExpander']"


def panel_rows(page) -> dict[str, list[str]]:
    """The inspector's tables as {first cell: other cells}, text as a reader sees it."""
    page.locator(f"{PANEL} [data-testid='stTable']").nth(2).wait_for(timeout=60_000)
    wait_idle(page)
    rows: dict[str, list[str]] = {}
    for table in page.locator(f"{PANEL} [data-testid='stTable']").all():
        for row in table.locator("tr").all():
            cells = [" ".join(c.inner_text().split()) for c in row.locator("th, td").all()]
            if cells:
                rows.setdefault(cells[0], cells[1:])
    return rows


def click_plot_at(page, x: float, y: float) -> None:
    """Click the plotted point (x, y), wherever Plotly laid out its axes."""
    target = page.evaluate(
        """([x, y]) => {
            const gd = document.querySelector('.js-plotly-plot');
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(x), box.top + ya._offset + ya.l2p(y)];
        }""", [x, y])
    page.mouse.move(target[0] + 3, target[1] - 3)  # near the point, not on it: the nearest wins
    page.mouse.click(target[0] + 3, target[1] - 3)


def open_link(page, url: str, query: dict) -> None:
    page.goto(url + "/?" + urllib.parse.urlencode(query, doseq=True))
    wait_idle(page)


def test_clicking_a_heatmap_cell_inspects_that_point(page, server_url) -> None:
    open_link(page, server_url, LINK)
    page.locator("[data-testid='stPlotlyChart'] .nsewdrag").first.wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator(f"{PANEL} [data-testid='stTable']").count() == 0  # closed until asked
    click_plot_at(page, 2.5, 3.0)
    page.get_by_text("At x = 2.5, y = 3").wait_for(timeout=60_000)
    wait_idle(page)
    rows = panel_rows(page)
    assert float(rows["f"][0]) == pytest.approx(3 * math.sin(2.5), rel=1e-9)  # sin(x)·y
    assert float(rows["∂f/∂x"][0]) == pytest.approx(3 * math.cos(2.5), rel=1e-9)
    gradient = [float(v) for v in rows["∇f"]]
    assert gradient == pytest.approx([3 * math.cos(2.5), math.sin(2.5)], rel=1e-9)
    assert [float(v) for v in rows["x"]] == pytest.approx([-3 * math.sin(2.5), math.cos(2.5)], rel=1e-9)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert (query["inspect.x"], query["inspect.y"]) == (["2.5"], ["3"])
    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inspector-click.png"), full_page=True)


def test_a_link_with_a_point_shows_the_panel_in_a_fresh_browser(browser, server_url) -> None:
    """Typed off-grid point (0.1234, 1.5) → link → a new browser context shows the same panel."""
    context = browser.new_context(viewport={"width": 1400, "height": 2200})
    page = context.new_page()
    open_link(page, server_url, {**LINK, "view": "tables", "inspect.x": "0.1234", "inspect.y": "1.5"})
    page.get_by_text("At x = 0.1234, y = 1.5").wait_for(timeout=60_000)
    wait_idle(page)
    first = panel_rows(page)
    assert float(first["f"][0]) == pytest.approx(1.5 * math.sin(0.1234), rel=1e-9)
    box = page.get_by_role("textbox", name="y =")
    box.fill("2*pi")
    box.press("Enter")
    page.get_by_text("outside the grid (y runs 1 … 3)").wait_for(timeout=60_000)
    wait_idle(page)
    link = page.url
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["inspect.y"] == ["2*pi"]
    rows = panel_rows(page)
    assert float(rows["f"][0]) == pytest.approx(2 * math.pi * math.sin(0.1234), rel=1e-9)
    context.close()

    fresh = browser.new_context(viewport={"width": 1400, "height": 2200})
    again = fresh.new_page()
    again.goto(link)
    wait_idle(again)
    again.get_by_text("At x = 0.1234, y = 6.283185307").wait_for(timeout=60_000)
    wait_idle(again)
    assert panel_rows(again) == rows
    fresh.close()
