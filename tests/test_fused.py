"""The fused path (compute.engines.fused, opt-in with PARTIALS_FUSED=1): off by default, a request
never waits for a compile, a failed compile leaves the engine eager, and fused results agree with
SymPy. The one test that really compiles (seconds to minutes of CPU on a busy 2-core machine)
runs only with PARTIALS_TEST_FUSED=1 and a C++ compiler; CI never compiles."""

from __future__ import annotations

import os
import shutil
import threading

import numpy as np
import pytest
import sympy as sp

from compute import make_grid, parse_expression, partials_on_grid
from compute.engines import engine, fused
from conftest import assert_close, sympy_reference

x, y = sp.symbols("x y", real=True)
TEXT = "exp(-x*y/4)*sin(x + y) + log(1 + x**2*y**2)"
EXPR = sp.exp(-x * y / 4) * sp.sin(x + y) + sp.log(1 + x**2 * y**2)
WRT = ["x", "y", "x,y"]
# 1216 × 964 points: over fused.MIN_POINTS; 135 rows per block, so the last block is one row
# (a block the compiled guards do not cover: it must run eager).
GRID = {"x": "linspace(-1.5, 2, 1216)", "y": "linspace(0.1, 1.9, 964)"}


def _program(text: str = TEXT):
    return engine._symbolic_program(parse_expression(text), [("x",), ("y",), ("x", "y")], strict=True)


def _check_against_sympy(result, samples: int = 24) -> None:
    X, Y = np.meshgrid(result.coordinate("x")[:, 0], result.coordinate("y")[0], indexing="ij")
    flat = np.random.default_rng(5).choice(X.size, samples, replace=False)
    flat[-1] = X.size - 1  # a point of the one-row last block
    points = {x: X.ravel()[flat], y: Y.ravel()[flat]}
    assert_close(result.value().ravel()[flat], sympy_reference(EXPR, (), points), what="f")
    for spec in WRT:
        symbols = tuple({"x": x, "y": y}[n] for n in spec.split(","))
        assert_close(result.partial(spec).ravel()[flat], sympy_reference(EXPR, symbols, points),
                     what=spec)


@pytest.fixture
def fresh_program() -> None:
    engine._PROGRAMS.clear()


def test_same_to_rounding_compares_values_and_nonfinite_points() -> None:
    want = np.array([1.0, -2.5, np.nan, np.inf, 0.0])
    assert fused.same_to_rounding(want.copy(), want)
    assert fused.same_to_rounding(want * (1 + 1e-15), want)
    assert not fused.same_to_rounding(want * (1 + 1e-9), want)
    assert not fused.same_to_rounding(np.array([1.0, -2.5, 0.0, np.inf, 0.0]), want)
    assert not fused.same_to_rounding(np.array([1.0, -2.5, np.nan, -np.inf, 0.0]), want)


@pytest.mark.usefixtures("fresh_program")
def test_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARTIALS_FUSED", raising=False)
    assert not fused.enabled()
    partials_on_grid(TEXT, make_grid(GRID), WRT)
    assert _program().fused == {}


@pytest.mark.usefixtures("fresh_program")
def test_a_request_never_waits_for_its_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compile is queued once the large job is done, on another thread; that job and the next
    are served eagerly (and exactly) while it runs."""
    monkeypatch.setenv("PARTIALS_FUSED", "1")
    monkeypatch.setattr(fused, "_has_compiler", lambda _name: True)
    release, started = threading.Event(), threading.Event()

    def slow_compile(entry, *_args) -> None:
        started.set()
        release.wait(60)
        entry.state, entry.error = "failed", "test: never compiled"
        entry.done.set()

    monkeypatch.setattr(fused, "_compile", slow_compile)
    try:
        first = partials_on_grid(TEXT, make_grid(GRID), WRT)
        assert started.wait(30)  # queued after the job, compiling now
        [entry] = _program().fused.values()
        assert entry.state == "compiling"
        second = partials_on_grid(TEXT, make_grid(GRID), WRT)  # served while it compiles
        assert entry.state == "compiling"
        _check_against_sympy(first)
        _check_against_sympy(second)
    finally:
        release.set()
    assert entry.done.wait(30)


@pytest.mark.usefixtures("fresh_program")
def test_a_failed_compile_leaves_the_program_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTIALS_FUSED", "1")
    monkeypatch.setattr(fused, "_has_compiler", lambda _name: True)

    def broken(*_args, **_kwargs):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(fused.torch, "compile", broken)
    partials_on_grid(TEXT, make_grid(GRID), WRT)
    [entry] = _program().fused.values()
    assert entry.done.wait(60)
    assert entry.state == "failed"
    assert "no compiler here" in entry.error
    _check_against_sympy(partials_on_grid(TEXT, make_grid(GRID), WRT))


@pytest.mark.skipif(os.environ.get("PARTIALS_TEST_FUSED") != "1" or shutil.which("g++") is None,
                    reason="compiles with Inductor: set PARTIALS_TEST_FUSED=1 (needs g++)")
@pytest.mark.usefixtures("fresh_program")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Inductor's own, raised while compiling
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_fused_results_agree_with_sympy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTIALS_FUSED", "1")
    partials_on_grid(TEXT, make_grid(GRID), WRT)  # eager; queues the compile
    [entry] = _program().fused.values()
    assert entry.done.wait(1200), "the compile did not finish"
    assert entry.state == "ready", entry.error
    calls = []
    call = entry.call
    assert call is not None

    def counted(*args) -> None:
        calls.append(1)
        call(*args)

    entry.call = counted
    result = partials_on_grid(TEXT, make_grid(GRID), WRT)
    assert len(calls) == 9  # 10 blocks; the one-row last block ran eager
    _check_against_sympy(result)
