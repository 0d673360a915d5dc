"""A share link into the widget memory, and the memory's view pieces back out as link values.

A link replaces the whole view: ``seed_from_link`` puts its values where the widgets look for
them (``ui.inputs.widget_memory``), and the widgets validate them as they render, exactly as
typed text.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from compute import PartialsError, parse_constant
from compute.engines.sweep import MAX_FRAMES
from compute.language.numbers import parse_count

from .compute_cache import APP_LIMITS
from .inputs import widget_memory
from .text import markdown_safe
from .url_state import ViewState, check_parameter


def slice_positions() -> tuple[tuple[str, str], ...]:
    """Where the plot slices the variables it does not show, as link values (``at.NAME``)."""
    return tuple((k.split(".", 1)[1], f"{v:g}") for k, v in widget_memory().items()
                 if k.startswith("at.") and isinstance(v, float))


def animation_state(parameters) -> str:
    """The playing animation as a link value (``anim``), or "" when none plays."""
    memory = widget_memory()
    name = memory.get("anim.param")
    if not memory.get("anim.on") or name not in parameters:
        return ""
    start, stop = memory.get(f"anim.from.{name}"), memory.get(f"anim.to.{name}")
    if not isinstance(start, float) or not isinstance(stop, float):
        return ""
    return f"{name}, {start!r}, {stop!r}, {memory.get('anim.frames', 20)}"


_VIEW_KEYS = ("fn", "mode", "d1", "higher", "bundles", "dtype", "plot", "show", "axes", "digits",
              "axis_x", "axis_y", "line_all")
_VIEW_PREFIXES = ("var.", "role.", "param.", "slider.", "range.", "at.", "slice.", "pts_editor.",
                  "anim.")


def seed_from_link(state: ViewState) -> None:
    """A link replaces the whole view: forget the widgets' values, then put the link's values
    into memory; widgets validate them as they render."""
    for key in list(st.session_state):
        if key in _VIEW_KEYS or str(key).startswith(_VIEW_PREFIXES):
            del st.session_state[key]
    st.session_state["_memory"] = {}
    memory = widget_memory()
    memory["fn"] = state.function
    memory["mode"] = state.mode
    for name, spec in state.grids:
        memory[f"var.{name}"] = spec
        memory[f"role.{name}"] = "grid"
    for name, value in state.params:
        memory[f"role.{name}"] = "parameter"
        try:
            memory[f"param.{name}"] = check_parameter(parse_constant(value, APP_LIMITS))
        except PartialsError as exc:
            memory.setdefault("_link_errors", {})[f"param.{name}"] = (
                f"from the link: {markdown_safe(exc.describe())}")
    for name, value in state.ranges:
        memory[f"range.{name}"] = value
    for name, value in state.points:
        memory[f"pts.{name}"] = value
        memory[f"role.{name}"] = "grid"  # a column of points (the third would default to a value)
    memory["_link_wrt"] = list(state.wrt)
    memory["dtype"] = state.dtype
    memory["plot"], memory["show"], memory["axes"] = state.plot, state.show, state.axes
    for name, value in state.at:
        with contextlib.suppress(PartialsError):  # a bad slice position: the axis's middle
            memory[f"at.{name}"] = parse_constant(value, APP_LIMITS)
    # read_query checked digits (ASCII digits, 3 to 17) and anim (a name, two parameter values,
    # 2 to MAX_FRAMES frames) and noted what it dropped; a ViewState made in code is checked again.
    with contextlib.suppress(PartialsError):
        if state.digits:
            memory["digits"] = parse_count(state.digits, "digits", 3, 17)
    with contextlib.suppress(PartialsError, ValueError):
        if state.anim:
            name, start, stop, frames = (p.strip() for p in state.anim.split(","))
            ends = [check_parameter(parse_constant(v, APP_LIMITS)) for v in (start, stop)]
            count = parse_count(frames, "frames", 2, MAX_FRAMES)
            memory[f"anim.from.{name}"], memory[f"anim.to.{name}"] = ends
            memory["anim.param"], memory["anim.frames"], memory["anim.on"] = name, count, True

