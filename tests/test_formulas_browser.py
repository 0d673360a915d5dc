"""Long formulas are never clipped (issue 9, item 3), in a real browser at desktop and phone
widths: every KaTeX formula fits its box, or its box scrolls and takes keyboard focus. And
Black–Scholes' formulas are written in terms of d1 and d2, each defined once."""

from __future__ import annotations

import urllib.parse

import pytest

from browser import ARTIFACTS, VIEWPORTS, wait_idle
from compute.examples import example
from ui.gallery import example_state

pytestmark = pytest.mark.browser

# For each KaTeX formula on the page: no box around it clips it (overflow hidden or clip); if a
# box around it scrolls sideways, that box takes keyboard focus whenever it does scroll; and what
# shows of it (the scroll box, or the formula itself) stays inside its column and the window.
# Returns the offenders, described.
CLIPPED = """() => {
  const bad = [];
  const main = document.querySelector("[data-testid='stMain']") || document.body;
  for (const math of document.querySelectorAll(".katex")) {
    const box = math.getBoundingClientRect();
    if (box.width === 0) continue;
    const tex = (math.querySelector("annotation") || {}).textContent || "";
    let shown = box;
    for (let el = math.parentElement; el && el !== main; el = el.parentElement) {
      const overflow = getComputedStyle(el).overflowX;
      if (overflow === "auto" || overflow === "scroll") {
        if (el.scrollWidth > el.clientWidth + 1 && el.tabIndex < 0) {
          bad.push(`scrolls but takes no focus: ${tex.slice(0, 60)}`);
        }
        shown = el.getBoundingClientRect();
        break;
      }
      if (overflow === "hidden" || overflow === "clip") {
        const r = el.getBoundingClientRect();
        if (box.right > r.left + el.clientLeft + el.clientWidth + 1 || box.left < r.left - 1) {
          bad.push(`clipped (${box.width} px in ${el.clientWidth}): ${tex.slice(0, 60)}`);
        }
        shown = r;
        break;
      }
    }
    const column = math.closest("[data-testid='stColumn']") || main;
    const right = Math.min(column.getBoundingClientRect().right, window.innerWidth);
    if (shown.right > right + 1) {
      bad.push(`runs ${Math.round(shown.right - right)} px past its column: ${tex.slice(0, 60)}`);
    }
  }
  return bad;
}"""
TEX = """() => [...document.querySelectorAll(".partials-formula annotation")].map(a => a.textContent)"""


def black_scholes_link(server_url: str, **extra: str | list[str]) -> str:
    query = {**example_state(example("black-scholes")).to_query(), **extra}
    return f"{server_url}/?{urllib.parse.urlencode(query, doseq=True)}"


def open_formulas(browser, url: str, viewport: tuple[int, int], count: int):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.goto(url)
    wait_idle(page, 120_000)
    page.wait_for_function(f"document.querySelectorAll('.partials-formula .katex').length >= {count}",
                           timeout=120_000)
    return context, page


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_black_scholes_formulas_fit_or_scroll_and_use_d1_d2(browser, server_url, viewport) -> None:
    # C, its five Greeks, and the definitions d1, d2, N1, N2, ∂d1/∂σ, ∂d1/∂T above them.
    context, page = open_formulas(browser, black_scholes_link(server_url), VIEWPORTS[viewport], 12)
    try:
        page.screenshot(path=str(ARTIFACTS / f"formulas-{viewport}.png"))
        assert page.evaluate(CLIPPED) == []
        tex = page.evaluate(TEX)
        definitions = [t for t in tex if t.split("=")[0].strip().startswith(("{\\displaystyle d_{",
                                                                             "{\\displaystyle N_{"))]
        assert len(definitions) == 4, tex  # d1, d2, N1, N2: each once
        greeks = [t for t in tex if t.startswith("{\\displaystyle \\frac{\\partial C}")
                  or t.startswith("{\\displaystyle \\frac{\\partial^{2} C}")]
        assert len(greeks) == 5, tex
        for formula in greeks:
            assert "\\log" not in formula, f"d1 is written out in {formula}"
        assert any("d_{1}" in formula for formula in greeks)
    finally:
        context.close()


def test_a_formula_too_wide_to_wrap_scrolls_with_the_keyboard(browser, server_url) -> None:
    """∂³C/∂T²∂S has terms wider than a phone even at the smallest size: its box scrolls."""
    url = black_scholes_link(server_url, wrt=["T,T,S"], show="C:T,T,S")
    context, page = open_formulas(browser, url, VIEWPORTS["phone"], 2)
    try:
        assert page.evaluate(CLIPPED) == []
        wide = page.locator(".partials-formula").filter(
            has=page.locator("annotation", has_text="partial^{3} C"))
        wide.scroll_into_view_if_needed()
        sizes = wide.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert sizes[0] > sizes[1], sizes  # the case this test is for
        wide.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("e => e.scrollLeft > 0", arg=wide.element_handle(), timeout=10_000)
    finally:
        context.close()
