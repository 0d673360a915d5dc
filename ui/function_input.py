"""The Explorer's function box: the text, its Syntax reference, the plain form of what was typed
another way ("Read as"), and notes on new names that look like typos of old ones."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from compute import Expression, PartialsError, parse_expression
from compute.language.domains import typo_hints

from .compute_cache import APP_LIMITS
from .inputs import remember, remembered, widget_memory
from .syntax import SYNTAX_HELP
from .text import markdown_safe


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
        st.error(f"**Function:** {markdown_safe(exc.describe())}", icon=":material/error:")
        return text, None
    notes = _new_name_notes(expression)
    read_as(expression, notes)
    if notes:
        st.warning("  \n".join(notes), icon=":material/spellcheck:")
    return text, expression


def read_as(expression: Expression, notes: Sequence[str] = ()) -> None:
    """Issue 11: the plain form of what was typed another way (``2tk``, a def, ``torch.sin``), so
    the user learns it, and a hint for names that are other names run together (``tk``) unless
    a note on a new name already says so."""
    if expression.read_as is not None:
        st.caption("Read as:")
        st.code(expression.read_as, language="python", wrap_lines=True)
    for name, product in expression.hints:
        if not any(f"'{markdown_safe(name)}'" in note for note in notes):
            st.warning(f"**'{markdown_safe(name)}' is one name** (names are never split) — did you mean "
                       f"`{product}`?",
                       icon=":material/spellcheck:")


def _new_name_notes(expression: Expression) -> list[str]:
    """Notes on names the last edit of the function introduced that look like typos of names
    it already had (``yy`` beside y, ``tk`` beside t and k). They stay until the function is
    edited again. Also records the names before this run's function (``_names_before``) for
    ``derivatives_input``: None on a first visit or a new link, which start as the link says."""
    memory = widget_memory()
    names = expression.free_names
    before = memory.get("_names")
    memory["_names_before"], memory["_names"] = before, names
    noted_text, notes = memory.get("_name_notes", ("", []))
    if before is not None and tuple(before) != names:
        known = set(before) | set(names)
        notes = []
        for name in names:
            hints = typo_hints(name, known, new=set(names) - set(before)) if name not in before else []
            if hints:
                notes.append(f"**'{markdown_safe(name)}' is a new name** — did you mean "
                             f"{' or '.join(f'`{hint}`' for hint in hints)}?")
        memory["_name_notes"] = (expression.text, notes)
    elif noted_text != expression.text:
        memory["_name_notes"] = (expression.text, [])
        notes = []
    return notes

