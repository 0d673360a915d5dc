"""The Explorer's "torch code" tab: runnable code in the view's dtype, within a size budget, and
the points file it reads when the points are too many to write into it."""

from __future__ import annotations

import streamlit as st

from compute import PartialsResult
from compute.language.grid import AxisSpec, Points
from compute.views.codegen import (
    POINTS_FILE,
    SNIPPET_BUDGET,
    points_csv,
    reads_points_file,
    too_long_to_show,
    torch_snippet,
)

POINTS_CSV_MAX_NUMBERS = 1_000_000  # the points file is offered up to here (~1 s, ~20 MB to build)


def code_panel(result: PartialsResult, specs: dict[str, AxisSpec], budget: int = SNIPPET_BUDGET) -> None:
    """The code when it fits ``budget`` characters (else why not, and a download of it)."""
    domain = result.domain
    code = torch_snippet(result.expression, domain, result.params, result.components(), specs,
                         dtype=result.dtype, points_file=POINTS_FILE)
    st.caption(f"Runnable as it is: recomputes these numbers with torch.func (vmap over points "
               f"of nested grad) in {result.dtype} and prints them.")
    if isinstance(domain, Points) and reads_points_file(domain):
        numbers = domain.size * len(domain.names)
        note = (f"The {domain.size:,} points are too many to write into the code: it reads them from "
                f"**{POINTS_FILE}** next to it: a header `{','.join(domain.names)}`, then one row per "
                "point, as in a CSV you uploaded (which works as it is).")
        if numbers > POINTS_CSV_MAX_NUMBERS:  # built on the event loop: ~1 s a million numbers
            st.info(note, icon=":material/description:")
        else:
            text, button = st.columns([3, 2], vertical_alignment="center")
            text.info(note, icon=":material/description:")
            button.download_button(f"Download {POINTS_FILE}", lambda: points_csv(domain).encode("utf-8"),
                                   file_name=POINTS_FILE, mime="text/csv", key="dl_points_csv",
                                   on_click="ignore", icon=":material/download:")
    reason = too_long_to_show(code, budget)
    if reason is None:
        st.code(code, language="python")
        return
    st.warning(reason, icon=":material/code_off:")
    st.download_button("Download the code (partials_torch.py)", code.encode("utf-8"),
                       file_name="partials_torch.py", mime="text/x-python", key="dl_code",
                       on_click="ignore", icon=":material/download:")
