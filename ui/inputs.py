"""Input widgets of the Explorer: function, variables and parameters, points, partials, dtype.

Widgets keep their values across reruns in a session-level memory, so a value survives its
widget disappearing for a run (a name switched from grid to parameter and back). Each input's
error is shown right under it; the rest of the page keeps working.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
import re
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
from compute.engines.sweep import MAX_FRAMES
from compute.language.derivatives import BUNDLES
from compute.language.domains import GRID_RULE, default_grid_names, positive_names, typo_hints
from compute.language.grid import AxisSpec, check_point_columns, make_points
from compute.language.numbers import parse_count, parse_number_list

from .compute_cache import APP_LIMITS
from .syntax import SYNTAX_HELP
from .url_state import LINK_MAX_POINTS, MAX_PARAMETER, ViewState, check_parameter

DEFAULT_GRID = "linspace(-2, 2, 41)"
POSITIVE_GRID = "linspace(0.1, 4, 40)"  # for names under log, sqrt, a division or a fractional power


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
        "Function", key="fn", height="content",
        help="Press Ctrl+Enter (or click outside) to apply. Every free name becomes a grid "
             "variable or a parameter (a value with a slider): two names start as grids — x, y, z, "
             "t first, then others in order of appearance, and names that usually stand for "
             "constants (r, T, sigma, mu, …) last. A new name that looks like a typo of one you "
             "had (yy for y, tk for t*k) is pointed out.",
    )
    remember("fn")
    with st.popover("Syntax reference", icon=":material/help:"):
        st.markdown(SYNTAX_HELP)
    try:
        expression = parse_expression(text, APP_LIMITS)
    except PartialsError as exc:
        st.error(f"**Function:** {exc.describe()}", icon=":material/error:")
        return text, None
    notes = _new_name_notes(expression)
    _read_as(expression, notes)
    if notes:
        st.warning("  \n".join(notes), icon=":material/spellcheck:")
    return text, expression


def _read_as(expression: Expression, notes: list[str]) -> None:
    """Issue 11: the plain form of what was typed another way (``2tk``, a def, ``torch.sin``), so
    the user learns it, and a hint for names that are other names run together (``tk``) unless
    a note on a new name already says so."""
    if expression.read_as is not None:
        st.caption("Read as:")
        st.code(expression.read_as, language="python", wrap_lines=True)
    for name, product in expression.hints:
        if not any(f"'{name}'" in note for note in notes):
            st.warning(f"**'{name}' is one name** (names are never split) — did you mean {product}?",
                       icon=":material/spellcheck:")


def _new_name_notes(expression: Expression) -> list[str]:
    """Notes on names the last edit of the function introduced that look like typos of names
    it already had (``yy`` beside y, ``tk`` beside t and k). They stay until the function is
    edited again. Also records the names before this run's function (``_names_before``) for
    ``derivatives_input``: None on a first visit or a new link, which start as the link says."""
    memory = _memory()
    names = expression.free_names
    before = memory.get("_names")
    memory["_names_before"], memory["_names"] = before, names
    noted_text, notes = memory.get("_name_notes", ("", []))
    if before is not None and tuple(before) != names:
        known = set(before) | set(names)
        notes = []
        for name in names:
            hints = typo_hints(name, known) if name not in before else []
            if hints:
                options = " or ".join(hints)
                notes.append(f"**'{name}' is a new name** — did you mean {options}?")
        memory["_name_notes"] = (expression.text, notes)
    elif noted_text != expression.text:
        memory["_name_notes"] = (expression.text, [])
        notes = []
    return notes


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
    memory = _memory()
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
                    st.error(f"**Grid for {name}:** {exc.describe()}", icon=":material/error:")
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


def default_range(value: float, positive: bool = False) -> str:
    """The slider range a parameter starts with: ``value ± max(1, |value|)``, cut at
    ±MAX_PARAMETER (where parameters stay), so it is finite and ``slider_range`` accepts it. A
    positive value of a name that must stay positive (``positive_names``) starts on
    ``value/100 … 2·value + value/100``: steps of value/100 that never reach 0."""
    value = min(max(value, -MAX_PARAMETER), MAX_PARAMETER) if math.isfinite(value) else 0.0
    if positive and 1e-280 < value < MAX_PARAMETER / 3:
        return f"{_short(value / 100)}, {_short(2 * value + value / 100)}"
    width = max(1.0, abs(value))
    lo, hi = max(value - width, -MAX_PARAMETER), min(value + width, MAX_PARAMETER)
    return f"{lo:g}, {hi:g}"


RANGE_RULE = ("Slider range: low, high. A value typed outside it widens the range to take in "
              "value ± |value| (at least ± 1), keeping a range that is above 0 above 0; a range "
              "that leaves the value out moves the value to its nearest end.")


def widened_range(lo: float, hi: float, value: float) -> tuple[float, float]:
    """``(lo, hi)`` grown to hold ``value`` with room around it (RANGE_RULE): each end that
    ``value ± max(1, |value|)`` passes moves there, except that a range wholly above 0 (below 0)
    stays so for a value on the same side, its end moving to value/2. Ends stay within
    ±MAX_PARAMETER; a value already inside leaves the range alone."""
    if lo <= value <= hi:
        return lo, hi
    width = max(1.0, abs(value))
    low, high = max(value - width, -MAX_PARAMETER), min(value + width, MAX_PARAMETER)
    if lo > 0 and value > 0:
        low = value / 2
    if hi < 0 and value < 0:
        high = value / 2
    return min(lo, low), max(hi, high)


SLIDER_STEPS = 200


def slider_range(text: str, value: float) -> tuple[float, float, float]:
    """``(low, high, step)`` of a parameter's slider from its range text ``low, high``, widened
    to hold ``value`` (only as a fallback: ``_parameter_input`` rewrites the text first, so the
    range box shows what the slider does). Raises ``PartialsError`` only."""
    lo, hi = range_ends(text)
    lo, hi = min(lo, value), max(hi, value)  # only widens: the width stays representable
    return lo, hi, (hi - lo) / SLIDER_STEPS


def range_ends(text: str) -> tuple[float, float]:
    """The ends of a range text ``low, high`` that makes a working slider. Ends within
    ±MAX_PARAMETER keep the width finite; a width of at least 1e-12 of the ends' size (and
    1e-290) keeps 200 steps distinct, normal floats (``0, 5e-324`` would make the step 0).
    Raises ``PartialsError`` only."""
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
    return lo, hi


def _short(value: float) -> str:
    """The shorter of ``:g`` and ``repr`` that reads back as ``value`` (5e-324, not 4.94066e-324)."""
    short = f"{value:g}"
    return short if float(short) == value and len(short) <= len(repr(value)) else repr(value)


def _range_ends(text: str) -> tuple[float, float] | None:
    """A range text's ends when it makes a working slider, else None (its error is shown)."""
    try:
        return range_ends(text)
    except PartialsError:
        return None


def _parameter_input(name: str, inputs: Inputs, positive: bool = False) -> tuple[float, str]:
    """A number box, its slider and the slider's range box, which always agree (RANGE_RULE): a
    value (typed, from a link, from the slider) outside the range widens the range; a range typed
    without the value moves the value to its nearest end. Every value goes through
    ``check_parameter`` and ``slider_range``: a bad one is a message under its input, and the
    slider keeps a finite range and step."""
    key, slider_key, range_key = f"param.{name}", f"slider.{name}", f"range.{name}"
    note_key = f"_range_note.{name}"
    memory = _memory()
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
    ends = _range_ends(range_text)
    if ends is not None and value_error is None and not ends[0] <= value <= ends[1]:
        lo, hi = widened_range(*ends, value)
        st.session_state[range_key] = range_text = f"{_short(lo)}, {_short(hi)}"
        memory[note_key] = (f"Slider range widened to {_short(lo)} … {_short(hi)} to hold "
                            f"{_short(value)}.")
    try:
        lo, hi, step = slider_range(range_text, value)
        range_error = None
    except PartialsError as exc:
        range_error = exc
        lo, hi, step = slider_range(default_range(value, positive), value)

    def from_slider() -> None:
        link_errors.pop(key, None)
        st.session_state[key] = st.session_state[slider_key]

    def from_box() -> None:
        link_errors.pop(key, None)

    def from_range() -> None:
        new = _range_ends(str(st.session_state[range_key]))
        current = st.session_state.get(key)
        try:
            current = check_parameter(current)
        except PartialsError:
            return
        if new is not None and not new[0] <= current <= new[1] and not link_errors.get(key):
            moved = min(max(current, new[0]), new[1])
            st.session_state[key] = moved
            memory[note_key] = (f"{name} moved to {_short(moved)}, the nearest end of the new "
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
            points = uploaded_points(upload.getvalue())
            params = [n for n in expression.free_names if n not in names]
            check_point_columns([n for n, _ in points], names, params)
            inputs.points = points
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
        # The editor's cells are float64 already: validated as numbers, never written to text.
        parsed = make_points({name: clean[name].to_numpy() for name in names}, APP_LIMITS)
    except PartialsError as exc:
        st.error(f"**Points:** {exc.describe()}", icon=":material/error:")
        inputs.ok = False
        return
    inputs.points = tuple((n, tuple(v.tolist())) for n, v in parsed.columns)
    if parsed.size <= LINK_MAX_POINTS:
        inputs.state["points"] = tuple((n, ", ".join(repr(x) for x in v)) for n, v in inputs.points)
    else:
        inputs.state["points_not_linked"] = parsed.size
        st.caption(f"The share link does not carry these {parsed.size:,} points (it carries "
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
    """First partials as toggles, a builder for higher and mixed ones, and the bundles.

    The user's choices stay while they are possible: a grid being edited (or invalid for a
    moment) keeps its partials. A partial whose name left the function, or a Jacobian of a
    function that now has one output, is dropped and said. A function whose names are all new
    starts over: every first partial, no higher ones, no bundles. ``grid_names`` are the names
    with values (valid grids or point columns); the choices follow the roles instead."""
    memory = _memory()
    param_names = tuple(n for n, _ in inputs.params)
    grid_names = tuple(n for n in expression.free_names
                       if n not in param_names and memory.get(f"role.{n}", "grid") == "grid")
    names = grid_names + param_names
    link_wrt = memory.pop("_link_wrt", None)
    if link_wrt is not None:
        _seed_derivatives(link_wrt, grid_names, param_names, expression)
    # A vector-valued function's partials apply to every output: ∂/∂r, not one output's name.
    out = expression.output_names[0] if not expression.is_vector else ""
    before = memory.get("_names_before")
    if link_wrt is None and before is not None and set(before) != set(expression.free_names):
        if not set(before) & set(expression.free_names):  # an unrelated function: start over
            for key, value in (("d1", list(grid_names)), ("higher", []), ("bundles", [])):
                memory[key] = value
                st.session_state.pop(key, None)
            memory.pop("_dropped", None)
        else:
            _drop_impossible(expression, before, out)
    bundles = [b for b in BUNDLES if b != "jacobian" or expression.is_vector]
    if "jacobian" in (memory.get("bundles") or []) and not expression.is_vector:
        _drop_impossible(expression, expression.free_names, out)
    dropped_text, dropped = memory.get("_dropped", ("", ""))
    remembered("d1", list(grid_names))
    st.session_state["d1"] = [n for n in st.session_state["d1"] or [] if n in names]
    if dropped and dropped_text == expression.text:
        st.caption(f":material/info: {dropped}")
    st.pills("First partials", names, selection_mode="multi", key="d1", wrap=True,
             format_func=lambda n: partial_label(out, (n,)) + (" (parameter)" if n in param_names else ""))
    remember("d1")
    higher_options = [",".join(c) for order in range(2, APP_LIMITS.max_order + 1)
                      for c in itertools.combinations_with_replacement(names, order)]
    remembered("higher", [])
    st.session_state["higher"] = [h for h in st.session_state["higher"] if h in higher_options]
    # The label carries the spec (t,k) so typing it finds the option; a spec typed in another form
    # (tk, d2f/dtdk, f_tk) is accepted and replaced by its option (issue 11).
    st.multiselect("Higher and mixed partials", higher_options, key="higher",
                   format_func=lambda h: f"{partial_label(out, tuple(h.split(',')))}  ({h})",
                   placeholder="e.g. t,k or ∂²f/∂t∂k — type and press Enter",
                   accept_new_options=True, select_all=False, on_change=_typed_partials,
                   args=(grid_names, param_names, tuple(higher_options)))
    typed_error = memory.pop("_typed_partial_error", None)
    if typed_error:
        st.error(f"**Higher and mixed partials:** {typed_error}", icon=":material/error:")
    remember("higher")
    remembered("bundles", [])
    st.session_state["bundles"] = [b for b in st.session_state["bundles"] if b in bundles]
    st.pills("Bundles", bundles, selection_mode="multi", key="bundles", wrap=True,
             format_func=lambda b: b.capitalize() if b != "hessian" else "Hessian")
    remember("bundles")
    remembered("dtype", "float64")
    st.segmented_control("Precision", ["float64", "float32"], key="dtype", wrap=True)
    if st.session_state.get("dtype") is None:
        st.session_state["dtype"] = "float64"
    remember("dtype")
    inputs.dtype = st.session_state["dtype"]
    inputs.wrt = tuple(st.session_state["d1"]) + tuple(st.session_state["higher"]) + tuple(
        st.session_state["bundles"])
    inputs.state["wrt"] = inputs.wrt
    inputs.state["dtype"] = inputs.dtype


_LABELLED_SPEC = re.compile(r".*\s\(([^()]+)\)\s*")


def _typed_partials(grid_names: tuple[str, ...], param_names: tuple[str, ...],
                    options: tuple[str, ...]) -> None:
    """A spec typed into the partials box (``tk``, ``∂²f/∂t∂k``, ``f_tk``) becomes its option
    (``t,k``; an order-1 spec goes to the first partials); an invalid one is dropped and said."""
    order = {n: i for i, n in enumerate(grid_names + param_names)}
    chosen: list[str] = []
    for value in st.session_state.get("higher") or []:
        labelled = _LABELLED_SPEC.fullmatch(str(value))  # "∂²f/∂t∂k  (t,k)", an option's label
        spec = labelled[1] if labelled else str(value)
        if spec in options:
            chosen.append(spec)
            continue
        try:
            request = parse_derivative_spec(spec, grid_names, param_names, APP_LIMITS)
        except PartialsError as exc:
            _memory()["_typed_partial_error"] = f"'{str(spec)[:40]}': {exc.describe()}"
            continue
        if request.kind != "partial":
            bundles = list(st.session_state.get("bundles") or [])
            st.session_state["bundles"] = bundles + [request.kind] * (request.kind not in bundles)
            continue
        names = sorted(request.components[0], key=order.__getitem__)
        if len(names) == 1:
            d1 = list(st.session_state.get("d1") or [])
            st.session_state["d1"] = d1 + names * (names[0] not in d1)
        elif ",".join(names) not in chosen:
            chosen.append(",".join(names))
    st.session_state["higher"] = chosen


def _drop_impossible(expression: Expression, before: tuple[str, ...], out: str) -> None:
    """Remove the chosen partials that name a name no longer in the function, and a Jacobian of a
    function with one output; remember a sentence saying which and why (shown until the
    function changes again)."""
    memory = _memory()
    present = set(expression.free_names)
    gone = [n for n in before if n not in present]
    d1 = [n for n in memory.get("d1") or [] if n in present]
    grids_before = {n for n in before if memory.get(f"role.{n}", "grid") == "grid"}
    if grids_before and grids_before <= set(memory.get("d1") or []):  # every first partial: so too
        d1 += [n for n in expression.free_names  # for a new grid variable
               if n not in before and memory.get(f"role.{n}") == "grid" and n not in d1]
    lost = [partial_label(out, (n,)) for n in memory.get("d1") or [] if n not in present]
    higher = []
    for spec in memory.get("higher") or []:
        if set(spec.split(",")) <= present:
            higher.append(spec)
        else:
            lost.append(partial_label(out, tuple(spec.split(","))))
    bundles = list(memory.get("bundles") or [])
    sentences = []
    if lost:
        verb = "is" if len(gone) == 1 else "are"
        sentences.append(f"Dropped {', '.join(lost)}: {', '.join(gone)} {verb} no longer in the "
                         "function.")
    if "jacobian" in bundles and not expression.is_vector:
        bundles.remove("jacobian")
        sentences.append("Dropped the Jacobian: the function now has one output.")
    memory["d1"], memory["higher"], memory["bundles"] = d1, higher, bundles
    for key in ("d1", "higher", "bundles"):
        st.session_state.pop(key, None)
    if sentences:
        memory["_dropped"] = (expression.text, " ".join(sentences))
    elif memory.get("_dropped", ("",))[0] != expression.text:
        memory.pop("_dropped", None)


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
    # One spelling each: "tk", "∂²f/∂t∂k" and "t,k" in one link are one choice (issue 11).
    memory["d1"], memory["higher"], memory["bundles"] = (
        list(dict.fromkeys(d1)), list(dict.fromkeys(higher)), list(dict.fromkeys(bundles)))
    for key in ("d1", "higher", "bundles"):
        st.session_state.pop(key, None)
    if problems:
        st.error("**Partials from the link were ignored:** " + "; ".join(problems), icon=":material/error:")
