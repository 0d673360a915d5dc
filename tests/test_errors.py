"""Every documented error: one error type, a human message, and the column it points at."""

from __future__ import annotations

import json

import pytest

from compute import (
    Limits,
    PartialsError,
    ResourceLimitError,
    make_grid,
    make_points,
    parse_derivative_spec,
    parse_expression,
    parse_grid_spec,
    partials_on_grid,
    points_from_csv,
)
from conftest import run_cli

EXPRESSION_ERRORS = [
    # (text, words the message must contain, line, column)
    ("sn(x)", "unknown function 'sn' at column 1 — did you mean 'sin'?", 1, 1),
    ("2*t + sn(k)", "did you mean 'sin'", 1, 7),
    ("x +", "syntax error", 1, 4),
    ("x.real", "attribute access", 1, 1),
    ("__import__('os').system('id')", "only named functions can be called", 1, 1),
    ("__import__('os')", "unknown function '__import__'", 1, 1),
    ("x[0]", "indexing", 1, 1),
    ("lambda: 1", "lambda", 1, 1),
    ("x if y else z", "where(c, a, b)", 1, 1),
    ("f'{x}'", "strings are not allowed", 1, 1),
    ("'abc'", "strings are not allowed", 1, 1),
    ("sin(x, y)", "sin() takes 1 argument, got 2", 1, 1),
    ("1 + sin(x=1)", "keyword", 1, 11),
    ("sin(*x)", "unpacking", 1, 5),
    ("x // 2", "'//'", 1, 1),
    ("x % 2", "'%'", 1, 1),
    ("~x", "'~'", 1, 1),
    ("x < 1", "only allowed as the first argument of where", 1, 1),
    ("where(x, 1, 2)", "needs a comparison", 1, 7),
    ("where(0 < x < 1, 1, 2)", "chained comparisons", 1, 7),
    ("where(x == 1, 1, 2)", "only < <= > >=", 1, 7),
    ("x*2\ny", "only the last line is the output", 1, 1),
    ("sin = 3\nsin", "cannot be redefined", 1, 1),
    ("a = x\na = y\na", "already defined on line 1", 2, 1),
    ("a = b*2\nb = 3\na", "used on line 1 before this definition", 2, 1),
    ("1e999*x", "too large for float64", 1, 1),
    ("x + 2**10000*y", "too large for float64", 1, 5),
    ("9**9**9", "too large for float64", 1, 1),
    ("x*exp(1000)", "too large for float64", 1, 3),
    ("(" * 250 + "x" + ")" * 250, "nested parentheses", 1, 201),
    ("-" * 300 + "x", "nested too deeply", 1, 201),
    ("ｅｘｐ(x)", "U+FF45", 1, 1),
    ("x\u200b+1", "U+200B", 1, 2),
    ("x\x00", "U+0000", 1, 2),
    ("x\ud800", "U+D800", 1, 2),
    ("x**2 + σ", "use plain ASCII", 1, 8),
    ("x − 1", "use '-' for minus", 1, 3),
    ("True*x", "only numbers", 1, 1),
    ("1j*x", "complex", 1, 1),
    ("import os", "only 'name = expression' lines", 1, 1),
    ("x = y = 1\nx", "one name", 1, 1),
    ("x += 1", "'+='", 1, 1),
    ("_x + 1", "cannot start with '_'", 1, 1),
    ("pi = 3\npi", "cannot be redefined", 1, 1),
    ("sin + 1", "'sin' is a function", 1, 1),
    ("u = x, y\nu", "only allowed on the last line", 1, 5),
    ("[x, y]", "lists are not allowed", 1, 1),
    ("max(x)", "at least 2 arguments", 1, 1),
    ("x ^^ 2", "syntax error", 1, 4),
    ("x = 1\n  x +", "syntax error", 2, 6),
    # diff(...) (more in tests/test_diff_errors.py)
    ("u = x^2\ndiff(u)", "diff() takes an expression and the variables", 2, 1),
    ("u = x^2; diff(v, x)", "'v' is not defined on an earlier line", 1, 15),
    ("u = x^2; diff(u, pi)", "'pi' is a constant", 1, 18),
    ("u = x*y; diff(diff(u, x, x), y, y, y)", "takes order 5 (counting the 2 inside it)", 1, 10),
]


@pytest.mark.parametrize(("text", "words", "line", "column"), EXPRESSION_ERRORS)
def test_expression_errors_have_a_message_and_a_column(text, words, line, column) -> None:
    with pytest.raises(PartialsError) as info:
        parse_expression(text)
    error = info.value
    assert words in str(error)
    assert error.column == column
    assert (error.line or 1) == line


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_function(text: str) -> None:
    with pytest.raises(PartialsError, match="empty"):
        parse_expression(text)


def test_length_is_limited_before_parsing() -> None:
    with pytest.raises(PartialsError, match="too long"):
        parse_expression("x" + "+1" * 10**5)


def test_node_count_is_limited() -> None:
    with pytest.raises(PartialsError, match="too large"):
        parse_expression("x+" * 40 + "x", Limits(max_nodes=50))


def test_caret_is_power_and_columns_map_back() -> None:
    e = parse_expression("x^2*y")
    assert e.folded_outputs == parse_expression("x**2*y").folded_outputs
    with pytest.raises(PartialsError) as info:
        parse_expression("x^2 + sn(y)")
    assert info.value.column == 7


@pytest.mark.parametrize(
    ("spec", "words", "column"),
    [
        ("linspce(0, 1, 5)", "did you mean 'linspace'", 1),
        ("  linspce(0, 1, 5)", "did you mean 'linspace'", 3),
        ("linspace(0, 1)", "takes 3 arguments", None),
        ("linspace(0, 1, 2.5)", "whole number", None),
        ("linspace(0, 1, 0)", "whole number", None),
        ("arange(0, 1, 0)", "step must not be 0", None),
        ("arange(1, 0, 0.1)", "empty", None),
        ("logspace(0, 400, 3)", "outside float64", None),
        ("1, 2, inf", "expected a number, but 'inf' is a name", 7),
        ("1, 2, 1e999", "too large", 7),
        ("1, x", "'x' is a name", 4),
        ("", "no values", None),
        ("1, 2; 3", "one line", None),
        ("sin(x)", "'x' is a name", 1),
        ("linspace(0, 1, n=5)", "keyword", 18),
        ("__import__('os')", "unknown function '__import__'", 1),
        ("(1).real", "attribute", 1),
    ],
)
def test_grid_spec_errors(spec: str, words: str, column: int | None) -> None:
    with pytest.raises(PartialsError) as info:
        parse_grid_spec(spec)
    assert words in str(info.value)
    assert info.value.column == column


def test_grid_errors_name_the_variable() -> None:
    with pytest.raises(PartialsError, match=r"grid for k: .*expected a number"):
        make_grid({"t": "1, 2", "k": "1, q"})
    with pytest.raises(PartialsError, match="not a valid variable name"):
        make_grid({"2x": "1, 2"})
    with pytest.raises(PartialsError, match="built-in name"):
        make_grid({"pi": "1, 2"})


def test_grid_size_is_checked_before_allocating() -> None:
    with pytest.raises(ResourceLimitError, match="10,000,000,000 points"):
        make_grid({"x": "linspace(0, 1, 100000)", "y": "linspace(0, 1, 100000)"})
    with pytest.raises(ResourceLimitError):
        make_grid({"x": "linspace(0, 1, 1000)"}, Limits(max_points=999))


@pytest.mark.parametrize(
    ("spec", "words", "column"),
    [
        ("q", "'q' is not a variable or parameter", 1),
        ("t, kk", "did you mean 'k'", 4),
        ("t,,k", "empty name", 3),
        ("", "empty", None),
        ("k,k,k,k,k", "order 5 is above the limit of 4", None),
        ("gradiant", "did you mean 'gradient'", 1),
    ],
)
def test_derivative_spec_errors(spec: str, words: str, column: int | None) -> None:
    with pytest.raises(PartialsError) as info:
        parse_derivative_spec(spec, ["t", "k"])
    assert words in str(info.value)
    assert info.value.column == column


def test_names_must_be_bound_exactly_once() -> None:
    grid = make_grid({"t": "1, 2"})
    with pytest.raises(PartialsError, match="'k' has no grid and no value"):
        partials_on_grid("t*k", grid)
    with pytest.raises(PartialsError, match="both a grid and a value"):
        partials_on_grid("t", grid, params={"t": 1.0})
    with pytest.raises(PartialsError, match="finite"):
        partials_on_grid("t*a", grid, params={"a": float("nan")})


def test_points_errors() -> None:
    with pytest.raises(PartialsError, match="has 1 values; expected 2"):
        make_points({"x": [1, 2], "y": [1]})
    with pytest.raises(PartialsError, match="row 2: values must be finite"):
        make_points({"x": [1, float("inf")]})
    with pytest.raises(PartialsError, match="line 3, column 'y': 'abc' is not a number"):
        points_from_csv("x,y\n1,2\n3,abc\n")
    with pytest.raises(PartialsError, match="header, column 2"):
        points_from_csv("x,__class__\n1,2\n")
    with pytest.raises(PartialsError, match="finite"):
        points_from_csv("x\nnan\n")


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["sn(x)", "--var", "x=1,2"], 2, "unknown function 'sn' at column 1"),
        (["x*y", "--var", "x=1,2"], 2, "'y' has no grid and no value"),
        (["x", "--var", "x=1", "--var", "x=2"], 2, "given twice"),
        (["x", "--var", "x"], 2, "NAME=VALUE"),
        (["x", "--var", "x=linspce(0,1,3)"], 2, "grid for x"),
        (["x", "--bogus"], 2, "unrecognized arguments"),
        ([], 2, "required"),
        (["x", "--var", "x=1,2", "--wrt", "y"], 2, "'y' is not a variable"),
        (["x", "--var", "x=1,2", "--wrt", "x,x,x,x,x"], 2, "order 5"),
        (["x", "--var", "x=1,2", "--dtype", "float16"], 2, "invalid choice"),
        (["x*a", "--var", "x=1,2", "--param", "a=1e999"], 2, "parameter a"),
        (["__import__('os').system('touch /tmp/pwned')", "--var", "x=1"], 2, "named functions"),
        (["x*y", "--var", "x=linspace(0,1,100000)", "--var", "y=linspace(0,1,100000)"], 3,
         "10,000,000,000 points"),
        (["x", "--var", "x=linspace(0,1,1000)", "--max-points", "10"], 3, "the limit is 10"),
        (["x", "--points", "/nonexistent.csv"], 2, "cannot read"),
    ],
)
def test_cli_exit_codes_and_single_line_errors(args, code, words) -> None:
    proc = run_cli(*args)
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert words in lines[0]
    assert "Traceback" not in proc.stderr


def test_cli_reports_nonfinite_as_null_and_counts() -> None:
    proc = run_cli("log(x)", "--var", "x=-1,0,1", "--wrt", "x")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["value"][:2] == [None, None]
    assert data["nonfinite"] == {"value": 2, "x": 1}
