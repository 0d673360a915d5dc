"""The plot panel: which quantity, which kind of plot, which two axes, where to slice the rest.

It runs as a fragment: changing a view option reruns only this panel, on the cached result —
partials are never recomputed for a plot choice.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import streamlit as st

from compute import PartialsError, PartialsResult, ResourceLimitError
from compute.engines.sweep import MAX_FRAMES, sweep_values, thinned_plane
from compute.language.grid import Grid
from compute.views.tables import Column, result_columns

from . import figures, plot_point
from .compute_cache import ResultRef, compute_sweep
from .inputs import remember, remembered
from .link_memory import animation_state, slice_positions
from .slider_ranges import default_range, slider_range
from .text import markdown_safe
from .url_state import check_parameter, sync_query_params

KIND_LABELS = {"surface": "3D surface", "heatmap": "Heatmap", "contour": "Contours",
               "vectors": "Gradient field", "line": "Lines"}


def quantity_key(column: Column) -> str:
    wrt = column.wrt if isinstance(column.wrt, str) else ",".join(column.wrt)
    return f"{column.output}:{wrt}" if wrt else column.output


@st.fragment
def plot_panel(ref: ResultRef) -> None:
    """``ref``, not the result: a fragment keeps its arguments for as long as the session lives."""
    result = ref.get()
    _plot_panel(result)
    old = st.session_state.get("_view")
    if old is not None:  # a fragment rerun still keeps the address bar in step with the view
        view = dataclasses.replace(old, plot=st.session_state.get("plot") or old.plot,
                                   show=st.session_state.get("show") or "",
                                   axes=st.session_state.get("axes") or "", at=slice_positions(),
                                   anim=animation_state(result.params))
        st.session_state["_view"] = view
        st.session_state["_written"] = sync_query_params(st.query_params, view)
        if view != old and not st.session_state.get("_full_run"):
            # The Share popover lives outside this fragment: rerun the page (results come from
            # the cache) so the link it shows is this view's, not the one before.
            st.rerun(scope="app")


def _plot_panel(result: PartialsResult) -> None:
    columns = {quantity_key(c): c for c in result_columns(result)}
    if not isinstance(result.domain, Grid):
        _points_plot(result, columns)
        return
    names = result.domain.names
    kinds = ["line"] if len(names) == 1 else ["surface", "heatmap", "contour", "vectors"]
    left, middle = st.columns([2, 4])
    remembered("show", "")
    if st.session_state["show"] not in columns:
        st.session_state["show"] = _default_quantity(columns)
    labels = {k: c.label for k, c in columns.items()}  # not the columns: widgets keep format_func
    show = left.selectbox("Plot", list(columns), key="show", format_func=labels.__getitem__)
    remember("show")
    remembered("plot", kinds[0])
    if st.session_state["plot"] not in kinds:
        st.session_state["plot"] = kinds[0]
    kind = middle.segmented_control("Kind", kinds, key="plot", format_func=KIND_LABELS.__getitem__,
                                      wrap=True)
    kind = kind or kinds[0]
    remember("plot")
    if len(names) == 1:
        _line_plot(result, columns, show)
        _animation_panel(result, columns[show], "line", names, {})
        return
    axes = _choose_axes(names)
    index = _slice_controls(result.domain, axes)
    axis_x, axis_y = result.domain.axis(axes[0]), result.domain.axis(axes[1])
    sx, sy = figures.stride_for(len(axis_x)), figures.stride_for(len(axis_y))
    if sx > 1 or sy > 1:
        st.caption(f"Plotted every {sx}th × {sy}th point ({len(axis_x[::sx])} × {len(axis_y[::sy])}) "
                   "to keep the browser fast; tables and downloads are full resolution.")

    def plane(column: Column) -> np.ndarray:
        return _plane(column.values, names, axes, index)[::sx, ::sy]

    x, y, label = axis_x[::sx], axis_y[::sy], columns[show].label
    if kind == "surface":
        fig = figures.surface(x, y, plane(columns[show]), axes, label)
    elif kind in ("heatmap", "contour"):
        fig = figures.heatmap(x, y, plane(columns[show]), axes, label, contour=kind == "contour")
    else:
        output = columns[show].output
        gx, gy = f"{output}:{axes[0]}", f"{output}:{axes[1]}"
        if gx not in columns or gy not in columns:
            st.info(f"Select the first partials with respect to {axes[0]} and {axes[1]} to draw "
                    "the gradient field.")
            return
        fig = figures.vector_field(x, y, plane(columns[output]), plane(columns[gx]), plane(columns[gy]),
                                   axes, f"{output} with its gradient")
    drawn = columns[columns[show].output] if kind == "vectors" else columns[show]  # f under arrows
    fig = plot_point.decorate(fig, kind, result, drawn, axes, index, x, y,
                              plane(drawn) if kind != "surface" else None)
    event = st.plotly_chart(fig, width="stretch", **plot_point.chart_options(kind))
    plot_point.handle_selection(event, result, axes, index)
    _animation_panel(result, columns[show], kind, axes, index)


ANIMATION_AXIS = 150  # values per plotted axis in an animation: every frame travels to the browser
ANIMATION_LINE = 1000


def _animation_panel(result: PartialsResult, column: Column, kind: str, axes: tuple[str, ...],
                     index: dict[str, int]) -> None:
    """Sweep one parameter across a range and play the plotted quantity as it changes."""
    assert isinstance(result.domain, Grid)  # points have no plot to animate
    if not result.params:
        return
    names = list(result.params)
    if remembered("anim.param", names[0]) not in names:  # no longer a parameter (or a bad link)
        st.session_state["anim.param"] = names[0]
        st.session_state["anim.on"] = False
    playing = bool(remembered("anim.on", False))
    with st.expander("Animate a parameter", icon=":material/animation:", expanded=playing):
        pick, start_col, stop_col, frames_col = st.columns([2, 2, 2, 2], vertical_alignment="bottom")
        name = pick.selectbox("Parameter", names, key="anim.param")
        lo, hi = _slider_range(name, result.params[name])
        remembered(f"anim.from.{name}", lo)
        remembered(f"anim.to.{name}", hi)
        remembered("anim.frames", 20)
        start = start_col.number_input("From", format="%g", key=f"anim.from.{name}")
        stop = stop_col.number_input("To", format="%g", key=f"anim.to.{name}")
        frames = frames_col.number_input("Frames", 2, MAX_FRAMES, key="anim.frames")
        on = st.toggle(f"Play {column.label} as {name} changes", key="anim.on")
        for key in ("anim.param", f"anim.from.{name}", f"anim.to.{name}", "anim.frames", "anim.on"):
            remember(key)
        if not on:
            st.caption("Computes the plotted quantity once per frame (on the plotted points only), "
                       "then plays it in the browser.")
            return
        try:
            for label, end in (("From", start), ("To", stop)):
                try:
                    check_parameter(end)
                except PartialsError as exc:
                    raise PartialsError(f"{label}: {exc.describe()}") from None
            values = sweep_values(start, stop, frames)
            plane = thinned_plane(result.domain, axes, index,
                                  ANIMATION_AXIS if len(axes) == 2 else ANIMATION_LINE)
            wrt = column.wrt if isinstance(column.wrt, str) else ",".join(column.wrt)
            with st.spinner(f"Computing {len(values)} frames…"):
                sweep = compute_sweep(result.expression, plane, tuple(result.params.items()),
                                      (wrt,) if wrt else (), result.dtype, (name, values))
        except (PartialsError, ResourceLimitError) as exc:
            st.error(markdown_safe(exc.describe()), icon=":material/error:")
            return
        key, grid = quantity_key(column), sweep[0].domain
        assert isinstance(grid, Grid)  # a sweep of a grid's plane
        frames_data = []
        for frame in sweep:
            values_ = next(c.values for c in result_columns(frame) if quantity_key(c) == key)
            frames_data.append(_plane(values_, grid.names, axes, dict.fromkeys(grid.names, 0))
                               if len(axes) == 2 else values_)
        x = grid.axis(axes[0])
        y = grid.axis(axes[1]) if len(axes) == 2 else None
        fig = figures.animation("heatmap" if kind == "vectors" else kind, x, y, frames_data, axes,
                                column.label, name, list(values))
        st.plotly_chart(fig, width="stretch", key="animation_plot")


def _slider_range(name: str, value: float) -> tuple[float, float]:
    """The parameter slider's own range, so the animation starts where the slider does."""
    try:
        lo, hi, _ = slider_range(str(st.session_state.get(f"range.{name}")), value)
    except PartialsError:
        lo, hi, _ = slider_range(default_range(value), value)
    return lo, hi


def _default_quantity(columns: dict[str, Column]) -> str:
    partials = [k for k, c in columns.items() if c.wrt]
    return partials[-1] if partials else next(iter(columns))


def _choose_axes(names: tuple[str, ...]) -> tuple[str, str]:
    if len(names) == 2:
        return names[0], names[1]
    remembered("axes", f"{names[0]}, {names[1]}")
    chosen = [a.strip() for a in str(st.session_state["axes"]).split(",")]
    if len(chosen) != 2 or chosen[0] == chosen[1] or not set(chosen) <= set(names):
        chosen = [names[0], names[1]]
    a_col, b_col = st.columns(2)
    first = a_col.selectbox("Horizontal axis", names, index=names.index(chosen[0]), key="axis_x")
    rest = [n for n in names if n != first]
    second = b_col.selectbox("Depth axis", rest, index=rest.index(chosen[1]) if chosen[1] in rest else 0,
                             key="axis_y")
    st.session_state["axes"] = f"{first}, {second}"
    remember("axes")
    return first, second


def _slice_controls(grid: Grid, axes: tuple[str, str]) -> dict[str, int]:
    """A slider per variable not plotted: the plot is the slice at that value."""
    index: dict[str, int] = {}
    others = [n for n in grid.names if n not in axes]
    if others:
        st.caption("Slice the other variables:")
    for name in others:
        values = grid.axis(name)
        key = f"at.{name}"
        remembered(key, float(values[len(values) // 2]))
        wanted = st.session_state[key] if _is_number(st.session_state[key]) else float(values[0])
        i = int(np.argmin(np.abs(values - wanted)))
        if len(values) == 1:
            index[name] = 0
            continue
        i = st.select_slider(f"{name} =", options=list(range(len(values))), value=i,
                             format_func=[f"{v:.6g}" for v in values].__getitem__, key=f"slice.{name}")
        st.session_state[key] = float(values[i])
        remember(key)
        index[name] = i
    return index


def _is_number(value) -> bool:
    """A slice position from memory: a finite float (link text was parsed when it was seeded)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _plane(values: np.ndarray, names: tuple[str, ...], axes: tuple[str, str],
           index: dict[str, int]) -> np.ndarray:
    picker = tuple(slice(None) if n in axes else index[n] for n in names)
    plane = values[picker]
    kept = [n for n in names if n in axes]
    return plane if kept == list(axes) else plane.T


def _line_plot(result: PartialsResult, columns: dict[str, Column], show: str) -> None:
    assert isinstance(result.domain, Grid)  # a line plot is of a one-variable grid
    name = result.domain.names[0]
    x = result.domain.axis(name)
    step = figures.stride_for(len(x), 5000)
    series = {columns[show].label: columns[show].values[::step]}
    if st.toggle("Show every quantity", key="line_all"):
        series = {c.label: c.values[::step] for c in columns.values()}
    fig = figures.line_targets(figures.lines(x[::step], series, name), x[::step],
                               columns[show].values[::step], name)
    fig = plot_point.decorate(fig, "line", result, columns[show], (name,), {}, x, None)
    event = st.plotly_chart(fig, width="stretch", **plot_point.chart_options("line"))
    plot_point.handle_selection(event, result, (name,), {})


def _points_plot(result: PartialsResult, columns: dict[str, Column]) -> None:
    remembered("show", "")
    if st.session_state["show"] not in columns:
        st.session_state["show"] = _default_quantity(columns)
    labels = {k: c.label for k, c in columns.items()}  # not the columns: widgets keep format_func
    show = st.selectbox("Plot", list(columns), key="show", format_func=labels.__getitem__)
    remember("show")
    coords = result.domain.coordinates(0, min(result.domain.size, 20000))
    values = columns[show].values.reshape(-1)[: len(next(iter(coords.values())))]
    event = st.plotly_chart(figures.scatter_points(coords, values, columns[show].label),
                            width="stretch", **plot_point.chart_options("points"))
    plot_point.handle_selection(event, result, (), {})
