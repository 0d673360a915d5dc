"""The Explorer page: inputs on the left, results on the right, the whole view in the URL."""

from __future__ import annotations

import time

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from compute import PartialsError, ResourceLimitError

from . import gallery, inspector, style
from .code_panel import code_panel
from .compute_cache import APP_LIMITS, ResultRef, fetch, grid_request, grid_size, points_request
from .derivative_inputs import derivatives_input
from .downloads import cli_command
from .function_input import function_input
from .inputs import Inputs, remember, remembered
from .link_memory import animation_state, seed_from_link, slice_positions
from .plot_panel import plot_panel
from .points_input import points_input
from .results import render_summary, render_tables
from .text import markdown_safe
from .url_state import (
    LINK_MAX_POINTS,
    LINK_SAFE_CHARS,
    VIEWS,
    ViewState,
    query_lists,
    read_query,
    share_url,
    sync_query_params,
)
from .variable_inputs import variables_input

VIEW_LABELS = dict(zip(VIEWS, (":material/table: Tables", ":material/show_chart: Plot",
                               ":material/code: torch code"), strict=True))


def render() -> None:
    st.session_state["_full_run"] = True  # the plot fragment reruns the page only outside one
    incoming = query_lists(st.query_params)
    arrived = incoming.get("f") and incoming != st.session_state.get("_written")
    if "_seeded" not in st.session_state or arrived:  # first visit, or a link / gallery card
        state, notes = read_query(incoming)
        seed_from_link(state)
        inspector.seed(state.inspect)
        st.session_state.pop("view", None)  # the results tab: the link's, not the one open before
        st.session_state["_results_view"] = state.view
        st.session_state["_seeded"] = True
        st.session_state["_link_notes"] = notes
    title_col, share_col = st.columns([5, 1], vertical_alignment="bottom")
    title_col.title("∂ Partials")
    title_col.caption("Type a function, give each variable a grid, and read every partial "
                      "derivative you ask for — exact to float64 — at every grid point.")
    for note in st.session_state.pop("_link_notes", []):
        st.warning(f"Share link: {markdown_safe(note)}", icon=":material/link:")

    inputs_col, results_col = st.columns([9, 11], gap="large")
    # On a phone the results come first (ui/style.py), with links between them and the inputs.
    with inputs_col, st.container(key=style.INPUTS_KEY):
        st.container(key=f"{style.PHONE_ONLY}_inputs").header("Inputs", anchor="inputs")
        inputs = _inputs()
        st.container(key=f"{style.PHONE_ONLY}_back").markdown("[↑ Back to the results](#results)")
    with results_col, st.container(key=style.RESULTS_KEY):
        with st.container(key=f"{style.PHONE_ONLY}_results"):
            st.header("Results", anchor="results")
            st.markdown("[Edit the function, grids and partials ↓](#inputs)")
        if inputs.expression is not None and inputs.ok:
            _results(inputs)
        elif inputs.expression is not None:
            st.info("Fix the input with an error message to see results.", icon=":material/error:")
        else:
            st.info("Fix the function (its message says what is wrong and where) to see results.",
                    icon=":material/error:")
    state = _view_state(inputs)
    st.session_state["_view"] = state
    st.session_state["_written"] = sync_query_params(st.query_params, state)
    with share_col.popover("Share", icon=":material/share:", width="stretch"):
        st.markdown("This link opens the same function, grids, parameters, partials, tab and plot "
                    "(and animation, when one plays; and the inspected point, while the inspector "
                    "is open):")
        url = share_url(st.context.url or "", state)
        st.code(url, language=None, wrap_lines=True)
        if len(url) > LINK_SAFE_CHARS:
            st.warning(f"This link is {len(url):,} characters long: servers refuse links much "
                       f"over {LINK_SAFE_CHARS:,} (this one's limit is 16 KiB over a network), so "
                       "it may not open.", icon=":material/warning:")
        left_out = inputs.state.get("points_not_linked") if inputs.mode == "points" else None
        if left_out:
            st.warning(f"The link does not carry your {left_out:,} points (it carries tables of up "
                       f"to {LINK_MAX_POINTS} rows): it opens with the example points. Send the "
                       "points as a CSV with it.", icon=":material/warning:")
    st.session_state["_full_run"] = False


def _inputs() -> Inputs:
    text, expression = function_input()
    inputs = Inputs(text=text, expression=expression)
    if expression is None:
        inputs.ok = False
        return inputs
    remembered("mode", "grid")
    st.segmented_control("Evaluate on", ["grid", "points"], key="mode", wrap=True,
                         format_func={"grid": "a grid", "points": "scattered points"}.__getitem__)
    if st.session_state.get("mode") is None:
        st.session_state["mode"] = "grid"
    remember("mode")
    inputs.mode = st.session_state["mode"]
    st.markdown("## Variables and parameters")
    variables_input(expression, inputs, inputs.mode)
    grid_names = tuple(n for n, _ in inputs.axes)
    if inputs.mode == "points":
        points_input(expression, inputs)
        grid_names = tuple(n for n, _ in inputs.points)
    st.markdown("## Partials")
    derivatives_input(expression, inputs, grid_names)
    return inputs


def _results(inputs: Inputs) -> None:
    start = time.perf_counter()
    try:
        assert inputs.expression is not None  # the results follow valid inputs only
        if inputs.mode == "points":
            size = len(inputs.points[0][1]) if inputs.points else 0
            with st.spinner(f"Computing {size:,} points…"):
                request = points_request(inputs.expression, inputs.points, inputs.params, inputs.wrt,
                                         inputs.dtype)
                result = fetch(request)
        else:
            size = grid_size(inputs.axes)
            if size > APP_LIMITS.max_points:
                raise ResourceLimitError(f"the grid has {size:,} points; this app's limit is "
                                         f"{APP_LIMITS.max_points:,} (the CLI goes further)")
            with st.spinner(f"Computing {size:,} points…"):
                request = grid_request(inputs.expression, inputs.axes, inputs.params, inputs.wrt,
                                       inputs.dtype)
                result = fetch(request)
    except ResourceLimitError as exc:
        st.error(f"**Too big:** {markdown_safe(exc.describe())}", icon=":material/block:")
        return
    except PartialsError as exc:
        st.error(markdown_safe(exc.describe()), icon=":material/error:")
        return
    except MemoryError:
        st.error("Out of memory — try a smaller grid or fewer partials.", icon=":material/block:")
        return
    render_summary(result, time.perf_counter() - start)
    inspect_box = inspector.box(result)  # closed: runs nothing; open: one point, one quick job
    view, tab = _view_tabs()
    with tab:  # only the open tab is drawn: the others cost the server and the browser nothing
        if view == "tables":
            render_tables(result, cli_command(
                inputs.text, inputs.grids if inputs.mode != "points" else (), inputs.params,
                inputs.wrt, inputs.dtype, points_file="points.csv" if inputs.mode == "points" else None),
                grids=inputs.grids if inputs.mode != "points" else ())
        elif view == "plot":
            plot_panel(ResultRef(request))
        else:
            code_panel(result, dict(request.grids))
    inspector.fill(inspect_box, inputs, result)
    gallery.explorer_fact(st.container(), inputs)  # a gallery example's fact, after its numbers


def _view_tabs() -> tuple[str, DeltaGenerator]:
    """Tables, Plot and torch code as tabs that draw only the open one. Plain ``st.tabs`` draws
    every tab's content, hidden or not: a fresh browser opening a link paid for Plotly's 4.6 MB
    script and a 3-D surface nobody was looking at before its first table (issue 9). Switching
    tabs reruns the page; results come from the cache. The open tab is ``view`` in the link."""
    names = {label: name for name, label in VIEW_LABELS.items()}
    if st.session_state.get("view") not in names:  # first run, a link, or back from an error
        st.session_state["view"] = VIEW_LABELS[st.session_state.get("_results_view", "tables")]
    tabs = st.tabs(list(VIEW_LABELS.values()), key="view", on_change="rerun")
    view = names[st.session_state["view"]]
    st.session_state["_results_view"] = view
    return view, tabs[VIEWS.index(view)]


def _view_state(inputs: Inputs) -> ViewState:
    s = inputs.state
    digits = st.session_state.get("digits", 10)
    return ViewState(
        function=inputs.text,
        mode=inputs.mode,
        grids=s.get("grids", ()),
        params=s.get("params", ()),
        ranges=s.get("ranges", ()),
        points=s.get("points", ()) if inputs.mode == "points" else (),
        wrt=s.get("wrt", ()),
        dtype=s.get("dtype", "float64"),
        plot=st.session_state.get("plot") or "surface",
        show=st.session_state.get("show") or "",
        axes=st.session_state.get("axes") or "",
        at=slice_positions(),
        digits="" if digits == 10 else str(digits),
        anim=animation_state(dict(s.get("params", ()))),
        view=st.session_state.get("_results_view", "tables"),
        inspect=inspector.link_state(),
    )
