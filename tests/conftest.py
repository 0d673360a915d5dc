"""Shared helpers: SymPy references evaluated independently of our lowering."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import mpmath
import numpy as np
import sympy as sp

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
# Fused kernels built during the tests live in a directory of this run (servers and CLI runs the
# tests start inherit it): never the user's cache, never a kernel left by an earlier run.
if "PARTIALS_FUSED_DIR" not in os.environ:
    import tempfile

    os.environ["PARTIALS_FUSED_DIR"] = tempfile.mkdtemp(prefix="partials-kernels-")
pytest_plugins = ["browser"]  # real-browser fixtures: streamlit server + Debian's Chromium


def open_app(page: str = "pages/explorer.py", **query: str | list[str]) -> AppTest:
    """A new AppTest session of app.py on a link with these keys; a ``page`` other than the
    Explorer is opened directly, as a link to that page would."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if page != "pages/explorer.py":
        at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def as_read(markdown: str) -> str:
    """A message as the reader sees it: bold markers gone, backslash escapes resolved (the app
    escapes user text so that ``__import__`` shows as typed, not as bold 'import')."""
    return re.sub(r"\\(.)", r"\1", re.sub(r"(?<!\\)\*\*", "", markdown))


def sympy_reference(
    expr: sp.Expr, wrt: tuple[sp.Symbol, ...], points: dict[sp.Symbol, np.ndarray],
    max_digits: int = 100,
) -> np.ndarray:
    """Exact derivative by SymPy, evaluated to 30 correct digits at each point, returned as
    float64. ``max_digits`` caps the working precision SymPy may raise to get there: far out
    in a tail (1 − tanh(300)² = 1e-260) it needs hundreds of digits, or the value comes back
    as an unresolved 0.e-165."""
    derivative = sp.diff(expr, *wrt) if wrt else expr
    symbols = list(points)
    n = len(next(iter(points.values())))
    out = np.empty(n)
    with mpmath.workdps(30):
        for i in range(n):
            subs = {s: sp.Float(float(points[s][i]), 30) for s in symbols}
            value = derivative.evalf(30, subs=subs, maxn=max_digits)
            out[i] = float(value) if value.is_real else np.nan
    return out


def assert_close(
    actual: np.ndarray, expected: np.ndarray, rel: float = 1e-12, what: str = "", scale: float = 0.0
) -> None:
    """Relative error ≤ rel, with an absolute floor of rel × 1e-3 × the problem's scale.

    The scale is the largest |expected| (or ``scale``, the size of the function's own values,
    when larger): exact zeros such as d²/dx²(sin² + cos²) come out of float64 as rounding
    residue of the terms (1e-16), which no relative bound on 0 can accept.
    """
    actual = np.asarray(actual, dtype=np.float64).reshape(-1)
    expected = np.asarray(expected, dtype=np.float64).reshape(-1)
    assert actual.shape == expected.shape, what
    assert np.all(np.isfinite(expected)), f"{what}: reference not finite: {expected}"
    scale = max(float(np.max(np.abs(expected))), scale, 1e-300)
    err = np.abs(actual - expected)
    bound = rel * np.maximum(np.abs(expected), scale * 1e-3) + 1e-300
    worst = int(np.argmax(err / bound))
    assert np.all(err <= bound), (
        f"{what}: got {actual[worst]!r}, SymPy {expected[worst]!r} (point {worst})"
    )


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "compute", *args],
        capture_output=True, text=True, check=False, cwd=ROOT, env=env, input=stdin, timeout=120,
    )
