"""The function registry (compute/registry/functions.py) and the three classes of wrong numbers it closes.

- Every entry is complete, and a missing rule is a named error when the entry is registered.
- Every function, through every engine, agrees with SymPy at ordinary and extreme arguments
  (|x| from 1e-300 to 1e300, both signs), orders 0–3: the sweep of tests/function_sweep.py.
- A derivative that is structurally zero is exactly 0 even where another part is singular.
- where(...): the branch not taken never leaks its non-finite derivative.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import function_sweep as sweep
from compute import make_grid, make_points, parse_expression, partials_on_grid
from compute.language.tree import Call, Symbol, walk
from compute.language.vocabulary import FUNCTIONS as LANGUAGE
from compute.registry.functions import FUNCTIONS, REGISTRY, RegistryError, check_and_fold, register
from compute.views.symbolic import formulas_in_process
from conftest import ROOT, assert_close, sympy_reference

METHODS = ("symbolic", "batched-grad", "vmap")
REL = 1e-12
TINY = 1e-300  # below this, float64 holds too few digits for a relative bound (subnormals)


# -- the registry ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_entry_is_complete(name: str) -> None:
    fn = REGISTRY[name]
    assert fn.summary
    assert callable(fn.fold)
    assert callable(fn.sympy)
    assert (fn.torch is None) != (fn.define is None)
    assert len(fn.partials) == len(fn.params) == fn.min_args
    assert fn.autograd in ("native", "rule")
    for tree in [*fn.partials, *([fn.define] if fn.define is not None else [])]:
        for node in walk(tree):
            assert not isinstance(node, Symbol) or node.name in fn.params
            assert not isinstance(node, Call) or node.func in REGISTRY


def test_the_language_is_the_registry() -> None:
    """The parser's vocabulary, the docs' list and every lowering read the same entries; a
    function used only inside rules (hidden) is not part of the language, and every hidden one is
    used by some rule or definition."""
    assert LANGUAGE is FUNCTIONS
    assert set(FUNCTIONS) == {n for n, fn in REGISTRY.items() if not fn.hidden}
    used = {node.func for fn in REGISTRY.values()
            for tree in [*fn.partials, *([fn.define] if fn.define is not None else [])]
            for node in walk(tree) if isinstance(node, Call)}
    assert {n for n, fn in REGISTRY.items() if fn.hidden} <= used
    new = {"normcdf", "normpdf", "hypot", "gamma", "lgamma", "digamma", "sec", "csc", "cot", "exp2",
           "logaddexp"}
    assert new <= set(FUNCTIONS)
    with pytest.raises(Exception, match="unknown function 'one_minus_square'"):
        parse_expression("one_minus_square(x)")


@pytest.mark.parametrize("name", [n for n, fn in REGISTRY.items() if not fn.condition])
def test_constant_folding_agrees_with_the_torch_forward(name: str) -> None:
    """``gamma(2.5)*x`` folds the constant with the entry's ``fold``: the same number the grid
    would give, to rounding."""
    import torch

    from compute.engines.torch_lowering import raw_op
    from compute.registry.folding import fold_call

    fn = REGISTRY[name]
    for point in (0.3, 1.7, -0.6, 2.5, 13.7):
        args = [2.0 if i in fn.literal_args else point * (1 + 0.5 * i) for i in range(len(fn.params))]
        expected = float(raw_op(name)(*[torch.tensor(a, dtype=torch.float64) for a in args]))
        got = fold_call(name, args)
        assert got == pytest.approx(expected, rel=1e-13, nan_ok=True), (name, args)


def test_the_readme_lists_every_function() -> None:
    section = (ROOT / "README.md").read_text().split("## The languages", 1)[1].split("## ", 1)[0]
    words = set(section.replace("`", " ").replace("(", " ").replace(",", " ").split())
    assert set(FUNCTIONS) <= words, sorted(set(FUNCTIONS) - words)


def test_a_missing_rule_is_a_named_error_when_registered() -> None:
    scratch = dict(REGISTRY)
    with pytest.raises(RegistryError, match="'foo' has no derivative rule"):
        register("foo", "a function", fold=np.sin, torch="torch.sin", sympy="sin", registry=scratch)
    with pytest.raises(RegistryError, match="2 parameters but 1 partials"):
        register("foo", "f", params=("x", "y"), fold=np.hypot, torch="torch.hypot", d="x",
                 sympy="sin", registry=scratch)
    with pytest.raises(RegistryError, match="no SymPy constructor"):
        register("foo", "f", fold=np.sin, torch="torch.sin", d="cos(x)", registry=scratch)
    with pytest.raises(RegistryError, match="exactly one of torch"):
        register("foo", "f", fold=np.sin, d="cos(x)", sympy="sin", registry=scratch)
    with pytest.raises(RegistryError, match="registered twice"):
        register("sin", "f", fold=np.sin, torch="torch.sin", d="cos(x)", sympy="sin", registry=scratch)
    register("foo", "f", fold=np.sin, torch="torch.sin", d="cosine(x)", sympy="sin", registry=scratch)
    with pytest.raises(RegistryError, match="function 'foo', partial 1: unknown function 'cosine'"):
        check_and_fold(scratch)
    scratch.pop("foo")
    register("foo", "f", fold=np.sin, torch="torch.sin", d="cos(y)", sympy="sin", registry=scratch)
    with pytest.raises(RegistryError, match="'y' is not a parameter"):
        check_and_fold(scratch)
    assert "foo" not in REGISTRY


# -- the sweep: every function × every engine × orders 0–3 × |x| from 1e-300 to 1e300 -----------

STORED = sweep.load()


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_function_is_exact_in_every_engine_at_ordinary_and_extreme_arguments(name: str) -> None:
    """Against SymPy at 30 digits (stored, see tests/function_sweep.py): where SymPy's answer is
    a finite float64, every engine's is within 1e-12 of it (relative; absolute below 1e-300,
    where float64 itself runs out of digits); where it is not finite, neither is the engine's.
    Outside the function's real domain (its value not real: log(-2), acosh(0.5)) the engines must
    still agree with each other."""
    stale = f"no current SymPy reference for {name}: run .venv/bin/python tests/function_sweep.py {name}"
    assert name in STORED, stale
    assert STORED[name]["signature"] == sweep.signature(name), stale
    text, _, variables, specs = sweep.case(name)
    domain = make_points(variables)
    results = {m: partials_on_grid(text, domain, specs, method=m) for m in METHODS}
    value, _, _ = sweep.expected(STORED[name]["values"][""])
    in_domain = np.isfinite(value) | np.isinf(value)
    failures = []
    for spec in ["", *specs]:
        reference, known, tiny = sweep.expected(STORED[name]["values"][spec])
        got = {m: (r.value() if not spec else r.partial(spec)) for m, r in results.items()}
        for method, values in got.items():
            with np.errstate(invalid="ignore", over="ignore"):
                close = np.abs(values - reference) <= REL * np.abs(reference) + TINY
                ok = np.where(np.isfinite(reference), close, ~np.isfinite(values))
                ok = np.where(tiny, np.abs(values) <= TINY, ok)
                if spec:  # outside the domain: the three engines agree (NaN where one has NaN)
                    ok |= ~in_domain & np.isclose(values, got["vmap"], rtol=REL, atol=TINY,
                                                  equal_nan=True)
            for i in np.flatnonzero(known & ~ok)[:3]:
                at = ", ".join(f"{n}={v[i]!r}" for n, v in variables.items())
                failures.append(f"{method} d[{spec}] at {at}: {values[i]!r}, SymPy {reference[i]!r}")
    assert not failures, f"{name}:\n" + "\n".join(failures)


@pytest.mark.parametrize("name", [n for n in FUNCTIONS if n != "where"])
def test_every_function_has_a_formula(name: str) -> None:
    text = sweep.case(name)[0]
    keys = [("f", ()), ("f", ("x",))]
    found = formulas_in_process(parse_expression(text), keys)
    for key in keys:
        assert found[key], f"no LaTeX for {key} of {text}"


# -- (a) structurally zero derivatives are exactly 0 ----------------------------------------------

x, y = sp.symbols("x y", real=True)
STRUCTURAL = [  # (text, SymPy, points where one part is singular, derivatives)
    ("1/x + y", 1 / x + y, {"x": [0.0, 1.0], "y": [0.5, 2.0]}, ["y", "y,y", "x,y"]),
    ("y/sqrt(x)", y / sp.sqrt(x), {"x": [0.0, 4.0], "y": [0.5, 2.0]}, ["y,y", "y,y,y"]),
    ("y/atanh(x) + sqrt(x)", y / sp.atanh(x) + sp.sqrt(x), {"x": [0.0, 0.5], "y": [0.5, 2.0]},
     ["y,y", "y,y,y"]),
    ("atanh(x) + y^2", sp.atanh(x) + y**2, {"x": [1.0, -1.0, 0.5], "y": [0.5, 2.0]},
     ["y", "y,y", "x,y", "x,y,y"]),
    ("sqrt(x)*y + log(x)", sp.sqrt(x) * y + sp.log(x), {"x": [0.0, 2.0], "y": [1.0, 3.0]},
     ["y,y", "y,y,y"]),
    ("y*x/(x - 1) + 1/x", y * x / (x - 1) + 1 / x, {"x": [1.0, 0.0, 2.0], "y": [1.0, 3.0]},
     ["y,y"]),
    ("atan2(y, x) + y/(x*x)", sp.atan2(y, x) + y / x**2, {"x": [0.0, 1.0], "y": [1.0, -2.0]},
     ["y,y,y"]),
]


@pytest.mark.parametrize(("text", "reference", "variables", "wrt"), STRUCTURAL,
                         ids=[c[0] for c in STRUCTURAL])
@pytest.mark.parametrize("method", METHODS)
def test_a_structurally_zero_derivative_is_exactly_zero(text, reference, variables, wrt, method) -> None:
    """∂/∂y of 1/x + y at x = 0 is 1 (the quotient rule's 0/x must not make it NaN), and so on."""
    grid = make_grid(variables)
    result = partials_on_grid(text, grid, wrt, method=method)
    coords = grid.coordinates(0, grid.size)
    points = {x: coords["x"], y: coords["y"]}
    for spec in wrt:
        symbols = tuple(x if n == "x" else y for n in spec.split(","))
        expected = sympy_reference(reference, symbols, points)
        assert_close(result.partial(spec), expected, what=f"{text} d[{spec}]")


# -- (c) where's branch not taken does not leak ---------------------------------------------------

WHERE = [
    ("where(x > 0, sqrt(x), 0)", sp.Piecewise((sp.sqrt(x), x > 0), (0, True)), [-1.0, 0.0, 0.25, 4.0]),
    ("where(x > 0, x*log(x), -x^2)", sp.Piecewise((x * sp.log(x), x > 0), (-(x**2), True)),
     [-2.0, 0.0, 0.5, 3.0]),
    ("where(x < 1, atanh(x), 1/x)", sp.Piecewise((sp.atanh(x), x < 1), (1 / x, True)), [1.0, -0.5, 3.0]),
    ("d = sqrt(x); g = log(d); where(x > 0, d^3 + g, x)",
     sp.Piecewise((x**sp.Rational(3, 2) + sp.log(x) / 2, x > 0), (x, True)), [-1.0, 0.0, 2.0]),
    ("exp(where(x > 1, acosh(x), where(x < -1, -acosh(-x), 0)))",
     sp.exp(sp.Piecewise((sp.acosh(x), x > 1), (-sp.acosh(-x), x < -1), (0, True))),
     [-1.0, 1.0, 0.5, 2.0, -3.0]),
    ("where(x > 0, 1/x, asin(x))*2", 2 * sp.Piecewise((1 / x, x > 0), (sp.asin(x), True)),
     [-1.0, 0.0, 0.5]),
]


@pytest.mark.parametrize(("text", "reference", "points"), WHERE, ids=[c[0] for c in WHERE])
@pytest.mark.parametrize("method", METHODS)
def test_where_does_not_leak_the_branch_not_taken(text, reference, points, method) -> None:
    """where(x > 0, sqrt(x), 0) at x = 0 has derivative 0 at every order, not 0·∞ = NaN."""
    result = partials_on_grid(text, make_grid({"x": points}), ["x", "x,x", "x,x,x"], method=method)
    for spec in ("x", "x,x", "x,x,x"):
        expected = sympy_reference(reference, (x,) * len(spec.split(",")), {x: np.array(points)})
        finite = np.isfinite(expected)
        assert_close(result.partial(spec)[finite], expected[finite], what=f"{text} d[{spec}]")
        assert not np.isfinite(result.partial(spec)[~finite]).any(), (text, spec)


def test_where_with_a_second_variable_in_the_branch_not_taken() -> None:
    text = "where(x >= 0, sqrt(x)*y, y^2/x)"
    reference = sp.Piecewise((sp.sqrt(x) * y, x >= 0), (y**2 / x, True))
    grid = make_grid({"x": [0.0, 1.0, -2.0], "y": [0.5, 3.0]})
    coords = grid.coordinates(0, grid.size)
    for method in METHODS:
        result = partials_on_grid(text, grid, ["y", "y,y", "x,y"], method=method)
        for spec in ("y", "y,y"):
            expected = sympy_reference(reference, tuple(y for _ in spec.split(",")),
                                       {x: coords["x"], y: coords["y"]})
            assert_close(result.partial(spec), expected, what=f"{method} {spec}")
