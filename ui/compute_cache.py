"""Engine calls cached on the validated inputs (strings and tuples), never on arrays.

Every session asking the same question shares one cached, read-only result; a result depends
only on its key, so no session can see anything another did not also ask for. Heavy jobs run in
the shared worker pool with a time limit and a memory cap (see compute.jobs).
"""

from __future__ import annotations

import gc
import os

import streamlit as st
import torch

import compute.engine  # noqa: F401 - load torch's operators once, not inside a user's first job
from compute import Limits, PartialsResult
from compute.grid import parse_grid_spec
from compute.jobs import JobPool, JobRequest, run_job
from compute.symbolic import formulas_latex

from . import figures  # noqa: F401 - load Plotly before the freeze below

APP_LIMITS = Limits.from_env(max_points=int(os.environ.get("PARTIALS_MAX_POINTS", "4000000")))
# torch, SymPy, pandas and Streamlit are millions of long-lived objects: freezing them out of
# the collector keeps its full collections (which hold the GIL) from stalling every session.
gc.freeze()

# Small jobs run in the session's own thread: one torch thread each keeps sessions from
# oversubscribing the cores (heavy jobs go to the workers, which have their own setting).
torch.set_num_threads(int(os.environ.get("PARTIALS_APP_THREADS", "1")))


@st.cache_resource
def job_pool() -> JobPool:
    return JobPool()


# cache_resource, not cache_data: a result is read-only, and cache_data would pickle and copy
# tens of megabytes on every rerun of every session (holding the GIL the server needs).
@st.cache_resource(max_entries=32, ttl=3600, show_spinner=False)
def compute_on_grid(
    text: str,
    variables: tuple[tuple[str, str], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str = "float64",
) -> PartialsResult:
    request = JobRequest(text, grids=variables, params=params, wrt=wrt, dtype=dtype)
    return run_job(request, APP_LIMITS, job_pool())


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def compute_on_points(
    text: str,
    points: tuple[tuple[str, tuple[float, ...]], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str = "float64",
) -> PartialsResult:
    request = JobRequest(text, points=points, params=params, wrt=wrt, dtype=dtype)
    return run_job(request, APP_LIMITS, job_pool())


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def compute_sweep(
    text: str,
    plane: tuple[tuple[str, tuple[float, ...]], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str,
    sweep: tuple[str, tuple[float, ...]],
) -> list[PartialsResult]:
    """One result per parameter value on the plotted plane (an animation's frames)."""
    request = JobRequest(text, grids=plane, params=params, wrt=wrt, dtype=dtype, sweep=sweep)
    return run_job(request, APP_LIMITS, job_pool())


def grid_size(variables: tuple[tuple[str, str], ...]) -> int:
    size = 1
    for _, spec in variables:
        size *= parse_grid_spec(spec, APP_LIMITS).size
    return size


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def formulas(text: str, keys: tuple[tuple[str, tuple[str, ...]], ...]) -> dict:
    """LaTeX per (output, wrt); None where SymPy failed or ran past its time limit."""
    return formulas_latex(text, list(keys), timeout_s=4.0)


def clear_results() -> None:
    """Forget computed results (not the worker pool)."""
    compute_on_grid.clear()
    compute_on_points.clear()
    compute_sweep.clear()
    formulas.clear()
