"""Fused kernels (compute.engines.fused, .fused_build, compute.service.compiler): a large eager job
orders its kernel, nothing waits for it, a built kernel matches the eager program and SymPy, every
function of the registry lowers into one, and a broken or failed kernel leaves the engine eager.

Three tests really build kernels with AOTInductor (10–30 s of CPU each on this machine class);
kernels go to this run's own directory (conftest sets PARTIALS_FUSED_DIR)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from compute import make_grid, make_points, partials_on_grid
from compute.engines import fused, fused_build, symbolic_run
from compute.limits import DEFAULT_LIMITS
from compute.service.jobs import JobLimits, JobPool, job_request, run_job
from conftest import ROOT, assert_close, sympy_reference

x, y = sp.symbols("x y", real=True)
TEXT = "exp(-x*y/4)*sin(x + y) + log(1 + x**2*y**2)"
EXPR = sp.exp(-x * y / 4) * sp.sin(x + y) + sp.log(1 + x**2 * y**2)
WRT = ["x", "y", "x,y"]
# 1216 × 964 points: over fused.MIN_POINTS. With blocks of 135 rows the last block is one row (a
# shape the kernel was not exported for: it must run eager).
GRID = {"x": "linspace(-1.5, 2, 1216)", "y": "linspace(0.1, 1.9, 964)"}
ROWS_135 = 135 * 964

needs_compiler = pytest.mark.skipif(shutil.which("g++") is None,
                                    reason="AOTInductor needs a C++ compiler (g++)")
# Inductor's own warnings while it compiles (pytest would turn them into errors).
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture
def kernel_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty kernel directory and no kernel loaded: every test starts with nothing built."""
    monkeypatch.setenv("PARTIALS_FUSED_DIR", str(tmp_path / "kernels"))
    monkeypatch.delenv("PARTIALS_FUSED", raising=False)
    monkeypatch.setattr(fused, "_KERNELS", {})
    symbolic_run._PROGRAMS.clear()
    return tmp_path / "kernels"


def _check_against_sympy(result, samples: int = 24) -> None:
    X, Y = np.meshgrid(result.coordinate("x")[:, 0], result.coordinate("y")[0], indexing="ij")
    flat = np.random.default_rng(5).choice(X.size, samples, replace=False)
    flat[-1] = X.size - 1  # a point of the one-row last block
    flat[0] = 0
    points = {x: X.ravel()[flat], y: Y.ravel()[flat]}
    assert_close(result.value().ravel()[flat], sympy_reference(EXPR, (), points), what="f")
    for spec in WRT:
        symbols = tuple({"x": x, "y": y}[n] for n in spec.split(","))
        assert_close(result.partial(spec).ravel()[flat], sympy_reference(EXPR, symbols, points),
                     what=spec)


def test_same_to_rounding_compares_values_and_nonfinite_points() -> None:
    want = np.array([1.0, -2.5, np.nan, np.inf, 0.0])
    assert fused.same_to_rounding(want.copy(), want)
    assert fused.same_to_rounding(want * (1 + 1e-15), want)
    assert not fused.same_to_rounding(want * (1 + 1e-9), want)
    assert not fused.same_to_rounding(np.array([1.0, -2.5, 0.0, np.inf, 0.0]), want)
    assert not fused.same_to_rounding(np.array([1.0, -2.5, np.nan, -np.inf, 0.0]), want)


def test_a_large_eager_job_orders_its_kernel_and_a_small_one_does_not(kernel_dir: Path) -> None:
    result = partials_on_grid(TEXT, make_grid(GRID), WRT)
    order = result.fuse_order
    assert order is not None
    assert result.fused_blocks == 0
    assert order.layout == fused.Layout(("x", "y"), (), True, "float64")
    assert order.indices == (("x",), ("y",), ("x", "y"))
    # The samples are the job's own values: both ends of each axis, at most SAMPLE_VALUES of them.
    assert [(s[0], s[-1], len(s)) for s in order.samples] == [
        (-1.5, 2.0, fused.SAMPLE_VALUES), (0.1, 1.9, fused.SAMPLE_VALUES)]
    _check_against_sympy(result)
    small_grid = {"x": "linspace(-1.5, 2, 100)", "y": "linspace(0.1, 1.9, 100)"}
    small = partials_on_grid(TEXT, make_grid(small_grid), WRT)
    assert small.fuse_order is None
    assert not kernel_dir.exists()  # ordering builds nothing by itself


@pytest.mark.usefixtures("kernel_dir")
def test_kernels_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTIALS_FUSED", "0")
    assert partials_on_grid(TEXT, make_grid(GRID), WRT).fuse_order is None


@pytest.mark.usefixtures("kernel_dir")
def test_the_key_names_the_program_and_its_layout_in_every_process() -> None:
    key = partials_on_grid(TEXT, make_grid(GRID), WRT).fuse_order.key
    script = ("from compute import make_grid, partials_on_grid\n"
              f"print(partials_on_grid({TEXT!r}, make_grid({GRID!r}), {WRT!r}).fuse_order.key)")
    other = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                           text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert other.stdout.strip() == key
    assert partials_on_grid(TEXT, make_grid(GRID), ["x"]).fuse_order.key != key  # other partials
    points = make_points({"x": np.linspace(-1, 1, fused.MIN_POINTS), "y": np.ones(fused.MIN_POINTS)})
    flat = partials_on_grid(TEXT, points, WRT).fuse_order
    assert flat.key != key
    assert not flat.layout.grid  # other layout
    assert partials_on_grid(TEXT, make_grid(GRID), WRT, dtype="float32").fuse_order.key != key


@pytest.mark.usefixtures("kernel_dir")
def test_a_failed_program_is_not_ordered_again() -> None:
    key = partials_on_grid(TEXT, make_grid(GRID), WRT).fuse_order.key
    fused.failed_path(key).parent.mkdir(parents=True)
    fused.failed_path(key).write_text("failed: test\n")
    assert partials_on_grid(TEXT, make_grid(GRID), WRT).fuse_order is None


@pytest.mark.usefixtures("kernel_dir")
def test_a_broken_kernel_file_leaves_the_engine_eager_and_exact() -> None:
    key = partials_on_grid(TEXT, make_grid(GRID), WRT).fuse_order.key
    fused.library_path(key).parent.mkdir(parents=True)
    fused.library_path(key).write_bytes(b"\x7fELF not really a library")
    result = partials_on_grid(TEXT, make_grid(GRID), WRT)
    assert result.fused_blocks == 0
    _check_against_sympy(result)


@pytest.mark.usefixtures("kernel_dir")
def test_a_build_of_a_changed_program_is_refused() -> None:
    order = partials_on_grid(TEXT, make_grid(GRID), WRT).fuse_order
    forged = fused.FuseOrder("0" * 40, order.expression, order.indices, order.layout,
                             order.samples, order.params)
    assert fused_build.build(forged).startswith("failed: ValueError: the rebuilt program differs")
    assert fused.has_failed("0" * 40)
    assert not fused.library_path("0" * 40).exists()


@needs_compiler
@pytest.mark.usefixtures("kernel_dir")
def test_a_built_kernel_runs_every_full_block_and_agrees_with_sympy() -> None:
    """Built by the CLI's --build-kernel after it answered; used by this process and by the
    next CLI run."""
    order = partials_on_grid(TEXT, make_grid(GRID), WRT).fuse_order
    cli = [sys.executable, "-m", "compute", TEXT, "--var", f"x={GRID['x']}", "--var",
           f"y={GRID['y']}", "--wrt", "x", "--wrt", "y", "--wrt", "x,y", "--format", "summary"]
    first = subprocess.run([*cli, "--build-kernel"], cwd=ROOT, capture_output=True, text=True,
                           timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    assert "method: symbolic  device" in first.stdout  # eager: the kernel comes after the answer
    assert "note: fused kernel built in" in first.stderr
    meta = json.loads((fused.library_path(order.key).parent / "meta.json").read_text())
    assert meta["function"] == TEXT
    assert meta["partials"] == ["x", "y", "x,y"]
    result = partials_on_grid(TEXT, make_grid(GRID), WRT, chunk_points=ROWS_135)
    assert result.fused_blocks == 9  # 10 blocks; the one-row last block ran eager
    assert result.fuse_order is None
    _check_against_sympy(result)
    # By default a kernel takes fewer, bigger blocks (it keeps no intermediates).
    default = partials_on_grid(TEXT, make_grid(GRID), WRT)
    assert 2 <= default.fused_blocks < 9
    _check_against_sympy(default)
    again = subprocess.run([*cli, "--build-kernel"], cwd=ROOT, capture_output=True, text=True,
                           timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert "method: symbolic (fused kernel)" in again.stdout
    assert "already built" in again.stderr
    # Loading a library runs its code: one that another user could have written is never loaded.
    library = fused.library_path(order.key)
    library.chmod(0o766)
    fused._KERNELS.clear()
    assert partials_on_grid(TEXT, make_grid(GRID), WRT).fused_blocks == 0
    library.chmod(0o700)
    assert partials_on_grid(TEXT, make_grid(GRID), WRT).fused_blocks >= 2


EVERY_FUNCTION = """a1 = sin(x) + cos(x)*a + tan(x/4) + sec(x/4) + csc(x/4 + 2) + cot(x/4 + 2)
a2 = asin(x/4) + acos(x/5) + atan(x) + atan2(x, a + 2)
a3 = sinh(x) + cosh(x) + tanh(x) + sech(x) + asinh(x) + acosh(x + 4) + atanh(x/4)
a4 = exp(x) + exp2(x) + expm1(x) + log(x + 3) + log1p(x + 1) + log2(x + 3) + log10(x + 3) + logaddexp(x, a)
a5 = sqrt(x + 3) + cbrt(x + 3) + hypot(x, a) + abs(x) + sign(x) + erf(x) + erfc(x) + normcdf(x) + normpdf(x)
a6 = gamma(x + 3) + lgamma(x + 3) + digamma(x + 3) + min(x, a) + max(x, a) + sigmoid(x) + softplus(x)
a7 = where(x > 0, x**2, -x) + x**a + a**x
a1, a2, a3, a4, a5, a6, a7"""


@needs_compiler
@pytest.mark.usefixtures("kernel_dir")
def test_every_function_of_the_registry_fuses_and_matches_the_eager_engine() -> None:
    """Scattered points (the flat layout) and a parameter; every registry function in one kernel.
    The eager engine is checked against SymPy function by function elsewhere; here the kernel
    must give its numbers to rounding, and a few outputs are checked against SymPy directly."""
    from compute.registry.functions import REGISTRY

    internal = {"one_minus_square", "unit", "x_normpdf", "zeta", "zeta_series", "floor", "heaviside"}
    for name in set(REGISTRY) - internal:
        assert f"{name}(" in EVERY_FUNCTION, f"{name} is missing from the all-functions kernel test"
    n = fused.MIN_POINTS + fused.MIN_BLOCK + 1001  # the last block is short but still fused
    xs = np.linspace(-2.5, 2.5, n) + 1e-7  # off the kinks of abs, sign, min and max
    points = make_points({"x": xs})
    eager = partials_on_grid(EVERY_FUNCTION, points, ["x", "x,x"], {"a": 0.7})
    assert fused_build.build(eager.fuse_order) == "ready"
    result = partials_on_grid(EVERY_FUNCTION, points, ["x", "x,x"], {"a": 0.7},
                              chunk_points=1 << 17)
    assert result.fused_blocks == 3
    for key, want in [*eager.values.items(), *eager.partials.items()]:
        got = result.values[key] if isinstance(key, str) else result.partials[key]
        assert fused.same_to_rounding(got, want, 1e-11), key
    X, a = sp.symbols("x a", real=True)
    pick = np.linspace(0, n - 1, 17).astype(int)
    refs = {"a3": sp.sinh(X) + sp.cosh(X) + sp.tanh(X) + sp.sech(X) + sp.asinh(X) + sp.acosh(X + 4)
            + sp.atanh(X / 4),
            "a5": sp.sqrt(X + 3) + sp.cbrt(X + 3) + sp.sqrt(X**2 + a**2) + sp.Abs(X) + sp.sign(X)
            + sp.erf(X) + sp.erfc(X) + (1 + sp.erf(X / sp.sqrt(2))) / 2
            + sp.exp(-X**2 / 2) / sp.sqrt(2 * sp.pi)}
    for output, with_a in refs.items():
        expr = with_a.subs(a, sp.Rational(7, 10))
        for wrt in [(), (X,), (X, X)]:
            got = result.values[output] if not wrt else result.partials[(output, ("x",) * len(wrt))]
            assert_close(got[pick], sympy_reference(expr, wrt, {X: xs[pick]}), what=f"{output} {wrt}")



@needs_compiler
@pytest.mark.usefixtures("kernel_dir")
def test_the_job_pool_orders_the_kernel_and_the_next_job_uses_it() -> None:
    """The app's path: a large job answers eagerly and at once; its kernel is built by the compile
    process (not a job worker) while the server goes on; the next job of that function is fused."""
    text = "x*exp(-y**2) + y*cos(x*y)"
    grid = {"x": "linspace(-2, 2, 700)", "y": "linspace(-1, 1, 500)"}
    pool = JobPool(JobLimits(workers=1, quick_workers=0))
    try:
        assert pool.compiler is not None
        request = job_request(text, grid, wrt=["x", "y,y"], limits=DEFAULT_LIMITS)
        first = run_job(request, DEFAULT_LIMITS, pool)
        assert first.fused_blocks == 0
        assert first.fuse_order is None  # handed to the compiler
        [key] = pool.compiler._status
        assert pool.compiler.wait(key, 600) == "ready"
        second = run_job(request, DEFAULT_LIMITS, pool)
        assert second.fused_blocks > 0
        X, Y = sp.symbols("x y", real=True)
        expr = X * sp.exp(-Y**2) + Y * sp.cos(X * Y)
        pick = np.random.default_rng(1).choice(second.domain.size, 20, replace=False)
        cx, cy = (second.coordinate(n).ravel()[pick] for n in ("x", "y"))
        for spec, wrt in [("x", (X,)), ("y,y", (Y, Y))]:
            assert_close(second.partial(spec).ravel()[pick],
                         sympy_reference(expr, wrt, {X: cx, Y: cy}), what=spec)
    finally:
        pool.close()



def test_the_kernel_directory_stays_bounded(kernel_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever links a server is sent: the oldest kernels go past MAX_KERNELS, and Inductor's
    intermediate cache is emptied past its budget."""
    import time

    monkeypatch.setattr(fused_build, "MAX_KERNELS", 3)
    monkeypatch.setattr(fused_build, "INDUCTOR_CACHE_BYTES", 1000)
    keys = [f"{i:040x}" for i in range(5)]
    for age, key in enumerate(keys):  # keys[0] is the newest
        library = fused.library_path(key)
        library.parent.mkdir(parents=True)
        library.write_bytes(b"x")
        stamp = time.time() - 100 * (age + 1)
        os.utime(library, (stamp, stamp))
    (kernel_dir / "inductor" / "ab").mkdir(parents=True)
    (kernel_dir / "inductor" / "ab" / "big.cpp").write_bytes(b"x" * 2000)
    fused_build.prune()
    assert sorted(p.parent.name for p in kernel_dir.glob("*/kernel.so")) == sorted(keys[:3])
    assert not (kernel_dir / "inductor").exists()


@pytest.mark.usefixtures("kernel_dir")
@pytest.mark.parametrize(("reason", "for_good"), [("cpu", True), ("died", True), ("wall", False)])
def test_a_build_the_compile_process_could_not_finish(reason: str, for_good: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its CPU budget or out of memory: the program is marked and never ordered again. Stopped
    by the clock on a loaded machine: not marked, so a restart may try again."""
    from compute.service.compiler import KernelCompiler
    from compute.service.workers import CallFailed

    order = partials_on_grid(TEXT, make_grid(GRID), WRT).fuse_order
    compiler = KernelCompiler()

    def fail(*_args, **_kwargs):
        raise CallFailed(reason)

    monkeypatch.setattr(compiler.pool, "call", fail)
    try:
        compiler.order(order)
        assert compiler.wait(order.key, 30) == f"failed: {reason}"
        assert fused.has_failed(order.key) is for_good
        compiler.order(order)  # this process does not order it twice either way
        assert compiler.status(order.key) == f"failed: {reason}"
    finally:
        compiler.close()


def test_an_unusable_kernel_directory_is_a_failed_build_not_an_error(
        kernel_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order = partials_on_grid(TEXT, make_grid(GRID), WRT).fuse_order
    kernel_dir.parent.mkdir(parents=True, exist_ok=True)
    blocker = kernel_dir.parent / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("PARTIALS_FUSED_DIR", str(blocker / "kernels"))
    assert fused_build.build(order).startswith("failed: ")
    result = partials_on_grid(TEXT, make_grid(GRID), WRT)  # and the engine stays eager and exact
    assert result.fused_blocks == 0
    _check_against_sympy(result)
