"""Every misuse of ``diff(...)``: one error type, a message that says what to do, and the column
it points at — in the function, or in the derivative spec that goes past the order limit."""

from __future__ import annotations

import pytest

from compute import PartialsError, make_grid, parse_expression, partials_on_grid
from compute.language import derivative_forms
from compute.language.derivative_forms import MAX_EXPANSION_OPS
from conftest import run_cli

DIFF_ERRORS = [
    # (text, words the message must contain, line, column)
    ("u = x^2\ndiff(u)", "diff() takes an expression and the variables to differentiate by, got 1 "
     "argument", 2, 1),
    ("diff()", "got 0 arguments", 1, 1),
    ("u = x^2; diff(v, x)", "'v' is not defined on an earlier line", 1, 15),
    ("u = x^2; diff(uu, x)", "did you mean 'u'?", 1, 15),
    ("diff(w, x) + 1", "define it first", 1, 6),
    ("v = diff(u, x); u = x^2; v", "'u' is not defined on an earlier line", 1, 10),
    ("u = x^2; diff(u, 2)", "not a number (2)", 1, 18),
    ("u = x^2; diff(u, x, 0.5)", "not a number (0.5)", 1, 21),
    ("u = x^2; diff(u, pi)", "'pi' is a constant", 1, 18),
    ("u = x^2; diff(u, e)", "'e' is a constant", 1, 18),
    ("u = x^2; v = u*y; diff(u, v)", "'v' is a definition (line 1), not a variable", 1, 27),
    ("x = r*cos(th); diff(x, x)", "'x' is a definition (line 1), not a variable", 1, 24),
    ("u = x^2; diff(u, 2*x)", "(a name, e.g. diff(u, x)), not an expression", 1, 18),
    ("u = x^2; diff(u, sin)", "'sin' is a function", 1, 18),
    ("u = x^2; diff(u, x=1)", "diff() takes no keyword arguments", 1, 20),
    ("u = x^2; diff(*u)", "unpacking", 1, 15),
    ("diff + x", "'diff' is a function — call it, e.g. diff(u, x)", 1, 1),
    ("diff = x^2\ndiff", "'diff' is a built-in function and cannot be redefined", 1, 1),
    ("dif(x^2, x)", "did you mean 'diff'?", 1, 1),
    # the order limit, counted through nesting and through definitions
    ("u = x^2*y; diff(u, x, x, y, y, x)", "this diff() takes order 5, above the limit of 4", 1, 12),
    ("u = x^2*y; diff(diff(u, x, x), y, y, x)",
     "this diff() takes order 5 (counting the 2 inside it), above the limit of 4", 1, 12),
    ("u = x^2*y\nv = diff(u, x, x, x)\nw = diff(v, y, y)\nw", "order 5 (counting the 3 inside it)",
     3, 5),
    # a free name that a definition took over before the diff that needs it
    ("a = a*t\ndiff(a, t)", "needs the variable 'a', but a definition on an earlier line is also "
     "called 'a'", 2, 1),
]


@pytest.mark.parametrize(("text", "words", "line", "column"), DIFF_ERRORS)
def test_diff_errors_have_a_message_and_a_column(text: str, words: str, line: int, column: int) -> None:
    with pytest.raises(PartialsError) as info:
        parse_expression(text)
    assert words in info.value.message
    assert (info.value.line, info.value.column) == (line, column), info.value.describe()


REQUEST_ERRORS = [
    # (function, spec, words, column in the spec)
    ("u = x^3*y^2; diff(u, x, x, x)", "x,y", "order 5 in all, counting the 3 that diff() at line 1, "
     "column 14 takes in f, is above the limit of 4", 3),
    ("u = x^3*y^2; diff(u, x, x, x)", "x, x, y", "ask for order 1 at most here", 4),
    ("u = x^3*y^2; diff(u, x, x)", "hessian, x", None, None),  # not a spec: its own error
    ("u = x^3*y^2; diff(u, x, x)", "x,x,y", "order 5 in all", 5),
    ("u = x^3*y^2; diff(u, x, x, x)", "hessian", "order 5 in all", None),
    ("u = x^4*y^2; v = diff(u, x, x); diff(v, y, y)", "x", "already takes the most derivatives "
     "allowed: ask for no partials", 1),
    ("u = x^3*y^2; a = diff(u, x); b = diff(u, x, x, x); a, b", "y,y", "counting the 3 that diff() "
     "at line 1, column 34 takes in b", 3),
]


@pytest.mark.parametrize(("text", "spec", "words", "column"), REQUEST_ERRORS)
def test_requested_partials_count_the_order_diff_already_takes(
        text: str, spec: str, words: str | None, column: int | None) -> None:
    grid = make_grid({"x": "1, 2", "y": "1, 2"})
    with pytest.raises(PartialsError) as info:
        partials_on_grid(text, grid, [spec])
    if words is None:
        return
    assert words in info.value.message
    assert info.value.field == f"derivative '{spec}'"
    assert info.value.column == (column if column is not None else 1)


def test_a_request_within_the_limit_is_fine() -> None:
    result = partials_on_grid("u = x^3*y^2; diff(u, x, x, x)", make_grid({"x": "1, 2", "y": "1, 2"}),
                              ["y"])
    assert result.partial("y").tolist() == [[12.0, 24.0], [12.0, 24.0]]  # ∂(6y²)/∂y = 12y


def test_an_expansion_too_large_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the budget of operations, an error at the diff. (Within the parser's limits on length
    and terms, the largest expansion found — a 99-factor product's mixed 4th partial — stays under
    the default budget and parses in half a second, so a smaller budget shows the error.)"""
    factors = "*".join(f"sin({i}*x+y*z+t)" for i in range(1, 100))
    parse_expression(f"u = {factors}\nv = 1 + diff(u, x, y, z, t)")
    monkeypatch.setattr(derivative_forms, "MAX_EXPANSION_OPS", 2000)
    with pytest.raises(PartialsError) as info:
        parse_expression(f"u = {factors}\nv = 1 + diff(u, x, y, z, t)")
    assert "this diff() expands to more than 2,000 operations — too large" in info.value.message
    assert (info.value.line, info.value.column) == (2, 9)
    assert MAX_EXPANSION_OPS == 20_000


def test_the_cli_exits_2_with_one_line_for_an_order_past_the_limit() -> None:
    done = run_cli("u = x^3*y^2; diff(u, x, x, x)", "--var", "x=1,2", "--var", "y=1,2", "--wrt", "x,y")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: derivative 'x,y': order 5 in all")
    assert "at column 3" in lines[0]
