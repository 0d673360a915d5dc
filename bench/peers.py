"""Partials' engine against the fastest exact peers, and under a busy neighbour (issue 13).

    .venv/bin/pip install -r requirements-bench.txt
    .venv/bin/python bench/peers.py             # every workload, 7 interleaved rounds (~15 min)
    .venv/bin/python bench/peers.py --quick     # the small sizes only, 3 rounds
    .venv/bin/python bench/peers.py --busy-only # only the busy-neighbour run

Peers run at one thread (torch intra-op 1, numexpr 1, XLA without its Eigen pool); the engine
runs both as the CLI and the app's workers run it (one block thread per core, one intra-op thread
each) and at one thread. Every method computes f and the requested partials over the whole grid,
from the grid's axes to result arrays; its build/compile time (SymPy differentiation and code
generation, or the first call that traces and compiles for this shape) is reported apart from
its steady-state median. Each method's results are checked against SymPy (30-digit evaluation)
at 48 sampled points. The write floor is the time to allocate and write the result arrays alone.

Writes bench/peers.json and the "Peers" section of docs/benchmark.md (between its markers).
Timing runs are interleaved: each round runs every method once, in a rotating order. Figures
depend on the machine's load: the load average is recorded with them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR",
                      str(Path(__file__).resolve().parent / ".inductor-cache"))
# The engine's fused kernels for this run: built here (their build time is reported), not reused
# from the user's cache.
os.environ.setdefault("PARTIALS_FUSED_DIR", str(Path(__file__).resolve().parent / ".kernels"))

import mpmath
import numpy as np
import sympy as sp
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compute import make_grid, parse_expression, partials_on_grid  # noqa: E402
from compute.engines import (  # noqa: E402
    fused,
    fused_build,
    parallel,
    symbolic_run,
)
from compute.engines.torch_lowering import TorchFunction  # noqa: E402
from compute.service.machine import runnable_elsewhere  # noqa: E402

START, END = "<!-- peers:start -->", "<!-- peers:end -->"
SAMPLES = 48


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    names: tuple[str, ...]
    wrt: tuple[tuple[str, ...], ...]
    sizes: tuple[int, ...]  # points per axis
    what: str


FIRST = (("t",), ("k",))
CASES = [
    Case("seed", "t*k + 2*t*k**2", ("t", "k"), FIRST, (100, 1000, 3163), "first partials"),
    Case("transcendental", "exp(-t*k/4)*sin(t + k) + log(1 + t**2*k**2)", ("t", "k"), FIRST,
         (100, 1000, 3163), "first partials"),
    Case("gauss-3d", "exp(-(x**2 + y**2 + z**2)/2)*cos(x*y*z)", ("x", "y", "z"),
         (("x",), ("y",), ("z",), ("x", "x"), ("x", "y"), ("x", "z"), ("y", "y"), ("y", "z"),
          ("z", "z")), (100,), "gradient + Hessian"),
    Case("xxyy", "exp(sin(x*y))", ("x", "y"), (("x", "x", "y", "y"),), (1000,), "∂⁴f/∂x²∂y²"),
    Case("latency-200", "sin(x*y) + x**2*y", ("x", "y"), (("x",), ("y",), ("x", "y")), (200,),
         "f, two first partials, one mixed (the app's 200×200 case)"),
]


def axes_for(case: Case, n: int) -> list[np.ndarray]:
    return [np.linspace(0.5 + 0.25 * i, 2.0 + 0.5 * i, n) for i in range(len(case.names))]


def _symbols(case: Case):
    return [sp.Symbol(n, real=True) for n in case.names]


def sympy_exprs(case: Case) -> list[sp.Expr]:
    """f and each requested partial (our own bench text, never user input)."""
    symbols = _symbols(case)
    scope = dict(zip(case.names, symbols, strict=True))
    expr = sp.sympify(case.text, locals={**scope, "exp": sp.exp, "sin": sp.sin, "cos": sp.cos,
                                         "log": sp.log})
    return [expr] + [sp.diff(expr, *[scope[v] for v in idx]) for idx in case.wrt]


# -- the methods: build(case, axes) -> run(); run() returns [f, *partials] -----------------------


def engine_method(threads: int | None, kernel: bool):
    """The engine as the CLI and the app's workers run it. ``kernel``: with the program's fused
    kernel (built here first, from a 2^18-point grid of the case as a large job would order it;
    the build is this method's compile time); else eager, as a function's first calls run."""
    def build(case: Case, axes):
        expression = parse_expression(case.text)
        grid = make_grid(dict(zip(case.names, axes, strict=True)))
        wrt = [",".join(idx) for idx in case.wrt]
        if kernel:
            _build_kernel(case, axes, expression, wrt)

        def run():
            if threads is not None:
                parallel._state.workers = threads  # the bench toggles; the CLI calls configure()
            os.environ["PARTIALS_FUSED"] = "1" if kernel else "0"
            try:
                result = partials_on_grid(expression, grid, wrt)
            finally:
                parallel._state.workers = DEFAULT_BLOCK_THREADS
                os.environ["PARTIALS_FUSED"] = "0"
            if kernel and not result.fused_blocks:
                raise RuntimeError("the fused kernel was not used")
            return [result.value(), *(result.partial(w) for w in wrt)]

        return run
    return build


def _build_kernel(case: Case, axes, expression, wrt: list[str]) -> None:
    side = math.ceil(fused.MIN_POINTS ** (1 / len(case.names)))
    big = make_grid({n: np.linspace(a[0], a[-1], side + i) for i, (n, a)
                     in enumerate(zip(case.names, axes, strict=True))})
    os.environ["PARTIALS_FUSED"] = "1"
    try:
        order = partials_on_grid(expression, big, wrt).fuse_order
    finally:
        os.environ["PARTIALS_FUSED"] = "0"
    if order is not None:  # None: already built by an earlier size of this case
        status = fused_build.build(order)
        if status != "ready":
            raise RuntimeError(status)


def sympy_numpy(case: Case, axes):
    exprs = sympy_exprs(case)
    fn = sp.lambdify(_symbols(case), exprs, modules="numpy", cse=True)
    shape = tuple(len(a) for a in axes)

    def run():
        out = fn(*np.meshgrid(*axes, indexing="ij", sparse=True))
        return [o if np.shape(o) == shape else np.broadcast_to(o, shape).copy() for o in out]

    return run


def numexpr_method(case: Case, axes):
    import numexpr

    numexpr.set_num_threads(1)
    fns = [sp.lambdify(_symbols(case), e, modules="numexpr") for e in sympy_exprs(case)]
    shape = tuple(len(a) for a in axes)

    def run():
        grids = np.meshgrid(*axes, indexing="ij", sparse=True)
        out = [fn(*grids) for fn in fns]
        return [o if np.shape(o) == shape else np.broadcast_to(o, shape).copy() for o in out]

    return run


def symengine_llvm(case: Case, axes):
    import symengine as se

    symbols = [se.Symbol(n) for n in case.names]
    exprs = [se.sympify(str(e)) for e in sympy_exprs(case)]
    fn = se.Lambdify(symbols, exprs, backend="llvm", cse=True)
    shape = tuple(len(a) for a in axes)

    def run():
        inputs = np.empty((*shape, len(axes)))
        for i, g in enumerate(np.meshgrid(*axes, indexing="ij", sparse=True)):
            inputs[..., i] = g
        out = fn(inputs)
        return [out[..., j] for j in range(len(exprs))]

    return run


def _nested_grads(grad, f, case: Case):
    """f and each partial as nested gradients of sums (exact: f is pointwise)."""
    def of_sum(g, i: int):
        def total(*args):
            return g(*args).sum()
        return grad(total, argnums=i)

    derivs = []
    for idx in case.wrt:
        g = f
        for name in idx:
            g = of_sum(g, case.names.index(name))
        derivs.append(g)
    return derivs


def jax_jit(case: Case, axes):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    f = sp.lambdify(_symbols(case), sympy_exprs(case)[0], modules="jax")
    derivs = _nested_grads(jax.grad, f, case)
    @jax.jit
    def all_of(*ax):
        dense = jnp.meshgrid(*ax, indexing="ij")
        return [f(*dense), *(d(*dense) for d in derivs)]

    device_axes = [jnp.asarray(a) for a in axes]

    def run():
        out = all_of(*device_axes)
        for o in out:
            o.block_until_ready()
        return out

    return run


def torch_compile(case: Case, axes):
    from torch.func import grad

    function = TorchFunction(parse_expression(case.text))

    def f(*args):
        return function(dict(zip(case.names, args, strict=True)))["f"]

    derivs = _nested_grads(grad, f, case)
    shape = tuple(len(a) for a in axes)

    @torch.compile(dynamic=False)
    def all_of(*ax):
        dense = [a.reshape([-1 if j == i else 1 for j in range(len(shape))]).expand(shape)
                 for i, a in enumerate(ax)]
        return [f(*dense), *(d(*dense) for d in derivs)]

    torch_axes = [torch.from_numpy(a) for a in axes]

    def run():
        return all_of(*torch_axes)

    return run


def write_floor(case: Case, axes):
    shape = tuple(len(a) for a in axes)
    count = 1 + len(case.wrt)

    def run():
        out = []
        for _ in range(count):
            a = np.empty(shape)
            a.fill(0.5)
            out.append(a)
        return out

    return run


DEFAULT_BLOCK_THREADS = parallel.default_workers()
METHODS: dict[str, Callable] = {
    "Partials engine, fused kernel": engine_method(None, kernel=True),
    "Partials engine, fused kernel, 1 thread": engine_method(1, kernel=True),
    "Partials engine, eager (before its kernel)": engine_method(None, kernel=False),
    "SymPy→NumPy (cse)": sympy_numpy,
    "numexpr": numexpr_method,
    "SymEngine (LLVM, cse)": symengine_llvm,
    "JAX (jit, x64)": jax_jit,
    "torch.compile batched grad": torch_compile,
    "write floor": write_floor,
}


# -- exactness ---------------------------------------------------------------------------------


def reference(case: Case, axes, flat: np.ndarray) -> list[np.ndarray]:
    symbols = _symbols(case)
    shape = tuple(len(a) for a in axes)
    coords = np.unravel_index(flat, shape)
    out = []
    with mpmath.workdps(30):
        for expr in sympy_exprs(case):
            values = []
            for p in range(len(flat)):
                subs = {s: sp.Float(float(axes[i][coords[i][p]]), 30) for i, s in enumerate(symbols)}
                values.append(float(expr.evalf(30, subs=subs)))
            out.append(np.array(values))
    return out


def max_rel_error(outputs, expected: list[np.ndarray], flat: np.ndarray) -> float:
    worst = 0.0
    for got, want in zip(outputs, expected, strict=True):
        values = np.asarray(got).reshape(-1)[flat] if not isinstance(got, torch.Tensor) else \
            got.detach().reshape(-1)[torch.from_numpy(flat)].numpy()
        scale = max(float(np.max(np.abs(want))), 1e-300)
        err = np.abs(values - want) / np.maximum(np.abs(want), scale * 1e-3)
        worst = max(worst, float(np.max(err)))
    return worst


# -- timing ------------------------------------------------------------------------------------


def _time(run: Callable[[], object], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        out = run()
        del out
    return (time.perf_counter() - start) / inner


def bench_case(case: Case, n: int, rounds: int, methods: dict[str, Callable]) -> list[dict]:
    axes = axes_for(case, n)
    points = n ** len(case.names)
    flat = np.random.default_rng(0).choice(points, size=min(SAMPLES, points), replace=False)
    expected = reference(case, axes, flat)
    runs: dict[str, Callable] = {}
    rows: dict[str, dict] = {}
    for name, build in methods.items():
        if name == "torch.compile batched grad" and points > 2 * 10**6 and len(case.wrt) > 3:
            continue
        if name.startswith("Partials engine"):
            symbolic_run._PROGRAMS.clear()  # its first call builds the derivative program
        try:
            t0 = time.perf_counter()
            run = build(case, axes)
            built = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = run()
            first = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - a peer that cannot run is reported, not fatal
            print(f"  {case.name} {name} {points:,}: failed ({exc.__class__.__name__}: "
                  f"{str(exc)[:120]})", file=sys.stderr, flush=True)
            continue
        error = None if name == "write floor" else max_rel_error(out, expected, flat)
        del out
        runs[name] = run
        rows[name] = {"case": case.name, "method": name, "points": points, "build_s": built,
                      "first_call_s": first, "max_rel_error": error, "times": []}
    inner = {name: max(1, int(0.02 / max(_time(run, 1), 1e-6))) for name, run in runs.items()}
    order = list(runs)
    for r in range(rounds):
        for name in order[r % len(order):] + order[:r % len(order)]:
            rows[name]["times"].append(_time(runs[name], inner[name]))
    floor = statistics.median(rows["write floor"]["times"]) if "write floor" in rows else None
    for row in rows.values():
        row["seconds"] = statistics.median(row["times"])
        row["compile_s"] = max(0.0, row["build_s"] + row["first_call_s"] - row["seconds"])
        row["floor_ratio"] = row["seconds"] / floor if floor else None
        print(f"  {case.name:>14} {row['method']:>28} {points:>11,}: {row['seconds']:.5f} s "
              f"(build+compile {row['compile_s']:.2f} s, ×{row['floor_ratio'] or 0:.1f} floor, "
              f"err {row['max_rel_error'] or 0:.1e})", file=sys.stderr, flush=True)
    return list(rows.values())


# -- busy neighbour ----------------------------------------------------------------------------


def busy_neighbour(rounds: int) -> list[dict]:
    """First partials of the transcendental function at ~10^7 points, quiet and with one core kept
    busy by a spinning process this run starts and stops: the engine at its default (block
    threads, one intra-op thread each), at one thread, and serial blocks over torch's own
    intra-op threads (the CLI's behaviour before issue 13)."""
    case = CASES[1]
    axes = axes_for(case, 3163)
    expression = parse_expression(case.text)
    grid = make_grid(dict(zip(case.names, axes, strict=True)))
    cores = parallel.available_cores()

    def engine(blocks: int, intra: int, kernel: bool):
        def run():
            parallel._state.workers = blocks
            torch.set_num_threads(intra)
            os.environ["PARTIALS_FUSED"] = "1" if kernel else "0"
            try:
                result = partials_on_grid(expression, grid, ["t", "k"])
            finally:
                parallel._state.workers = DEFAULT_BLOCK_THREADS
                torch.set_num_threads(1)
                os.environ["PARTIALS_FUSED"] = "0"
            if kernel and not result.fused_blocks:
                raise RuntimeError("the fused kernel was not used")
        return run

    _build_kernel(case, axes, expression, ["t", "k"])
    configs = {f"fused kernel, default ({DEFAULT_BLOCK_THREADS} block threads)":
               engine(DEFAULT_BLOCK_THREADS, 1, True),
               "fused kernel, 1 thread": engine(1, 1, True),
               f"eager, default ({DEFAULT_BLOCK_THREADS} block threads × 1 intra-op)":
               engine(DEFAULT_BLOCK_THREADS, 1, False),
               "eager, 1 thread": engine(1, 1, False),
               f"eager, serial blocks, torch {cores} intra-op threads (before)":
               engine(1, cores, False)}
    for run in configs.values():
        run()
    times: dict[tuple[str, str], list[float]] = {(c, load): [] for c in configs
                                                 for load in ("quiet", "busy")}
    for r in range(rounds):
        for load in ("quiet", "busy"):
            spinner = None
            if load == "busy":
                spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                time.sleep(0.3)
            try:
                names = list(configs)
                for name in names[r % len(names):] + names[:r % len(names)]:
                    times[(name, load)].append(_time(configs[name], 1))
            finally:
                if spinner is not None:
                    spinner.kill()
                    spinner.wait()
    quiet = {family: statistics.median(times[(f"{family}, 1 thread", "quiet")])
             for family in ("fused kernel", "eager")}
    rows = []
    for (name, load), values in times.items():
        median = statistics.median(values)
        quiet_one = quiet["fused kernel" if name.startswith("fused") else "eager"]
        rows.append({"config": name, "load": load, "seconds": median, "best": min(values),
                     "ratio_to_quiet_1_thread": median / quiet_one})
        print(f"  busy-neighbour {name:>50} {load}: {median:.4f} s (best {min(values):.4f}, "
              f"×{median / quiet_one:.2f} quiet 1-thread)", file=sys.stderr, flush=True)
    return rows


# -- memory at 10^8 ------------------------------------------------------------------------------


def big_run() -> dict:
    sys.path.insert(0, str(ROOT / "bench"))
    from suite import PeakMemory

    grid = make_grid({"t": "linspace(0.5, 2, 10000)", "k": "linspace(0.75, 2.5, 10000)"})
    expression = parse_expression(CASES[0].text)
    partials_on_grid(expression, make_grid({"t": "1, 2", "k": "3, 4"}), ["t", "k"])
    t0 = time.perf_counter()
    with PeakMemory() as memory:
        result = partials_on_grid(expression, grid, ["t", "k"])
    seconds = time.perf_counter() - t0
    del result
    print(f"  10^8 points, seed: {seconds:.2f} s, peak {memory.mb:,.0f} MB", file=sys.stderr)
    return {"points": 10**8, "seconds": seconds, "peak_mb": memory.mb}


# -- report ------------------------------------------------------------------------------------


def markdown(results: dict) -> str:
    out = [START, "## Peers (issue 13)", "",
           f"{results['date']}; {results['machine']}. Load average before/after: "
           f"{results['load_before']} / {results['load_after']} (other processes were running: "
           "compare ratios within one table, not across runs). Medians of "
           f"{results['rounds']} interleaved rounds. Peers at one thread; the engine as the CLI "
           f"runs it ({DEFAULT_BLOCK_THREADS} block threads × 1 intra-op thread) with its fused "
           "kernel (also at one thread), and eager (how a function's first jobs run, before its "
           "kernel is built). *compile* is build + first call − steady time (SymPy "
           "differentiation and code generation, tracing and compiling for this shape, or — for "
           "the fused kernel, in the first size's row — the AOTInductor build; later sizes reuse "
           "the kernel). *× floor*: steady time "
           "over the write floor (allocating and writing the result arrays alone). *error*: "
           "largest relative error against SymPy at 48 sampled points.", ""]
    for case in CASES:
        rows = [r for r in results["rows"] if r["case"] == case.name]
        if not rows:
            continue
        out += [f"### {case.what} of `{case.text}`", "",
                "| points | method | steady s | compile s | × floor | error |",
                "|---:|---|---:|---:|---:|---:|"]
        for r in sorted(rows, key=lambda r: (r["points"], r["seconds"])):
            err = "" if r["max_rel_error"] is None else f"{r['max_rel_error']:.1e}"
            out.append(f"| {r['points']:,} | {r['method']} | {r['seconds']:.5f} | "
                       f"{r['compile_s']:.2f} | {r['floor_ratio'] or 0:.1f} | {err} |")
        out.append("")
    if results.get("busy"):
        when = (f" Run {results['busy_date']}, load average before/after {results['busy_load']}."
                if "busy_date" in results else "")
        out += ["### Busy neighbour: first partials of the transcendental function, 3163² points",
                "", "One core kept busy by a spinning process the run starts and stops; each "
                "round runs every configuration quiet, then busy." + when, "",
                "| configuration | load | median s | best s | × quiet 1-thread median |",
                "|---|---|---:|---:|---:|"]
        for r in results["busy"]:
            out.append(f"| {r['config']} | {r['load']} | {r['seconds']:.4f} | {r['best']:.4f} | "
                       f"{r['ratio_to_quiet_1_thread']:.2f} |")
        out.append("")
    if results.get("big"):
        b = results["big"]
        out += [f"10^8 points (seed, first partials, default block threads): {b['seconds']:.2f} s, "
                f"peak {b['peak_mb'] / 1024:.2f} GiB above the starting point.", ""]
    out.append(END)
    return "\n".join(out)


def write_section(text: str, path: Path) -> None:
    current = path.read_text() if path.exists() else ""
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        path.write_text(before + text + after)
    else:
        path.write_text(current.rstrip("\n") + "\n\n" + text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, 3 rounds")
    parser.add_argument("--busy-only", action="store_true")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cases", default="", help="comma-separated case names")
    parser.add_argument("--big", action="store_true", help="also the 10^8-point memory run")
    args = parser.parse_args()
    torch.set_num_threads(1)
    parallel.configure(DEFAULT_BLOCK_THREADS, runnable_elsewhere)
    if not args.busy_only:  # every kernel is built (and its build timed) by this run
        shutil.rmtree(os.environ["PARTIALS_FUSED_DIR"], ignore_errors=True)
    rounds = 3 if args.quick else args.rounds
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "machine": f"{platform.machine()}, {parallel.available_cores()} cores, "
                                f"torch {torch.__version__}",
                     "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
                     "rounds": rounds, "rows": [], "busy": []}
    wanted = set(filter(None, args.cases.split(",")))
    if not args.busy_only:
        for case in CASES:
            if wanted and case.name not in wanted:
                continue
            for n in case.sizes:
                if args.quick and n ** len(case.names) > 10**6:
                    continue
                results["rows"] += bench_case(case, n, rounds, METHODS)
    if args.busy_only or (not args.quick and not wanted):
        results["busy"] = busy_neighbour(rounds)
    if args.big:
        results["big"] = big_run()
    results["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    saved = ROOT / "bench" / "peers.json"
    if args.busy_only and saved.exists():  # keep the last full run's tables
        previous = json.loads(saved.read_text())
        previous["busy"], previous["busy_date"] = results["busy"], results["date"]
        previous["busy_load"] = f"{results['load_before']} / {results['load_after']}"
        results = previous
    for row in results["rows"]:
        row.pop("times", None)
    (ROOT / "bench" / "peers.json").write_text(json.dumps(results, indent=1))
    write_section(markdown(results), ROOT / "docs" / "benchmark.md")


if __name__ == "__main__":
    main()
