"""Property tests: random grammar-valid expressions agree with SymPy; random text only ever
raises our error type.

CI runs a bounded number of examples; ``PARTIALS_FUZZ_SCALE=100`` multiplies them for a long
run (docs/SECURITY.md has the figures of one).
"""

from __future__ import annotations

import os

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from compute import (
    PartialsError,
    make_grid,
    parse_derivative_spec,
    parse_expression,
    parse_grid_spec,
    partials_on_grid,
)
from conftest import assert_close, sympy_reference

X, Y = sp.symbols("x y", real=True)
SCALE = int(os.environ.get("PARTIALS_FUZZ_SCALE", "1"))

# Each builder makes (text, sympy) together, so the reference never goes through our lowering.
# Functions are applied to arguments that keep them smooth and finite on the test points.
_UNARY = [
    ("sin({})", sp.sin),
    ("cos({})", sp.cos),
    ("tanh({})", sp.tanh),
    ("sech({})", sp.sech),
    ("atan({})", sp.atan),
    ("sigmoid({})", lambda u: 1 / (1 + sp.exp(-u))),
    ("exp(({})/4)", lambda u: sp.exp(u / 4)),
    ("sqrt(1 + ({})**2)", lambda u: sp.sqrt(1 + u**2)),
    ("log(2 + sin({}))", lambda u: sp.log(2 + sp.sin(u))),
    ("erf({})", sp.erf),
    ("softplus({})", lambda u: sp.log(1 + sp.exp(u))),
    ("asinh({})", sp.asinh),
    ("-({})", lambda u: -u),
]
_BINARY = [
    ("({}) + ({})", lambda a, b: a + b),
    ("({}) - ({})", lambda a, b: a - b),
    ("({}) * ({})", lambda a, b: a * b),
    ("({}) / (2 + cos({}))", lambda a, b: a / (2 + sp.cos(b))),
    ("({})^2 * ({})", lambda a, b: a**2 * b),
]
_LEAVES = st.sampled_from([("x", X), ("y", Y), ("2", sp.Integer(2)), ("0.5", sp.Float(0.5)),
                           ("3*x", 3 * X), ("x*y", X * Y), ("pi", sp.pi)])


def _extend(children):
    unary = st.tuples(st.sampled_from(_UNARY), children).map(
        lambda p: (p[0][0].format(p[1][0]), p[0][1](p[1][1])))
    binary = st.tuples(st.sampled_from(_BINARY), children, children).map(
        lambda p: (p[0][0].format(p[1][0], p[2][0]), p[0][1](p[1][1], p[2][1])))
    return unary | binary


EXPRESSIONS = st.recursive(_LEAVES, _extend, max_leaves=8)
POINTS = {"x": [-0.7, 0.4, 1.3], "y": [-1.1, 0.6]}


@settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, st.sampled_from(["x", "y", "x,y", "x,x", "y,y,x"]))
def test_random_expressions_agree_with_sympy(pair, spec) -> None:
    text, reference = pair
    assume(reference.has(X) or reference.has(Y))
    grid = make_grid(POINTS)
    result = partials_on_grid(text, grid, [spec], method="auto")
    assert result.method == "symbolic"
    coords = grid.coordinates(0, grid.size)
    points = {X: coords["x"], Y: coords["y"]}
    wrt = tuple(X if n == "x" else Y for n in spec.split(","))
    values = sympy_reference(reference, (), points)
    expected = sympy_reference(reference, wrt, points)
    assume(np.all(np.isfinite(values)) and np.max(np.abs(values)) < 1e12)
    assume(np.all(np.isfinite(expected)) and np.max(np.abs(expected)) < 1e12)
    scale = float(np.max(np.abs(values)))
    assert_close(result.value(), values, rel=1e-11, what=text)
    assert_close(result.partial(spec), expected, rel=1e-11, what=f"{text} wrt {spec}", scale=scale)


@settings(max_examples=25 * SCALE, deadline=None)
@given(EXPRESSIONS, st.sampled_from(["x", "x,y", "y,y,x"]))
def test_the_three_engines_agree(pair, spec) -> None:
    text, reference = pair
    assume(reference.has(X) or reference.has(Y))  # not a constant (x - x: rounding residue only)
    grid = make_grid(POINTS)
    general = partials_on_grid(text, grid, [spec], method="vmap")
    # Each engine evaluates the exact derivative formula in float64, term by term; where the
    # product rule's terms nearly cancel (the third derivative of sqrt(1 + 20736*x^4*y^2):
    # terms 7e4 times the result), each loses digits its own way — about 1e-11 here, every
    # engine alike against SymPy — so the bound is relative to the problem's scale, as against
    # SymPy in the test above.
    both = np.concatenate([general.value().ravel(), general.partial(spec).ravel()])
    finite = np.abs(both[np.isfinite(both)])
    scale = float(finite.max()) if finite.size else 0.0
    for method in ("symbolic", "batched-grad"):
        fast = partials_on_grid(text, grid, [spec], method=method)
        assert fast.method == method
        np.testing.assert_allclose(fast.partial(spec), general.partial(spec), rtol=1e-11,
                                   atol=1e-14 * scale)
        np.testing.assert_allclose(fast.value(), general.value(), rtol=1e-15, atol=0)


GRAMMAR_NOISE = st.lists(
    st.sampled_from([*"xyz0123456789.+-*/^()[],;=<>_ \n'\"eE",
                     "sin", "where", "pi", "**", "lambda", "__", "ｅ", "\x00", "\u200b", "9**9",
                     "linspace(", "1e308", "arange("]),
    max_size=40,
).map("".join)


@settings(max_examples=300 * SCALE, deadline=None)
@given(st.one_of(st.text(max_size=80), GRAMMAR_NOISE))
def test_random_text_only_raises_our_error(text: str) -> None:
    for parse in (
        parse_expression,
        parse_grid_spec,
        lambda s: parse_derivative_spec(s, ["x", "y"], ["a"]),
    ):
        _accepted_or_our_error(parse, text)


def _accepted_or_our_error(parse, text: str) -> None:
    """``parse(text)`` returns, or raises a PartialsError with a message and a sane column."""
    try:
        parse(text)
    except PartialsError as exc:
        error = exc
    else:
        return
    assert error.message
    assert error.column is None or error.column >= 1


# --- issue 11: the same random functions typed in the forms people bring -----------------------

_PASTED = [(r"\bsin\(", "torch.sin("), (r"\bcos\(", "np.cos("), (r"\btanh\(", "math.tanh("),
           (r"\batan\(", "np.arctan("), (r"\bsigmoid\(", "torch.special.expit("),
           (r"\bexp\(", "numpy.exp("), (r"\bsqrt\(", "torch.sqrt("), (r"\blog\(", "ln("),
           (r"\berf\(", "torch.special.erf("), (r"\bsoftplus\(", "F.softplus("),
           (r"\basinh\(", "arcsinh("), (r"\bpi\b", "math.pi")]


def _styled(text: str, form: str, pasted: bool, implicit: bool) -> str:
    """``text`` in another notation: names as pasted code writes them, calculator products
    (``3x``, ``(a)(b)``), and wrapped as f(x, y) = …, a def or a lambda."""
    import re

    if pasted:
        for pattern, name in _PASTED:
            text = re.sub(pattern, name, text)
    if implicit:
        text = text.replace("3*x", "3x").replace(") * (", ")(")
    if form == "header":
        return f"f(x, y) = {text}"
    if form == "def":
        return f"def f(x: torch.Tensor, y):\n    '''pasted'''\n    u = {text}\n    return u"
    if form == "lambda":
        return f"g = lambda x, y: {text}"
    return text


FORMS = st.tuples(st.sampled_from(["plain", "header", "def", "lambda"]), st.booleans(), st.booleans())


@settings(max_examples=30 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, FORMS, st.sampled_from(["x", "y", "x,y", "∂²f/∂x∂y", "f_xx", "yx", "x y"]))
def test_random_expressions_in_every_form_agree_with_sympy(pair, form, spec) -> None:
    text, reference = pair
    assume(reference.has(X) or reference.has(Y))
    styled = _styled(text, *form)
    grid = make_grid({"x": "-0.7 0.4 1.3", "y": "y = -1.1, 0.6"})
    result = partials_on_grid(styled, grid, [spec], method="auto")
    request = parse_derivative_spec(spec, ["x", "y"])
    coords = grid.coordinates(0, grid.size)
    points = {X: coords["x"], Y: coords["y"]}
    wrt = tuple(X if n == "x" else Y for n in request.components[0])
    values = sympy_reference(reference, (), points)
    expected = sympy_reference(reference, wrt, points)
    assume(np.all(np.isfinite(values)) and np.max(np.abs(values)) < 1e12)
    assume(np.all(np.isfinite(expected)) and np.max(np.abs(expected)) < 1e12)
    scale = float(np.max(np.abs(values)))
    assert_close(result.value().ravel(), values, rel=1e-11, what=styled)
    assert_close(result.partial(request.components[0]).ravel(), expected, rel=1e-11,
                 what=f"{styled} wrt {spec}", scale=scale)


@settings(max_examples=150 * SCALE, deadline=None)
@given(EXPRESSIONS, FORMS)
def test_the_canonical_text_reads_back_to_the_same_function(pair, form) -> None:
    expression = parse_expression(_styled(pair[0], *form))
    again = parse_expression(expression.canonical)
    assert again.canonical == expression.canonical
    assert (again.definitions, again.outputs, again.free_names) == (
        expression.definitions, expression.outputs, expression.free_names)
    assert again.read_as is None  # the plain form is shown back as it is


FORM_NOISE = st.lists(
    st.sampled_from(["def f(", "x", "y", ", ", "):", "\n    ", "return ", "lambda ", ": ", "torch.",
                     "np.", "math.", "special.", "ndtr", "sin", "load", "__import__", "N(", "2",
                     "f(x, y) = ", "=", "(", ")", "@", "import ", "global ", "while ", "'", '"""',
                     "#", "\n", ";", "2x", "pi", "1j", "0x1", "*", "**", "^", "yield", "-> ", ": int",
                     " = ", ".", "_", "async ", "class ", "for i in x:", "*args", "**kw", "=lambda"]),
    max_size=30,
).map("".join)
SPEC_NOISE = st.lists(
    st.sampled_from(["∂", "d", "²", "³", "⁵", "^", "2", "f", "/", "x", "y", "_", "{", "}", ",", " ",
                     "a", "dx", "∂y", "gradient", "\x00", "ｘ", "9" * 20]),
    max_size=30,
).map("".join)
GRID_NOISE = st.lists(
    st.sampled_from(["0", "1", ".", ":", " ", ",", "x = ", "y =", "[", "]", "-", "e", "pi", "2pi",
                     "np.", "torch.", "linspace(", "arange(", "range(", "num=", "steps=", ")",
                     "1e308", "1e-300", "..", "__class__", "*", "^"]),
    max_size=30,
).map("".join)


@settings(max_examples=300 * SCALE, deadline=None)
@given(FORM_NOISE, SPEC_NOISE, GRID_NOISE)
def test_random_text_in_the_new_grammar_only_raises_our_error(text: str, spec: str, grid: str) -> None:
    for parse, value in ((parse_expression, text), (lambda s: parse_grid_spec(s, variable="x"), grid),
                         (lambda s: parse_derivative_spec(s, ["x", "y"], ["a"]), spec)):
        _accepted_or_our_error(parse, value)
