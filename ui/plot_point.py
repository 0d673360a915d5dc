"""The inspected point on the plot: a ring on 2-D plots, the tangent plane on a 3-D surface, and
a click on a plot that moves the inspector there.

Plotly selects scatter points on a click (heatmap cells never), so 2-D plots carry invisible
click targets on the grid (``figures.click_targets``); a box selection inspects its centre. A
click reruns the plot fragment, which hands the point to the inspector and reruns the page.
"""

from __future__ import annotations

import json
import math

import numpy as np
import streamlit as st

from compute import PartialsError, PartialsResult, ResourceLimitError
from compute.engines.inspect import plane_patch, point_columns, tangent_specs
from compute.language.grid import Grid
from compute.views.tables import Column

from . import figures, inspector
from .compute_cache import APP_LIMITS, fetch, points_request

SELECTION_KEY = "_inspect_selection"  # the last selection handed to the inspector
CLICKABLE = ("heatmap", "contour", "vectors", "line", "points")


def chart_options(kind: str) -> dict:
    """``st.plotly_chart`` arguments: 2-D plots report clicks and boxes (3-D scenes cannot)."""
    if kind not in CLICKABLE:
        return {"key": "main_plot"}
    return {"key": "main_plot_select", "on_select": "rerun", "selection_mode": ("points", "box")}


def _spec(column: Column) -> str | None:
    """The plotted quantity as a derivative spec: "" for f, None for the Laplacian."""
    if column.wrt == "laplacian":
        return None
    return ",".join(column.wrt) if isinstance(column.wrt, tuple) else str(column.wrt)


def _in_slice(point: dict[str, float], grid: Grid, axes: tuple[str, ...], index: dict[str, int]) -> bool:
    """Whether the point lies on the plotted slice (variables not plotted at their slice values)."""
    for name in grid.names:
        if name in axes:
            continue
        value = float(grid.axis(name)[index.get(name, 0)])
        if not math.isclose(point[name], value, rel_tol=1e-12, abs_tol=1e-300):
            return False
    return True


def _at_point(result: PartialsResult, column: Column, point: dict[str, float],
              axes: tuple[str, ...]) -> tuple[float, tuple[float, ...] | None] | None:
    """The plotted quantity at the point, and its slopes along the plotted axes when they are
    within the order limit: one quick worker job, cached."""
    spec = _spec(column)
    if spec is None:
        return None
    slopes = tangent_specs(tuple(spec.split(",")) if spec else (), axes, APP_LIMITS)
    specs = ((spec,) if spec else ()) + (slopes or ())
    try:
        answer = fetch(points_request(result.expression, point_columns(point),
                                      tuple(result.params.items()), specs, result.dtype))
    except (PartialsError, ResourceLimitError):
        return None
    output = column.output

    def read(wrt: str) -> float:
        array = answer.partial(wrt, output) if wrt else answer.value(output)
        return float(np.asarray(array).reshape(-1)[0])

    return read(spec), (tuple(read(s) for s in slopes) if slopes else None)


def decorate(fig, kind: str, result: PartialsResult, column: Column, axes: tuple[str, ...],
             index: dict[str, int], x: np.ndarray, y: np.ndarray | None,
             plane: np.ndarray | None = None):
    """Add click targets to a 2-D plot (``plane``: the plotted values, shaped (x, y)), and the
    inspected point (with its tangent plane on a surface) when the inspector is open on a point
    of this slice."""
    grid = result.domain
    assert isinstance(grid, Grid)
    if kind in ("heatmap", "contour", "vectors") and y is not None and plane is not None:
        figures.click_targets(fig, x, y, plane, (axes[0], axes[1]), column.label)
    point = inspector.current_point(grid.names)
    if point is None or not _in_slice(point, grid, axes, index):
        return fig
    found = _at_point(result, column, point, axes)
    coords = ", ".join(f"{n} = {point[n]:.6g}" for n in grid.names)
    if kind == "line":
        if found is not None and math.isfinite(found[0]):
            text = f"{coords}: {column.label} = {found[0]:.6g}"
            fig = figures.mark_point(fig, point[axes[0]], found[0], text)
        return fig
    if kind != "surface":
        return figures.mark_point(fig, point[axes[0]], point[axes[1]], coords)
    if found is None or found[1] is None or not all(math.isfinite(v) for v in (found[0], *found[1])):
        return fig
    x0, y0 = point[axes[0]], point[axes[1]]
    half_x = 0.2 * (float(np.ptp(x)) or 1.0)
    half_y = 0.2 * (float(np.ptp(y)) if y is not None and len(y) > 1 else 1.0)
    xs, ys, z = plane_patch(x0, y0, found[0], found[1][0], found[1][1], half_x, half_y)
    return figures.tangent_plane(fig, xs, ys, z, (x0, y0, found[0]),
                                 f"{coords}: {column.label} = {found[0]:.6g}")


def handle_selection(event, result: PartialsResult, axes: tuple[str, ...],
                     index: dict[str, int]) -> None:
    """A new click (or box) on the plot: open the inspector there and rerun the page."""
    selection = _selection(event)
    if not selection:
        st.session_state.pop(SELECTION_KEY, None)  # deselected: the same click counts again
        return
    signature = json.dumps(selection, sort_keys=True, default=str)
    if st.session_state.get(SELECTION_KEY) == signature:
        return  # already handed over (this run is the rerun it caused, or a view change)
    st.session_state[SELECTION_KEY] = signature
    point = clicked_point(selection, result, axes, index)
    if point is not None:
        inspector.show_point(point)
        st.rerun(scope="app")


def _selection(event) -> dict | None:
    try:
        selection = event["selection"]
    except (KeyError, TypeError):
        return None
    if not selection or not (selection.get("points") or selection.get("box")):
        return None
    return {"points": [{k: p.get(k) for k in ("x", "y", "point_index", "curve_number")}
                       for p in selection.get("points", [])[:1]],
            "box": list(selection.get("box", []))[:1]}


def clicked_point(selection: dict, result: PartialsResult, axes: tuple[str, ...],
                  index: dict[str, int]) -> dict[str, float] | None:
    """The point a selection means: a clicked grid point (snapped to the grid's own float64
    values), a box's centre, or a clicked scattered point's row. Anything malformed: None."""
    domain = result.domain
    try:
        if not isinstance(domain, Grid):
            first = selection["points"][0]
            if first.get("curve_number") not in (0, None):
                return None  # not the points' own trace
            row = int(first["point_index"])
            if not 0 <= row < domain.size:
                return None
            return {n: float(v[0]) for n, v in domain.coordinates(row, row + 1).items()}
        point = {n: float(domain.axis(n)[index.get(n, 0)]) for n in domain.names if n not in axes}
        if selection["points"]:
            first = selection["points"][0]
            values = [float(first["x"])] + ([float(first["y"])] if len(axes) > 1 else [])
            for name, value in zip(axes, values, strict=False):
                axis = domain.axis(name)
                nearest = float(axis[int(np.argmin(np.abs(axis - value)))])
                point[name] = nearest if math.isclose(nearest, value, rel_tol=1e-6, abs_tol=1e-12) else value
        else:
            box = selection["box"][0]
            point[axes[0]] = (float(box["x"][0]) + float(box["x"][1])) / 2
            if len(axes) > 1:
                point[axes[1]] = (float(box["y"][0]) + float(box["y"][1])) / 2
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if len(point) != len(domain.names) or not all(math.isfinite(v) for v in point.values()):
        return None
    return point
