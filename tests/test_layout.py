"""Layout in a real browser at a desktop (1440×900) and a phone (390×844) viewport: nothing a user
must read or click is cut off by overflow, and on a phone the answer comes before the inputs."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from browser import VIEWPORTS, serve_app, wait_idle
from compute.examples import EXAMPLES
from ui.gallery import example_state
from ui.style import INPUTS_KEY, RESULTS_KEY

pytestmark = pytest.mark.browser
VIEWS = {"default": "/"} | {
    e.slug: "/?" + urllib.parse.urlencode(example_state(e).to_query(), doseq=True) for e in EXAMPLES}
INPUTS = f"[data-testid='stColumn']:has(.st-key-{INPUTS_KEY})"
RESULTS = f"[data-testid='stColumn']:has(.st-key-{RESULTS_KEY})"
RESULT = "[data-testid='stTable'], [data-testid='stDataFrame']"
# The controls of the results column (the column also holds tables and formulas, which scroll
# sideways on purpose: those belong to the tables' own tests).
RESULT_CONTROLS = ("[role='tablist'], .stSelectbox, .stMultiSelect, .stButtonGroup, .stNumberInput, "
                   ".stTextInput, .stSlider, .stCheckbox, .stButton, .stDownloadButton, .stPopover, "
                   "[data-testid='stExpander'] summary")

# Every visible element under a column (or under its `units`) is checked, whatever it is:
# - its box lies within the column's;
# - if it carries text (its own text, or a button, label, input or textarea), that text is not cut:
#   no horizontal or vertical overflow of its own box (ellipsis, a value wider than its input, a
#   textarea taller than its box), and no ancestor that clips overflow (hidden, clip, auto, scroll)
#   cuts it, unless that ancestor shows a scrollbar a user can see and use.
CLIPPED = """([columnSelector, unitSelector]) => {
  const problems = [];
  const columns = [...document.querySelectorAll(columnSelector)];
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    const cs = getComputedStyle(el);
    return cs.visibility !== "hidden" && cs.display !== "none" && parseFloat(cs.opacity) > 0;
  };
  // Inside a clipping box of 1-2 px: visually hidden on purpose, for screen readers (a slider's input).
  const srOnly = (el, column) => {
    for (let a = el.parentElement; a && a !== column; a = a.parentElement) {
      const b = a.getBoundingClientRect();
      if (b.width <= 2 && b.height <= 2 && getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const hasText = (el) => el.matches("input:not([type=hidden]), textarea, button, label")
    || [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  const scrollbarX = (a, cs) => /(auto|scroll)/.test(cs.overflowX)
    && a.offsetHeight - a.clientHeight - parseFloat(cs.borderTopWidth) - parseFloat(cs.borderBottomWidth) > 0;
  const scrollbarY = (a, cs) => /(auto|scroll)/.test(cs.overflowY)
    && a.offsetWidth - a.clientWidth - parseFloat(cs.borderLeftWidth) - parseFloat(cs.borderRightWidth) > 0;
  const name = (el) => {
    const text = (el.value || el.textContent || el.getAttribute("aria-label") || "").trim();
    const id = el.dataset.testid ? " " + el.dataset.testid : "";
    return `<${el.tagName.toLowerCase()}${id}> "${text.slice(0, 50)}"`;
  };
  for (const column of columns) {
    const c = column.getBoundingClientRect();
    const units = unitSelector ? [...column.querySelectorAll(unitSelector)] : [column];
    const seen = new Set();
    for (const unit of units) {
      for (const el of [unit, ...unit.querySelectorAll("*")]) {
        if (seen.has(el) || !shown(el) || srOnly(el, column)) continue;
        seen.add(el);
        const r = el.getBoundingClientRect();
        const report = (problem) => {  // once per element: its descendants say nothing new
          problems.push(problem);
          for (const inner of el.querySelectorAll("*")) seen.add(inner);
        };
        if (r.left < c.left - 1 || r.right > c.right + 1) {
          report(`${name(el)} spans x ${r.left.toFixed(0)}..${r.right.toFixed(0)}, `
                        + `outside its column (${c.left.toFixed(0)}..${c.right.toFixed(0)})`);
          continue;
        }
        if (!hasText(el)) continue;
        const cs = getComputedStyle(el);
        const field = el.matches("input, textarea");
        if ((field || cs.overflowX !== "visible") && el.scrollWidth > el.clientWidth + 1
            && !scrollbarX(el, cs)) {
          report(`${name(el)} is cut: ${el.scrollWidth} px of text in ${el.clientWidth} px`);
          continue;
        }
        if ((field || cs.overflowY !== "visible") && el.scrollHeight > el.clientHeight + 1
            && !scrollbarY(el, cs)) {
          report(`${name(el)} is cut: ${el.scrollHeight} px tall in ${el.clientHeight} px`);
          continue;
        }
        for (let a = el.parentElement; a && a !== column.parentElement; a = a.parentElement) {
          const b = a.getBoundingClientRect();
          const as = getComputedStyle(a);
          const cutX = as.overflowX !== "visible" && (r.left < b.left - 1 || r.right > b.right + 1)
            && !scrollbarX(a, as);
          const cutY = as.overflowY !== "visible" && (r.top < b.top - 1 || r.bottom > b.bottom + 1)
            && !scrollbarY(a, as);
          if (cutX || cutY) {
            report(`${name(el)} is hidden by the overflow of ${name(a)}`);
            break;
          }
        }
      }
    }
  }
  return {columns: columns.length, problems};
}"""


@pytest.fixture(scope="module")
def layout_server() -> Iterator[str]:
    yield from serve_app("streamlit-layout.log")


def open_view(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)
    page.locator(RESULT).first.wait_for(timeout=60_000)
    wait_idle(page)
    # Widgets load their code lazily; until then Streamlit draws a placeholder.
    page.wait_for_function("!document.querySelector('[data-testid=stSkeleton]')", timeout=30_000)


def clipped(page, column: str, units: str | None = None) -> list[str]:
    found = page.evaluate(CLIPPED, [column, units])
    assert found["columns"] == 1, f"expected one column for {column}, found {found['columns']}"
    return found["problems"]


@pytest.mark.parametrize("view", list(VIEWS))
def test_no_control_or_label_is_cut_off(sized_page, layout_server, view) -> None:
    """The inputs column of the Explorer, as a fresh visitor and as each gallery example opens it,
    and the controls of its Tables and Plot views: nothing is cut at either viewport."""
    size, page = sized_page
    open_view(page, layout_server + VIEWS[view])
    problems = [f"inputs: {p}" for p in clipped(page, INPUTS)]
    problems += [f"tables view: {p}" for p in clipped(page, RESULTS, RESULT_CONTROLS)]
    page.get_by_role("tab", name="Plot").click()
    wait_idle(page)
    page.locator("[data-testid='stPlotlyChart'], [data-testid='stAlert']").first.wait_for(timeout=60_000)
    wait_idle(page)
    page.wait_for_function("!document.querySelector('[data-testid=stSkeleton]')", timeout=30_000)
    problems += [f"plot view: {p}" for p in clipped(page, RESULTS, RESULT_CONTROLS)]
    assert not problems, f"{view} at {size}:\n" + "\n".join(problems)


@pytest.mark.parametrize("sized_page", ["phone"], indirect=True)
@pytest.mark.parametrize("view", list(VIEWS))
def test_on_a_phone_the_answer_comes_first(sized_page, layout_server, view) -> None:
    """On a phone the results come before the inputs. Bounds: the results (their summary line)
    start on the first screen, 844 px, whatever the number of inputs (before: ~2,400 px down for
    Black–Scholes, below every input); the first table comes before the inputs start; and for the
    default function the first table itself starts on the first screen."""
    _, page = sized_page
    open_view(page, layout_server + VIEWS[view])
    height = VIEWPORTS["phone"][1]
    summary = page.locator(f"{RESULTS} [data-testid='stCaptionContainer']").first.bounding_box()
    table = page.locator(RESULT).first.bounding_box()
    inputs = page.locator(INPUTS).bounding_box()
    assert summary["y"] < height, f"the results start at {summary['y']:.0f} px"
    assert table["y"] < inputs["y"], f"first table at {table['y']:.0f} px, inputs at {inputs['y']:.0f} px"
    if view == "default":
        assert table["y"] < height, f"the default answer starts at {table['y']:.0f} px"
    # A link leads from the results to the inputs, and one back.
    page.get_by_role("link", name="Edit the function, grids and partials").click()
    expect(page.get_by_role("textbox", name="Function")).to_be_in_viewport()
    page.get_by_role("link", name="Back to the results").click()
    expect(page.get_by_role("heading", name="Results")).to_be_in_viewport()
