"""Exported torch code runs on its own and prints the engine's numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from compute import make_grid, make_points, parse_expression, partials_on_grid
from compute.codegen import torch_snippet
from compute.derivatives import partial_label
from compute.grid import parse_grid_spec

CASES = [
    ("t*k + 2*t*k**2", {"t": "1, 2, 4", "k": "2, 3"}, {}, [("k",), ("t",), ("t", "k")]),
    ("sin(x*y) + cbrt(x) - softplus(a*y)", {"x": "linspace(-1, 2, 17)", "y": "arange(0, 1, 0.05)"},
     {"a": 0.5}, [("x",), ("a",), ("x", "y"), ("y", "y", "y")]),
    ("d = where(x > 0, x**2, 2.0); torch = min(d, 1, y) + max(x, y)\nu = torch*pi; v = y**-2; u, v",
     {"x": "-1, 0.5, 2", "y": "logspace(0, 1, 4)"}, {}, [("x",), ("y",)]),
    ("exp(1)*x + 3", {"x": "1, 2"}, {}, [("x",), ("x", "x")]),
    ("7", {"x": "1, 2"}, {}, [("x",)]),
    ("tanh(x) + sigmoid(3*x) + softplus(y) + atanh(y/50) + asin(y/50) + acos(y/60) + acosh(2 + x^2)",
     {"x": "-30, 0.3, 11.86", "y": "-30, 0.2, 45"}, {}, [("x",), ("x", "x"), ("y", "y", "y")]),
    ("sech(x)", {"x": "-900, 0.3, 2"}, {}, [("x",), ("x", "x")]),  # sech's helper needs tanh's
    ("tanh(x^3)", {"x": "-12, 0.3, 9.5"}, {}, [("x",), ("x", "x", "x")]),  # and tanh's needs sech's
    ("expm1(x) + acosh(y)", {"x": "-30, 0.5", "y": "1.5, 1e160"}, {}, [("x",), ("y",), ("y", "y")]),
]


def run_snippet(code: str) -> dict[str, np.ndarray]:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    printed = {}
    for line in proc.stdout.strip().splitlines():
        label, _, values = line.partition(" ")
        printed[label.strip("'")] = np.array(json.loads(
            values.replace("nan", "NaN").replace("inf", "Infinity")), dtype=float)
    return printed


@pytest.mark.parametrize(("text", "variables", "params", "partials"), CASES,
                         ids=[c[0][:30] for c in CASES])
def test_exported_code_reproduces_the_engine(text, variables, params, partials) -> None:
    expression = parse_expression(text)
    grid = make_grid(variables)
    specs = {n: parse_grid_spec(s) for n, s in variables.items()}
    result = partials_on_grid(expression, grid, [",".join(p) for p in partials], params)
    printed = run_snippet(torch_snippet(expression, grid, params, partials, specs))
    for output in result.outputs:
        # to float64 rounding of the terms: torch's vectorised and scalar kernels may differ in
        # the last bit, which shows relative to the terms where they cancel
        value = result.value(output)
        np.testing.assert_allclose(printed[output], value, rtol=1e-15,
                                   atol=1e-15 * float(np.max(np.abs(value))))
        for wrt in partials:
            label = partial_label(output, wrt, ascii_only=True)
            np.testing.assert_allclose(printed[label], result.partial(wrt, output), rtol=1e-13,
                                       atol=1e-15, err_msg=label)


def test_exported_code_for_points() -> None:
    expression = parse_expression("x*exp(-y)")
    points = make_points({"x": [0.5, 1.5, -2.0], "y": [1.0, 0.0, 3.0]})
    result = partials_on_grid(expression, points, ["x", "y"])
    printed = run_snippet(torch_snippet(expression, points, {}, [("x",), ("y",)]))
    np.testing.assert_allclose(printed["df/dy"], result.partial("y"), rtol=1e-15)
