"""The performance suite: every way to get partials on a grid, on the same grids, in one run.

    .venv/bin/pip install -r requirements-bench.txt
    .venv/bin/python bench/suite.py            # all sizes 10^2..10^8 (~10 minutes)
    .venv/bin/python bench/suite.py --quick    # up to 10^6

Writes docs/benchmark.md (tables and the goal ratios), docs/benchmark.png (time vs points,
log-log) and bench/results.json. Seconds are medians; peak memory is the largest resident size
above the method's starting point, sampled every 2 ms. Not part of the pass/fail tests.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sympy as sp
import torch
from torch.func import hessian, jacfwd, jacrev, vmap

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compute import make_grid, parse_expression, partials_on_grid  # noqa: E402
from compute.engines.torch_lowering import TorchFunction  # noqa: E402

torch.set_default_dtype(torch.float64)
GIB = 2**30
MEMORY_BUDGET = 20 * GIB

FIRST = {
    "seed": "t*k + 2*t*k**2",
    "transcendental": "exp(-t*k/4)*sin(t + k) + log(1 + t**2*k**2)",
}
HESSIAN = "x*y*z + sin(x)*exp(y*z/4) + x**2*z"
SIZES = [10**2, 10**3, 10**4, 10**5, 10**6, 10**7, 10**8]
KEEP = "<!-- issue13 -->"  # docs/benchmark.md from here on is bench/peers.py's and its notes: kept


class PeakMemory:
    """Largest RSS above the starting point while the block runs."""

    def __enter__(self):
        self.base = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss())
            self._stop.wait(0.002)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def mb(self) -> float:
        return (self.peak - self.base) / 2**20


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def measure(run: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    """Median seconds over at least ``repeats`` runs — more for sub-millisecond runs, until they
    fill about half a second, so one scheduler hiccup cannot move the median — then one more run
    watched for peak memory (the sampling thread would otherwise tax the timings of small runs)."""
    start = time.perf_counter()
    out = run()  # warm-up: allocator, kernels, lazily built functions
    del out
    if time.perf_counter() - start < 0.1:  # fast runs: warm the caches a little longer
        for _ in range(20):
            run()
    times = []
    while len(times) < repeats or (sum(times) < 0.5 and len(times) < 5000):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
        del out
        if sum(times) > 60:
            break
    with PeakMemory() as memory:
        out = run()
    return statistics.median(times), memory.mb, out


def axes_for(points: int, dims: int) -> list[np.ndarray]:
    n = round(points ** (1 / dims))
    return [np.linspace(0.5 + 0.25 * i, 2.0 + 0.5 * i, n) for i in range(dims)]


def sympy_exact(text: str, names: list[str], wrt: list[tuple[str, ...]]):
    """SymPy derivatives compiled to NumPy (bench-only: our own text, never user text)."""
    symbols = [sp.Symbol(n, real=True) for n in names]
    scope = {n: s for n, s in zip(names, symbols, strict=True)}
    scope.update({"exp": sp.exp, "sin": sp.sin, "log": sp.log})
    expr = sp.sympify(text, locals=scope)
    derivs = [sp.diff(expr, *[scope[v] for v in w]) for w in wrt]
    return sp.lambdify(symbols, derivs, modules="numpy")


def first_partials_methods(text: str):
    expression = parse_expression(text)
    f = TorchFunction(expression)

    def point(t, k):
        return f({"t": t, "k": k})["f"]

    methods = {}

    def seed(axes):
        T, K = torch.meshgrid(*[torch.from_numpy(a) for a in axes], indexing="ij")
        _, jk = torch.autograd.functional.jacobian(point, (T, K))
        return jk[jk > 0]

    methods["seed jacobian"] = (seed, lambda n: 16 * n * n * 1.5 < MEMORY_BUDGET and n <= 10**4)

    def loops(axes):
        out = np.empty((len(axes[0]), len(axes[1])))
        for i, t in enumerate(axes[0]):
            for j, k in enumerate(axes[1]):
                tt = torch.tensor(t, requires_grad=True)
                kk = torch.tensor(k, requires_grad=True)
                out[i, j] = torch.autograd.grad(point(tt, kk), kk)[0].item()
        return out

    methods["python loops"] = (loops, lambda n: n <= 10**4)

    def flat(axes):
        T, K = torch.meshgrid(*[torch.from_numpy(a) for a in axes], indexing="ij")
        return T.reshape(-1), K.reshape(-1)

    methods["vmap(jacrev)"] = (lambda axes: vmap(jacrev(point, argnums=(0, 1)))(*flat(axes)),
                               lambda n: n <= 10**7)
    methods["vmap(jacfwd)"] = (lambda axes: vmap(jacfwd(point, argnums=(0, 1)))(*flat(axes)),
                               lambda n: n <= 10**7)

    def batched(axes):
        T, K = (x.clone().requires_grad_() for x in flat(axes))
        return torch.autograd.grad(point(T, K).sum(), (T, K))

    methods["batched grad of sum"] = (batched, lambda n: n <= 10**7)
    compiled = torch.compile(point, dynamic=False)

    def batched_compiled(axes):
        T, K = (x.clone().requires_grad_() for x in flat(axes))
        return torch.autograd.grad(compiled(T, K).sum(), (T, K))

    methods["torch.compile batched grad"] = (batched_compiled, lambda n: 10**6 <= n <= 10**7)
    exact = sympy_exact(text, ["t", "k"], [("t",), ("k",)])

    def sympy_numpy(axes):
        T, K = np.meshgrid(*axes, indexing="ij")
        return exact(T, K)

    methods["SymPy→NumPy exact"] = (sympy_numpy, lambda _n: True)

    def finite_differences(axes):
        T, K = np.meshgrid(*axes, indexing="ij")
        values = f({"t": torch.from_numpy(T), "k": torch.from_numpy(K)})["f"].numpy()
        return np.gradient(values, axes[0], axes[1], edge_order=2)

    methods["numpy.gradient (FD)"] = (finite_differences, lambda n: n <= 10**8)

    def f_alone(axes):
        return partials_on_grid(expression, make_grid({"t": axes[0], "k": axes[1]}), [])

    methods["f alone (engine)"] = (f_alone, lambda _n: True)

    def engine(axes):
        return partials_on_grid(expression, make_grid({"t": axes[0], "k": axes[1]}), ["t", "k"])

    methods["Partials engine"] = (engine, lambda _n: True)
    return methods, exact


def hessian_methods(text: str):
    expression = parse_expression(text)
    f = TorchFunction(expression)
    names = ["x", "y", "z"]

    def point(x, y, z):
        return f({"x": x, "y": y, "z": z})["f"]

    def flat(axes):
        grids = torch.meshgrid(*[torch.from_numpy(a) for a in axes], indexing="ij")
        return [g.reshape(-1) for g in grids]

    methods = {
        "vmap(hessian)": (lambda axes: vmap(hessian(point, argnums=(0, 1, 2)))(*flat(axes)),
                          lambda n: n <= 10**6),
    }

    def nested(axes):
        xs = [x.clone().requires_grad_() for x in flat(axes)]
        grads = torch.autograd.grad(point(*xs).sum(), xs, create_graph=True)
        return [torch.autograd.grad(g.sum(), xs[i:], retain_graph=True) for i, g in enumerate(grads)]

    methods["nested batched grad"] = (nested, lambda n: n <= 10**7)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i:]]
    exact = sympy_exact(text, names, pairs)

    def sympy_numpy(axes):
        return exact(*np.meshgrid(*axes, indexing="ij"))

    methods["SymPy→NumPy exact"] = (sympy_numpy, lambda n: n <= 10**7)

    def grid(axes):
        return make_grid(dict(zip(names, axes, strict=True)))

    methods["f alone (engine)"] = (lambda axes: partials_on_grid(expression, grid(axes), []),
                                   lambda n: n <= 10**7)
    methods["Partials engine"] = (lambda axes: partials_on_grid(expression, grid(axes), ["hessian"]),
                                  lambda n: n <= 10**7)
    return methods, exact


def fd_error(axes, exact, computed) -> float:
    T, K = np.meshgrid(*axes, indexing="ij")
    reference = exact(T, K)
    return max(float(np.max(np.abs(c - r) / np.maximum(np.abs(r), 1e-300)))
               for c, r in zip(computed, reference, strict=True))


def run_suite(sizes: list[int]) -> dict:
    results: dict = {"machine": f"{platform.processor() or platform.machine()}, "
                                f"{torch.get_num_threads()} torch threads, torch {torch.__version__}",
                     "date": time.strftime("%Y-%m-%d"), "rows": []}
    jobs = [(name, text, 2, first_partials_methods) for name, text in FIRST.items()]
    jobs.append(("hessian-3d", HESSIAN, 3, hessian_methods))
    for case, text, dims, build in jobs:
        methods, exact = build(text)
        for n in sizes:
            axes = axes_for(n, dims)
            points = math.prod(len(a) for a in axes)
            for method, (run, fits) in methods.items():
                if not fits(points):
                    continue
                repeats = 21 if points <= 10**5 else 5 if points <= 10**6 else 3
                try:
                    seconds, peak, out = measure(lambda run=run, axes=axes: run(axes), repeats)
                except (RuntimeError, MemoryError) as exc:
                    print(f"  {case:>14} {method:>26} {points:>11,}: failed ({exc.__class__.__name__})",
                          file=sys.stderr, flush=True)
                    continue
                row = {"case": case, "method": method, "points": points, "seconds": seconds,
                       "peak_mb": peak}
                if method == "numpy.gradient (FD)":
                    row["max_rel_error"] = fd_error(axes, exact, out)
                results["rows"].append(row)
                print(f"  {case:>14} {method:>26} {points:>11,}: {seconds:9.5f} s {peak:9.1f} MB",
                      file=sys.stderr, flush=True)
                del out
    return results


def _lookup(rows, case, method, near):
    candidates = [r for r in rows if r["case"] == case and r["method"] == method]
    if not candidates:
        return None
    return min(candidates, key=lambda r: abs(math.log10(r["points"]) - math.log10(near)))


def goals(results: dict) -> list[str]:
    rows = results["rows"]
    lines = []
    seed, ours = _lookup(rows, "seed", "seed jacobian", 1e4), _lookup(rows, "seed", "Partials engine", 1e4)
    if seed and ours:
        lines.append(f"- 10^4 points, seed function: Partials {ours['seconds'] * 1e3:.3f} ms vs the seed's "
                     f"answer {seed['seconds']:.2f} s — **{seed['seconds'] / ours['seconds']:,.0f}× faster** "
                     "(goal ≥ 10,000×).")
    for case in FIRST:
        ours = _lookup(rows, case, "Partials engine", 1e7)
        sym = _lookup(rows, case, "SymPy→NumPy exact", 1e7)
        alone = _lookup(rows, case, "f alone (engine)", 1e7)
        if ours and sym and alone:
            lines.append(f"- ~10^7 points, {case}: Partials {ours['seconds']:.3f} s, SymPy→NumPy "
                         f"{sym['seconds']:.3f} s (ratio {ours['seconds'] / sym['seconds']:.2f}, goal ≤ 1), "
                         f"f alone {alone['seconds']:.3f} s (ratio {ours['seconds'] / alone['seconds']:.2f}, "
                         "goal ≤ 2).")
    big = [r for r in rows if r["method"] == "Partials engine" and r["points"] >= 10**8]
    if big:
        r = big[0]
        lines.append(f"- 10^8 points ({r['case']}): first partials in {r['seconds']:.2f} s, peak "
                     f"{r['peak_mb'] / 1024:.1f} GiB above baseline. The seed's answer needs 16·N² bytes: "
                     f"its largest grid in 24 GiB is ~{math.isqrt(24 * GIB // 16):,} points; here it "
                     "was run up to 10^4.")
    ours, alone = _lookup(rows, "hessian-3d", "Partials engine", 1e6), _lookup(rows, "hessian-3d",
                                                                                 "f alone (engine)", 1e6)
    if ours and alone:
        lines.append(f"- Hessian of a 3-variable function, 10^6 points: {ours['seconds']:.3f} s vs f "
                     f"alone {alone['seconds']:.3f} s — ratio {ours['seconds'] / alone['seconds']:.1f} "
                     "(goal ≤ 5).")
    return lines


def write_markdown(results: dict, path: Path) -> None:
    out = [f"# Benchmark ({results['date']}; {results['machine']})", "",
           "Median seconds and peak memory above the starting point; produced by "
           "`bench/suite.py`.", "", "## Goals", "", *goals(results), ""]
    for case in ["seed", "transcendental", "hessian-3d"]:
        text = FIRST.get(case, HESSIAN)
        what = "Hessian" if case == "hessian-3d" else "first partials"
        out += [f"## {what} of `{text}`", "", "| points | method | seconds | peak MB | FD max rel. error |",
                "|---:|---|---:|---:|---:|"]
        for r in sorted((r for r in results["rows"] if r["case"] == case),
                        key=lambda r: (r["points"], r["seconds"])):
            err = f"{r['max_rel_error']:.1e}" if "max_rel_error" in r else ""
            out.append(f"| {r['points']:,} | {r['method']} | {r['seconds']:.5f} | "
                       f"{r['peak_mb']:,.0f} | {err} |")
        out.append("")
    previous = path.read_text() if path.exists() else ""
    kept = previous[previous.index(KEEP):] if KEEP in previous else ""  # bench/peers.py's part
    path.write_text("\n".join(out) + ("\n" + kept if kept else ""))


def write_plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = ["seed", "transcendental", "hessian-3d"]
    fig, axes = plt.subplots(1, 3, figsize=(18, 6), sharey=True)
    for ax, case in zip(axes, cases, strict=True):
        rows = [r for r in results["rows"] if r["case"] == case]
        for method in dict.fromkeys(r["method"] for r in rows):
            mine = sorted((r for r in rows if r["method"] == method), key=lambda r: r["points"])
            style = {"linewidth": 3, "color": "crimson"} if method == "Partials engine" else {}
            ax.loglog([r["points"] for r in mine], [r["seconds"] for r in mine], "o-", label=method, **style)
        ax.set_title(f"{'Hessian' if case == 'hessian-3d' else 'first partials'}: "
                     f"{FIRST.get(case, HESSIAN)}", fontsize=9)
        ax.set_xlabel("grid points")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("seconds (median)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="sizes up to 10^6")
    args = parser.parse_args()
    sizes = [s for s in SIZES if s <= 10**6] if args.quick else SIZES
    results = run_suite(sizes)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=1))
    write_markdown(results, ROOT / "docs" / "benchmark.md")
    write_plot(results, ROOT / "docs" / "benchmark.png")
    print("\n".join(goals(results)))


if __name__ == "__main__":
    main()
