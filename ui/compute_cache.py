"""Engine calls cached on the validated inputs (strings and tuples), never on arrays."""

from __future__ import annotations

import streamlit as st

from compute import Limits, PartialsResult, make_grid, parse_expression, partials_on_grid

APP_LIMITS = Limits.from_env(max_points=4_000_000)


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Computing partials…")
def compute_on_grid(
    text: str,
    variables: tuple[tuple[str, str], ...],
    params: tuple[tuple[str, float], ...],
    wrt: tuple[str, ...],
    dtype: str = "float64",
) -> PartialsResult:
    """Cached by value: the same inputs in any session give the same (immutable) result."""
    expression = parse_expression(text, APP_LIMITS)
    grid = make_grid(dict(variables), APP_LIMITS)
    return partials_on_grid(expression, grid, list(wrt), dict(params), dtype=dtype, limits=APP_LIMITS)
