"""Gallery, Compare and Guide: every example's fact, the compare difference, the live guide."""

from __future__ import annotations

import json
import math
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from streamlit.testing.v1 import AppTest

from compute.examples import EXAMPLES, example
from conftest import open_app
from ui.compute_cache import clear_results
from ui.gallery import example_state
from ui.results import format_number
from ui.url_state import as_lists

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/explorer.py", "pages/gallery.py", "pages/compare.py", "pages/guide.py"]


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_results()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_an_exception(page: str) -> None:
    at = open_app(page)
    assert not at.exception
    assert not at.error


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.slug for e in EXAMPLES])
def test_every_gallery_example_shows_its_stated_fact(ex) -> None:
    """Each fact is computed (at the example's inspected point, or over its grid) and equals
    the closed form the card states; the Explorer the card opens shows the same numbers, ticked,
    with the inspector open at the example's point."""
    verified = ex.verify()
    assert any(r.scope == "point" for r, _, _ in verified)
    for reading, shown, holds in verified:
        assert holds, f"{ex.slug}: {reading.label} is {shown}, the card states {reading.expected}"
    at = open_app("pages/explorer.py", **example_state(ex).to_query())
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.text_area(key="fn").value == ex.function
    assert len(at.table) + len(at.dataframe) >= 2
    text = " ".join(m.value for m in at.markdown)
    assert f"**Gallery fact — {ex.title}.**" in text
    for reading, shown, _ in verified:
        assert f"{reading.label} = **{format_number(shown)}** ✓" in text, reading.label
    at_line = next(m.value for m in at.markdown if m.value.startswith("**At "))  # the inspector
    assert sorted(at_line.split("**")[1][3:].split(", ")) == sorted(f"{n} = {format_number(v)}"
                                                                    for n, v in ex.inspect)
    assert "✗" not in text


def test_gallery_cards_show_each_fact_computed() -> None:
    at = open_app("pages/gallery.py")
    computed = [m.value for m in at.markdown if m.value.startswith("**Computed:**")]
    assert len(computed) == len(EXAMPLES)
    for ex in EXAMPLES:  # cards sit in two columns: find each card's block by its readings
        block = next(b for b in computed if ex.readings[0].label in b)
        assert block.count("✓") == len(ex.readings), block
        assert "✗" not in block, block
        assert all(reading.label in block for reading in ex.readings)


def test_rosenbrock_fact_is_sympys_hessian_at_the_minimum() -> None:
    """The inspector's numbers behind the Rosenbrock card, against SymPy (not our closed form)."""
    x, y = sp.symbols("x y", real=True)
    f = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    found = example("rosenbrock").inspect_here()
    assert found.gradients[0] == tuple(float(sp.diff(f, v).subs({x: 1, y: 1})) for v in (x, y))
    hessian = sp.hessian(f, (x, y)).subs({x: 1, y: 1})
    assert found.hessian() == tuple(tuple(float(v) for v in row) for row in hessian.tolist())
    assert found.hessian_determinant() == float(hessian.det())


def test_black_scholes_delta_is_the_closed_form() -> None:
    result = example("black-scholes").compute()
    S, sigma = result.coordinate("S"), result.coordinate("sigma")
    K, T, r = 100.0, 1.0, 0.0
    d1 = (np.log(S / K) + (r + sigma**2 / 2) * T) / (sigma * math.sqrt(T))
    n_d1 = 0.5 * (1 + np.vectorize(math.erf)(d1 / math.sqrt(2)))
    np.testing.assert_allclose(result.partial("S", "C"), n_d1, rtol=1e-12, atol=1e-15)
    vega = S * np.exp(-d1**2 / 2) / math.sqrt(2 * math.pi) * math.sqrt(T)
    np.testing.assert_allclose(result.partial("sigma", "C"), vega, rtol=1e-10, atol=1e-12)


def test_heat_kernel_identity_on_the_grid() -> None:
    result = example("heat-kernel").compute()
    ut, uxx = result.partial("t", "u"), result.partial("x,x", "u")
    assert np.max(np.abs(ut - uxx)) <= 1e-10 * np.max(np.abs(ut))


def test_gallery_shows_a_card_per_example() -> None:
    at = open_app("pages/gallery.py")
    assert sorted(s.value for s in at.header) == sorted(e.title for e in EXAMPLES)
    assert len(EXAMPLES) >= 8


COMPARE = {"fa": "a*x**2", "var.x": "1, 2, 3", "pa.a": "1", "pb.a": "3", "wrt": ["x"]}


def open_tab(at: AppTest, label: str) -> AppTest:
    """Compare draws only its open tab (A, B or B − A): open another as a click would."""
    at.session_state["cmp.view"] = label
    return at.run()


def plot_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def share_link(at: AppTest) -> str:
    """The link in the Share popover (an st.code that starts with the page's address)."""
    return next(c.value for c in at.code if c.value.startswith("http"))


def test_compare_difference_has_the_known_answer() -> None:
    at = open_app("pages/compare.py", **COMPARE)
    assert not at.exception
    at.selectbox(key="cmp.show").set_value(("", ("x",))).run()
    assert at.table[0].value.to_numpy().tolist()[2][1] == "6"  # A: 2x at x = 3
    diff = open_tab(at, "B − A").table[0].value.to_numpy().tolist()
    assert [row[1] for row in diff] == ["4", "8", "12"]  # d/dx (3x² − x²) = 4x


def test_compare_draws_only_the_open_tab_and_titles_each_plot() -> None:
    at = open_app("pages/compare.py", **COMPARE)
    assert len(at.table) == 1
    assert plot_titles(at) == ["f (A)"]
    assert at.table[0].value.columns.tolist() == ["x", "f (A)"]
    assert plot_titles(open_tab(at, "B")) == ["f (B)"]
    at.selectbox(key="cmp.show").set_value(("", ("x",))).run()
    assert plot_titles(at) == ["∂f/∂x (B)"]
    assert plot_titles(open_tab(at, "B − A")) == ["B − A: ∂f/∂x"]  # not "f"
    assert at.table[0].value.columns.tolist() == ["x", "B − A: ∂f/∂x"]
    two = open_app("pages/compare.py", fa="x*y", fb="x*y**2", **{"var.x": "0, 1", "var.y": "1, 2"},
                   view="diff")
    assert plot_titles(two) == ["B − A: f"]  # a heatmap for two variables
    table = two.table[0].value  # B − A = x·y² − x·y, headed by the grid values as typed
    assert (table.index.tolist(), table.columns.tolist()) == (["0", "1"], ["1", "2"])
    assert table.to_numpy().tolist() == [["0", "0"], ["0", "2"]]


def test_compare_share_link_round_trips() -> None:
    """Share's link, opened in a fresh session, shows the same state: functions, grid,
    parameters, partials, the quantity, the open tab and its numbers."""
    at = open_app("pages/compare.py", **COMPARE)
    at.number_input(key="cmp.pb.a").set_value(5.0).run()
    at.selectbox(key="cmp.show").set_value(("", ("x",))).run()
    open_tab(at, "B − A")
    assert not at.exception
    link = share_link(at)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert query["fa"] == ["a*x**2"]
    assert query["pb.a"] == ["5.0"]
    assert query["view"] == ["diff"]
    assert query == as_lists(dict(at.query_params))  # the address bar says the same

    again = open_app("pages/compare.py", **{k: v if len(v) > 1 or k == "wrt" else v[0]
                                          for k, v in query.items()})
    assert not again.exception
    assert again.text_area(key="cmp.fa").value == "a*x**2"
    assert again.text_input(key="cmp.var.x").value == "1, 2, 3"
    assert (again.number_input(key="cmp.pa.a").value, again.number_input(key="cmp.pb.a").value) == (1, 5)
    assert again.button_group(key="cmp.wrt").value == ["x"]
    assert again.selectbox(key="cmp.show").value == ("", ("x",))
    assert again.session_state["cmp.view"] == "B − A"
    assert [t.value.to_numpy().tolist() for t in again.table] == [
        t.value.to_numpy().tolist() for t in at.table]
    assert [row[1] for row in again.table[0].value.to_numpy().tolist()] == ["8", "16", "24"]  # 4·2x
    assert share_link(again) == link


def test_the_readme_compare_link_shows_what_it_says() -> None:
    readme = (Path(APP).parent / "README.md").read_text()
    link = next(line.strip() for line in readme.splitlines() if "/compare?" in line)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    at = open_app("pages/compare.py", **{k: v[0] for k, v in query.items()})
    assert not at.exception
    assert plot_titles(at) == ["B − A: ∂f/∂x"]
    assert [row[1] for row in at.table[0].value.to_numpy().tolist()] == ["4", "8", "12"]
    assert share_link(at).endswith(urllib.parse.urlsplit(link).query)  # Share writes it the same


def test_compare_two_functions() -> None:
    at = open_app("pages/compare.py", fa="sin(x)", fb="sin(x) + x**3", **{"var.x": "0, 1, 2"})
    assert at.toggle(key="cmp.two").value
    diff = open_tab(at, "B − A").table[0].value.to_numpy().tolist()
    assert [row[1] for row in diff] == ["0", "1", "8"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(share_link(at)).query)
    again = open_app("pages/compare.py", **{k: v[0] for k, v in query.items()})
    assert again.toggle(key="cmp.two").value
    assert again.text_area(key="cmp.fb").value == "sin(x) + x**3"
    assert again.table[0].value.to_numpy().tolist() == diff


def test_compare_keeps_its_inputs_while_function_b_is_being_fixed() -> None:
    at = open_app("pages/compare.py", fa="a*sin(x)", fb="a*sin(x) + x**3",
                  **{"var.x": "0, 1, 2", "pa.a": "1", "pb.a": "2"})
    at.text_input(key="cmp.var.x").set_value("0, 1, 3").run()
    at.text_area(key="cmp.fb").set_value("a*sin(x) + x**").run()  # a typo in B
    assert not at.exception
    assert "Function B" in " ".join(e.value for e in at.error)
    assert at.text_input(key="cmp.var.x").value == "0, 1, 3"  # A's inputs stay, as typed
    assert at.number_input(key="cmp.pb.a").value == 2.0
    assert any("Fix function B" in i.value for i in at.info)
    assert "var.x=0,%201,%203" in share_link(at)  # the link keeps them too
    at.text_area(key="cmp.fb").set_value("a*sin(x) + x**3").run()
    diff = open_tab(at, "B − A").table[0].value.to_numpy().tolist()
    # B − A = (2 − 1)·sin(x) + x³ at x = 0, 1, 3
    assert [float(row[1]) for row in diff] == pytest.approx([0, math.sin(1) + 1, math.sin(3) + 27],
                                                            rel=1e-9)


def test_guide_answers_the_question_live() -> None:
    at = open_app("pages/guide.py")
    text = " ".join(m.value for m in at.markdown)
    assert "[27, 39]" in text
    assert "3 of 9 numbers" in text


def test_compare_shows_a_function_typed_another_way_in_the_plain_form() -> None:
    at = open_app("pages/compare.py", fa="a*x**2", fb="lambda x: 2a*x^2",
                  **{"var.x": "1, 2, 3", "pa.a": "1", "pb.a": "1"})
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert [c.value for c in at.caption].count("Read as:") == 1  # A is already plain
    assert [c.value for c in at.code if not c.value.startswith("http")] == ["f(x) = 2*a*x**2"]
    diff = open_tab(at, "B − A").table[0].value.to_numpy().tolist()
    assert [row[1] for row in diff] == ["1", "4", "9"]  # 2x² − x² at x = 1, 2, 3


def test_compare_checks_the_name_a_grid_starts_with() -> None:
    at = open_app("pages/compare.py", fa="a*x**2", **{"var.x": "x = 1, 2, 3", "pa.a": "1", "pb.a": "3"})
    assert not at.error, [e.value for e in at.error]
    assert [row[1] for row in at.table[0].value.to_numpy().tolist()] == ["1", "4", "9"]  # A: x²
    at.text_input(key="cmp.var.x").set_value("k = 1, 2").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "**Grid for x:** this grid is for x, but it starts with 'k ='" in errors
    assert not at.table


def test_the_guide_lists_every_share_link_key_the_pages_write() -> None:
    """Each key a share link can carry (a view with every field set, and Compare's link with
    its quantity and tab) is named in the Guide, prefixed keys as ``prefix.NAME``."""
    from ui.url_state import ViewState

    text = " ".join(m.value for m in open_app("pages/guide.py").markdown)
    full = ViewState(function="a*x*y", mode="points", grids=(("x", "1, 2"),), params=(("a", "2"),),
                     ranges=(("a", "0, 4"),), points=(("x", "1"),), wrt=("x",), dtype="float32",
                     plot="heatmap", show="f:x", axes="x, y", at=(("z", "0"),), digits="6",
                     anim="a, 0.0, 4.0, 20", view="plot", inspect=(("x", "1"),))
    explorer_keys = set(full.to_query())
    assert len(explorer_keys) == 17  # every field of ViewState and the version
    at = open_app("pages/compare.py", **COMPARE, show="f:x", view="diff")
    compare_keys = set(urllib.parse.parse_qs(urllib.parse.urlsplit(share_link(at)).query))
    assert compare_keys == {"v", "fa", "var.x", "pa.a", "pb.a", "wrt", "show", "view"}
    for key in explorer_keys | compare_keys | {"fb"}:
        prefix, dot, _ = key.partition(".")
        named = f"`{prefix}.NAME" if dot else f"`{key}`"
        assert named in text, key
    assert "`inspect.NAME=VALUE`" in text
