"""Engine calls cached on the validated inputs (strings and tuples), never on arrays.

Every session asking the same question shares one cached, read-only result; a result depends
only on its key, so no session can see anything another did not also ask for. Heavy jobs run in
the shared worker pool with a time limit and a memory cap (see compute.jobs).
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass

import streamlit as st
import torch

import compute.engine  # noqa: F401 - load torch's operators once, not inside a user's first job
from compute import Limits, PartialsResult
from compute.caches import BoundedCache
from compute.grid import Points, parse_grid_spec
from compute.jobs import JobPool, JobRequest, result_nbytes, run_job
from compute.symbolic import FormulasBusy, FormulaSet, formula_pool, formula_set

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

# The server computes nothing itself (see compute.jobs); one torch thread for the odd helper.
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


def grid_request(text: str, variables: tuple[tuple[str, str], ...], params: tuple[tuple[str, float], ...],
                 wrt: tuple[str, ...], dtype: str = "float64") -> JobRequest:
    return JobRequest(text, grids=variables, params=params, wrt=wrt, dtype=dtype)


def points_request(text: str, points: tuple[tuple[str, tuple[float, ...]], ...],
                   params: tuple[tuple[str, float], ...], wrt: tuple[str, ...],
                   dtype: str = "float64") -> JobRequest:
    return JobRequest(text, points=points, params=params, wrt=wrt, dtype=dtype)


def compute_on_grid(
    text: str,
    variables: tuple[tuple[str, str], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str = "float64",
) -> PartialsResult:
    return _cached(JobRequest(text, grids=variables, params=params, wrt=wrt, dtype=dtype))


def compute_on_points(
    text: str,
    points: tuple[tuple[str, tuple[float, ...]], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str = "float64",
) -> PartialsResult:
    return _cached(JobRequest(text, points=points, params=params, wrt=wrt, dtype=dtype))


def compute_sweep(
    text: str,
    plane: tuple[tuple[str, tuple[float, ...]], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str,
    sweep: tuple[str, tuple[float, ...]],
) -> list[PartialsResult]:
    """One result per parameter value on the plotted plane (an animation's frames)."""
    return _cached(JobRequest(text, grids=plane, params=params, wrt=wrt, dtype=dtype, sweep=sweep))


def grid_size(variables: tuple[tuple[str, str], ...]) -> int:
    size = 1
    for _, spec in variables:
        size *= parse_grid_spec(spec, APP_LIMITS).size
    return size


def formulas(text: str, keys: tuple[tuple[str, tuple[str, ...]], ...]) -> FormulaSet:
    """LaTeX per (output, wrt), in terms of the function's own definitions, and those definitions;
    None where SymPy failed or ran past its time limit; nothing (and nothing cached, so the next
    rerun tries again) when every formula worker stayed busy."""
    try:
        return _formulas(text, keys)
    except FormulasBusy:
        return FormulaSet({})


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _formulas(text: str, keys: tuple[tuple[str, tuple[str, ...]], ...]) -> FormulaSet:
    # The page asks after drawing the numbers, so waiting here delays only the formulas; a fresh
    # server's first worker takes a few seconds to import SymPy.
    return formula_set(text, list(keys), timeout_s=4.0, queue_s=8.0)


def start_formula_workers() -> None:
    """Start the formula workers (once per server; returns at once), so that a fresh server's
    first page finds one ready by the time it asks."""
    formula_pool()


def clear_results() -> None:
    """Forget computed results (not the worker pool)."""
    result_cache().clear()
    _formulas.clear()
