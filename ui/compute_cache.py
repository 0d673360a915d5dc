"""Engine calls cached on the validated request (expression, axes, partials), never on arrays.

Every session asking the same question shares one cached, read-only result; a result depends
only on its key, so no session can see anything another did not also ask for. Heavy jobs run in
the shared worker pool with a time limit and a memory cap (see compute.service.jobs).
"""

from __future__ import annotations

import gc
import math
import os
from dataclasses import dataclass

import streamlit as st
import torch

import compute.engines.engine  # noqa: F401 - load torch's operators once, not inside a user's first job
from compute import Limits, PartialsResult
from compute.caches import BoundedCache
from compute.language.derivatives import DerivativeRequest
from compute.language.expression import Expression
from compute.language.grid import AxisSpec, Points
from compute.service.formulas import FormulasBusy, formula_pool, formula_set
from compute.service.jobs import JobPool, JobRequest, job_request, result_nbytes, run_job
from compute.views.symbolic import FormulaSet

from . import figures  # noqa: F401 - load Plotly before the freeze below

APP_LIMITS = Limits.from_env(
    max_points=int(os.environ.get("PARTIALS_MAX_POINTS", "4000000")),
    # One request's result: 4 M points × 10 arrays of float64. Refused before computing.
    max_result_bytes=int(os.environ.get("PARTIALS_MAX_RESULT_BYTES", str(320 * 2**20))),
)


def _return_large_frees_to_the_system() -> None:
    """glibc raises its mmap threshold after a large block is freed (up to 32 MB), so the next
    results' arrays land in the heap, and freed heap holes stay in the server's memory: RSS grew
    ~48 MB per big link even once the cache had let the results go (measured). A fixed threshold
    keeps big blocks in their own mappings, which free() hands back at once."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


_return_large_frees_to_the_system()
# torch, SymPy, pandas and Streamlit are millions of long-lived objects: freezing them out of
# the collector keeps its full collections (which hold the GIL) from stalling every session.
gc.freeze()

# The server computes nothing itself (see compute.service.jobs); one torch thread for the odd helper.
torch.set_num_threads(int(os.environ.get("PARTIALS_APP_THREADS", "1")))


@st.cache_resource
def job_pool() -> JobPool:
    pool = JobPool()
    pool.warm()
    return pool


@st.cache_resource
def result_cache() -> BoundedCache:
    """Results shared by every session, bounded by bytes (``PARTIALS_RESULT_CACHE_BYTES``, 1 GiB
    by default): a result is read-only and depends only on its key, so no session can see
    anything another did not also ask for."""
    budget = int(os.environ.get("PARTIALS_RESULT_CACHE_BYTES", str(2**30)))
    return BoundedCache(budget, _weigh, ttl_seconds=3600)


def _weigh(value: PartialsResult | list[PartialsResult]) -> int:
    """A result's arrays, plus its key: a points request carries its coordinates as Python
    floats (~32 bytes each, four times the array)."""
    first = value[0] if isinstance(value, list) else value
    key = 32 * first.domain.size * len(first.domain.names) if isinstance(first.domain, Points) else 0
    return result_nbytes(value) + key


def fetch(request: JobRequest):
    """The request's result: from the shared cache, or computed in a worker (then cached)."""
    return result_cache().get_or_compute(request, lambda: run_job(request, APP_LIMITS, job_pool()))


_cached = fetch


@dataclass(frozen=True)
class ResultRef:
    """A result by its request, for what outlives a script run (a fragment's arguments): holding
    the result itself would pin its arrays in every session, past the cache's byte budget."""

    request: JobRequest

    def get(self) -> PartialsResult:
        return fetch(self.request)


def grid_request(expression: Expression, axes: tuple[tuple[str, AxisSpec], ...],
                 params: tuple[tuple[str, float], ...], wrt: tuple[str | DerivativeRequest, ...],
                 dtype: str = "float64") -> JobRequest:
    """A grid request from what the inputs already validated; only the partials' names are
    checked here, once, against the grid's and the parameters' names."""
    return job_request(expression, axes, params=params, wrt=wrt, dtype=dtype, limits=APP_LIMITS)


def points_request(expression: Expression, points: tuple[tuple[str, tuple[float, ...]], ...],
                   params: tuple[tuple[str, float], ...], wrt: tuple[str | DerivativeRequest, ...],
                   dtype: str = "float64") -> JobRequest:
    return job_request(expression, points=points, params=params, wrt=wrt, dtype=dtype, limits=APP_LIMITS)


def compute_on_grid(
    expression: Expression,
    axes: tuple[tuple[str, AxisSpec], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str = "float64",
) -> PartialsResult:
    return _cached(grid_request(expression, axes, params, wrt, dtype))


def compute_sweep(
    expression: Expression,
    plane: tuple[tuple[str, tuple[float, ...]], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str,
    sweep: tuple[str, tuple[float, ...]],
) -> list[PartialsResult]:
    """One result per parameter value on the plotted plane (an animation's frames)."""
    return _cached(job_request(expression, plane, params=params, wrt=wrt, dtype=dtype, sweep=sweep,
                               limits=APP_LIMITS))


def grid_size(axes: tuple[tuple[str, AxisSpec], ...]) -> int:
    return math.prod(axis.size for _, axis in axes)


FormulaKeys = tuple[tuple[str, tuple[str, ...]], ...]


@st.cache_resource
def formula_cache() -> BoundedCache:
    """Formula sets shared by every session, keyed by the validated expression and the keys."""
    return BoundedCache(64 * 2**20, _formula_bytes, ttl_seconds=3600)


def _formula_bytes(found: FormulaSet) -> int:
    return 256 + sum(len(t or "") for t in found.latex.values()) + sum(
        len(part) for entry in found.where for part in entry)


def formulas(expression: Expression, keys: FormulaKeys) -> FormulaSet:
    """LaTeX per (output, wrt), in terms of the function's own definitions, and those definitions;
    None where SymPy failed or ran past its time limit; nothing (and nothing cached, so the next
    rerun tries again) when every formula worker stayed busy."""
    # The page asks after drawing the numbers, so waiting here delays only the formulas; a fresh
    # server's first worker takes a few seconds to import SymPy.
    try:
        return formula_cache().get_or_compute(
            (expression, keys), lambda: formula_set(expression, list(keys), timeout_s=4.0, queue_s=8.0))
    except FormulasBusy:
        return FormulaSet({})


def start_formula_workers() -> None:
    """Start the formula workers (once per server; returns at once), so that a fresh server's
    first page finds one ready by the time it asks."""
    formula_pool()


def clear_results() -> None:
    """Forget computed results (not the worker pool)."""
    result_cache().clear()
    formula_cache().clear()
