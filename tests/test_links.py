"""Hostile share links and typed values: every one shows a message, none crashes a page.

A link is untrusted input. Each key ``read_query`` knows and each typed input gets a battery of
values a hostile user (or a spreadsheet) would send; the page must show a message next to the
input (or a note at the top for link-only keys such as ``digits`` and ``anim``) and never
Streamlit's "This app has encountered an error".
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app import tables

from compute import PartialsError, parse_constant, parse_expression
from compute.language.grid import parse_grid_spec
from compute.language.numbers import parse_count, parse_number
from conftest import as_read, open_app
from ui.compute_cache import APP_LIMITS, clear_results
from ui.slider_ranges import default_range, slider_range
from ui.url_state import LINK_SAFE_CHARS, MAX_PARAMETER, MAX_VALUE_CHARS, check_parameter, read_query


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_results()


def messages(at: AppTest) -> str:
    """Every error and warning the page shows, as one text without Markdown's bold."""
    return as_read(" ".join(e.value for e in at.error) + " " + " ".join(w.value for w in at.warning))


COMPARE_PAGE = "pages/compare.py"


# --- the examples from issue 14, item 5: each crashed the page before ---------------------------

LINK = {"f": "a*x*y", "var.x": "0, 1", "var.y": "1, 2", "param.a": "1", "wrt": "x"}


@pytest.mark.parametrize(("extra", "words"), [
    ({"digits": "²"}, "'digits' in the link"),
    ({"anim": "a,0,1,²"}, "'anim' in the link"),
    ({"param.a": "1e308"}, "a: from the link: 1e+308 is too large for a parameter"),
    ({"param.a": "-1e308"}, "a: from the link: -1e+308 is too large for a parameter"),
    ({"param.a": "0", "range.a": "0,5e-324"}, "Range of a: the range 0 to 5e-324 is too narrow"),
    ({"var.y": "3,3"}, "Grid for y: the grid repeats the value 3 — grid values must be distinct"),
])
def test_a_crashing_link_now_shows_its_message(extra, words) -> None:
    at = open_app(**{**LINK, **extra})
    assert not at.exception, at.exception
    assert words in messages(at)
    assert at.text_area(key="fn").value == "a*x*y"


def test_a_refused_link_value_computes_nothing_until_the_user_sets_one() -> None:
    """No results with a stand-in value the link did not ask for; the message stays across
    reruns until the user gives the parameter a value."""
    at = open_app(**{**LINK, "param.a": "1e308"})
    assert "from the link" in messages(at)
    assert not at.table
    at.text_area(key="fn").set_value("a*x*y ").run()
    assert "from the link" in messages(at)
    assert not at.table
    at.number_input(key="param.a").set_value(3.0).run()
    assert not at.exception
    assert "from the link" not in messages(at)
    assert tables(at)["∂f/∂x"] == [["3", "6"], ["3", "6"]]  # a·y at a = 3, y = 1, 2


def test_a_repeated_grid_value_typed_on_the_explorer() -> None:
    at = open_app(**LINK)
    at.text_input(key="var.y").set_value("3, 3").run()
    assert not at.exception, at.exception
    assert "Grid for y: the grid repeats the value 3" in messages(at)
    at.text_input(key="var.y").set_value("3, 4").run()  # fixed: results again
    assert not at.exception
    assert not at.error
    assert at.table


@pytest.mark.parametrize("typed", [False, True])
def test_a_repeated_grid_value_on_compare(typed: bool) -> None:
    query = {"fa": "a*x*y", "var.x": "0, 1", "var.y": "3, 4" if typed else "3,3", "pa.a": "1",
             "pb.a": "2", "wrt": "x"}
    at = open_app(COMPARE_PAGE, **query)
    if typed:
        assert not at.exception
        assert not at.error
        at.text_input(key="cmp.var.y").set_value("3, 3").run()
    assert not at.exception, at.exception
    assert "Grid for y: the grid repeats the value 3 — grid values must be distinct" in messages(at)


def test_a_typed_range_too_narrow_or_too_wide_for_a_slider() -> None:
    at = open_app(**LINK)
    for text, words in (("0, 5e-324", "too narrow"), ("1, 1+1e-15", "too narrow"),
                        ("-1e308, 1e308", "±1e+300"), ("0, 1e999", "too large"), ("2, 1", "low < high")):
        at.text_input(key="range.a").set_value(text).run()
        assert not at.exception, (text, at.exception)
        assert "Range of a:" in messages(at), (text, messages(at))
        assert words in messages(at), (text, messages(at))
        assert at.table  # the parameter keeps its value: results as before
    at.text_input(key="range.a").set_value("0, 4").run()
    assert not at.exception
    assert not at.error
    assert at.slider(key="slider.a").max == 4


def test_a_typed_huge_parameter_value_is_a_message_next_to_it() -> None:
    at = open_app(**LINK)
    for value in (1e308, -1e308, 1e308, 5e-324, -1.7976931348623157e308):
        at.number_input(key="param.a").set_value(value).run()
        assert not at.exception, (value, at.exception)
        if abs(value) > MAX_PARAMETER:
            assert "too large for a parameter" in messages(at)
            assert not at.table  # nothing runs with the bad value
        else:
            assert not at.error
            assert at.table
    at.slider(key="slider.a").set_value(0.5).run()
    assert not at.exception
    assert not at.error
    assert at.table


# --- the share link leaves a large points table out, and says so ------------------------------


@pytest.mark.parametrize("rows", [200, 201])
def test_a_points_table_the_link_cannot_carry_is_named(rows: int) -> None:
    values = ", ".join(str(i) for i in range(rows))
    at = open_app(f="x*y", mode="points", wrt="x", **{"pts.x": values, "pts.y": values})
    _no_crash(at)
    assert not at.error
    assert at.table
    captions = " ".join(c.value for c in at.caption)
    if rows <= 200:
        assert at.query_params["pts.x"].startswith("0.0, 1.0, ")
        assert "does not carry" not in captions + messages(at)
    else:
        assert "pts.x" not in at.query_params
        assert f"The share link does not carry these {rows} points" in captions  # by the table
        assert f"The link does not carry your {rows} points" in messages(at)  # in Share


def test_three_columns_of_points_travel_and_a_long_link_is_flagged() -> None:
    columns = {f"pts.{n}": ", ".join(repr(0.1234567890123 * (i + 1) + k) for i in range(200))
               for k, n in enumerate("wxyz")}
    at = open_app(f="w*x*y*z", mode="points", wrt="x", **columns)
    _no_crash(at)
    assert not at.error
    assert at.table
    assert all(at.query_params[key] == value for key, value in columns.items())  # all four
    link = next(c.value for c in at.code if c.value.startswith("http"))
    assert len(link) > LINK_SAFE_CHARS
    assert f"This link is {len(link):,} characters long" in messages(at)
    at = open_app(f="w*x*y*z", mode="points", wrt="x", **dict(list(columns.items())[:1]))
    assert "characters long" not in messages(at)


def test_typed_animation_ends_are_checked_like_parameters() -> None:
    at = open_app(**{**LINK, "range.a": "0, 4", "plot": "heatmap", "view": "plot"})
    at.number_input(key="anim.from.a").set_value(-1e308).run()
    at.number_input(key="anim.to.a").set_value(1e308).run()
    at.toggle(key="anim.on").set_value(True).run()
    _no_crash(at)
    assert "From: -1e+308 is too large for a parameter" in messages(at)
    at.number_input(key="anim.from.a").set_value(0.0).run()
    at.number_input(key="anim.to.a").set_value(2.0).run()
    _no_crash(at)
    assert not at.error


# --- the pure pieces -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["²", "１", "1_0", "٣", "1e5", "-1", "+1", " ", "", "1.0", "0x10",
                                  "\ud800", "9" * 40, "nan", "inf"])
def test_counts_are_ascii_digits_only(text: str) -> None:
    with pytest.raises(PartialsError):
        parse_count(text, "digits", 3, 17)


def test_counts_and_numbers_that_are_fine() -> None:
    assert parse_count(" 12 ", "digits", 3, 17) == 12
    assert parse_number("-1.5e3", "a value") == -1500.0
    assert parse_number(".5", "a value") == 0.5
    for bad in ("1_0", "１", "²", "nan", "inf", "1e999", "", "1e", "--1", "\ud800", "1,5"):
        with pytest.raises(PartialsError):
            parse_number(bad, "a value")


@pytest.mark.parametrize("value", [0.0, 1.0, -3.0, 1e-300, 5e-324, 1e300, -1e300, 123456.789,
                                   1e15 + 0.5])
def test_the_default_range_is_always_a_working_slider(value: float) -> None:
    lo, hi, step = slider_range(default_range(value), value)
    assert lo <= value <= hi
    assert lo < hi
    assert 0 < step < float("inf")
    assert lo + step > lo
    assert hi - step < hi


@pytest.mark.parametrize("spec", ["3, 3", "1, 2, 1", "linspace(1, 1, 3)", "linspace(0, 1e-321, 1000)",
                                  "arange(1e16, 1e16 + 10, 1)", "logspace(-323.3, -323, 50)",
                                  "logspace(0, 1e-20, 3)", "[2*pi, 2*pi]"])
def test_a_grid_axis_may_not_repeat_a_value(spec: str) -> None:
    with pytest.raises(PartialsError, match="repeats the value"):
        parse_grid_spec(spec)


def test_a_grid_whose_values_overflow_is_refused() -> None:
    with pytest.raises(PartialsError, match="overflow"):
        parse_grid_spec("linspace(-1e308, 1e308, 3)")  # was [nan, 0, 1e308]


@pytest.mark.parametrize("spec", ["1, 2, 4", "linspace(0, 1, 100001)", "arange(0, 1, 1e-6)",
                                  "logspace(-300, 300, 601)", "linspace(5e-324, 1e-322, 20)", "7",
                                  "linspace(1, 1, 1)", "linspace(0, 1e-320, 1000)"])
def test_distinct_grids_are_still_fine(spec: str) -> None:
    parse_grid_spec(spec)


def test_read_query_drops_what_is_not_text_and_checks_link_only_keys() -> None:
    keys = ["f", "mode", "var.x", "param.a", "range.a", "pts.x", "wrt", "dtype", "plot", "show",
            "axes", "at.x", "digits", "anim", "view", "v"]
    for bad in [*HOSTILE, "\ud800", "x\udfff", "9" * 25_000]:
        query = {key: [bad] for key in keys} | {"f": ["a*x"], f"var.{bad[:3]}": [bad]}
        state, notes = read_query(query)
        for text in (*[v for _, v in state.grids + state.params + state.ranges + state.points
                       + state.at], *state.wrt, state.mode, state.dtype, state.plot, state.show,
                     state.axes, state.digits, state.anim, state.view, *notes):
            text.encode("utf-8")  # what reaches a widget or a message is always valid text
        assert state.digits == ""
        assert state.anim == ""
        assert state.mode == "grid"
        assert state.dtype == "float64"
        assert state.plot == "surface"
        assert state.view == "tables"
        if bad:
            assert any("'digits' in the link" in n for n in notes)
    state, notes = read_query({"f": ["x"], "digits": [" 6 "], "anim": ["a, 0, 2*pi, 7"]})
    assert (state.digits, state.anim, notes) == ("6", "a, 0.0, 6.283185307179586, 7", [])
    for anim in ("a, 0, 1, 1", "a, 0, 1, 61", "a, 1, 1, 5", "a, 0, 1e308, 5", "a, nan, 1, 5"):
        state, notes = read_query({"f": ["x"], "anim": [anim]})
        assert state.anim == "", anim
        assert "'anim' in the link" in notes[0], anim


# --- the sweep: every link key, every typed input, a battery of hostile values ---------------

# A lone surrogate cannot travel in a URL (the server decodes bad UTF-8 as U+FFFD): read_query's
# own test below feeds it directly.
HOSTILE = ["²", "1e308", "-1e308", "5e-324", "nan", "inf", "1_0", "１", "", ",,,", "é∂x", "\ufffd",
           "3" * 30_000, "1, 1", "x" * 600, "%00", "\x00", "-", "()", "__class__", "a,0,1,²"]
IDS = [repr(h[:12]) + (f"x{len(h)}" if len(h) > 12 else "") for h in HOSTILE]
THREE = {"f": "a*x*y*z + b", "var.x": "0, 1", "var.y": "1, 2", "var.z": "0, 1, 2", "param.a": "1",
         "param.b": "2", "wrt": "x"}


def _no_crash(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _refused(check, *args) -> bool:
    """Whether the validator the page uses for this input refuses the value."""
    try:
        check(*args)
    except PartialsError:
        return True
    return False


def _grid(text: str) -> None:
    parse_grid_spec(text, APP_LIMITS)


def _parameter(text: str) -> None:
    check_parameter(parse_constant(text, APP_LIMITS))


def _function(text: str) -> None:
    parse_expression(text, APP_LIMITS)


@pytest.mark.parametrize("bad", HOSTILE, ids=IDS)
def test_hostile_link_values_on_the_explorer(bad: str) -> None:
    # Inputs that stop the results: a grid, a parameter, a range, the link-only keys.
    query = {**THREE, "var.y": bad, "param.a": bad, "range.b": bad, "digits": bad,
             "anim": f"b, 0, 1, {bad}", "wrt": [bad, "x"], "dtype": bad, "mode": bad, "plot": bad,
             "v": bad, "view": bad, f"var.{bad[:5]}": bad}
    at = open_app(**query)
    _no_crash(at)
    shown = messages(at)
    assert ("Grid for y:" in shown) == _refused(_grid, bad)
    assert ("a: from the link:" in shown) == _refused(_parameter, bad)
    assert ("Range of b:" in shown) == _refused(slider_range, bad, 2.0)
    assert ("'digits' in the link" in shown) == bool(bad)
    assert "'anim' in the link" in shown
    notes = read_query({k: v if isinstance(v, list) else [v] for k, v in query.items()})[1]
    assert all(f"Share link: {note}" in shown for note in notes)
    assert at.text_area(key="fn").value == "a*x*y*z + b"

    # Plot keys with the plot showing: slices, axes, the plotted quantity, an animation's ends.
    at = open_app(**{**THREE, "at.z": bad, "axes": bad, "show": bad, "plot": bad,
                     "anim": f"a, {bad}, 1, 5", "range.a": f"0, {bad}", "view": "plot"})
    _no_crash(at)
    assert at.get("plotly_chart")
    shown = messages(at)
    assert ("Range of a:" in shown) == _refused(slider_range, f"0, {bad}", 1.0)
    anim_refused = _refused(_parameter, bad) or parse_constant(bad, APP_LIMITS) == 1
    assert ("'anim' in the link" in shown) == anim_refused

    # Points mode: a column of points.
    at = open_app(**{**THREE, "mode": "points", "pts.x": bad, "pts.y": "1, 2", "pts.z": "3, 4"})
    _no_crash(at)
    column_refused = 0 < len(bad) <= MAX_VALUE_CHARS and _refused(lambda t: [parse_constant(v, APP_LIMITS)
                                                        for v in t.split(",")], bad)
    assert ("Points for x: from the link:" in messages(at)) == column_refused

    # The function itself.
    at = open_app(**{**THREE, "f": bad})
    _no_crash(at)
    assert ("Function:" in messages(at)) == _refused(_function, bad)


@pytest.mark.parametrize("bad", HOSTILE, ids=IDS)
def test_hostile_link_values_on_compare(bad: str) -> None:
    at = open_app(COMPARE_PAGE, **{"fa": "a*x*y", "var.x": "0, 1", "var.y": bad, "pa.a": bad, "pb.a": bad,
                    "wrt": [bad, "x"]})
    _no_crash(at)
    shown = messages(at)
    assert ("Grid for y:" in shown) == _refused(_grid, bad)
    assert ("a from the link:" in shown) == _refused(_parameter, bad)
    at = open_app(COMPARE_PAGE, **{"fa": "a*x*y", "fb": bad, "var.x": "0, 1", "var.y": "1, 2", "pa.a": "1"})
    _no_crash(at)
    assert ("Function B" in messages(at)) == (bool(bad) and _refused(_function, bad))
    at = open_app(COMPARE_PAGE, fa=bad, **{"var.x": bad})
    _no_crash(at)


def test_hostile_typed_values_on_the_explorer() -> None:
    at = open_app(**THREE)
    for key, label, refused in (("var.y", "Grid for y:", _grid),
                                ("range.a", "Range of a:", lambda t: slider_range(t, 1.0))):
        for bad in HOSTILE:
            at.text_input(key=key).set_value(bad).run()
            _no_crash(at)
            assert (label in messages(at)) == _refused(refused, bad), (key, bad)
        at.text_input(key=key).set_value("1, 2").run()
        _no_crash(at)
        assert not at.error
    for bad in HOSTILE:
        at.text_area(key="fn").set_value(bad).run()
        _no_crash(at)
        assert ("Function:" in messages(at)) == _refused(_function, bad), bad


def test_hostile_typed_values_on_compare() -> None:
    at = open_app(COMPARE_PAGE, **{"fa": "a*x*y", "var.x": "0, 1", "var.y": "1, 2", "pa.a": "1", "pb.a": "2"})
    for bad in HOSTILE:
        at.text_input(key="cmp.var.y").set_value(bad).run()
        _no_crash(at)
        assert ("Grid for y:" in messages(at)) == _refused(_grid, bad), bad
    at.text_input(key="cmp.var.y").set_value("1, 2").run()
    for value in (1e308, -1e308, 5e-324):
        at.number_input(key="cmp.pa.a").set_value(value).run()
        _no_crash(at)
        assert ("a in A:" in messages(at)) == (abs(value) > MAX_PARAMETER)
    for bad in HOSTILE:
        at.text_area(key="cmp.fa").set_value(bad).run()
        _no_crash(at)
        assert ("Function A" in messages(at)) == _refused(_function, bad), bad


@pytest.mark.parametrize("bad", HOSTILE, ids=IDS)
def test_hostile_inspected_points_on_the_explorer(bad: str) -> None:
    """``inspect.NAME`` (issue 12): a refused value is a message under its own box; the results
    still show, and the other coordinates' boxes keep their values."""
    at = open_app(**{**THREE, "inspect.x": bad, "inspect.y": "1.5", "inspect.z": "-7"})
    _no_crash(at)
    refused = len(bad) > 200 or _refused(_parameter_text, bad)
    assert ("Inspect x:" in messages(at)) == refused
    assert ("Inspect y:" in messages(at)) is False
    assert at.text_input(key="inspect.z").value == "-7"
    assert any(m.value.startswith("**At x = ") for m in at.markdown) == (not refused)
    assert at.tabs  # the results still show: tabs, and the function's table
    assert at.table


def _parameter_text(text: str) -> None:
    parse_constant(text, APP_LIMITS)
