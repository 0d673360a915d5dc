"""Formulas are written in terms of the function's own definitions (issue 9, item 3), and stay
exact: with every definition substituted back, each one equals SymPy's derivative of the
function written out independently here."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp

from compute.examples import BLACK_SCHOLES
from compute.language.expression import parse_expression
from compute.views.symbolic import ChainRule, Named, formula_latex, formula_set_in_process
from ui.formulas import breakable, top_level_terms

x, y, r, theta = sp.symbols("x y r theta", real=True)
S, K, T, sigma, rate = sp.symbols("S K T sigma r", real=True)

_d1 = (sp.log(S / K) + (rate + sigma**2 / 2) * T) / (sigma * sp.sqrt(T))
_d2 = _d1 - sigma * sp.sqrt(T)
_N = lambda z: (1 + sp.erf(z / sp.sqrt(2))) / 2  # noqa: E731
BLACK_SCHOLES_CALL = S * _N(_d1) - K * sp.exp(-rate * T) * _N(_d2)
_a = x * y
_b = sp.sin(_a) + _a**2

CASES = [
    # (function, {output: independent reference}, partials, sampling range per symbol)
    (BLACK_SCHOLES, {"C": BLACK_SCHOLES_CALL},
     [(), ("S",), ("S", "S"), ("sigma",), ("T",), ("r",), ("K",), ("sigma", "sigma"), ("S", "sigma"),
      ("T", "T", "S")],
     {S: (50, 150), K: (50, 150), T: (0.1, 2), sigma: (0.05, 0.6), rate: (-0.05, 0.1)}),
    ("x = r*cos(theta); y = r*sin(theta); x, y", {"x": r * sp.cos(theta), "y": r * sp.sin(theta)},
     [(), ("r",), ("theta",), ("r", "theta")], {r: (0.5, 2), theta: (-3, 3)}),
    ("x = x + 1\nx*2", {"f": 2 * (x + 1)}, [(), ("x",)], {x: (-2, 2)}),  # shadows a free name
    ("a = x*y; b = sin(a) + a**2; c = b*exp(-a); c*x", {"f": _b * sp.exp(-_a) * x},
     [(), ("x",), ("y",), ("x", "y"), ("x", "x", "y")], {x: (-1.5, 1.5), y: (-1.5, 1.5)}),
    ("g = where(x > 0, x**2, -x); h = abs(y - 0.5)*g; h + g", {
        "f": sp.Abs(y - sp.Rational(1, 2)) * sp.Piecewise((x**2, x > 0), (-x, True))
        + sp.Piecewise((x**2, x > 0), (-x, True))},
     [(), ("x",), ("y",), ("x", "y")], {x: (-2, 2), y: (-2, 2)}),
    ("a = x - 1; b = where(a > 0, a**2, -a); c = max(a, y) + min(a*y, 1); b*y + c", {
        "f": sp.Piecewise(((x - 1) ** 2, x - 1 > 0), (1 - x, True)) * y + sp.Max(x - 1, y)
        + sp.Min((x - 1) * y, 1)},
     [(), ("x",), ("y",), ("x", "y")], {x: (-2, 3), y: (-2, 2)}),  # definitions in conditions
    ("u = x*y; v = u**2 + x; u, v", {"u": x * y, "v": (x * y) ** 2 + x},
     [(), ("x",), ("x", "y")], {x: (-2, 2), y: (-2, 2)}),
]


def _close(value: sp.Expr, reference: sp.Expr, at: dict) -> bool:
    """Equal to 20 digits at ``at``, both evaluated with 30-digit mpmath (SymPy objects only)."""
    names = list(at)
    # min/max differentiate to Heaviside and DiracDelta: at a random point, a step and 0.
    steps = {"Heaviside": lambda v, *_: 1 if v > 0 else 0, "DiracDelta": lambda *_: 0}
    with mpmath.workdps(30):
        point = [mpmath.mpf(str(v)) for v in at.values()]
        got = sp.lambdify(names, value, [steps, "mpmath"])(*point)
        want = sp.lambdify(names, reference, [steps, "mpmath"])(*point)
        return abs(got - want) <= mpmath.mpf("1e-20") * max(1, abs(want))


@pytest.mark.parametrize(("text", "references", "partials", "ranges"), CASES,
                         ids=["black-scholes", "polar", "shadowing", "chain", "where-abs",
                              "where-min-max", "outputs"])
def test_formulas_with_their_definitions_substituted_are_the_exact_derivatives(
        text, references, partials, ranges) -> None:
    chain = ChainRule(parse_expression(text))
    rng = random.Random(9)
    for output, reference in references.items():
        for wrt in partials:
            formula = chain.formula(output, wrt)
            exact = sp.diff(reference, *[sp.Symbol(n, real=True) for n in wrt]) if wrt else reference
            inlined = chain.inline(formula)
            assert not any(isinstance(s, Named) for s in inlined.free_symbols)
            for _ in range(4):
                at = {s: rng.uniform(*bounds) for s, bounds in ranges.items()}
                assert _close(inlined, exact, at), (output, wrt, at)


def test_black_scholes_formulas_read_in_terms_of_d1_and_d2_each_defined_once() -> None:
    keys = [("C", ()), ("C", ("S",)), ("C", ("S", "S")), ("C", ("sigma",)), ("C", ("T",)),
            ("C", ("r",))]
    found = formula_set_in_process(parse_expression(BLACK_SCHOLES), keys)
    chain = ChainRule(parse_expression(BLACK_SCHOLES))
    for key in keys:
        latex = found.latex[key]
        assert latex == formula_latex(chain.formula(*key))  # what is shown is what was checked
        assert r"\log" not in latex, f"d1 is inlined into {key}: {latex}"
        assert len(latex) < 400, f"{key} is {len(latex)} characters: {latex}"
    assert "d_{1}" in found.latex[("C", ("S",))]
    assert "N_{1}" in found.latex[("C", ("S",))]
    # as the README quotes it: N1 − √2 K exp(−d2²/2) e^(−rT)/(2√π S √T σ) + …
    assert found.latex[("C", ("S",))].startswith(
        r"N_{1} - \frac{\sqrt{2} K \exp\left(- \frac{d_{2}^{2}}{2}\right)}{2 \sqrt{\pi} S \sqrt{T} \sigma} "
        r"e^{- T r} + ")
    names = [plain for _, _, plain in found.where]
    assert names[:4] == ["d1", "d2", "N1", "N2"]
    assert len(names) == len(set(names))
    assert set(names[4:]) == {"∂d1/∂sigma", "∂d1/∂T"}  # long partials of d1, each defined once
    (d1,) = [rhs for lhs, rhs, _ in found.where if lhs == "d_{1}"]
    assert r"\log" in d1


def test_a_definition_listed_as_an_output_is_its_own_formula_not_a_symbol() -> None:
    found = formula_set_in_process(parse_expression("x = r*cos(theta); y = r*sin(theta); x, y"),
                                   [("x", ()), ("x", ("r",)), ("y", ("theta",))])
    assert found.latex[("x", ())] == r"r \cos{\left(\theta \right)}"
    assert found.where == ()


def test_long_formulas_break_between_top_level_terms_only() -> None:
    latex = r"N_{1} - \frac{a + b}{c} e^{- T r} + \left(x - y\right) - 2"
    assert top_level_terms(latex) == [r"N_{1}", r"- \frac{a + b}{c} e^{- T r}",
                                      r"+ \left(x - y\right)", "- 2"]
    assert top_level_terms(r"- x + y") == [r"- x", "+ y"]
    shown = breakable("C", latex)
    assert shown.startswith(r"{\displaystyle C} = {\displaystyle N_{1}} - {\displaystyle \frac{a + b}")
    assert shown.count(r"\displaystyle") == 5
