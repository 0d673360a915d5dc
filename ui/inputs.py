"""What the Explorer's inputs hand on (``Inputs``) and the session memory its widgets share.

Widgets keep their values across reruns in a session-level memory, so a value survives its
widget disappearing for a run (a name switched from grid to parameter and back). The widgets
themselves live by concept: ``function_input``, ``variable_inputs`` (grids, parameters and
their sliders), ``points_input``, ``derivative_inputs``; ``link_memory`` moves a share link
into this memory and back. Each input's error is shown right under it; the rest of the page
keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from compute import Expression
from compute.language.grid import AxisSpec


@dataclass
class Inputs:
    """What the user asked for, as validated plain values (hashable cache keys)."""

    text: str
    expression: Expression | None = None
    mode: str = "grid"
    grids: tuple[tuple[str, str], ...] = ()  # the valid grid specs as typed (for the CLI command)
    axes: tuple[tuple[str, AxisSpec], ...] = ()  # the same, validated: what the request carries
    points: tuple[tuple[str, tuple[float, ...]], ...] = ()
    params: tuple[tuple[str, float], ...] = ()
    wrt: tuple[str, ...] = ()
    dtype: str = "float64"
    ok: bool = True
    state: dict = field(default_factory=dict)  # pieces of the ViewState for the URL


def widget_memory() -> dict:
    """The session's widget memory: values that outlive a widget missing for a run."""
    return st.session_state.setdefault("_memory", {})


def remembered(key: str, default):
    """Seed a widget key from memory (or default) before the widget is created."""
    if key not in st.session_state:
        st.session_state[key] = widget_memory().get(key, default)
    return st.session_state[key]


def remember(key: str) -> None:
    """Keep a widget's value after it rendered, for the runs where it is not drawn."""
    widget_memory()[key] = st.session_state.get(key)
