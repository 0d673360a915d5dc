"""The function sweep: every function of the registry, orders 0–3, at ordinary arguments and at
|x| from 1e-300 to 1e300 with both signs, against SymPy's exact derivative at high precision.

SymPy needs seconds per point where the derivative holds exp(1e300)-sized terms, so the references
are computed once and stored in ``tests/data/function_sweep.json``; tests/test_functions.py runs the
three engines on the same points (a few seconds) and checks each function's stored signature (its
SymPy expression and points), so a changed or added function fails until the file is rewritten:

    .venv/bin/python tests/function_sweep.py            # every function (minutes)
    .venv/bin/python tests/function_sweep.py normcdf    # just these, kept with the others

A reference is exact input: each point enters SymPy with its exact float64 value (see ``_exact``),
and is evaluated at 30, 120, 480, 1920 digits until two agree; complex results are stored as NaN;
a value that shrinks below 1e-300 with every digit added is below float64 (stored as "tiny"); a
point SymPy cannot evaluate at all is stored as null and the test skips it.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from compute.registry.functions import FUNCTIONS, sympy_call  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "function_sweep.json"
X, Y = sp.symbols("x y", real=True)
# 15 log-spaced magnitudes from 1e-300 to 1e300 (1.37 keeps them off integers and other special
# values for small exponents), the ordinary arguments 0.5, 0.9 and 2.5, each with both signs.
MAGNITUDES = [1.37 * 10.0**k for k in (-300, -200, -150, -100, -30, -8, -1, 0, 1, 8, 30, 100, 150, 200, 300)]
POINTS = sorted({sign * m for m in [*MAGNITUDES, 0.5, 0.9, 2.5] for sign in (1.0, -1.0)})
PAIRS = ([(s * m, 2 * m) for m in MAGNITUDES for s in (1.0, -1.0)]
         + [(s * m, 0.7) for m in MAGNITUDES[::2] for s in (1.0, -1.0)]
         + [(0.7, s * m) for m in MAGNITUDES[::2] for s in (1.0, -1.0)])
SPECS_1 = ["x", "x,x", "x,x,x"]
SPECS_2 = ["x", "y", "x,x", "x,y", "y,y", "x,x,x", "x,x,y", "x,y,y", "y,y,y"]
TINY = "tiny"  # below every float64: its cancellation needed more than 2000 digits
# Functions that are not called as f(x) or f(x, y): (text, SymPy expression over X).
TEMPLATES = {
    "where": ("where(x > 0, sqrt(x), x^3)", lambda: sp.Piecewise((sp.sqrt(X), X > 0), (X**3, True))),
}


def case(name: str) -> tuple[str, sp.Expr, dict[str, list[float]], list[str]]:
    """(text, SymPy reference, variables, derivative specs) for one function."""
    if name in TEMPLATES:
        text, build = TEMPLATES[name]
        return text, build(), {"x": POINTS}, SPECS_1
    if len(FUNCTIONS[name].params) == 1:
        return f"{name}(x)", sympy_call(name, X), {"x": POINTS}, SPECS_1
    variables = {"x": [a for a, _ in PAIRS], "y": [b for _, b in PAIRS]}
    return f"{name}(x, y)", sympy_call(name, X, Y), variables, SPECS_2


def signature(name: str) -> str:
    text, expr, variables, specs = case(name)
    blob = json.dumps([text, sp.srepr(expr), variables, specs])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _exact(v: float) -> sp.Expr:
    """The float64 value as SymPy holds it: exactly (53 bits), marked with 2000 digits of precision
    — a Float marked with 30 lets evalf call a cancellation beyond 30 digits 0 (hypot'' at
    (1.37e30, 0.7), 1e-91) — and not a Rational (2**x would compute a 1e300-digit integer)."""
    return sp.Float(v, 2000)


def _evaluate(expr: sp.Expr, subs: dict[sp.Symbol, float]) -> float | str | None:
    """The value to float64, trusted once two working precisions agree: SymPy's own accuracy
    estimate is not (hypot'' at (1.37e30, 0.7) came out 0 at 30 digits, the 1e-91 it is at
    120; e^(-1.37e100)-sized results come out as 2^-103 noise)."""
    try:
        exact = expr.subs({s: _exact(v) for s, v in subs.items()})
    except (ValueError, TypeError, ArithmeticError, RecursionError):
        exact = None
    previous = None
    for digits in (30, 120, 480, 1920):
        value = _at(exact, expr, subs, digits)
        if value is None or isinstance(value, str) or previous is None:
            previous = value
            if value is None:
                return None
            continue
        if isinstance(previous, float) and (value == previous or (math.isnan(value) and math.isnan(previous))
                                            or abs(value - previous) <= 1e-15 * abs(value)):
            return value
        previous = value
    if previous == TINY or (isinstance(previous, float) and abs(previous) < 1e-300):
        return TINY  # shrinking with every digit added: below float64
    return None


def _at(exact: sp.Expr | None, expr: sp.Expr, subs: dict[sp.Symbol, float], digits: int):
    try:
        if exact is None:
            raise ValueError
        value = exact.evalf(digits, maxn=4 * digits, strict=True)
    except sp.core.evalf.PrecisionExhausted:
        return TINY
    except (ValueError, TypeError, ArithmeticError, RecursionError):
        try:  # another route: float inputs substituted inside evalf
            value = expr.evalf(digits, subs={s: _exact(v) for s, v in subs.items()},
                               maxn=4 * digits)
        except (ValueError, TypeError, ArithmeticError, RecursionError):
            return None
    if value in (sp.zoo, sp.nan, sp.oo, -sp.oo):
        return math.nan if value is sp.nan or value is sp.zoo else float(value)
    if not value.is_number:
        return None
    if value.is_real is False:
        return math.nan
    if value.is_real is None:
        re, im = value.as_real_imag()
        if im != 0:
            return math.nan
        value = re
    return float(value)


def references(name: str) -> dict[str, list[float | str | None]]:
    _, expr, variables, specs = case(name)
    symbols = {"x": X, "y": Y}
    rows = [dict(zip([symbols[n] for n in variables], values, strict=True))
            for values in zip(*variables.values(), strict=True)]
    out: dict[str, list[float | str | None]] = {}
    for spec in ["", *specs]:
        derivative = sp.diff(expr, *[symbols[n] for n in spec.split(",")]) if spec else expr
        out[spec] = [_evaluate(derivative, row) for row in rows]
    return out


def load() -> dict:
    if not DATA.exists():
        return {}
    return json.loads(DATA.read_text())


def expected(stored: list[float | str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, known, tiny) arrays from one stored row."""
    values = np.array([0.0 if v is None or v == TINY else float(v) for v in stored])
    known = np.array([v is not None for v in stored])
    tiny = np.array([v == TINY for v in stored])
    return values, known, tiny


def main(names: list[str]) -> None:
    data = load()
    for name in names or list(FUNCTIONS):
        start = time.perf_counter()
        data[name] = {"signature": signature(name), "values": references(name)}
        unknown = sum(v is None for row in data[name]["values"].values() for v in row)
        print(f"{name}: {time.perf_counter() - start:.1f} s, {unknown} points SymPy cannot evaluate",
              flush=True)
        data = {n: data[n] for n in FUNCTIONS if n in data}
        DATA.parent.mkdir(exist_ok=True)
        lines = ["{"]
        for i, (n, entry) in enumerate(data.items()):
            rows = ",\n".join(f'  "{spec}": {json.dumps(row)}' for spec, row in entry["values"].items())
            comma = "," if i < len(data) - 1 else ""
            lines.append(f'"{n}": {{"signature": "{entry["signature"]}", "values": {{\n{rows}}}}}{comma}')
        lines.append("}")
        DATA.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
