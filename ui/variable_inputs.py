"""One row per free name of the function: a grid spec (or a column of the points table), or a
parameter with a number box, a slider and the slider's range box, which always agree."""

from __future__ import annotations

import math

import streamlit as st

from compute import Expression, PartialsError, parse_grid_spec
from compute.language.domains import GRID_RULE, default_grid_names, positive_names
from compute.language.grid import AxisSpec

from .compute_cache import APP_LIMITS
from .inputs import Inputs, remember, remembered, widget_memory
from .slider_ranges import (
    RANGE_RULE,
    default_range,
    shortest,
    slider_range,
    tidy_slider_value,
    widened_range,
    working_range,
)
from .text import markdown_safe
from .url_state import MAX_PARAMETER, check_parameter

DEFAULT_GRID = "linspace(-2, 2, 41)"
POSITIVE_GRID = "linspace(0.1, 4, 40)"  # for names under log, sqrt, a division or a fractional power


def variables_input(expression: Expression, inputs: Inputs, mode: str = "grid") -> None:
    """One row per free name: a grid spec (or a points column), or a parameter with a slider."""
    names = expression.free_names
    if not names:
        st.info("This function has no free names: it is a constant.")
        return
    grids: list[tuple[str, str]] = []
    axes: list[tuple[str, AxisSpec]] = []
    raw_grids: list[tuple[str, str]] = []  # as typed, valid or not: a shared link keeps them
    params: list[tuple[str, float]] = []
    ranges: list[tuple[str, str]] = []
    memory = widget_memory()
    known = {n: memory[f"role.{n}"] for n in names if memory.get(f"role.{n}") in ("grid", "parameter")}
    # Variables declared by f(t, k) = …, a def or a lambda start as grids, the other names as values.
    default_grids = ({n for n in expression.variables if known.get(n) != "parameter"}
                     | {n for n in names if known.get(n) == "grid"}
                     if expression.variables else default_grid_names(names, known))
    positive = positive_names(expression)
    for name in names:
        role_key = f"role.{name}"
        remembered(role_key, "grid" if name in default_grids else "parameter")
        role_col, value_col = st.columns([1.2, 3], vertical_alignment="top")
        role_col.segmented_control(name, ["grid", "parameter"], key=role_key, wrap=True,
                                   format_func={"grid": "grid", "parameter": "value"}.__getitem__,
                                   help=f"Is {name} a grid variable or a parameter (one value)? "
                                        f"{GRID_RULE}")
        if st.session_state.get(role_key) is None:  # a segmented control can be cleared
            st.session_state[role_key] = "grid"
        remember(role_key)
        with value_col:
            if st.session_state[role_key] == "grid" and mode == "points":
                st.caption(f"{name} is a column of the points table below.")
            elif st.session_state[role_key] == "grid":
                key = f"var.{name}"
                remembered(key, POSITIVE_GRID if name in positive else DEFAULT_GRID)
                spec = st.text_input(f"Grid for {name}", key=key,
                                     placeholder="1, 2, 4  or  linspace(0, 1, 50)")
                remember(key)
                raw_grids.append((name, spec or ""))
                try:
                    axis = parse_grid_spec(spec or "", APP_LIMITS, name)
                    grids.append((name, spec))
                    axes.append((name, axis))
                    why = (f" — positive: {name} is under a log, sqrt, division or fractional power"
                           if name in positive and spec == POSITIVE_GRID else "")
                    read_as = f" — read as `{axis.read_as}`" if axis.read_as else ""
                    st.caption(f"{axis.size:,} value{'s' if axis.size != 1 else ''}{why}{read_as}")
                except PartialsError as exc:
                    inputs.ok = False
                    st.error(f"**Grid for {name}:** {markdown_safe(exc.describe())}", icon=":material/error:")
            else:
                value, lo_hi = _parameter_input(name, inputs, positive=name in positive)
                params.append((name, value))
                ranges.append((name, lo_hi))
    inputs.grids = tuple(grids)
    inputs.axes = tuple(axes)
    inputs.params = tuple(params)
    inputs.state["grids"] = tuple(raw_grids)
    inputs.state["params"] = tuple((n, repr(v)) for n, v in params)
    inputs.state["ranges"] = tuple(ranges)


def _parameter_input(name: str, inputs: Inputs, positive: bool = False) -> tuple[float, str]:
    """A number box, its slider and the slider's range box, which always agree (RANGE_RULE): a
    value (typed, from a link, from the slider) outside the range widens the range; a range typed
    without the value moves the value to its nearest end. Every value goes through
    ``check_parameter`` and ``slider_range``: a bad one is a message under its input, and the
    slider keeps a finite range and step."""
    key, slider_key, range_key = f"param.{name}", f"slider.{name}", f"range.{name}"
    note_key = f"_range_note.{name}"
    memory = widget_memory()
    remembered(key, 1.0)
    # A refused link value stays refused (nothing computes with a stand-in) until the user sets one.
    link_errors = memory.setdefault("_link_errors", {})
    link_error = link_errors.get(key)
    if link_error:
        inputs.ok = False
        st.error(f"**{name}:** {link_error} — set a value to continue", icon=":material/error:")
    value_error = None
    try:
        value = check_parameter(st.session_state[key])
    except PartialsError as exc:  # the slider shows the nearest value it can hold
        value_error, raw = exc, st.session_state[key]
        finite = isinstance(raw, (int, float)) and math.isfinite(raw)
        value = min(max(float(raw), -MAX_PARAMETER), MAX_PARAMETER) if finite else 0.0
    range_text = str(remembered(range_key, default_range(value, positive)))
    ends = working_range(range_text)
    if ends is not None and value_error is None and not ends[0] <= value <= ends[1]:
        lo, hi = widened_range(*ends, value)
        st.session_state[range_key] = range_text = f"{shortest(lo)}, {shortest(hi)}"
        memory[note_key] = (f"Slider range widened to {shortest(lo)} … {shortest(hi)} to hold "
                            f"{shortest(value)}.")
    try:
        lo, hi, step = slider_range(range_text, value)
        range_error = None
    except PartialsError as exc:
        range_error = exc
        lo, hi, step = slider_range(default_range(value, positive), value)

    def from_slider() -> None:
        link_errors.pop(key, None)
        st.session_state[key] = tidy_slider_value(st.session_state[slider_key], step)

    def from_box() -> None:
        link_errors.pop(key, None)

    def from_range() -> None:
        new = working_range(str(st.session_state[range_key]))
        current = st.session_state.get(key)
        try:
            current = check_parameter(current)
        except PartialsError:
            return
        if new is not None and not new[0] <= current <= new[1] and not link_errors.get(key):
            moved = min(max(current, new[0]), new[1])
            st.session_state[key] = moved
            memory[note_key] = (f"{name} moved to {shortest(moved)}, the nearest end of the new "
                                "slider range.")

    box_col, range_col = st.columns(2, vertical_alignment="bottom")
    box_col.number_input(f"Value of {name}", key=key, format="%g", step=None, on_change=from_box)
    range_col.text_input("Slider range", key=range_key, on_change=from_range, help=RANGE_RULE,
                         placeholder="low, high")
    # The slider shows the value the results use (clamped only while that value is refused).
    st.session_state[slider_key] = float(min(max(value, lo), hi))
    st.slider(f"Slide {name}", min_value=float(lo), max_value=float(hi), key=slider_key,
              step=step, format="%g", label_visibility="collapsed", on_change=from_slider)
    note = memory.pop(note_key, None)
    if note:
        st.caption(note)
    if value_error is not None:
        inputs.ok = False
        st.error(f"**{name}:** {markdown_safe(value_error.describe())}", icon=":material/error:")
    if range_error is not None:
        st.error(f"**Range of {name}:** {markdown_safe(range_error.describe())}", icon=":material/error:")
    remember(key)
    remember(range_key)
    return value, st.session_state[range_key]

