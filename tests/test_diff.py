"""``diff(...)`` in the language agrees with SymPy's exact derivatives (written independently here)
in every engine: PDE residuals that vanish identically, Jacobian determinants, mixed orders through
definitions, vector outputs, parameters — and requested partials on top of them."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pytest
import sympy as sp

from compute import make_grid, make_points, parse_expression, partials_on_grid
from conftest import assert_close, sympy_reference

x, y, z, t, a, b, c, k = sp.symbols("x y z t a b c k", real=True)
r, th, p, q = sp.symbols("r th p q", real=True)
S, K, sigma, T, rate = sp.symbols("S K sigma T r", real=True)
METHODS = ("symbolic", "batched-grad", "vmap")


@dataclass
class Case:
    text: str
    reference: dict[str, sp.Expr] | sp.Expr
    variables: dict[str, list[float]]
    wrt: list[str]
    params: dict[str, float] = field(default_factory=dict)
    points: bool = False
    # The size of the terms of a residual that vanishes identically: float64 leaves rounding
    # residue of that size, where a relative bound on 0 would accept nothing.
    scale: sp.Expr | None = None


def heat(diffusivity: sp.Expr = sp.S.One) -> sp.Expr:
    return sp.exp(-x**2 / (4 * diffusivity * t)) / sp.sqrt(4 * sp.pi * diffusivity * t)


U_HEAT, U_HEAT_A = heat(), heat(a)
U_WAVE = sp.sin(x - c * t) + sp.exp(-(x + c * t) ** 2)
_D1 = (sp.log(S / K) + (rate + sigma**2 / 2) * T) / (sigma * sp.sqrt(T))
_D2 = _D1 - sigma * sp.sqrt(T)
CALL = S * (1 + sp.erf(_D1 / sp.sqrt(2))) / 2 - K * sp.exp(-rate * T) * (1 + sp.erf(_D2 / sp.sqrt(2))) / 2
BLACK_SCHOLES = ("d1 = (log(S/K) + (r + sigma^2/2)*T)/(sigma*sqrt(T)); d2 = d1 - sigma*sqrt(T)\n"
                 "C = S*normcdf(d1) - K*exp(-r*T)*normcdf(d2)\n")
XT = {"x": [-1.5, 0.2, 0.9], "t": [0.3, 1.1, 2.0]}
NEG = {"x": [-1.7, -0.4, 0.6, 1.3], "y": [-0.9, 0.5, 1.6]}
POS = {"x": [0.3, 0.7, 1.9], "y": [0.4, 1.1, 2.5]}
SPHERE_X, SPHERE_Y, SPHERE_Z = r * sp.sin(p) * sp.cos(q), r * sp.sin(p) * sp.sin(q), r * sp.cos(p)

CASES = [
    # PDE residuals that vanish identically
    Case("u = exp(-x^2/(4*t))/sqrt(4*pi*t); diff(u, t) - diff(u, x, x)",
         sp.diff(U_HEAT, t) - sp.diff(U_HEAT, x, 2), XT, ["x", "t", "x,t"], scale=sp.diff(U_HEAT, t)),
    Case("u = exp(-x^2/(4*a*t))/sqrt(4*pi*a*t)\nut = diff(u, t)\nut - a*diff(u, x, x)",
         sp.diff(U_HEAT_A, t) - a * sp.diff(U_HEAT_A, x, 2), XT, ["x", "a"], {"a": 0.7},
         scale=sp.diff(U_HEAT_A, t)),
    Case("u = sin(x - c*t) + exp(-(x + c*t)^2); diff(u, t, t) - c^2*diff(u, x, x)",
         sp.diff(U_WAVE, t, 2) - c**2 * sp.diff(U_WAVE, x, 2), XT, ["x", "c"], {"c": 1.5},
         scale=sp.diff(U_WAVE, t, 2)),
    Case("u = exp(x)*sin(y); diff(u, x, x) + diff(u, y, y)", sp.Integer(0), NEG, ["x", "y", "x,y"],
         scale=sp.exp(x) * sp.sin(y)),
    Case("u = log(x^2 + y^2); diff(u, x, x) + diff(u, y, y)", sp.Integer(0), NEG, ["x", "y"],
         scale=sp.diff(sp.log(x**2 + y**2), x, 2)),
    Case("u = 1/sqrt(x^2 + y^2 + z^2); diff(u, x, x) + diff(u, y, y) + diff(u, z, z)", sp.Integer(0),
         {"x": [-1.0, 0.5], "y": [0.3, 2.0], "z": [-0.5, 1.0]}, ["z"],
         scale=sp.diff(1 / sp.sqrt(x**2 + y**2 + z**2), x, 2)),
    Case("u = x^3 - 3*x*y^2; diff(u, x, x) + diff(u, y, y)", sp.Integer(0), NEG, ["x", "y"],
         scale=6 * x),
    Case(BLACK_SCHOLES + "-diff(C, T) + sigma^2*S^2/2*diff(C, S, S) + r*S*diff(C, S) - r*C",
         sp.Integer(0), {"S": [80.0, 100.0, 120.0], "T": [0.25, 1.0, 2.0]}, ["S"],
         {"K": 100.0, "r": 0.03, "sigma": 0.25}, scale=sp.diff(CALL, T)),
    # Cauchy–Riemann: a vector of two residuals
    Case("u = exp(x)*cos(y); v = exp(x)*sin(y); diff(u, x) - diff(v, y), diff(u, y) + diff(v, x)",
         {"f1": sp.Integer(0), "f2": sp.Integer(0)}, NEG, ["x", "y"], scale=sp.exp(x)),
    # Jacobian determinants, written out
    Case("x = r*cos(th); y = r*sin(th); diff(x, r)*diff(y, th) - diff(x, th)*diff(y, r)", r,
         {"r": [0.5, 1.0, 2.5], "th": [-2.0, 0.3, 1.2]}, ["r", "th", "r,th"], scale=r),
    Case("x = r*sin(p)*cos(q); y = r*sin(p)*sin(q); z = r*cos(p)\n"
         "diff(x, r)*(diff(y, p)*diff(z, q) - diff(y, q)*diff(z, p))"
         " - diff(x, p)*(diff(y, r)*diff(z, q) - diff(y, q)*diff(z, r))"
         " + diff(x, q)*(diff(y, r)*diff(z, p) - diff(y, p)*diff(z, r))",
         sp.Matrix([SPHERE_X, SPHERE_Y, SPHERE_Z]).jacobian([r, p, q]).det(),
         {"r": [0.5, 2.0], "p": [0.4, 1.3, 2.9], "q": [-1.0, 2.0]}, ["r", "p"]),
    # mixed orders through definitions, nested diffs, diff of an expression
    Case("u = x^2*y^3 + sin(x*y); v = diff(u, x); w = diff(v, y, y); w + v",
         sp.diff(x**2 * y**3 + sp.sin(x * y), x, y, y) + sp.diff(x**2 * y**3 + sp.sin(x * y), x),
         NEG, ["x", "y"]),
    Case("diff(x^3*y^2 + exp(x*y), x, y)", sp.diff(x**3 * y**2 + sp.exp(x * y), x, y), NEG,
         ["x", "y", "x,y"]),
    Case("diff(diff(sin(x*y), x), y)", sp.diff(sp.sin(x * y), x, y), NEG, ["x", "y,y"]),
    Case("u = cosh(x)*t^2 + x*t^3; v = diff(u, t); diff(v, t, x)",
         sp.diff(sp.cosh(x) * t**2 + x * t**3, t, t, x), XT, ["t", "x"]),
    Case("u = x^4*y; diff(u, x, x, x, x)", sp.Integer(24) * y, NEG, []),
    # vector outputs
    Case("u = x^2*y; v = sin(x)*y; diff(u, x), diff(v, y)",
         {"f1": sp.diff(x**2 * y, x), "f2": sp.sin(x)}, NEG, ["x", "y", "x,y"]),
    Case("u = x*y^2 + exp(x - y); ux = diff(u, x); uy = diff(u, y); ux, uy",
         {"ux": y**2 + sp.exp(x - y), "uy": 2 * x * y - sp.exp(x - y)}, NEG, ["jacobian", "x,x"]),
    # parameters: differentiated by, and beside the grid variables
    Case("u = a*exp(-b*x^2); diff(u, a) + diff(u, b)",
         sp.diff(a * sp.exp(-b * x**2), a) + sp.diff(a * sp.exp(-b * x**2), b),
         {"x": [-1.2, 0.1, 0.8]}, ["x", "a", "b,x"], {"a": 1.5, "b": 0.6}),
    Case("u = sin(k*x)/k; diff(u, k, x)", sp.diff(sp.sin(k * x) / k, k, x), {"x": [-1.2, 0.1, 0.8]},
         ["k", "x"], {"k": 2.5}),
    Case(BLACK_SCHOLES + "diff(C, S, S)", sp.diff(CALL, S, 2),
         {"S": [80.0, 100.0, 120.0], "sigma": [0.1, 0.2, 0.4]}, ["S", "sigma"],
         {"T": 1.0, "r": 0.03, "K": 100.0}),
    # functions whose rules print helpers, where(), min/max, abs
    Case("u = atan2(y, x) + hypot(x, y) + erf(x*y); diff(u, x, y)",
         sp.diff(sp.atan2(y, x) + sp.sqrt(x**2 + y**2) + sp.erf(x * y), x, y), NEG, ["x"]),
    Case("u = normcdf(x)*lgamma(y + 3) + tanh(x*y); diff(u, x, y)",
         sp.diff((1 + sp.erf(x / sp.sqrt(2))) / 2 * sp.log(sp.gamma(y + 3)) + sp.tanh(x * y), x, y),
         NEG, ["y"]),
    Case("u = where(x > 0, x^3*y, -x^2*y^2); diff(u, x, x)",
         sp.Piecewise((6 * x * y, x > 0), (-2 * y**2, True)), NEG, ["x", "y"]),
    Case("u = max(x, y)^2 + abs(x)*y; diff(u, x) + diff(u, y)",
         sp.diff(sp.Max(x, y) ** 2 + sp.Abs(x) * y, x) + sp.diff(sp.Max(x, y) ** 2 + sp.Abs(x) * y, y),
         {"x": [-1.7, 0.6, 1.3], "y": [-0.9, 0.5, 1.6]}, ["x"]),
    # diff inside where's branch: the branch not taken (x <= 0, where ∂√x/∂x is inf or NaN) leaks
    # nothing, at any order; and a rule through a hidden function (digamma's is ζ(2, x))
    Case("u = sqrt(x); where(x > 0, diff(u, x), 0) + diff(digamma(x + 3), x)",
         sp.Piecewise((1 / (2 * sp.sqrt(x)), x > 0), (0, True)) + sp.polygamma(1, x + 3),
         {"x": [-1.0, 0.0, 0.5, 2.0]}, ["x", "x,x"]),
    # scattered points
    Case("u = exp(-x^2/(4*t))/sqrt(4*pi*t); diff(u, t) - diff(u, x, x) + diff(u, x)",
         sp.diff(U_HEAT, x), {"x": [-1.5, 0.2, 0.9, 2.0], "t": [0.3, 1.1, 2.0, 0.7]}, ["x", "t"],
         points=True, scale=sp.diff(U_HEAT, t)),
]


def _domain(case: Case):
    return make_points(case.variables) if case.points else make_grid(case.variables)


def _points(case: Case) -> dict[sp.Symbol, np.ndarray]:
    symbols = {str(s): s for s in (x, y, z, t, a, b, c, k, r, th, p, q, S, K, sigma, T, rate)}
    domain = _domain(case)
    coords = domain.coordinates(0, domain.size)
    points = {symbols[n]: np.asarray(v, dtype=float) for n, v in coords.items()}
    for name, value in case.params.items():
        points[symbols[name]] = np.full(domain.size, value)
    return points


@functools.cache
def _reference(index: int, output: str, wrt: tuple[str, ...]) -> np.ndarray:
    """SymPy's exact derivative at every point (cached: every engine checks against it)."""
    case = CASES[index]
    expr = case.reference[output] if isinstance(case.reference, dict) else case.reference
    symbols = {str(s): s for s in expr.free_symbols} | {n: sp.Symbol(n, real=True) for n in wrt}
    return sympy_reference(expr, tuple(symbols[n] for n in wrt), _points(case))


@functools.cache
def _scale(index: int) -> float:
    case = CASES[index]
    if case.scale is None:
        return 0.0
    return float(np.max(np.abs(sympy_reference(case.scale, (), _points(case)))))


def _components(result, request: str) -> list[tuple[str, ...]]:
    return [c for r in result.requests if r.text == request for c in r.components]


def test_there_are_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.text[:40] for c in CASES])
def test_diff_agrees_with_sympy_in_every_engine(index: int, method: str) -> None:
    case = CASES[index]
    result = partials_on_grid(case.text, _domain(case), case.wrt, case.params, method=method)
    assert result.method == method
    # A residual that vanishes is the rounding residue of its terms, a few ulps of their size:
    # the absolute floor is 1e-15 × the scale given, so 16 × the terms' size is ~70 ulps of them
    # (and of the terms' partials, for the partials of the residual).
    scale = 16 * _scale(index)
    for output in result.outputs:
        assert_close(result.value(output), _reference(index, output, ()), what=f"{output} ({method})",
                     scale=scale)
        for request in case.wrt:
            for wrt in _components(result, request):
                assert_close(result.partial(wrt, output), _reference(index, output, wrt),
                             what=f"{output} {wrt} ({method})", scale=4 * scale)


def test_heat_residual_is_rounding_small_and_not_trivially_zero() -> None:
    """The residual is a difference of two large terms that cancel: each term must itself be
    right (∂u/∂t alone agrees with SymPy), so a vanishing result is not a structural accident."""
    grid = make_grid(XT)
    term = partials_on_grid("u = exp(-x^2/(4*t))/sqrt(4*pi*t); diff(u, t)", grid)
    assert_close(term.value(), sympy_reference(sp.diff(U_HEAT, t), (), _points(CASES[0])))
    assert np.max(np.abs(term.value())) > 0.05
    residual = partials_on_grid(CASES[0].text, grid, [])
    assert np.max(np.abs(residual.value())) < 1e-14


@pytest.mark.parametrize("method", METHODS)
def test_structural_zeros_stay_exactly_zero(method: str) -> None:
    """diff with respect to a name the operand does not read is exactly 0 everywhere, even where
    the operand is infinite or NaN (no 0·∞)."""
    grid = make_grid({"x": [-1.0, 0.0, 2.0], "y": [0.5, 3.0]})
    # z's value is 0 where log(x) is finite and NaN elsewhere: a structural 0 is never read as z
    result = partials_on_grid("z = 0*log(x); u = log(x)/x\ndiff(u, y) + diff(3, x) + diff(sqrt(x), y, y)",
                              grid, ["x", "y"], method=method)
    for array in (result.value(), result.partial("x"), result.partial("y")):
        assert np.all(array == 0.0)


def test_expanded_trees_hold_no_diff_and_share_their_subexpressions() -> None:
    """The engines and the code export read folded trees: there diff is ordinary definitions, each
    repeated operation once, and the user's definition u is read by name."""
    from compute.language.tree import Derivative, Ref, walk

    expression = parse_expression(CASES[0].text)
    trees = [n for _, n in expression.folded_definitions + expression.folded_outputs]
    assert not any(isinstance(n, Derivative) for tree in trees for n in walk(tree))
    assert any(isinstance(n, Derivative) for _, tree in expression.outputs for n in walk(tree))
    names = [n for n, _ in expression.folded_definitions]
    assert names[0] == "u"
    assert {"_du_dt", "_d2u_dx2"} <= set(names)
    assert all(n.startswith("_") for n in names[1:])
    reads_u = {ref.name for tree in trees for ref in walk(tree) if isinstance(ref, Ref)}
    assert "u" in reads_u
    assert sum(1 for tree in trees for _ in walk(tree)) < 120
    assert expression.inner_orders == (("f", 2, 1, 48),)


def test_a_fourth_order_diff_leaves_no_room_and_the_default_asks_for_no_partials() -> None:
    result = partials_on_grid("u = x^4*y^2; diff(u, x, x, y, y)", make_grid(NEG))
    assert result.requests == ()
    assert np.all(result.value() == 24 * result.coordinate("x") ** 2)
