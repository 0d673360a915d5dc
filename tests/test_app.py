"""The Explorer headless through AppTest: values, edits, links, errors, caching."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import open_app
from ui import compute_cache
from ui.compute_cache import clear_results
from ui.explorer import VIEW_LABELS

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SEED_DK = [["9", "13"], ["18", "26"], ["36", "52"]]


def tables(at: AppTest) -> dict[str, list[list[str]]]:
    """Wide tables by quantity label (from their captions), as the text the page shows."""
    labels = [c.value.split(" — rows:")[0] for c in at.caption if " — rows:" in c.value]
    return {label: t.value.to_numpy().tolist() for label, t in zip(labels, at.table, strict=True)}


def tidy(at: AppTest) -> list[dict[str, str]]:
    return [t.value.to_dict("records") for t in at.table]


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_results()


def test_default_page_shows_the_seed_example() -> None:
    at = open_app()
    assert not at.exception
    shown = tables(at)
    assert shown["∂f/∂k"] == SEED_DK
    assert shown["∂f/∂t"] == [["10", "21"]] * 3
    assert shown["f"] == [["10", "21"], ["20", "42"], ["40", "84"]]
    formulas = " ".join(x.value for x in at.markdown if "partials-formula" in x.value)
    # the formula of ∂f/∂k, from SymPy, one group per term (so a long one can wrap between them)
    assert r"{\displaystyle 4 k t} + {\displaystyle t}" in formulas


def test_changing_the_function_updates_results() -> None:
    at = open_app()
    at.text_area(key="fn").set_value("t - k**2").run()
    assert not at.exception
    assert tables(at)["∂f/∂k"] == [["-4", "-6"]] * 3


def test_changing_a_grid_updates_results() -> None:
    at = open_app()
    at.text_input(key="var.k").set_value("1, 2, 3").run()
    assert tables(at)["∂f/∂k"] == [["5", "9", "13"], ["10", "18", "26"], ["20", "36", "52"]]


def test_a_parameter_has_a_value_and_a_slider() -> None:
    at = open_app()
    at.text_area(key="fn").set_value("a*t*k").run()
    assert at.button_group(key="role.a").value == "parameter"
    assert tables(at)["∂f/∂k"] == [["1", "1"], ["2", "2"], ["4", "4"]]
    at.number_input(key="param.a").set_value(2.5).run()
    assert not at.exception
    assert tables(at)["∂f/∂k"] == [["2.5", "2.5"], ["5", "5"], ["10", "10"]]
    at.slider(key="slider.a").set_value(0.5).run()
    assert tables(at)["∂f/∂k"] == [["0.5", "0.5"], ["1", "1"], ["2", "2"]]


def test_choosing_partials_updates_results() -> None:
    at = open_app()
    at.button_group(key="d1").set_value(["k"]).run()
    at.multiselect(key="higher").set_value(["t,k", "k,k"]).run()
    shown = tables(at)
    assert "∂f/∂t" not in shown
    assert shown["∂²f/∂t∂k"] == [["9", "13"]] * 3
    assert shown["∂²f/∂k²"] == [["4", "4"], ["8", "8"], ["16", "16"]]
    at.button_group(key="bundles").set_value(["laplacian"]).run()
    assert tables(at)["∇²f"] == [["4", "4"], ["8", "8"], ["16", "16"]]


def open_view(at: AppTest, view: str) -> AppTest:
    """Open the Tables, Plot or torch code tab, as a click would (only the open one is drawn)."""
    at.session_state["view"] = VIEW_LABELS[view]
    return at.run()


def test_query_parameters_seed_the_page() -> None:
    at = open_app(**{"f": "exp(-a*x)*y", "var.x": "0, 1", "var.y": "2, 3", "param.a": "0.5",
                     "wrt": ["x", "a", "x,y"], "plot": "heatmap", "digits": "6"})
    assert not at.exception
    assert at.text_area(key="fn").value == "exp(-a*x)*y"
    assert at.number_input(key="param.a").value == 0.5
    shown = tables(at)
    assert shown["∂f/∂x"] == [["-1", "-1.5"], ["-0.606531", "-0.909796"]]
    assert shown["∂f/∂a"] == [["0", "0"], ["-1.21306", "-1.81959"]]
    assert "∂²f/∂x∂y" in shown
    assert at.query_params["f"] == "exp(-a*x)*y"
    assert open_view(at, "plot").button_group(key="plot").value == "heatmap"


def test_only_the_open_view_is_drawn_and_it_travels_in_the_link() -> None:
    """Tables, Plot and torch code are tabs that draw only the open one: a hidden 3-D surface
    (Plotly's script and WebGL in a fresh browser) no longer delays a link's first table."""
    at = open_app()
    assert at.session_state["view"] == VIEW_LABELS["tables"]
    assert "view" not in at.query_params
    assert at.table
    assert not at.get("plotly_chart")
    assert not any("torch.func" in c.value for c in at.code)
    open_view(at, "plot")
    assert not at.exception
    assert at.get("plotly_chart")
    assert not at.table
    assert not at.dataframe
    assert at.query_params["view"] == "plot"
    link = dict(at.query_params)
    other = open_app(**link)  # a fresh session opens the link on the same tab
    assert other.session_state["view"] == VIEW_LABELS["plot"]
    assert other.get("plotly_chart")
    open_view(other, "code")
    assert any("torch.func" in c.value for c in other.code)
    assert not other.get("plotly_chart")
    assert "view=code" in next(c.value for c in other.code if c.value.startswith("http"))
    open_view(other, "tables")
    assert "view" not in other.query_params
    assert tables(other)["∂f/∂k"] == SEED_DK
    for bad in ("Plot", "surface", "", "x" * 300):
        odd = open_app(f="x*y", **{"var.x": "1, 2", "var.y": "3"}, view=bad)
        assert not odd.exception
        assert odd.table
        assert odd.session_state["view"] == VIEW_LABELS["tables"]


def test_the_open_view_survives_an_error_and_a_new_function() -> None:
    at = open_view(open_app(), "plot")
    at.text_area(key="fn").set_value("t*").run()  # no results: no tabs
    assert at.error
    assert not at.get("plotly_chart")
    at.text_area(key="fn").set_value("t*k**3").run()
    assert not at.exception
    assert at.get("plotly_chart")
    assert at.query_params["view"] == "plot"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"f": "t*sn(k)", "var.t": "1", "var.k": "2"}, "unknown function 'sn' at column 3"),
        ({"f": "__import__('os').system('true')"}, "only named functions can be called"),
        ({"f": "x", "var.x": "linspace(0, 1)"}, "Grid for x"),
        ({"f": "x*a", "var.x": "1", "param.a": "1e999"}, "too large"),
        ({"f": "x", "var.x": "1, 2", "wrt": ["q"]}, "'q' is not a variable or parameter"),
        ({"f": "x*y", "var.x": "linspace(0, 1, 5000)", "var.y": "linspace(0, 1, 5000)"},
         "this app's limit is"),
    ],
)
def test_each_error_shows_its_message_and_the_page_keeps_working(query, words) -> None:
    at = open_app(**query)
    assert not at.exception
    messages = " ".join(e.value for e in at.error)
    assert words in messages
    assert at.text_area(key="fn").value == query["f"]  # nothing the user typed is lost


def test_points_mode_from_the_table() -> None:
    at = open_app()
    at.button_group(key="mode").set_value("points").run()
    assert not at.exception
    rows = tidy(at)
    dk = [r for t in rows for r in t if "∂f/∂k" in r]
    assert dk
    for r in dk:
        assert float(r["∂f/∂k"]) == float(r["t"]) * (1 + 4 * float(r["k"])), r


def test_view_options_do_not_recompute(monkeypatch) -> None:
    calls = []
    real = compute_cache.run_job

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(compute_cache, "run_job", counting)
    clear_results()
    at = open_app()
    # The page's result, and the Gallery fact's readings (the default is the seed example).
    assert 1 <= len(calls) <= 3
    opened = len(calls)
    at.number_input(key="digits").set_value(4).run()
    open_view(at, "plot")
    at.button_group(key="plot").set_value("heatmap").run()
    at.selectbox(key="show").set_value("f").run()
    open_view(at, "code")
    assert not at.exception
    assert len(calls) == opened


def test_code_export_is_shown() -> None:
    at = open_view(open_app(), "code")
    code = [c.value for c in at.code if "torch.func" in c.value]
    assert code
    assert "vmap(grad(f, argnums=1))" in code[0]


def test_a_large_table_previews_numbers_with_short_grid_headers() -> None:
    """Above 2,500 cells a table is an interactive grid: its headers are the grid values, short
    but distinct, its cells stay numbers (exact: ∂(x·y)/∂x = y) shown to the chosen digits."""
    at = open_app(f="x*y + x", **{"var.x": "linspace(-2, 2, 200)", "var.y": "0.25, 1e-6, 3, 4, 5, "
                                  "6, 7, 8, 9, 10, 11, 12, 13, 14, 15"}, wrt="x")
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    assert len(frames) == 2  # f and ∂f/∂x
    partial = frames[1]
    assert list(partial.index[:4]) == ["-2", "-1.98", "-1.96", "-1.94"]  # not -1.979899497487437
    assert len(set(partial.index)) == 200
    assert list(partial.columns[:3]) == ["0.25", "1e-06", "3"]  # typed values, exactly
    ys = [0.25, 1e-6, *range(3, 16)]
    assert partial.to_numpy().tolist() == [[y + 1.0 for y in ys]] * 200  # ∂f/∂x = y + 1
    assert at.dataframe[1].proto.columns.count('"format": "%.10g"') == len(ys)  # the digits control
    at.number_input(key="digits").set_value(4).run()
    assert at.dataframe[1].proto.columns.count('"format": "%.4g"') == len(ys)
