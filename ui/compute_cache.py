"""Engine calls cached on the validated inputs (strings and tuples), never on arrays.

Every session asking the same question shares one cached, read-only result; a result depends
only on its key, so no session can see anything another did not also ask for.
"""

from __future__ import annotations

import streamlit as st

from compute import (
    Limits,
    PartialsResult,
    make_grid,
    make_points,
    parse_expression,
    partials_on_grid,
)
from compute.grid import parse_grid_spec
from compute.symbolic import formulas_latex

APP_LIMITS = Limits.from_env(max_points=4_000_000)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def compute_on_grid(
    text: str,
    variables: tuple[tuple[str, str], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str = "float64",
) -> PartialsResult:
    expression = parse_expression(text, APP_LIMITS)
    grid = make_grid(dict(variables), APP_LIMITS)
    return partials_on_grid(expression, grid, list(wrt), dict(params), dtype=dtype, limits=APP_LIMITS)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def compute_on_points(
    text: str,
    points: tuple[tuple[str, tuple[float, ...]], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str = "float64",
) -> PartialsResult:
    expression = parse_expression(text, APP_LIMITS)
    domain = make_points(dict(points), APP_LIMITS)
    return partials_on_grid(expression, domain, list(wrt), dict(params), dtype=dtype, limits=APP_LIMITS)


def grid_size(variables: tuple[tuple[str, str], ...]) -> int:
    size = 1
    for _, spec in variables:
        size *= parse_grid_spec(spec, APP_LIMITS).size
    return size


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def formulas(text: str, keys: tuple[tuple[str, tuple[str, ...]], ...]) -> dict:
    """LaTeX per (output, wrt); None where SymPy failed or ran past its time limit."""
    return formulas_latex(text, list(keys), timeout_s=4.0)
