"""The gallery: worked examples as cards, each one click away from the Explorer."""

from __future__ import annotations

import streamlit as st

from compute.examples import EXAMPLES, Example

from .url_state import ViewState


def example_state(example: Example) -> ViewState:
    """The Explorer view for an example: the same share-link mechanism a user would send."""
    return ViewState(
        function=example.function,
        grids=example.grids,
        params=tuple((n, repr(v)) for n, v in example.params),
        wrt=example.wrt,
        plot=example.plot,
        show=example.show,
        axes=example.axes,
        at=tuple((n, repr(v)) for n, v in example.at),
    )


def render(explorer_page) -> None:
    st.title("Gallery")
    st.caption("Worked examples. Each card states a fact you can check on screen; open it in the "
               "Explorer to see every number, change the grids, and slide the parameters.")
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
            st.page_link(explorer_page, label="Open in Explorer", icon=":material/open_in_new:",
                         query_params=example_state(example).to_query())
