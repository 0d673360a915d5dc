"""Compare: two settings over the same grid — two parameter sets of one function, or two
functions — with each one's results and their difference B − A.

The page's state is its URL (v=1): ``fa`` and ``fb`` the functions (no ``fb``: B is A with its
own parameters) · ``var.NAME`` grid specs · ``pa.NAME`` / ``pb.NAME`` parameter values in A and
B · ``wrt`` (repeated) partials · ``show`` the quantity shown (``f``, ``f:x``; the first by
default) · ``view`` the open tab (``a``, ``b``, ``diff``; ``a`` by default). *Share* shows it as a
link."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import streamlit as st

from compute import (
    AxisSpec,
    Expression,
    PartialsError,
    ResourceLimitError,
    parse_constant,
    parse_expression,
    parse_grid_spec,
)
from compute.views.tables import result_columns

from . import figures
from .compute_cache import APP_LIMITS, compute_on_grid, grid_size
from .function_input import read_as
from .plot_panel import quantity_key
from .results import format_number, formatted
from .text import markdown_safe
from .url_state import LINK_SAFE_CHARS, as_lists, check_parameter, link_to, query_lists

DEFAULT: dict[str, str | list[str]] = {
    "fa": "a*sin(x)*exp(-y)", "var.x": "linspace(0, 3, 31)", "var.y": "linspace(0, 1, 11)",
    "pa.a": "1", "pb.a": "2", "wrt": ["x"],
}
VIEWS = {"a": "A", "b": "B", "diff": "B − A"}  # the results tabs; only the open one is drawn


def _seed() -> None:
    incoming = query_lists(st.query_params)
    if "cmp._seeded" in st.session_state and (not incoming.get("fa")
                                               or incoming == st.session_state.get("cmp._written")):
        return
    query = incoming if incoming.get("fa") else as_lists(DEFAULT)
    for key in [k for k in st.session_state if str(k).startswith("cmp.")]:
        del st.session_state[key]
    st.session_state["cmp._seeded"] = True
    st.session_state["cmp.fa"] = query["fa"][-1][:2000]
    st.session_state["cmp.fb"] = (query.get("fb") or [""])[-1][:2000]
    st.session_state["cmp.two"] = bool(st.session_state["cmp.fb"])
    st.session_state["cmp.wrt"] = [w[:200] for w in (query.get("wrt") or [])][:16]
    st.session_state["cmp.link"] = {k: v[-1][:2000] for k, v in query.items()
                                    if k.startswith(("var.", "pa.", "pb."))}
    st.session_state["cmp._show"] = (query.get("show") or [""])[-1][:200]
    view = (query.get("view") or ["a"])[-1]
    st.session_state["cmp._view"] = view if view in VIEWS else "a"


def render() -> None:
    _seed()
    title_col, share_col = st.columns([5, 1], vertical_alignment="bottom")
    title_col.title("Compare")
    title_col.caption("Two settings over the same grid: two parameter sets of one function, or two "
                      "functions. Tables and plots show A, B and the difference B − A.")
    _page()
    with share_col.popover("Share", icon=":material/share:", width="stretch"):
        st.markdown("This link opens the same functions, grid, parameter values, partials and tab:")
        url = link_to(st.context.url or "", st.session_state["cmp._written"])
        st.code(url, language=None, wrap_lines=True)
        if len(url) > LINK_SAFE_CHARS:
            st.warning(f"This link is {len(url):,} characters long: servers refuse links much "
                       f"over {LINK_SAFE_CHARS:,}, so it may not open.", icon=":material/warning:")


def _page() -> None:
    two = st.toggle("Compare two different functions", key="cmp.two")
    col_a, col_b = st.columns(2)
    text_a = col_a.text_area("Function A", key="cmp.fa", height=80)
    if two:
        if not st.session_state.get("cmp.fb"):
            st.session_state["cmp.fb"] = text_a
        text_b = col_b.text_area("Function B", key="cmp.fb", height=80)
    else:
        text_b = text_a
        col_b.caption("B is the same function with its own parameter values.")
    expressions: dict[str, Expression] = {}
    for label, text, col in (("A", text_a, col_a), ("B", text_b, col_b)) if two else (("A", text_a, col_a),):
        try:
            expressions[label] = parse_expression(text, APP_LIMITS)
        except PartialsError as exc:
            col.error(f"**Function {label}:** {markdown_safe(exc.describe())}", icon=":material/error:")
            continue
        with col:  # the plain form of a def, a lambda, 2t or torch.sin, as in the Explorer
            read_as(expressions[label])
    if not two and "A" in expressions:  # one function: parsed once, used for both sides
        expressions["B"] = expressions["A"]
    link = st.session_state.setdefault("cmp.link", {})
    if not expressions:  # nothing to show inputs for: the link keeps the last values
        _write_url(text_a, text_b if two else "", *_from_link(link), st.session_state.get("cmp.wrt", []))
        return
    # The inputs stay while one function is being fixed: nothing typed into them is lost.
    names = list(dict.fromkeys(n for e in expressions.values() for n in e.free_names))
    grids: dict[str, str] = {}
    axes: dict[str, AxisSpec] = {}
    params_a: dict[str, float] = {}
    params_b: dict[str, float] = {}
    ok = True
    st.markdown("## Grid variables and parameters")
    for name in names:
        is_param = f"pa.{name}" in link or f"pb.{name}" in link or (
            f"var.{name}" not in link and len([n for n in names if f"var.{n}" in link]) >= 2)
        if not link:
            is_param = names.index(name) >= 2
        c0, c1, c2 = st.columns([1, 2, 2])
        c0.markdown(f"**{name}**")
        if not is_param:
            spec = c1.text_input(f"Grid for {name}", value=link.get(f"var.{name}", "linspace(-1, 1, 21)"),
                                 key=f"cmp.var.{name}")
            try:
                axes[name] = parse_grid_spec(spec, APP_LIMITS, name)  # "k = 1, 2" is not t's
                grids[name] = spec
            except PartialsError as exc:
                c2.error(f"**Grid for {name}:** {markdown_safe(exc.describe())}", icon=":material/error:")
                ok = False
            continue
        for side, store, col in (("a", params_a, c1), ("b", params_b, c2)):
            raw = link.get(f"p{side}.{name}", link.get(f"pa.{name}", "1"))
            try:
                default = check_parameter(parse_constant(raw, APP_LIMITS))
            except PartialsError as exc:
                col.error(f"**{name} from the link:** {markdown_safe(exc.describe())}",
                          icon=":material/error:")
                default = 1.0
            typed = col.number_input(f"{name} in {side.upper()}", value=default, format="%g",
                                     key=f"cmp.p{side}.{name}")
            try:  # the same rule as the Explorer's parameters, typed or from a link
                store[name] = check_parameter(typed)
            except PartialsError as exc:
                col.error(f"**{name} in {side.upper()}:** {markdown_safe(exc.describe())}",
                          icon=":material/error:")
                ok = False
    options = list(grids) + [n for n in params_a if n not in grids]
    st.session_state["cmp.wrt"] = [w for w in st.session_state.get("cmp.wrt", []) if w in options]
    wrt = st.pills("Partials", options, selection_mode="multi", key="cmp.wrt", wrap=True,
                   format_func=lambda n: f"∂/∂{n}")
    # Remember what is shown: if a function turns invalid, its inputs come back with these values.
    link.update({f"var.{n}": v for n, v in grids.items()})
    link.update({f"pa.{n}": repr(v) for n, v in params_a.items()})
    link.update({f"pb.{n}": repr(v) for n, v in params_b.items()})
    if len(expressions) < 2:
        broken = "B" if "A" in expressions else "A"
        st.info(f"Fix function {broken} (above) to see the comparison.", icon=":material/arrow_upward:")
    elif ok and grids:
        _results(expressions["A"], expressions["B"], axes, params_a, params_b, wrt)
    else:
        st.info("Give at least one valid grid variable to compare.", icon=":material/arrow_upward:")
    _write_url(text_a, text_b if two else "", grids, params_a, params_b, wrt)


def _from_link(link: dict[str, str]) -> tuple[dict[str, str], dict[str, float], dict[str, float]]:
    """The grids and parameter values last shown (or given by the link), for the URL."""
    grids = {k[4:]: v for k, v in link.items() if k.startswith("var.")}
    values: tuple[dict[str, float], dict[str, float]] = ({}, {})
    for side, store in zip(("pa.", "pb."), values, strict=True):
        for key, raw in link.items():
            if key.startswith(side):
                with contextlib.suppress(PartialsError):
                    store[key[3:]] = check_parameter(parse_constant(raw, APP_LIMITS))
    return grids, *values


def _results(a_expression: Expression, b_expression: Expression, axes: dict[str, AxisSpec],
             params_a: dict[str, float], params_b: dict[str, float], wrt: list[str]) -> None:
    variables = tuple(axes.items())
    try:
        if grid_size(variables) > APP_LIMITS.max_points:
            raise ResourceLimitError(f"the grid is over this app's limit of {APP_LIMITS.max_points:,} points")
        a = compute_on_grid(a_expression, variables, tuple(params_a.items()), tuple(wrt))
        b = compute_on_grid(b_expression, variables, tuple(params_b.items()), tuple(wrt))
    except PartialsError as exc:
        st.error(markdown_safe(exc.describe()), icon=":material/error:")
        return
    cols_a = {(c.output if len(a.outputs) > 1 else "", c.wrt): c for c in result_columns(a)}
    cols_b = {(c.output if len(b.outputs) > 1 else "", c.wrt): c for c in result_columns(b)}
    shared = [k for k in cols_a if k in cols_b]
    if not shared:
        st.warning("A and B have no quantity in common (different output names).")
        return
    labels = {k: cols_a[k].label for k in shared}
    if st.session_state.get("cmp.show") not in shared:  # first run, a link, or a quantity gone
        by_key = {quantity_key(cols_a[k]): k for k in shared}
        st.session_state["cmp.show"] = by_key.get(st.session_state.get("cmp._show", ""), shared[0])
    st.markdown("## Results")
    choice = st.selectbox("Quantity", shared, format_func=labels.__getitem__, key="cmp.show")
    st.session_state["cmp._show"] = "" if choice == shared[0] else quantity_key(cols_a[choice])
    va, vb = cols_a[choice].values, cols_b[choice].values
    diff = vb - va
    finite = diff[np.isfinite(diff)]
    st.metric("largest |B − A|", format_number(float(np.max(np.abs(finite)))) if finite.size else "—")
    if st.session_state.get("cmp.view") not in VIEWS.values():
        st.session_state["cmp.view"] = VIEWS[st.session_state.get("cmp._view", "a")]
    # Only the open tab is drawn (plain st.tabs would draw all three plots on every run).
    tabs = st.tabs(list(VIEWS.values()), key="cmp.view", on_change="rerun")
    side = {label: name for name, label in VIEWS.items()}[st.session_state["cmp.view"]]
    st.session_state["cmp._view"] = side
    label = labels[choice]
    titles = {"a": f"{label} (A)", "b": f"{label} (B)", "diff": f"B − A: {label}"}
    with tabs[list(VIEWS).index(side)]:
        _show(a, a.domain.names, {"a": va, "b": vb, "diff": diff}[side], titles[side], side)


def _show(result, names, values: np.ndarray, label: str, side: str) -> None:
    """``label`` titles the plot and names the values' column: "∂f/∂x (A)", "B − A: ∂f/∂x"."""
    grid = result.domain
    if len(names) == 2:
        x, y = grid.axis(names[0]), grid.axis(names[1])
        sx, sy = figures.stride_for(len(x)), figures.stride_for(len(y))
        st.plotly_chart(figures.heatmap(x[::sx], y[::sy], values[::sx, ::sy], names, label),
                        width="stretch", key=f"cmp.plot.{side}")
        frame = pd.DataFrame(values, index=pd.Index(x, name=names[0]), columns=pd.Index(y, name=names[1]))
    elif len(names) == 1:
        x = grid.axis(names[0])
        st.plotly_chart(figures.lines(x, {label: values}, names[0]), width="stretch",
                        key=f"cmp.plot.{side}")
        frame = pd.DataFrame({names[0]: x, label: values})
    else:
        frame = pd.DataFrame({**{n: v.reshape(-1) for n, v in grid.coordinates(0, grid.size).items()},
                              label: values.reshape(-1)})
    if frame.size <= 2500:  # grid values as typed ("0.1", not "0.1000"), as in the Explorer
        st.table(formatted(frame, 10) if len(names) == 2 else frame.map(lambda v: format_number(float(v))),
                 hide_index=len(names) != 2)
    else:
        st.dataframe(frame, width="stretch", height=300)


def _write_url(text_a, text_b, grids, params_a, params_b, wrt) -> None:
    query: dict[str, str | list[str]] = {"v": "1", "fa": text_a}
    if text_b:
        query["fb"] = text_b
    query.update({f"var.{n}": s for n, s in grids.items()})
    query.update({f"pa.{n}": repr(float(v)) for n, v in params_a.items()})
    query.update({f"pb.{n}": repr(float(v)) for n, v in params_b.items()})
    if wrt:
        query["wrt"] = list(wrt)
    if st.session_state.get("cmp._show"):
        query["show"] = st.session_state["cmp._show"]
    if st.session_state.get("cmp._view", "a") != "a":
        query["view"] = st.session_state["cmp._view"]
    if as_lists(query) != query_lists(st.query_params):
        st.query_params.from_dict(query)
    st.session_state["cmp._written"] = as_lists(query)
