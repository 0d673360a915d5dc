"""Issue 11 in a real browser: a pasted def and calculator notation are read and shown back, the
higher-partials box finds ``t,k`` and takes ``∂²f/∂t∂k`` typed in, and the link keeps the text."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from browser import ARTIFACTS, open_page, settle

pytestmark = pytest.mark.browser
SEED_LINK = {"f": "f(t, k) = t*k + 2t*k^2", "var.t": "t = 1 2 4", "var.k": "2:3", "wrt": "k"}




def table_by_caption(page, caption: str) -> list[str]:
    """The rows of the results table under ``caption`` (e.g. "∂f/∂k — rows: t, columns: k")."""
    tables = page.locator("[data-testid='stTable']")
    captions = page.locator("[data-testid='stCaptionContainer']").all_inner_texts()
    labels = [c.split(" — rows:")[0] for c in captions if " — rows:" in c]
    table = tables.nth(labels.index(caption))
    return [" ".join(row.inner_text().split()) for row in table.locator("tr").all()]


def query(page) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)


def test_a_link_in_calculator_notation_shows_the_seed_and_reads_it_back(page, server_url) -> None:
    open_page(page, f"{server_url}/?{urllib.parse.urlencode(SEED_LINK)}")
    assert table_by_caption(page, "∂f/∂k")[1:] == ["1 9 13", "2 18 26", "4 36 52"]
    assert page.get_by_text("Read as:").is_visible()
    assert page.get_by_text("f(t, k) = t*k + 2*t*k**2").first.is_visible()
    assert page.get_by_text("3 values — read as 1, 2, 4").is_visible()
    assert query(page)["f"] == [SEED_LINK["f"]]  # the link keeps what was typed
    assert query(page)["var.t"] == [SEED_LINK["var.t"]]


def test_the_partials_box_finds_t_k_and_takes_leibniz_notation(page, server_url) -> None:
    open_page(page, f"{server_url}/?{urllib.parse.urlencode(SEED_LINK)}")
    box = page.locator("[data-testid='stMultiSelect'] input").first
    box.click()
    box.type("t,k")
    option = page.get_by_role("option").filter(has_text="(t,k)")
    option.first.wait_for(timeout=30_000)  # typing the spec finds its option
    box.press("Enter")
    page.wait_for_url(re.compile(r"wrt=t(%2C|,)k"), timeout=30_000)
    settle(page)
    assert table_by_caption(page, "∂²f/∂t∂k")[1:] == ["1 9 13", "2 9 13", "4 9 13"]

    box = page.locator("[data-testid='stMultiSelect'] input").first
    box.click()
    box.type("d2f/dk2")  # no option's label matches: a new entry, read as k,k
    box.press("Enter")
    page.wait_for_url(re.compile(r"wrt=k(%2C|,)k"), timeout=30_000)
    settle(page)
    assert table_by_caption(page, "∂²f/∂k²")[1:] == ["1 4 4", "2 8 8", "4 16 16"]
    assert query(page)["wrt"] == ["k", "t,k", "k,k"]  # Enter picked one option each time

    box = page.locator("[data-testid='stMultiSelect'] input").first
    box.click()
    box.type("tk")  # t,k is chosen already: a fuzzy match would have taken t,t,k on Enter
    box.press("Enter")
    settle(page)
    assert query(page)["wrt"] == ["k", "t,k", "k,k"]
    page.screenshot(path=str(ARTIFACTS / "input-forms-partials.png"), full_page=True)


def test_a_pasted_torch_function_is_read_and_kept_in_the_link(page, server_url) -> None:
    open_page(page, f"{server_url}/?{urllib.parse.urlencode(SEED_LINK)}")
    pasted = ("def f(t: torch.Tensor, k: torch.Tensor) -> torch.Tensor:\n"
              "    gamma = t*k + 2*t*torch.pow(k, 2)\n"
              "    return gamma")
    box = page.get_by_role("textbox", name="Function")
    box.fill(pasted)
    box.press("Control+Enter")
    page.get_by_text("gamma = t*k + 2*t*k**2").first.wait_for(timeout=30_000)
    settle(page)
    assert table_by_caption(page, "∂f/∂k")[1:] == ["1 9 13", "2 18 26", "4 36 52"]
    assert query(page)["f"] == [pasted]
    page.screenshot(path=str(ARTIFACTS / "input-forms-def.png"), full_page=True)

    box.fill("def f(t, k):\n    import os\n    return t")
    box.press("Control+Enter")
    page.get_by_text("'import' is not needed at line 2, column 5").wait_for(timeout=30_000)
