"""Benchmark: first partials of t*k + 2*t*k**2 on 10^4, 10^6 and 10^7 grid points.

Partials' engine (as the app and CLI call it, and its general vmap(jacrev) path) beside the
seed's accepted answer (torch.autograd.functional.jacobian on the meshgrid, then jac > 0),
where that fits in memory. Each measurement runs in a fresh process so peak memory is its own.

    .venv/bin/python bench/first_partials.py            # the table (a few minutes)
    .venv/bin/python bench/first_partials.py --quick    # 10^4 and 10^6 only
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPR = "t*k + 2*t*k**2"
SIZES = {"1e4": (100, 100), "1e6": (1000, 1000), "1e7": (3163, 3163)}
MEMORY_BYTES = 24 * 2**30


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(method: str, size: str, repeats: int) -> dict:
    """Run in a child process: median seconds and peak memory above the post-import baseline."""
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import torch

    from compute import make_grid, partials_on_grid

    nt, nk = SIZES[size]
    spec = {"t": f"linspace(1, 4, {nt})", "k": f"linspace(2, 3, {nk})"}
    grid = make_grid(spec)
    baseline = _rss_mb()

    if method == "seed-jacobian":
        t = torch.linspace(1, 4, nt, dtype=torch.float64)
        k = torch.linspace(2, 3, nk, dtype=torch.float64)

        def run():
            T, K = torch.meshgrid(t, k, indexing="ij")
            jac_t, jac_k = torch.autograd.functional.jacobian(lambda a, b: a * b + 2 * a * b**2, (T, K))
            return jac_k[jac_k > 0].reshape(nt, nk), jac_t[jac_t > 0].reshape(nt, nk)
    else:
        engine_method = {"partials": "auto", "partials-vmap": "vmap"}[method]

        def run():
            r = partials_on_grid(EXPR, grid, ["t", "k"], method=engine_method)
            return r.partial("k"), r.partial("t")

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        dk, _ = run()
        times.append(time.perf_counter() - start)
    T, K = np.meshgrid(grid.axis("t"), grid.axis("k"), indexing="ij")
    exact = T + 4 * T * K
    error = float(np.max(np.abs(np.asarray(dk) - exact) / np.abs(exact)))
    return {"seconds": statistics.median(times), "peak_mb": _rss_mb() - baseline,
            "max_rel_error": error, "repeats": repeats}


def child(method: str, size: str, repeats: int) -> dict:
    points = SIZES[size][0] * SIZES[size][1]
    if method == "seed-jacobian" and 16 * points**2 > MEMORY_BYTES * 0.8:
        return {"skipped": f"needs {16 * points**2 / 2**30:,.0f} GiB (16·N² bytes)"}
    proc = subprocess.run(
        [sys.executable, __file__, "--child", method, size, str(repeats)],
        capture_output=True, text=True, check=False, timeout=1800,
    )
    if proc.returncode != 0:
        return {"skipped": f"failed: {proc.stderr.strip().splitlines()[-1][:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "SIZE", "REPEATS"))
    args = parser.parse_args()
    if args.child:
        method, size, repeats = args.child
        print(json.dumps(measure(method, size, int(repeats))))
        return
    sizes = ["1e4", "1e6"] if args.quick else list(SIZES)
    methods = ["seed-jacobian", "partials", "partials-vmap"]
    rows = {}
    for size in sizes:
        for method in methods:
            repeats = 3 if method == "seed-jacobian" else 5
            rows[(method, size)] = child(method, size, repeats)
            print(f"  {method:>14} {size}: {rows[(method, size)]}", file=sys.stderr, flush=True)
    print(f"\nFirst partials of {EXPR} (float64; median seconds, peak MB above baseline)\n")
    print("| points | method | seconds | peak MB | max rel. error | speed-up vs seed |")
    print("|---|---|---|---|---|---|")
    for size in sizes:
        seed = rows[("seed-jacobian", size)].get("seconds")
        points = SIZES[size][0] * SIZES[size][1]
        for method in methods:
            row = rows[(method, size)]
            if "skipped" in row:
                print(f"| {points:,} | {method} | — | — | — | {row['skipped']} |")
                continue
            speedup = f"{seed / row['seconds']:,.0f}×" if seed and method != "seed-jacobian" else ""
            print(f"| {points:,} | {method} | {row['seconds']:.4f} | {row['peak_mb']:,.0f} | "
                  f"{row['max_rel_error']:.1e} | {speedup} |")


if __name__ == "__main__":
    main()
