"""Plotly figure builders: pure functions from arrays to figures (no Streamlit here).

Surfaces stay at most ~300 points per axis (a browser draws 1000² slowly); values go out as
float32 with non-finite points masked as gaps, never plotted as garbage.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.figure_factory as ff
import plotly.graph_objects as go

MAX_AXIS = 300
MAX_ARROWS = 21
COLORSCALE = "Viridis"
DIVERGING = "RdBu_r"


def stride_for(n: int, limit: int = MAX_AXIS) -> int:
    return max(1, math.ceil(n / limit))


def masked32(values: np.ndarray) -> np.ndarray:
    """Float32 for the browser (half the bytes), non-finite values as gaps; values past float32's
    range (|v| > 3.4e38) stay float64 rather than turn into gaps."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if np.any(np.abs(values, where=finite, out=np.zeros_like(values)) > np.finfo(np.float32).max):
        return np.where(finite, values, np.nan)
    return np.where(finite, values, np.nan).astype(np.float32)


def _colorscale(z: np.ndarray) -> tuple[str, float | None]:
    """A diverging scale centred on 0 when the values change sign: signs are the story."""
    finite = z[np.isfinite(z)]
    if finite.size and finite.min() < 0 < finite.max():
        return DIVERGING, 0.0
    return COLORSCALE, None


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01}, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      height=520, template="plotly_white")
    return fig


def surface(x: np.ndarray, y: np.ndarray, z: np.ndarray, names: tuple[str, str], label: str) -> go.Figure:
    """z has shape (len(x), len(y)); Plotly wants rows along y, so it is transposed."""
    scale, mid = _colorscale(z)
    # The colour bar lies under the scene: standing at its side it took a phone's scene width
    # and covered the surface's right edge.
    colorbar = {"title": {"text": label, "side": "top"}, "orientation": "h", "y": -0.02,
                "yanchor": "top", "len": 0.9, "thickness": 12}
    fig = go.Figure(go.Surface(x=masked32(x), y=masked32(y), z=masked32(z).T, colorscale=scale,
                               cmid=mid, colorbar=colorbar))
    fig.update_layout(scene={"xaxis_title": names[0], "yaxis_title": names[1], "zaxis_title": label})
    return _layout(fig, label)


def heatmap(x: np.ndarray, y: np.ndarray, z: np.ndarray, names: tuple[str, str], label: str,
            contour: bool = False) -> go.Figure:
    scale, mid = _colorscale(z)
    trace = go.Contour if contour else go.Heatmap
    kwargs = {"contours": {"showlabels": True}} if contour else {}
    fig = go.Figure(trace(x=masked32(x), y=masked32(y), z=masked32(z).T, colorscale=scale, zmid=mid,
                          colorbar={"title": {"text": label}}, **kwargs))
    fig.update_xaxes(title=names[0])
    fig.update_yaxes(title=names[1])
    return _layout(fig, label)


def vector_field(x: np.ndarray, y: np.ndarray, f: np.ndarray, fx: np.ndarray, fy: np.ndarray,
                 names: tuple[str, str], label: str) -> go.Figure:
    """The gradient (∂f/∂x, ∂f/∂y) as arrows over contours of f."""
    fig = heatmap(x, y, f, names, label, contour=True)
    sx, sy = stride_for(len(x), MAX_ARROWS), stride_for(len(y), MAX_ARROWS)
    X, Y = np.meshgrid(x[::sx], y[::sy], indexing="ij")
    U, V = fx[::sx, ::sy], fy[::sx, ::sy]
    ok = np.isfinite(U) & np.isfinite(V)
    if ok.any():
        span = max(float(np.ptp(x)) if len(x) > 1 else 1.0, float(np.ptp(y)) if len(y) > 1 else 1.0)
        norm = float(np.max(np.hypot(U[ok], V[ok]))) or 1.0
        scale = 0.9 * span / max(X.shape[0], X.shape[1], 2) / norm
        arrows = ff.create_quiver(X[ok], Y[ok], U[ok], V[ok], scale=scale, arrow_scale=0.3,
                                  line={"color": "black", "width": 1.2}, name="gradient")
        fig.add_traces(arrows.data)
    fig.update_layout(showlegend=False)
    return fig


def lines(x: np.ndarray, series: dict[str, np.ndarray], name: str) -> go.Figure:
    fig = go.Figure()
    for label, values in series.items():
        fig.add_trace(go.Scatter(x=masked32(x), y=masked32(values), mode="lines+markers" if len(x) <= 60
                                 else "lines", name=label, connectgaps=False))
    fig.update_xaxes(title=name)
    return _layout(fig, ", ".join(series))


def scatter_points(coords: dict[str, np.ndarray], values: np.ndarray, label: str) -> go.Figure:
    names = list(coords)
    scale, mid = _colorscale(values)
    marker = {"color": masked32(values), "colorscale": scale, "cmid": mid, "showscale": True,
              "colorbar": {"title": {"text": label}}, "size": 9}
    if len(names) >= 2:
        fig = go.Figure(go.Scatter(x=coords[names[0]], y=coords[names[1]], mode="markers", marker=marker,
                                   text=[f"{label} = {v:.6g}" for v in values]))
        fig.update_xaxes(title=names[0])
        fig.update_yaxes(title=names[1])
    else:
        fig = go.Figure(go.Scatter(x=coords[names[0]], y=masked32(values), mode="markers", marker=marker))
        fig.update_xaxes(title=names[0])
    return _layout(fig, label)


def animation(kind: str, x: np.ndarray, y: np.ndarray | None, frames: list[np.ndarray],
              names: tuple[str, ...], label: str, parameter: str, values: list[float]) -> go.Figure:
    """One frame per parameter value, with Play/Pause and a slider; colour and z ranges are
    fixed over all frames so that what moves is the function, not the scale.

    ``y`` is None for one variable (a line per frame); otherwise each frame has shape
    (len(x), len(y)) and is drawn as ``kind`` (surface, heatmap or contour).
    """
    data = [masked32(frame) for frame in frames]
    finite = np.concatenate([d[np.isfinite(d)] for d in data] + [np.zeros(0, np.float32)])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    scale, mid = _colorscale(finite)

    def trace(z: np.ndarray):
        if y is None:
            return go.Scatter(x=masked32(x), y=z, mode="lines", name=label, connectgaps=False)
        if kind == "surface":
            return go.Surface(x=masked32(x), y=masked32(y), z=z.T, colorscale=scale, cmin=lo,
                              cmax=hi, colorbar={"title": {"text": label}})
        cls = go.Contour if kind == "contour" else go.Heatmap
        return cls(x=masked32(x), y=masked32(y), z=z.T, colorscale=scale, zmin=lo, zmax=hi,
                   zmid=mid if kind != "contour" else None, colorbar={"title": {"text": label}})

    def caption(v: float) -> str:
        return f"{parameter} = {v:.6g}"

    fig = go.Figure(trace(data[0]), frames=[go.Frame(data=[trace(z)], name=caption(v))
                                            for z, v in zip(data, values, strict=True)])
    pad = 0.05 * (hi - lo)
    if y is None:
        fig.update_xaxes(title=names[0])
        fig.update_yaxes(title=label, range=[lo - pad, hi + pad])
    elif kind == "surface":
        fig.update_layout(scene={"xaxis_title": names[0], "yaxis_title": names[1],
                                 "zaxis": {"title": label, "range": [lo - pad, hi + pad]}})
    else:
        fig.update_xaxes(title=names[0])
        fig.update_yaxes(title=names[1])
    play = {"frame": {"duration": 120, "redraw": kind == "surface" or y is not None},
            "transition": {"duration": 0}, "fromcurrent": True, "mode": "immediate"}
    fig.update_layout(
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0.0, "y": -0.2, "xanchor": "left",
                      "yanchor": "top", "showactive": False,
                      "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                                  {"label": "❚❚ Pause", "method": "animate",
                                   "args": [[None], {"frame": {"duration": 0, "redraw": False},
                                                     "mode": "immediate"}]}]}],
        sliders=[{"x": 0.36, "y": -0.12, "len": 0.64, "xanchor": "left", "yanchor": "top",
                  "currentvalue": {"prefix": f"{parameter} = ", "xanchor": "left",
                                   "font": {"size": 14}},
                  "steps": [{"label": f"{v:.3g}", "method": "animate",
                             "args": [[caption(v)], {"frame": {"duration": 0, "redraw": True},
                                                     "mode": "immediate"}]} for v in values]}],
    )
    fig = _layout(fig, f"{label} as {parameter} goes from {values[0]:.6g} to {values[-1]:.6g}")
    fig.update_layout(margin={"b": 150}, height=660)
    return fig


MAX_TARGETS = 64  # click targets per axis laid over a heatmap: enough to hit any cell region


def click_targets(fig: go.Figure, x: np.ndarray, y: np.ndarray, z: np.ndarray, names: tuple[str, str],
                  label: str) -> go.Figure:
    """Invisible markers on (a thinning of) the plotted grid: Plotly selects scatter points on a
    click, never heatmap cells, so these make a click on a heatmap or contour pick a grid point.
    Coordinates go out in float64, so a clicked point is exactly a grid value; the hover (the
    nearest target's, wherever the pointer is) still reads the plotted value there."""
    sx, sy = stride_for(len(x), MAX_TARGETS), stride_for(len(y), MAX_TARGETS)
    X, Y = np.meshgrid(np.asarray(x, dtype=np.float64)[::sx], np.asarray(y, dtype=np.float64)[::sy],
                       indexing="ij")
    fig.add_trace(go.Scatter(
        x=X.ravel(), y=Y.ravel(), customdata=masked32(np.asarray(z)[::sx, ::sy]).ravel(),
        mode="markers", name="click to inspect", showlegend=False,
        marker={"size": 10, "opacity": 0, "color": "black"},
        hovertemplate=f"{names[0]} = %{{x:.6~g}}<br>{names[1]} = %{{y:.6~g}}<br>{label} = "
                      "%{customdata:.6~g}<br>click to inspect<extra></extra>"))
    fig.update_traces(hoverinfo="skip", selector={"type": "heatmap"})
    fig.update_traces(hoverinfo="skip", selector={"type": "contour"})
    fig.update_layout(hoverdistance=-1)  # the nearest target, wherever the pointer is
    return fig


def mark_point(fig: go.Figure, x0: float, y0: float, text: str) -> go.Figure:
    """The inspected point on a 2-D plot: a ring visible on any colour scale."""
    fig.add_trace(go.Scatter(
        x=[x0], y=[y0], mode="markers", name="inspected point", showlegend=False,
        marker={"size": 14, "symbol": "circle-open", "color": "white", "line": {"width": 3}},
        hovertemplate=f"{text}<extra>inspected point</extra>"))
    fig.add_trace(go.Scatter(
        x=[x0], y=[y0], mode="markers", showlegend=False, hoverinfo="skip",
        marker={"size": 18, "symbol": "circle-open", "color": "black", "line": {"width": 1.5}}))
    return fig


def tangent_plane(fig: go.Figure, xs: np.ndarray, ys: np.ndarray, z: np.ndarray,
                  point: tuple[float, float, float], label: str) -> go.Figure:
    """A patch of the tangent plane (z has rows along y) and the point itself on a surface."""
    fig.add_trace(go.Surface(
        x=xs, y=ys, z=z, showscale=False, opacity=0.7, name="tangent plane",
        colorscale=[[0, "#f97316"], [1, "#f97316"]], hovertemplate="tangent plane<extra></extra>"))
    fig.add_trace(go.Scatter3d(
        x=[point[0]], y=[point[1]], z=[point[2]], mode="markers", name="inspected point",
        marker={"size": 5, "color": "black", "line": {"color": "white", "width": 2}},
        hovertemplate=f"{label}<extra>inspected point</extra>"))
    return fig


def line_targets(fig: go.Figure, x: np.ndarray, values: np.ndarray, name: str) -> go.Figure:
    """Invisible markers along a line (a line alone cannot be clicked): at most 500."""
    step = stride_for(len(x), 500)
    fig.add_trace(go.Scatter(
        x=np.asarray(x, dtype=np.float64)[::step], y=masked32(values)[::step], mode="markers",
        showlegend=False, name="click to inspect", marker={"size": 10, "opacity": 0},
        hovertemplate=f"{name} = %{{x:.6~g}}<br>click to inspect<extra></extra>"))
    return fig
