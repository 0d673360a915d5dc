"""``diff(...)`` outside the engines: formulas that read ∂u/∂t and stay exact, exported code that
reproduces SymPy's numbers, the command line, and share links."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from compute import make_grid, parse_expression
from compute.language.derivatives import partial_label
from compute.views.codegen import torch_snippet
from compute.views.symbolic import ChainRule, Named, formula_set_in_process
from conftest import assert_close, open_app, run_cli, sympy_reference

x, y, t, r, th = sp.symbols("x y t r th", real=True)
HEAT = "u = exp(-x^2/(4*t))/sqrt(4*pi*t); diff(u, t) - diff(u, x, x)"
U_HEAT = sp.exp(-x**2 / (4 * t)) / sp.sqrt(4 * sp.pi * t)
POLAR = "x = r*cos(th); y = r*sin(th); diff(x, r)*diff(y, th) - diff(x, th)*diff(y, r)"


def _equal(value: sp.Expr, reference: sp.Expr, points: list[dict[sp.Symbol, float]]) -> bool:
    """Equal to 20 digits at each point (30-digit evaluation of SymPy objects)."""
    for at in points:
        subs = {s: sp.Float(v, 30) for s, v in at.items()}
        got, want = value.evalf(30, subs=subs), reference.evalf(30, subs=subs)
        if abs(got - want) > sp.Float("1e-20", 30) * max(1, abs(want)):
            return False
    return True


XT_POINTS = [{x: -1.3, t: 0.4}, {x: 0.2, t: 1.7}, {x: 2.1, t: 0.9}]
FORMULA_CASES = [
    # (function, output, wrt, reference, points)
    (HEAT, "f", (), sp.diff(U_HEAT, t) - sp.diff(U_HEAT, x, 2), XT_POINTS),
    (HEAT, "f", ("x",), sp.diff(U_HEAT, t, x) - sp.diff(U_HEAT, x, 3), XT_POINTS),
    (POLAR, "f", (), r, [{r: 0.7, th: -2.0}, {r: 2.0, th: 0.4}]),
    (POLAR, "f", ("r",), sp.Integer(1), [{r: 0.7, th: -2.0}, {r: 2.0, th: 0.4}]),
    ("u = sin(x*y)*t; v = diff(u, x); diff(v, y) + diff(u, y, x)", "f", ("t",),
     2 * sp.diff(sp.sin(x * y), x, y), [{x: 0.3, y: -1.1, t: 2.0}, {x: 1.4, y: 0.6, t: -0.5}]),
    ("diff(x^3*y + exp(x*y), x, y)", "f", ("x",), sp.diff(x**3 * y + sp.exp(x * y), x, y, x),
     [{x: 0.3, y: -1.1}, {x: 1.4, y: 0.6}]),
]


@pytest.mark.parametrize(("text", "output", "wrt", "reference", "points"), FORMULA_CASES)
def test_formulas_with_diff_substituted_back_are_the_exact_derivatives(
        text, output, wrt, reference, points) -> None:
    chain = ChainRule(parse_expression(text))
    inlined = chain.inline(chain.formula(output, wrt))
    assert not any(isinstance(s, Named) for s in inlined.free_symbols)
    assert _equal(inlined, reference, points)


def test_the_heat_residual_reads_du_dt_minus_d2u_dx2_each_defined_once() -> None:
    found = formula_set_in_process(parse_expression(HEAT), [("f", ()), ("f", ("x",))])
    assert found.latex[("f", ())] == (r"\frac{\partial u}{\partial t} - "
                                      r"\frac{\partial^{2} u}{\partial x^{2}}")
    assert found.latex[("f", ("x",))] == (r"\frac{\partial^{2} u}{\partial x \partial t} - "
                                          r"\frac{\partial^{3} u}{\partial x^{3}}")
    names = [plain for _, _, plain in found.where]
    assert names == ["∂u/∂t", "∂²u/∂x²", "∂²u/∂x∂t", "∂³u/∂x³"]
    (du_dt,) = [rhs for lhs, rhs, plain in found.where if plain == "∂u/∂t"]
    assert r"\exp" in du_dt  # defined as what it is, never as another symbol


def test_jacobian_determinant_reads_in_partials_of_the_definitions() -> None:
    found = formula_set_in_process(parse_expression(POLAR), [("f", ())])
    assert found.latex[("f", ())] == (r"\frac{\partial x}{\partial r} \frac{\partial y}{\partial th} - "
                                      r"\frac{\partial x}{\partial th} \frac{\partial y}{\partial r}")
    assert dict((plain, rhs) for _, rhs, plain in found.where)["∂x/∂r"] == r"\cos{\left(th \right)}"


def test_diff_of_diff_and_a_mixed_diff_are_one_symbol() -> None:
    found = formula_set_in_process(parse_expression("u = sin(x*y)*x; diff(diff(u, y), x) - diff(u, x, y)"),
                                   [("f", ())])
    assert found.latex[("f", ())] == "0"


# --- exported code ---------------------------------------------------------------------------

CODE_CASES = [
    # (function, grid, partials, {output: SymPy reference}, scale of the terms)
    (HEAT, {"x": [-1.5, 0.2, 0.9], "t": [0.3, 1.1]}, [("x",), ("x", "t")],
     {"f": sp.diff(U_HEAT, t) - sp.diff(U_HEAT, x, 2)}, 2.0),
    (POLAR, {"r": [0.5, 2.5], "th": [-2.0, 0.3, 1.2]}, [("r",), ("th", "th")], {"f": r}, 2.5),
    ("u = x^2*y + asin(x/3); v = where(x > 0, sqrt(x)*y, -x); diff(u, x, y), diff(v, x)",
     {"x": [-1.0, 0.0, 2.0], "y": [0.5, 3.0]}, [("x",), ("y",)],
     {"f1": 2 * x, "f2": sp.Piecewise((y / (2 * sp.sqrt(x)), x > 0), (-1, True))}, 0.0),
]

RUNNER = """
import contextlib, io, json, runpy, sys
results = []
for path in json.load(sys.stdin):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(path, run_name="__main__")
    results.append(out.getvalue())
json.dump(results, sys.stdout)
"""


def test_exported_code_reproduces_sympys_numbers(tmp_path: Path) -> None:
    """Each snippet runs on its own (one interpreter for all: importing torch is slow) and prints
    values and partials equal to SymPy's, including the structural 0 of where's branch."""
    paths = []
    for i, (text, grid, partials, _, _) in enumerate(CODE_CASES):
        path = tmp_path / f"snippet{i}.py"
        path.write_text(torch_snippet(parse_expression(text), make_grid(grid), {}, partials))
        paths.append(str(path))
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(paths), text=True,
                          capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for (text, grid, partials, references, scale), printed in zip(
            CODE_CASES, json.loads(done.stdout), strict=True):
        lines = dict(line.split(" ", 1) for line in printed.strip().splitlines())
        mesh = np.meshgrid(*[np.array(v, dtype=float) for v in grid.values()], indexing="ij")
        points = {sp.Symbol(n, real=True): m.reshape(-1) for n, m in zip(grid, mesh, strict=True)}
        for output, reference in references.items():
            for wrt in [(), *partials]:
                label = partial_label(output, wrt, ascii_only=True)
                got = np.array(json.loads(lines[label]), dtype=float)
                symbols = tuple(sp.Symbol(n, real=True) for n in wrt)
                assert_close(got, sympy_reference(reference, symbols, points), what=f"{text}: {label}",
                             scale=16 * scale)


# --- the command line and share links --------------------------------------------------------

def test_the_cli_computes_the_heat_residual_and_its_partials() -> None:
    done = run_cli(HEAT, "--var", "x=-1.5, 0.2, 0.9", "--var", "t=0.3, 1.1", "--wrt", "x",
                   "--wrt", "t,x")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    mesh = np.meshgrid([-1.5, 0.2, 0.9], [0.3, 1.1], indexing="ij")
    points = {x: mesh[0].reshape(-1), t: mesh[1].reshape(-1)}
    residual = sp.diff(U_HEAT, t) - sp.diff(U_HEAT, x, 2)
    for key, wrt in (("x", (x,)), ("t,x", (t, x))):
        assert_close(np.array(out["partials"][key]), sympy_reference(residual, wrt, points), scale=32.0)
    assert np.max(np.abs(out["value"])) < 1e-14
    term = run_cli("u = exp(-x^2/(4*t))/sqrt(4*pi*t); diff(u, t)", "--var", "x=-1.5, 0.2, 0.9",
                   "--var", "t=0.3, 1.1", "--wrt", "x")
    assert_close(np.array(json.loads(term.stdout)["value"]),
                 sympy_reference(sp.diff(U_HEAT, t), (), points))


def test_a_share_link_with_diff_opens_with_the_same_numbers_and_formula() -> None:
    at = open_app(**{"v": "1", "f": HEAT, "var.x": "-1, 0.5, 2", "var.t": "0.5, 1", "wrt": ["x", "t"],
                     "digits": "6"})
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.text_area(key="fn").value == HEAT
    assert at.query_params["f"] == HEAT
    from test_app import tables

    shown = tables(at)
    # A residual that vanishes identically: rounding residue, shown as (nearly) 0 at 6 digits.
    for label in ("f", "∂f/∂x", "∂f/∂t"):
        assert all(abs(float(v)) < 1e-12 for row in shown[label] for v in row), shown[label]


# --- The Explorer offers only partials within the order limit, counting diff() ------------------

THIRD = "u = x^4*y*t; diff(u, x, x, x)"  # 24·x·y·t: diff takes 3 of the 4 allowed
XY_T = {"var.x": "1, 2", "var.y": "1, 2", "param.t": "3"}


def _cli_error(function: str, spec: str) -> str:
    """The CLI's message for ``--wrt spec`` (stderr's first line, without ``error: ``)."""
    done = run_cli(function, "--var", "x=1,2", "--var", "y=1,2", "--param", "t=3", "--wrt", spec)
    assert done.returncode != 0
    return done.stderr.splitlines()[0].removeprefix("error: ")


def test_a_function_with_diff_is_offered_only_partials_within_the_limit() -> None:
    from test_app import tables

    at = open_app(f=THIRD, wrt=["y", "x,y", "hessian"], **XY_T)
    assert not at.exception
    # Over-order specs from the link are refused next to the partials, with the CLI's message.
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert errors[0] == ("**Partials from the link were ignored:** " + _cli_error(THIRD, "x,y")
                         + "; " + _cli_error(THIRD, "hessian"))
    assert "order 5 in all, counting the 3 that diff() at line 1, column 14" in errors[0]
    pickers = {p.key: p.options for p in at.get("button_group")}
    assert pickers["d1"] == ["∂f/∂x", "∂f/∂y", "∂f/∂t (parameter)"]
    assert pickers["bundles"] == ["Gradient"]  # the Hessian and Laplacian would be order 5
    assert not [m for m in at.multiselect if m.key == "higher"]  # no order 2 is left
    assert at.session_state["d1"] == ["y"]
    assert list(at.query_params["wrt"]) == ["y"]
    shown = tables(at)
    assert shown["f"] == [["72", "144"], ["144", "288"]]  # 72·x·y
    assert shown["∂f/∂y"] == [["72", "72"], ["144", "144"]]  # 72·x


def test_a_function_taking_four_derivatives_gets_no_partials() -> None:
    four = "u = x^4*y*t; diff(u, x, x, x, y)"  # 24·x·t = 72·x
    at = open_app(f=four, wrt=["y"], **XY_T)
    assert not at.exception
    assert [e.value for e in at.error] == [
        "**Partials from the link were ignored:** " + _cli_error(four, "y")]
    assert "d1" not in {p.key for p in at.get("button_group")}
    assert "No partials can be asked for: diff() at line 1, column 14 takes 4 in f, the most allowed " \
           "(4)." in [c.value for c in at.caption]
    assert at.session_state["d1"] == []
    from test_app import tables

    assert tables(at) == {"f": [["72", "72"], ["144", "144"]]}


def test_editing_in_a_diff_drops_the_partials_past_the_limit_and_says_so() -> None:
    from test_app import tables

    at = open_app(f="x^4*y*t", wrt=["x", "y", "x,y", "hessian"], **XY_T)
    assert not at.error
    at.text_area(key="fn").set_value(THIRD).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert (":material/info: Dropped ∂²f/∂x∂y, the Hessian: f already takes 3 derivatives with "
            "diff(), and 4 is the most in all.") in [c.value for c in at.caption]
    assert list(at.query_params["wrt"]) == ["x", "y"]
    shown = tables(at)
    assert shown["∂f/∂x"] == [["72", "144"], ["72", "144"]]  # 72·y
    assert shown["∂f/∂y"] == [["72", "72"], ["144", "144"]]  # 72·x
