"""The point inspector: type a point (any values) or click one on a plot, and read f, the
gradient, the Hessian, the Jacobian and its determinant and every chosen partial there, exact.

The panel is a lazy expander: closed, it runs nothing. Open, it asks one worker job for one
point (the same engine as the grids, on a one-point domain; never computed in the server) and
reads it with ``compute.engines.inspect``. The point is part of the share link
(``inspect.NAME=VALUE``); a value that is not a number gets its message under its own field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from compute import PartialsError, PartialsResult, ResourceLimitError, parse_constant, partial_label
from compute.engines.inspect import Inspection, inspection_specs, point_columns, read_inspection
from compute.language.grid import Grid
from compute.views.tables import exact_text

from .compute_cache import APP_LIMITS, fetch, points_request
from .inputs import Inputs, remember, remembered
from .results import format_number
from .text import markdown_safe

OPEN_KEY = "inspect_open"  # the expander (its state is in the link as the presence of inspect.*)
PREFIX = "inspect."  # text box of one coordinate: inspect.NAME
PENDING = "_inspect_pending"  # a point clicked on a plot, applied before the boxes are drawn
NAMES = "_inspect_names"  # the variables the panel last showed: the coordinates a link carries
MAX_VALUE_CHARS = 200


def seed(point: Sequence[tuple[str, str]]) -> None:
    """A link arrived (``inspect.NAME`` values, as typed): it replaces the inspector's state."""
    for key in [k for k in st.session_state if str(k).startswith(PREFIX) or k == OPEN_KEY]:
        del st.session_state[key]
    st.session_state.pop(PENDING, None)
    memory = st.session_state.setdefault("_memory", {})
    for key in [k for k in memory if str(k).startswith(PREFIX)]:
        del memory[key]
    for name, text in point:
        memory[PREFIX + name] = str(text)  # checked (length too) where the box shows it
    memory[OPEN_KEY] = bool(point)
    st.session_state[NAMES] = tuple(name for name, _ in point)


def show_point(point: dict[str, float]) -> None:
    """Open the inspector at ``point`` on the next run (a click on a plot calls this)."""
    st.session_state[PENDING] = {name: exact_text(value) for name, value in point.items()}


def link_state() -> tuple[tuple[str, str], ...]:
    """The point as link values (``inspect.NAME``): nothing while the inspector is closed."""
    memory = st.session_state.get("_memory", {})
    if not memory.get(OPEN_KEY):
        return ()
    names = st.session_state.get(NAMES, ())
    return tuple((n, str(memory[PREFIX + n])) for n in names if memory.get(PREFIX + n) not in (None, ""))


def current_point(names: Sequence[str]) -> dict[str, float] | None:
    """The inspected point when the inspector is open and every coordinate is a number."""
    memory = st.session_state.get("_memory", {})
    if not memory.get(OPEN_KEY) or not names:
        return None
    point = {}
    for name in names:
        try:
            point[name] = _parse(memory.get(PREFIX + name))
        except PartialsError:
            return None
    return point


def _parse(text: object) -> float:
    """A coordinate typed or linked: a constant expression (``2*pi``) by compute's own parser."""
    if not isinstance(text, str) or not text.strip():
        raise PartialsError("give a number")
    if len(text) > MAX_VALUE_CHARS:
        raise PartialsError(f"too long ({len(text)} characters)")
    return parse_constant(text, APP_LIMITS)


def _default(result: PartialsResult, name: str) -> str:
    """The middle of the variable's grid (or the first point), as exact text."""
    domain = result.domain
    if isinstance(domain, Grid):
        values = domain.axis(name)
        return exact_text(float(values[len(values) // 2]))
    return exact_text(float(domain.coordinates(0, 1)[name][0]))


def box(result: PartialsResult):
    """The "Inspect a point" expander, drawn empty above the results tabs; ``fill`` writes into
    it after the tables, so an open inspector never delays them. None when it is closed."""
    st.session_state[NAMES] = result.domain.names
    pending = st.session_state.pop(PENDING, None)
    memory = st.session_state.setdefault("_memory", {})
    if pending:
        for name, text in pending.items():
            memory[PREFIX + name] = text
            st.session_state.pop(PREFIX + name, None)
        memory[OPEN_KEY] = True
        st.session_state[OPEN_KEY] = True
    remembered(OPEN_KEY, False)
    expander = st.expander("Inspect a point", key=OPEN_KEY, on_change="rerun",
                           icon=":material/my_location:")
    remember(OPEN_KEY)
    return expander if expander.open else None


def fill(expander, inputs: Inputs, result: PartialsResult) -> None:
    """The point's inputs and numbers, inside the open expander."""
    if expander is None:
        return
    with expander:
        point = _point_inputs(result, result.domain.names)
        if point is None:
            return
        try:
            with st.spinner("Computing at the point…"):
                specs = inspection_specs(result.domain.names, inputs.wrt, APP_LIMITS)
                answer = fetch(points_request(result.expression, point_columns(point), inputs.params,
                                              specs, inputs.dtype))
            inspection = read_inspection(answer)
        except (PartialsError, ResourceLimitError) as exc:
            st.error(markdown_safe(exc.describe()), icon=":material/error:")
            return
        render(inspection, result, int(st.session_state.get("digits", 10)))


def _point_inputs(result: PartialsResult, names: Sequence[str]) -> dict[str, float] | None:
    st.caption("Any values, not only grid points (outside the grid too; 2*pi works). Or click "
               "a point on a heatmap, contour, gradient-field or line plot in the Plot tab.")
    point: dict[str, float] = {}
    ok = True
    per_row = 4
    for start in range(0, len(names), per_row):
        columns = st.columns(per_row)
        for column, name in zip(columns, names[start:start + per_row], strict=False):
            key = PREFIX + name
            remembered(key, _default(result, name))
            column.text_input(f"{name} =", key=key)
            remember(key)
            try:
                point[name] = _parse(st.session_state[key])
            except PartialsError as exc:
                column.error(f"**Inspect {name}:** {markdown_safe(exc.describe())}", icon=":material/error:")
                ok = False
    return point if ok else None


def _matrix(rows: Sequence[Sequence[float]], index: Sequence[str], columns: Sequence[str],
            digits: int, corner: str) -> pd.DataFrame:
    """Numbers as text; ``corner`` names the rows (a table header must not be empty)."""
    return pd.DataFrame([[format_number(v, digits) for v in row] for row in rows],
                        index=pd.Index(list(index), name=corner), columns=list(columns))


def render(inspection: Inspection, result: PartialsResult, digits: int) -> None:
    """The numbers at the point: values and chosen partials, gradient (or Jacobian), Hessian."""
    names, outputs = inspection.variables, inspection.outputs
    where = ", ".join(f"{n} = {format_number(v, digits)}" for n, v in
                      zip(names, inspection.point, strict=True))
    outside = _outside(inspection, result)
    params = ", ".join(f"{n} = {format_number(v, digits)}" for n, v in inspection.params)
    st.markdown(f"**At {where}**" + (f" (with {params})" if params else "")
                + (f" — outside the grid ({outside})" if outside else ""))
    rows = [(o, inspection.value(o)) for o in outputs]
    rows += [(q.label, q.value) for q in inspection.quantities]
    st.table(pd.DataFrame({"value": [format_number(v, digits) for _, v in rows]},
                          index=pd.Index([label for label, _ in rows], name="quantity")))
    if len(outputs) == 1:
        st.markdown(f"**Gradient ∇{outputs[0]}**")
        st.table(_matrix(inspection.gradients, [f"∇{outputs[0]}"],
                         [partial_label(outputs[0], (n,)) for n in names], digits, "gradient"))
    else:
        st.markdown(f"**Jacobian ∂({', '.join(outputs)})/∂({', '.join(names)})** (a row per output)")
        st.table(_matrix(inspection.jacobian, outputs, [f"∂/∂{n}" for n in names], digits, "output"))
        det = inspection.jacobian_determinant
        st.markdown(f"det J = **{format_number(det, digits)}**" if det is not None else
                    "No determinant: the Jacobian is not square.")
    if inspection.hessians is None:
        st.caption("No Hessian: too many variables for the partials limit.")
        return
    for i, output in enumerate(outputs):
        st.markdown(f"**Hessian of {output}** (row i, column j: ∂²{output}/∂i∂j)")
        st.table(_matrix(inspection.hessians[i], names, names, digits, "i \\ j"))
        det = inspection.hessian_determinant(i)
        st.markdown(f"det H = **{format_number(det if det is not None else math.nan, digits)}**"
                    f"{_definiteness(inspection, i)}")


def _definiteness(inspection: Inspection, index: int) -> str:
    """What the Hessian's eigenvalues say (and, at a critical point, what kind it is). Values
    within 1e-12 of the function's scale are rounding, not signs: then nothing is claimed."""
    eigen = inspection.hessian_eigenvalues(index)
    hessian = inspection.hessian(inspection.outputs[index])
    if eigen is None or hessian is None or len(eigen) < 2:
        return ""
    value = inspection.value(inspection.outputs[index])
    tiny = 1e-12 * max(1.0, abs(value), *(abs(v) for row in hessian for v in row))
    if all(abs(v) <= tiny for v in eigen):
        return ""
    critical = all(abs(g) <= tiny for g in inspection.gradients[index])
    if all(v > tiny for v in eigen):
        kind, at_critical = "positive definite", "a local minimum"
    elif all(v < -tiny for v in eigen):
        kind, at_critical = "negative definite", "a local maximum"
    elif min(eigen) < -tiny and max(eigen) > tiny:
        kind, at_critical = "indefinite", "a saddle point"
    else:
        kind, at_critical = "semidefinite", ""
    text = f" · eigenvalues {', '.join(format_number(v, 6) for v in eigen)}: {kind}"
    return text + (f"; the gradient is 0, so this is {at_critical}" if critical and at_critical else "")


def _outside(inspection: Inspection, result: PartialsResult) -> str:
    """Which coordinates lie outside the grid's ranges (allowed: the engine needs no grid)."""
    domain = result.domain
    if not isinstance(domain, Grid):
        return ""
    notes = []
    for name, value in zip(inspection.variables, inspection.point, strict=True):
        axis = domain.axis(name)
        lo, hi = float(axis.min()), float(axis.max())
        if not lo <= value <= hi:
            notes.append(f"{name} runs {format_number(lo, 6)} … {format_number(hi, 6)}")
    return "; ".join(notes)
