"""Input widgets of the Explorer: function, variables and parameters, points, partials, dtype.

Widgets keep their values across reruns in a session-level memory, so a value survives its
widget disappearing for a run (a name switched from grid to parameter and back). Each input's
error is shown right under it; the rest of the page keeps working.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import math
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from compute import (
    Expression,
    PartialsError,
    parse_constant,
    parse_derivative_spec,
    parse_expression,
    parse_grid_spec,
    partial_label,
    points_from_csv,
)
from compute.caches import BoundedCache
from compute.derivatives import BUNDLES
from compute.language import FUNCTIONS
from compute.numbers import parse_count, parse_number_list
from compute.sweep import MAX_FRAMES

from .compute_cache import APP_LIMITS
from .url_state import LINK_MAX_POINTS, MAX_PARAMETER, ViewState, check_parameter

SYNTAX_HELP = """
**Arithmetic** `+ - * /`, powers `**` or `^`, parentheses, numbers like `2`, `0.5`, `1e-3`.
**Functions** {functions}; `where(x > 0, a, b)` with `< <= > >=`. **Constants** `pi`, `e`.
**Several lines** (newline or `;`): `name = expression` defines an intermediate; the last line is
the output (`u, v` for a vector-valued function).
**Grids** `1, 2, 4` · `linspace(0, 1, 50)` · `arange(0, 1, 0.1)` · `logspace(-2, 2, 9)` · `2*pi`.
**Partials** `k` · `t,k` (mixed) · `k,k,k` (third), up to order 4.
""".format(functions=", ".join(f"`{n}`" for n in FUNCTIONS if n != "where"))
DEFAULT_GRID = "linspace(-2, 2, 41)"


@dataclass
class Inputs:
    """What the user asked for, as validated plain values (hashable cache keys)."""

    text: str
    expression: Expression | None = None
    mode: str = "grid"
    grids: tuple[tuple[str, str], ...] = ()
    points: tuple[tuple[str, tuple[float, ...]], ...] = ()
    params: tuple[tuple[str, float], ...] = ()
    wrt: tuple[str, ...] = ()
    dtype: str = "float64"
    ok: bool = True
    state: dict = field(default_factory=dict)  # pieces of the ViewState for the URL


def _memory() -> dict:
    return st.session_state.setdefault("_memory", {})


def remembered(key: str, default):
    """Seed a widget key from memory (or default) before the widget is created."""
    if key not in st.session_state:
        st.session_state[key] = _memory().get(key, default)
    return st.session_state[key]


def remember(key: str) -> None:
    _memory()[key] = st.session_state.get(key)


def slice_positions() -> tuple[tuple[str, str], ...]:
    """Where the plot slices the variables it does not show, as link values (``at.NAME``)."""
    return tuple((k.split(".", 1)[1], f"{v:g}") for k, v in _memory().items()
                 if k.startswith("at.") and isinstance(v, float))


def animation_state(parameters) -> str:
    """The playing animation as a link value (``anim``), or "" when none plays."""
    memory = _memory()
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
    memory = _memory()
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
            memory.setdefault("_link_errors", {})[f"param.{name}"] = f"from the link: {exc.describe()}"
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


def function_input() -> tuple[str, Expression | None]:
    remembered("fn", "t*k + 2*t*k**2")
    text = st.text_area(
        "Function", key="fn", height=90,
        help="Press Ctrl+Enter (or click outside) to apply. Every free name becomes a grid "
             "variable or a parameter.",
    )
    remember("fn")
    with st.popover("Syntax reference", icon=":material/help:"):
        st.markdown(SYNTAX_HELP)
    try:
        return text, parse_expression(text, APP_LIMITS)
    except PartialsError as exc:
        st.error(f"**Function:** {exc.describe()}", icon=":material/error:")
        return text, None


def _default_role(name: str, names: tuple[str, ...]) -> str:
    """A new name is a grid variable until two are; then a parameter (the user can switch)."""
    memory = _memory()
    known = sum(1 for n in names if memory.get(f"role.{n}") == "grid")
    new_before = sum(1 for n in names[: names.index(name)] if f"role.{n}" not in memory)
    return "grid" if known + new_before < 2 else "parameter"


def variables_input(expression: Expression, inputs: Inputs, mode: str = "grid") -> None:
    """One row per free name: a grid spec (or a points column), or a parameter with a slider."""
    names = expression.free_names
    if not names:
        st.info("This function has no free names: it is a constant.")
        return
    grids: list[tuple[str, str]] = []
    raw_grids: list[tuple[str, str]] = []  # as typed, valid or not: a shared link keeps them
    params: list[tuple[str, float]] = []
    ranges: list[tuple[str, str]] = []
    for name in names:
        role_key = f"role.{name}"
        remembered(role_key, _default_role(name, names))
        role_col, value_col = st.columns([1.6, 3], vertical_alignment="top")
        role_col.segmented_control(name, ["grid", "parameter"], key=role_key,
                                   format_func={"grid": "grid", "parameter": "value"}.__getitem__,
                                   help=f"Is {name} a grid variable or a parameter (one value)?")
        if st.session_state.get(role_key) is None:  # a segmented control can be cleared
            st.session_state[role_key] = "grid"
        remember(role_key)
        with value_col:
            if st.session_state[role_key] == "grid" and mode == "points":
                st.caption(f"{name} is a column of the points table below.")
            elif st.session_state[role_key] == "grid":
                key = f"var.{name}"
                remembered(key, DEFAULT_GRID)
                spec = st.text_input(f"Grid for {name}", key=key,
                                     placeholder="1, 2, 4  or  linspace(0, 1, 50)")
                remember(key)
                raw_grids.append((name, spec or ""))
                try:
                    axis = parse_grid_spec(spec or "", APP_LIMITS)
                    grids.append((name, spec))
                    st.caption(f"{axis.size:,} value{'s' if axis.size != 1 else ''}")
                except PartialsError as exc:
                    inputs.ok = False
                    st.error(f"**Grid for {name}:** {exc.describe()}", icon=":material/error:")
            else:
                value, lo_hi = _parameter_input(name, inputs)
                params.append((name, value))
                ranges.append((name, lo_hi))
    inputs.grids = tuple(grids)
    inputs.params = tuple(params)
    inputs.state["grids"] = tuple(raw_grids)
    inputs.state["params"] = tuple((n, repr(v)) for n, v in params)
    inputs.state["ranges"] = tuple(ranges)


def default_range(value: float) -> str:
    """The slider range a parameter starts with: ``value ± max(1, |value|)``, cut at
    ±MAX_PARAMETER (where parameters stay), so it is finite and ``slider_range`` accepts it."""
    value = min(max(value, -MAX_PARAMETER), MAX_PARAMETER) if math.isfinite(value) else 0.0
    width = max(1.0, abs(value))
    lo, hi = max(value - width, -MAX_PARAMETER), min(value + width, MAX_PARAMETER)
    return f"{lo:g}, {hi:g}"


SLIDER_STEPS = 200


def slider_range(text: str, value: float) -> tuple[float, float, float]:
    """``(low, high, step)`` of a parameter's slider from its range text ``low, high``, widened
    to hold ``value``. Ends within ±MAX_PARAMETER keep the width finite; a width of at least
    1e-12 of the ends' size (and 1e-290) keeps 200 steps distinct, normal floats (``0, 5e-324``
    would make the step 0). Raises ``PartialsError`` only."""
    _, ends = parse_number_list(text, (), APP_LIMITS)
    if len(ends) != 2:
        raise PartialsError("write the range as low, high")
    lo, hi = ends
    if not lo < hi:
        raise PartialsError("the range needs low < high")
    for end in (lo, hi):
        if abs(end) > MAX_PARAMETER:
            raise PartialsError(f"{_short(end)} is too large for a slider — keep the range within "
                                f"±{MAX_PARAMETER:g}")
    if hi - lo < 1e-290 or hi - lo < 1e-12 * max(abs(lo), abs(hi)):
        raise PartialsError(f"the range {_short(lo)} to {_short(hi)} is too narrow for a slider — "
                            "its width must be at least 1e-12 of its ends' size")
    lo, hi = min(lo, value), max(hi, value)  # only widens: the width stays representable
    return lo, hi, (hi - lo) / SLIDER_STEPS


def _short(value: float) -> str:
    """The shorter of ``:g`` and ``repr`` that reads back as ``value`` (5e-324, not 4.94066e-324)."""
    short = f"{value:g}"
    return short if float(short) == value and len(short) <= len(repr(value)) else repr(value)


def _parameter_input(name: str, inputs: Inputs) -> tuple[float, str]:
    """A number box and a slider that follow each other; the slider's range is editable. Every
    value, typed or from a link, goes through ``check_parameter`` and ``slider_range``: a bad
    one is a message under its input, and the slider keeps a finite range and step."""
    key, slider_key, range_key = f"param.{name}", f"slider.{name}", f"range.{name}"
    remembered(key, 1.0)
    # A refused link value stays refused (nothing computes with a stand-in) until the user sets one.
    link_errors = _memory().setdefault("_link_errors", {})
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
    range_text = remembered(range_key, default_range(value))
    try:
        lo, hi, step = slider_range(str(range_text), value)
        range_error = None
    except PartialsError as exc:
        range_error = exc
        lo, hi, step = slider_range(default_range(value), value)

    def from_slider() -> None:
        link_errors.pop(key, None)
        st.session_state[key] = st.session_state[slider_key]

    def from_box() -> None:
        link_errors.pop(key, None)
        box = st.session_state[key]
        if isinstance(box, (int, float)) and math.isfinite(box):
            st.session_state[slider_key] = float(min(max(box, lo), hi))

    box_col, slider_col, range_col = st.columns([2, 4, 2], vertical_alignment="bottom")
    box_col.number_input(f"Value of {name}", key=key, format="%g", step=None,
                         label_visibility="collapsed", on_change=from_box)
    # Streamlit refuses a slider whose remembered value lies outside a new range: clamp it.
    current = st.session_state.get(slider_key, value)
    st.session_state[slider_key] = float(min(max(current, lo), hi))
    slider_col.slider(f"Slide {name}", min_value=float(lo), max_value=float(hi), key=slider_key,
                      step=step, label_visibility="collapsed", on_change=from_slider)
    range_col.text_input(f"Range of {name}", key=range_key, label_visibility="collapsed",
                         help="slider range: low, high")
    if value_error is not None:
        inputs.ok = False
        st.error(f"**{name}:** {value_error.describe()}", icon=":material/error:")
    if range_error is not None:
        st.error(f"**Range of {name}:** {range_error.describe()}", icon=":material/error:")
    remember(key)
    remember(range_key)
    return value, st.session_state[range_key]


_UPLOADS: BoundedCache[tuple[tuple[str, tuple[float, ...]], ...]] = BoundedCache(
    256 * 2**20, lambda points: 64 + sum(32 * len(values) for _, values in points), ttl_seconds=3600)


def uploaded_points(data: bytes) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """An upload's validated columns, parsed once per distinct file (by content digest): every
    rerun of the page sees the same upload, and parsing 1 M rows takes over a second."""
    digest = hashlib.sha256(data).digest()

    def parse() -> tuple[tuple[str, tuple[float, ...]], ...]:
        points = points_from_csv(data.decode("utf-8", errors="replace"), APP_LIMITS)
        return tuple((n, tuple(v.tolist())) for n, v in points.columns)

    return _UPLOADS.get_or_compute(digest, parse)


def points_input(expression: Expression, inputs: Inputs) -> None:
    """Scattered points: an editable table (one column per variable) or an uploaded CSV."""
    names = [n for n in expression.free_names
             if _memory().get(f"role.{n}", "grid") == "grid"]
    if not names:
        st.info("Mark at least one name as a grid variable to give it points.")
        inputs.ok = False
        return
    upload = st.file_uploader("Upload points (CSV with a header of variable names)", type=["csv"],
                              key="pts_upload")
    if upload is not None:
        try:
            inputs.points = uploaded_points(upload.getvalue())
        except PartialsError as exc:
            st.error(f"**Uploaded CSV:** {exc.describe()}", icon=":material/error:")
            inputs.ok = False
            return
        size = len(inputs.points[0][1]) if inputs.points else 0
        inputs.state["points_not_linked"] = size
        st.caption(f"{size:,} points from {upload.name}. The share link does not carry "
                   "uploaded points: send the CSV with it.")
        return
    table = _points_table(names)
    for name in names:
        link_error = _memory().get("_link_errors", {}).pop(f"pts.{name}", None)
        if link_error:
            st.error(f"**Points for {name}:** {link_error}", icon=":material/error:")
    edited = st.data_editor(table, num_rows="dynamic", key=f"pts_editor.{','.join(names)}",
                            width="stretch")
    try:
        clean = edited.dropna(how="all")
        if clean.isna().any().any():
            raise PartialsError("every row needs a value in every column")
        buffer = io.StringIO()
        clean.to_csv(buffer, index=False)
        points = points_from_csv(buffer.getvalue(), APP_LIMITS)
    except PartialsError as exc:
        st.error(f"**Points:** {exc.describe()}", icon=":material/error:")
        inputs.ok = False
        return
    inputs.points = tuple((n, tuple(v.tolist())) for n, v in points.columns)
    if points.size <= LINK_MAX_POINTS:
        inputs.state["points"] = tuple((n, ", ".join(repr(x) for x in v)) for n, v in inputs.points)
    else:
        inputs.state["points_not_linked"] = points.size
        st.caption(f"The share link does not carry these {points.size:,} points (it carries "
                   f"tables of up to {LINK_MAX_POINTS} rows): send them as a CSV with the link.")


def _points_table(names: list[str]) -> pd.DataFrame:
    columns = {}
    for name in names:
        text = _memory().get(f"pts.{name}", "")
        try:
            values = [parse_constant(v, APP_LIMITS) for v in text.split(",")] if text else []
        except PartialsError as exc:  # a bad column in a link: said once, then the default table
            _memory().pop(f"pts.{name}", None)
            _memory().setdefault("_link_errors", {})[f"pts.{name}"] = f"from the link: {exc.describe()}"
            values = []
        columns[name] = values
    length = max((len(v) for v in columns.values()), default=0)
    if length == 0:
        columns = {name: [1.0 + i, 2.0 + 0.5 * i, 3.0 - i] for i, name in enumerate(names)}
    else:
        columns = {n: v + [float("nan")] * (length - len(v)) for n, v in columns.items()}
    return pd.DataFrame(columns, dtype="float64")


def derivatives_input(expression: Expression, inputs: Inputs, grid_names: tuple[str, ...]) -> None:
    """First partials as toggles, a builder for higher and mixed ones, and the bundles."""
    param_names = tuple(n for n, _ in inputs.params)
    names = grid_names + param_names
    link_wrt = _memory().pop("_link_wrt", None)
    if link_wrt is not None:
        _seed_derivatives(link_wrt, grid_names, param_names, expression)
    out = expression.output_names[0] if not expression.is_vector else "f"
    previous = remembered("d1", list(grid_names)) or []
    kept = [n for n in previous if n in names]
    # A new function whose names share nothing with the old choice starts with every first partial.
    st.session_state["d1"] = kept if kept or not previous else list(grid_names)
    st.pills("First partials", names, selection_mode="multi", key="d1",
             format_func=lambda n: partial_label(out, (n,)) + (" (parameter)" if n in param_names else ""))
    remember("d1")
    higher_options = [",".join(c) for order in range(2, APP_LIMITS.max_order + 1)
                      for c in itertools.combinations_with_replacement(names, order)]
    remembered("higher", [])
    st.session_state["higher"] = [h for h in st.session_state["higher"] if h in higher_options]
    st.multiselect("Higher and mixed partials", higher_options, key="higher",
                   format_func=lambda h: partial_label(out, tuple(h.split(","))),
                   placeholder="e.g. ∂²f/∂t∂k — type names to filter")
    remember("higher")
    bundles = [b for b in BUNDLES if b != "jacobian" or expression.is_vector]
    remembered("bundles", [])
    st.session_state["bundles"] = [b for b in st.session_state["bundles"] if b in bundles]
    st.pills("Bundles", bundles, selection_mode="multi", key="bundles",
             format_func=lambda b: b.capitalize() if b != "hessian" else "Hessian")
    remember("bundles")
    remembered("dtype", "float64")
    st.segmented_control("Precision", ["float64", "float32"], key="dtype")
    if st.session_state.get("dtype") is None:
        st.session_state["dtype"] = "float64"
    remember("dtype")
    inputs.dtype = st.session_state["dtype"]
    inputs.wrt = tuple(st.session_state["d1"]) + tuple(st.session_state["higher"]) + tuple(
        st.session_state["bundles"])
    inputs.state["wrt"] = inputs.wrt
    inputs.state["dtype"] = inputs.dtype


def _seed_derivatives(specs: list[str], grid_names: tuple[str, ...], param_names: tuple[str, ...],
                      expression: Expression) -> None:
    """Sort a link's ``wrt`` values into the three pickers; report the ones that are invalid."""
    d1, higher, bundles, problems = [], [], [], []
    order = {n: i for i, n in enumerate(grid_names + param_names)}
    for spec in specs:
        try:
            request = parse_derivative_spec(spec, grid_names, param_names, APP_LIMITS)
        except PartialsError as exc:
            problems.append(f"'{spec[:40]}': {exc.describe()}")
            continue
        if request.kind != "partial":
            if request.kind != "jacobian" or expression.is_vector:
                bundles.append(request.kind)
        elif len(request.components[0]) == 1:
            d1.append(request.components[0][0])
        else:
            higher.append(",".join(sorted(request.components[0], key=order.__getitem__)))
    memory = _memory()
    memory["d1"], memory["higher"], memory["bundles"] = d1, higher, bundles
    for key in ("d1", "higher", "bundles"):
        st.session_state.pop(key, None)
    if problems:
        st.error("**Partials from the link were ignored:** " + "; ".join(problems), icon=":material/error:")
