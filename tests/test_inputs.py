"""The Explorer's inputs (issue 9, items 1, 6, 7): a parameter's value, slider, range box and link
always agree; defaults a user would choose; typos and dropped choices said; wrong uploads refused."""

from __future__ import annotations

import math

import pytest
from streamlit.testing.v1 import AppTest
from test_app import open_app, tables

from compute import PartialsError, parse_expression
from compute.language.domains import default_grid_names, grid_preference, positive_names, typo_hints
from compute.language.grid import check_point_columns
from compute.language.numbers import parse_number_list
from conftest import as_read
from ui.compute_cache import APP_LIMITS, clear_results
from ui.slider_ranges import default_range, slider_range, tidy_slider_value, widened_range
from ui.variable_inputs import POSITIVE_GRID

BLACK_SCHOLES = ("d1 = (log(S/K) + (r + sigma**2/2)*T)/(sigma*sqrt(T)); d2 = d1 - sigma*sqrt(T); "
                 "S*0.5*(1 + erf(d1/sqrt(2))) - K*exp(-r*T)*0.5*(1 + erf(d2/sqrt(2)))")
LINK = {"f": "K*x*y", "var.x": "0, 1", "var.y": "1, 2", "param.K": "1", "wrt": "x"}


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_results()


def messages(at: AppTest, kind: str = "all") -> str:
    parts = []
    if kind in ("all", "error"):
        parts += [e.value for e in at.error]
    if kind in ("all", "warning"):
        parts += [w.value for w in at.warning]
    if kind in ("all", "caption"):
        parts += [c.value for c in at.caption]
    return as_read(" ".join(parts))


def range_ends(at: AppTest, name: str) -> tuple[float, float]:
    _, ends = parse_number_list(at.text_input(key=f"range.{name}").value, (), APP_LIMITS)
    return ends[0], ends[1]


def assert_parameter_agrees(at: AppTest, name: str, value: float) -> None:
    """Box, slider, range box and share link all say the same thing."""
    assert at.number_input(key=f"param.{name}").value == value
    slider = at.slider(key=f"slider.{name}")
    assert slider.value == value
    lo, hi = range_ends(at, name)
    assert lo <= value <= hi
    assert (slider.min, slider.max) == (lo, hi)
    assert float(at.query_params[f"param.{name}"]) == value
    assert at.query_params[f"range.{name}"] == at.text_input(key=f"range.{name}").value


# --- item 1: typed value, slider, range box and link agree -------------------------------------


def test_a_typed_value_outside_the_range_widens_it() -> None:
    at = open_app(**LINK)
    assert_parameter_agrees(at, "K", 1.0)
    at.number_input(key="param.K").set_value(100.0).run()
    assert not at.exception
    assert_parameter_agrees(at, "K", 100.0)
    assert at.text_input(key="range.K").value == "0, 200"
    assert "widened" in messages(at, "caption")
    assert tables(at)["∂f/∂x"] == [["100", "200"], ["100", "200"]]  # K·y at K = 100
    at.number_input(key="param.K").set_value(-3.0).run()  # below: the low end moves
    assert_parameter_agrees(at, "K", -3.0)
    assert range_ends(at, "K") == (-6, 200)


def test_a_value_inside_the_range_leaves_it_alone() -> None:
    at = open_app(**LINK)
    at.number_input(key="param.K").set_value(1.5).run()
    assert_parameter_agrees(at, "K", 1.5)
    assert at.text_input(key="range.K").value == "0, 2"
    assert "widened" not in messages(at, "caption")


def test_a_link_value_outside_its_range_widens_the_range() -> None:
    at = open_app(**{**LINK, "param.K": "100", "range.K": "0, 2"})
    assert not at.exception
    assert not at.error
    assert_parameter_agrees(at, "K", 100.0)


def test_a_range_that_leaves_the_value_out_moves_the_value_to_its_nearest_end() -> None:
    at = open_app(**LINK)
    at.text_input(key="range.K").set_value("5, 10").run()
    assert not at.exception
    assert not at.error
    assert_parameter_agrees(at, "K", 5.0)
    assert at.text_input(key="range.K").value == "5, 10"  # the typed range is kept
    assert "moved to 5" in messages(at, "caption")
    assert tables(at)["∂f/∂x"] == [["5", "10"], ["5", "10"]]


def test_the_range_box_has_a_visible_label() -> None:
    at = open_app(**LINK)
    box = at.text_input(key="range.K")
    assert box.label == "Slider range"
    assert box.proto.label_visibility.value == 0  # VISIBLE
    assert "widens" in box.help


@pytest.mark.parametrize(("lo", "hi", "value", "expected"), [
    (0, 2, 100, (0, 200)), (0, 2, -3, (-6, 2)), (0, 2, 2.5, (0, 5)), (0.01, 2.01, 100, (0.01, 200)),
    (0.01, 2.01, 0.001, (0.0005, 2.01)), (-2, -1, -10, (-20, -1)), (-2, -1, -0.5, (-2, -0.25)),
    (0, 2, 1e300, (0, 1e300)), (0, 2, -1e300, (-1e300, 2)),
])
def test_the_widening_rule(lo, hi, value, expected) -> None:
    new = widened_range(lo, hi, value)
    assert new == pytest.approx(expected)
    assert new[0] <= value <= new[1]
    text = f"{new[0]!r}, {new[1]!r}"
    assert slider_range(text, value)[:2] == new  # always a working slider


def test_a_positive_name_starts_with_a_positive_slider() -> None:
    assert default_range(1.0, positive=True) == "0.01, 2.01"
    lo, _, step = slider_range(default_range(1.0, positive=True), 1.0)
    assert lo > 0
    assert step == pytest.approx(0.01)
    assert default_range(-1.0, positive=True) == default_range(-1.0)


# --- item 6: defaults a user would choose ---------------------------------------------------


def test_positive_names_follow_log_sqrt_division_and_fractional_powers() -> None:
    cases = {
        BLACK_SCHOLES: {"S", "K", "sigma", "T"},
        "log(1 + x**2)": set(), "sqrt(x)*y": {"x"}, "x**0.5 + y": {"x"}, "x**(1/3)": {"x"},
        "x**-1": {"x"}, "a**t": {"a"}, "sin(x)/x": {"x"}, "log(x*y)": {"x", "y"},
        "sqrt(1 - x**2)": set(), "log(exp(x))": set(), "t*k + 2*t*k**2": set(),
        "u = x*y; log(u) + z": {"x", "y"}, "log(S - K)": {"S"}, "1/(x**2 + 1)": set(),
        "where(x > 0, log(x), y)": {"x"}, "sqrt(max(x, y))": {"x", "y"}, "log(tanh(x))": {"x"},
    }
    for text, expected in cases.items():
        assert positive_names(parse_expression(text)) == expected, text


def test_which_names_start_as_grids() -> None:
    assert default_grid_names(("S", "K", "r", "sigma", "T"), {}) == {"S", "K"}
    assert default_grid_names(("a", "x", "b", "y"), {}) == {"x", "y"}
    assert default_grid_names(("A", "omega", "t", "phi"), {}) == {"t", "A"}
    assert default_grid_names(("theta", "phi"), {}) == {"theta", "phi"}  # only two: both grids
    assert default_grid_names(("a", "t", "k"), {"t": "grid", "k": "grid"}) == {"t", "k"}
    assert default_grid_names(("a", "t", "k"), {"t": "parameter"}) == {"a", "k"}
    assert [grid_preference(n) for n in ("x", "x1", "y_2", "S", "K", "sigma", "r", "T")] == [
        0, 0, 0, 1, 1, 2, 2, 2]


def test_black_scholes_typed_by_hand_has_no_nan() -> None:
    at = open_app()
    at.text_area(key="fn").set_value(BLACK_SCHOLES).run()
    assert not at.exception
    roles = {n: at.button_group(key=f"role.{n}").value for n in ("S", "K", "r", "sigma", "T")}
    assert roles == {"S": "grid", "K": "grid", "r": "parameter", "sigma": "parameter",
                     "T": "parameter"}
    assert at.text_input(key="var.S").value == POSITIVE_GRID
    assert "positive" in messages(at, "caption")
    shown = tables(at)
    assert shown
    assert not any("nan" in cell.lower() for t in shown.values() for row in t for cell in row)
    assert "not finite" not in messages(at)


def test_a_symmetric_function_keeps_the_symmetric_grid() -> None:
    at = open_app()
    at.text_area(key="fn").set_value("sin(x*y)").run()
    assert at.text_input(key="var.x").value == "linspace(-2, 2, 41)"


@pytest.mark.parametrize(("before", "after", "words"), [
    ("x*y", "x*yy", "'yy' is a new name — did you mean `y` or `y*y`?"),
    ("t*k", "t*k + tk", "'tk' is a new name — did you mean `t*k`?"),
    ("x*y + sigma", "x*y + sigm", "'sigm' is a new name — did you mean `sigma`?"),
])
def test_a_new_name_that_looks_like_a_typo_is_said_next_to_the_function(before, after, words) -> None:
    at = open_app(f=before, **{"var.x": "1, 2", "var.y": "1, 2", "var.t": "1, 2", "var.k": "1, 2"})
    assert "new name" not in messages(at)
    at.text_area(key="fn").set_value(after).run()
    assert not at.exception
    assert words in messages(at, "warning")
    at.number_input(key="digits").set_value(4).run()  # still said on the next run
    assert words in messages(at, "warning")
    at.text_area(key="fn").set_value(after + " + 0").run()  # the user went on: not said again
    assert "new name" not in messages(at)


def test_an_unrelated_new_name_is_not_called_a_typo() -> None:
    at = open_app()
    at.text_area(key="fn").set_value("t*k + z").run()
    assert "new name" not in messages(at)
    assert typo_hints("foo", ["x", "y"]) == []
    assert typo_hints("tk", ["t", "k"]) == ["t*k"]
    assert typo_hints("yy", ["y", "x"]) == ["y", "y*y"]
    # After splitting tk into t*k, neither t nor k is a typo of the name that was run together.
    assert typo_hints("t", ["tk", "t", "k"], new=["t", "k"]) == []
    assert typo_hints("k", ["tk", "t", "k"], new=["t", "k"]) == []
    # Typed together, neither of two close names is known to be the typo; added later, it is.
    assert typo_hints("sigm", ["sigma", "sigm", "x"], new=["sigma", "sigm"]) == []
    assert typo_hints("sigm", ["sigma", "sigm", "x"], new=["sigm"]) == ["sigma"]


def test_editing_a_grid_keeps_the_chosen_partials() -> None:
    at = open_app()
    at.button_group(key="d1").set_value(["k"]).run()
    at.text_input(key="var.k").set_value("2, 3, (").run()  # a mistake on the way
    assert at.error
    assert at.button_group(key="d1").value == ["k"]
    at.text_input(key="var.k").set_value("2, 3, 5").run()
    assert at.button_group(key="d1").value == ["k"]
    assert "∂f/∂k" in tables(at)
    assert "∂f/∂t" not in tables(at)


def test_a_partial_whose_name_left_the_function_is_dropped_and_said() -> None:
    at = open_app()
    at.multiselect(key="higher").set_value(["t,k", "t,t"]).run()
    at.button_group(key="bundles").set_value(["laplacian"]).run()
    at.text_area(key="fn").set_value("t*x").run()
    assert not at.exception
    assert at.button_group(key="d1").value == ["t", "x"]  # every first partial was chosen: still so
    assert at.multiselect(key="higher").value == ["t,t"]
    assert at.button_group(key="bundles").value == ["laplacian"]  # names overlap: kept
    said = messages(at)
    assert "∂f/∂k" in said
    assert "∂²f/∂t∂k" in said
    assert "k is no longer in the function" in said
    at.number_input(key="digits").set_value(4).run()
    assert "no longer in the function" in messages(at)  # said until the function changes again


def test_a_chosen_subset_of_first_partials_stays_a_subset() -> None:
    at = open_app()
    at.button_group(key="d1").set_value(["k"]).run()
    at.text_area(key="fn").set_value("x*k").run()
    assert at.button_group(key="d1").value == ["k"]
    assert "no longer" not in messages(at)  # t's partial was not chosen: nothing dropped
    at.button_group(key="d1").set_value(["x"]).run()
    at.text_area(key="fn").set_value("x*y").run()
    assert at.button_group(key="d1").value == ["x"]


def test_a_function_with_entirely_new_names_starts_fresh() -> None:
    at = open_app()
    at.button_group(key="d1").set_value(["k"]).run()
    at.button_group(key="bundles").set_value(["laplacian", "hessian"]).run()
    at.text_area(key="fn").set_value("sin(x*y)").run()
    assert not at.exception
    assert at.button_group(key="bundles").value == []
    assert at.button_group(key="d1").value == ["x", "y"]
    assert "no longer in the function" not in messages(at)


def test_a_jacobian_dropped_for_a_scalar_function_is_said() -> None:
    at = open_app(f="u = t*k; v = t + k; u, v", **{"var.t": "1, 2", "var.k": "1, 2"}, wrt="jacobian")
    assert at.button_group(key="bundles").value == ["jacobian"]
    at.text_area(key="fn").set_value("t*k").run()
    assert at.button_group(key="bundles").value == []
    assert "Jacobian" in messages(at)
    assert "one output" in messages(at)


# --- item 7: an upload must have the function's columns ------------------------------------


def test_check_point_columns_names_missing_and_extra() -> None:
    check_point_columns(("k", "t"), ("t", "k"))
    with pytest.raises(PartialsError) as info:
        check_point_columns(("x", "y"), ("t", "k"))
    text = info.value.describe()
    assert "missing t, k" in text
    assert "extra x, y" in text
    with pytest.raises(PartialsError, match="a is a parameter"):
        check_point_columns(("t", "k", "a"), ("t", "k"), parameters=("a",))
    with pytest.raises(PartialsError, match="missing k"):
        check_point_columns(("t",), ("t", "k"))


def test_an_upload_with_the_wrong_columns_is_refused_next_to_it() -> None:
    at = open_app(f="t*k", mode="points")
    at.file_uploader(key="pts_upload").set_value(("xy.csv", b"x,y\n1,2\n3,4\n", "text/csv")).run()
    assert not at.exception
    said = messages(at, "error")
    assert "Uploaded CSV" in said
    assert "missing t, k" in said
    assert "extra x, y" in said
    assert set(at.button_group(key="d1").options) == {"∂f/∂t", "∂f/∂k"}
    assert not at.table
    at.file_uploader(key="pts_upload").set_value(("tk.csv", b"k,t\n1,2\n3,4\n", "text/csv")).run()
    assert not at.exception
    assert not at.error
    assert at.table


@pytest.mark.parametrize("value", [0.0, 1.0, -3.0, 1e-300, 1e300, -1e300])
@pytest.mark.parametrize("positive", [False, True])
def test_the_default_range_still_holds_any_value(value: float, positive: bool) -> None:
    lo, hi, step = slider_range(default_range(value, positive=positive), value)
    assert lo <= value <= hi
    assert math.isfinite(step)
    assert step > 0


@pytest.mark.parametrize(("function", "shown"), [
    ("__import__('os')", r"\_\_import\_\_"),  # not bold 'import'
    ("", r"t\*k + 2\*t\*k\*\*2"),  # the example keeps its stars
])
def test_error_messages_show_the_users_characters_not_markdown(function, shown) -> None:
    at = open_app(f=function) if function else open_app()
    if not function:
        at.text_area(key="fn").set_value("").run()
    assert not at.exception
    assert any(shown in e.value for e in at.error), [e.value for e in at.error]


def test_splitting_a_run_together_name_gives_no_typo_note() -> None:
    at = open_app(f="2tk^2 + tk", **{"var.tk": "1, 2"})
    at.text_area(key="fn").set_value("t*k + 2*t*k**2").run()
    assert not at.exception
    assert not [w.value for w in at.warning if "new name" in w.value]


@pytest.mark.parametrize(("raw", "step", "tidy"), [
    (0.9499999999999998, 0.005, 0.95),
    (0.30000000000000004, 0.1, 0.3),
    (1e-7 + 1e-23, 1e-9, 1e-7),
    (123.456, 0.001, 123.456),
])
def test_a_slider_value_reads_as_its_shortest_decimal(raw, step, tidy) -> None:
    assert tidy_slider_value(raw, step) == tidy


def test_a_slider_value_moves_by_at_most_a_millionth_of_a_step() -> None:
    value = 2.0 / 3.0
    tidy = tidy_slider_value(value, 1e-3)
    assert tidy != value  # shortened ...
    assert abs(tidy - value) <= 1e-9  # ... but never to another slider position
