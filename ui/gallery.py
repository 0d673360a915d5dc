"""The gallery: worked examples as cards, each one click away from the Explorer, each with its
fact computed beside it (and again in the Explorer when it shows that example).

A fact's readings come from worker jobs like every other number of the app (the result cache is
shared, so the Explorer opening the example reuses them): the inspector's one-point job at the
example's point, or the grid's job.
"""

from __future__ import annotations

import functools

import streamlit as st

from compute import Expression, PartialsError, ResourceLimitError, parse_expression
from compute.engines.inspect import point_columns
from compute.examples import EXAMPLES, Example
from compute.language.grid import grid_axes
from compute.views.tables import exact_text

from .compute_cache import APP_LIMITS, fetch, grid_request, points_request
from .inputs import Inputs
from .results import format_number
from .text import markdown_safe
from .url_state import ViewState


def example_state(example: Example) -> ViewState:
    """The Explorer view for an example: the same share-link mechanism a user would send, with
    the inspector open at the example's point."""
    return ViewState(
        function=example.function,
        grids=example.grids,
        params=tuple((n, repr(v)) for n, v in example.params),
        wrt=example.wrt,
        plot=example.plot,
        show=example.show,
        axes=example.axes,
        at=tuple((n, repr(v)) for n, v in example.at),
        inspect=tuple((n, exact_text(v)) for n, v in example.inspect),
    )


@functools.lru_cache(maxsize=64)
def _parsed(function: str) -> Expression:
    """An example's function, parsed once per server (the examples are constants)."""
    return parse_expression(function, APP_LIMITS)


def readings(example: Example) -> list[tuple[str, float, float, bool]]:
    """(label, computed, stated, holds) per reading, computed by worker jobs (cached)."""
    expression = _parsed(example.function)
    results = {}
    if any(r.scope == "point" for r in example.readings):
        results["point"] = fetch(points_request(expression, point_columns(dict(example.inspect)),
                                                example.params, example.inspection_wrt()))
    if any(r.scope == "grid" for r in example.readings):
        results["grid"] = fetch(grid_request(expression, grid_axes(dict(example.grids), APP_LIMITS),
                                             example.params, example.wrt))
    out = []
    for reading in example.readings:
        shown = example.read(reading, results[reading.scope])
        out.append((reading.label, shown, reading.expected, reading.holds(shown)))
    return out


def render_readings(example: Example) -> None:
    """The fact's numbers as computed: a line per reading, ✓ when it is what the fact states."""
    try:
        found = readings(example)
    except (PartialsError, ResourceLimitError) as exc:
        st.error(f"Could not compute the fact: {markdown_safe(exc.describe())}", icon=":material/error:")
        return
    lines = []
    for label, shown, stated, holds in found:
        mark = "✓" if holds else f"✗ — the fact says {format_number(stated)}"
        lines.append(f"- {label} = **{format_number(shown)}** {mark}")
    st.markdown("**Computed:**\n" + "\n".join(lines))


def matching_example(inputs: Inputs) -> Example | None:
    """The example the Explorer shows: same function, grids as typed and parameter values."""
    if inputs.mode != "grid":
        return None
    for example in EXAMPLES:
        if (inputs.text.strip() == example.function.strip() and dict(inputs.grids) == dict(example.grids)
                and dict(inputs.params) == dict(example.params)):
            return example
    return None


def explorer_fact(slot, inputs: Inputs) -> None:
    """In the Explorer, above the results: the gallery fact of the example on screen, computed."""
    example = matching_example(inputs)
    if example is None:
        return
    try:
        found = readings(example)
        verdict = " ✓" if all(holds for *_, holds in found) else " ✗"
    except (PartialsError, ResourceLimitError):
        verdict = ""
    # One line until opened: the fact must not push the answer (the tables) off a phone's screen.
    with slot.expander(f"Gallery fact{verdict} — {example.title}", icon=":material/fact_check:"):
        st.markdown(f"**Gallery fact — {example.title}.** {example.fact}")
        render_readings(example)
        where = ", ".join(f"{n} = {v:g}" for n, v in example.inspect)
        st.caption(f"The point readings are the inspector's numbers at {where} (open *Inspect a "
                   "point* below); grid readings use every grid point.")


def render(explorer_page) -> None:
    st.title("Gallery")
    st.caption("Worked examples. Each card states a fact and shows it computed — at the example's "
               "point by the point inspector, or over its whole grid; open it in the Explorer to "
               "see every number, change the grids, and slide the parameters.")
    columns = st.columns(2, gap="medium")
    for i, example in enumerate(EXAMPLES):
        with columns[i % 2].container(border=True):
            st.header(example.title)
            st.write(example.story)
            st.code(example.function, language=None, wrap_lines=True)
            details = [f"{n} = {s}" for n, s in example.grids]
            details += [f"{n} = {v:g} (parameter)" for n, v in example.params]
            st.caption(" · ".join(details))
            st.markdown(f"**Check:** {example.fact}")
            render_readings(example)
            st.page_link(explorer_page, label="Open in Explorer", icon=":material/open_in_new:",
                         query_params=example_state(example).to_query())
