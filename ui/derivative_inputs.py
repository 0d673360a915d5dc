"""The Explorer's partials: first partials as pills, a box for higher and mixed ones (any spec
form typed there becomes its option), the bundles, the precision, and a link's ``wrt`` sorted
into them."""

from __future__ import annotations

import itertools
import re

import streamlit as st

from compute import Expression, PartialsError, partial_label
from compute.language.derivative_forms import order_room
from compute.language.derivatives import BUNDLES, parse_request

from .compute_cache import APP_LIMITS
from .inputs import Inputs, remember, remembered, widget_memory
from .text import markdown_safe


def derivatives_input(expression: Expression, inputs: Inputs, grid_names: tuple[str, ...]) -> None:
    """First partials as toggles, a builder for higher and mixed ones, and the bundles.

    The user's choices stay while they are possible: a grid being edited (or invalid for a
    moment) keeps its partials. A partial whose name left the function, one whose order with the
    function's own ``diff(...)`` passes the limit, or a Jacobian of a function that now has one
    output, is dropped and said. A function whose names are all new starts over: every first
    partial (none when its ``diff`` already takes the most allowed), no higher ones, no bundles.
    ``grid_names`` are the names with values (valid grids or point columns); the choices follow
    the roles instead."""
    memory = widget_memory()
    param_names = tuple(n for n, _ in inputs.params)
    grid_names = tuple(n for n in expression.free_names
                       if n not in param_names and memory.get(f"role.{n}", "grid") == "grid")
    names = grid_names + param_names
    room = order_room(expression, APP_LIMITS)  # the order a partial may have on top of diff()'s
    firsts = list(grid_names) if room > 0 else []
    link_wrt = memory.pop("_link_wrt", None)
    if link_wrt is not None:
        _seed_derivatives(link_wrt, grid_names, param_names, expression)
    # A vector-valued function's partials apply to every output: ∂/∂r, not one output's name.
    out = expression.output_names[0] if not expression.is_vector else ""
    before = memory.get("_names_before")
    if link_wrt is None and before is not None and set(before) != set(expression.free_names):
        if not set(before) & set(expression.free_names):  # an unrelated function: start over
            for key, value in (("d1", firsts), ("higher", []), ("bundles", [])):
                memory[key] = value
                st.session_state.pop(key, None)
            memory.pop("_dropped", None)
        else:
            _drop_impossible(expression, before, out)
    bundles = [b for b in BUNDLES if (b != "jacobian" or expression.is_vector)
               and _within_order(b, grid_names, param_names, expression)]
    if "jacobian" in (memory.get("bundles") or []) and not expression.is_vector:
        _drop_impossible(expression, expression.free_names, out)
    _drop_over_order(expression, room, out, grid_names, param_names)
    _order_note(expression, room)
    dropped_text, dropped = memory.get("_dropped", ("", ""))
    remembered("d1", firsts)
    st.session_state["d1"] = [n for n in st.session_state["d1"] or [] if n in names and room > 0]
    if dropped and dropped_text == expression.text:
        st.caption(f":material/info: {dropped}")
    if room > 0:
        st.pills("First partials", names, selection_mode="multi", key="d1", wrap=True,
                 format_func=lambda n: partial_label(out, (n,))
                 + (" (parameter)" if n in param_names else ""))
    remember("d1")
    higher_options = [",".join(c) for order in range(2, room + 1)
                      for c in itertools.combinations_with_replacement(names, order)]
    remembered("higher", [])
    st.session_state["higher"] = [h for h in st.session_state["higher"] if h in higher_options]
    # The label carries the spec (t,k) so typing it finds the option; a spec typed in another form
    # (tk, d2f/dtdk, f_tk) is accepted and replaced by its option (issue 11).
    if room > 1:
        st.multiselect("Higher and mixed partials", higher_options, key="higher",
                       format_func=lambda h: f"{partial_label(out, tuple(h.split(',')))}  ({h})",
                       placeholder="e.g. t,k or ∂²f/∂t∂k — type and press Enter",
                       # "contains", not Streamlit's fuzzy default: typed "tk" (or d2f/dtdk) matched
                       # t,t,k as a subsequence and Enter took it; now it matches no option and is read
                       # as the spec it is.
                       accept_new_options=True, select_all=False, filter_mode="contains",
                       on_change=_typed_partials,
                       args=(grid_names, param_names, tuple(higher_options), expression))
    typed_error = memory.pop("_typed_partial_error", None)
    if typed_error:
        st.error(f"**Higher and mixed partials:** {typed_error}", icon=":material/error:")
    remember("higher")
    remembered("bundles", [])
    st.session_state["bundles"] = [b for b in st.session_state["bundles"] if b in bundles]
    if bundles:
        st.pills("Bundles", bundles, selection_mode="multi", key="bundles", wrap=True,
                 format_func=lambda b: b.capitalize() if b != "hessian" else "Hessian")
    remember("bundles")
    remembered("dtype", "float64")
    st.segmented_control("Precision", ["float64", "float32"], key="dtype", wrap=True)
    if st.session_state.get("dtype") is None:
        st.session_state["dtype"] = "float64"
    remember("dtype")
    inputs.dtype = st.session_state["dtype"]
    inputs.wrt = tuple(st.session_state["d1"]) + tuple(st.session_state["higher"]) + tuple(
        st.session_state["bundles"])
    inputs.state["wrt"] = inputs.wrt
    inputs.state["dtype"] = inputs.dtype


def _within_order(spec: str, grid_names: tuple[str, ...], param_names: tuple[str, ...],
                  expression: Expression) -> bool:
    """Whether ``spec`` stays within the order limit, counting the function's own ``diff``
    (the check the computation makes, so nothing offered is refused later)."""
    try:
        parse_request(spec, grid_names, param_names, APP_LIMITS, expression)
    except PartialsError:
        return False
    return True


def _order_note(expression: Expression, room: int) -> None:
    """Say why fewer partials are offered when the function already takes derivatives."""
    if not expression.inner_orders:
        return
    output, inner, line, column = max(expression.inner_orders, key=lambda entry: entry[1])
    where = f"diff() at line {line}, column {column} takes {inner} in {output}"
    if room > 0:
        st.caption(f"Partials here go up to order {room}: {where}, and {APP_LIMITS.max_order} is "
                   "the most in all.")
    else:
        st.caption(f"No partials can be asked for: {where}, the most allowed "
                   f"({APP_LIMITS.max_order}).")


def _drop_over_order(expression: Expression, room: int, out: str, grid_names: tuple[str, ...],
                     param_names: tuple[str, ...]) -> None:
    """Remove the chosen partials whose order with the function's own ``diff`` passes the limit
    (the function was just edited to take more); remember a sentence saying which."""
    if not expression.inner_orders:
        return
    memory = widget_memory()
    chosen = {key: list(st.session_state.get(key, memory.get(key)) or [])
              for key in ("d1", "higher", "bundles")}
    kept = {"d1": chosen["d1"] if room > 0 else [],
            "higher": [h for h in chosen["higher"] if len(h.split(",")) <= room],
            "bundles": [b for b in chosen["bundles"]
                        if _within_order(b, grid_names, param_names, expression)]}
    lost = [partial_label(out, (n,)) for n in chosen["d1"] if n not in kept["d1"]]
    lost += [partial_label(out, tuple(h.split(","))) for h in chosen["higher"] if h not in kept["higher"]]
    lost += [f"the {b.capitalize() if b != 'hessian' else 'Hessian'}" for b in chosen["bundles"]
             if b not in kept["bundles"]]
    if not lost:
        return
    for key, value in kept.items():
        memory[key] = value
        st.session_state.pop(key, None)
    output, inner, _, _ = max(expression.inner_orders, key=lambda entry: entry[1])
    sentence = (f"Dropped {', '.join(lost)}: {output} already takes {inner} derivatives with "
                f"diff(), and {APP_LIMITS.max_order} is the most in all.")
    noted_text, noted = memory.get("_dropped", ("", ""))
    memory["_dropped"] = (expression.text, f"{noted} {sentence}" if noted_text == expression.text
                          and noted else sentence)


_LABELLED_SPEC = re.compile(r".*\s\(([^()]+)\)\s*")


def _typed_partials(grid_names: tuple[str, ...], param_names: tuple[str, ...],
                    options: tuple[str, ...], expression: Expression) -> None:
    """A spec typed into the partials box (``tk``, ``∂²f/∂t∂k``, ``f_tk``) becomes its option
    (``t,k``; an order-1 spec goes to the first partials); an invalid one is dropped and said."""
    order = {n: i for i, n in enumerate(grid_names + param_names)}
    chosen: list[str] = []
    for value in st.session_state.get("higher") or []:
        labelled = _LABELLED_SPEC.fullmatch(str(value))  # "∂²f/∂t∂k  (t,k)", an option's label
        spec = labelled[1] if labelled else str(value)
        if spec in options:
            chosen.append(spec)
            continue
        try:
            request = parse_request(spec, grid_names, param_names, APP_LIMITS, expression)
        except PartialsError as exc:  # it names the spec, as the CLI does
            widget_memory()["_typed_partial_error"] = markdown_safe(exc.describe())
            continue
        if request.kind != "partial":
            bundles = list(st.session_state.get("bundles") or [])
            st.session_state["bundles"] = bundles + [request.kind] * (request.kind not in bundles)
            continue
        names = sorted(request.components[0], key=order.__getitem__)
        if len(names) == 1:
            d1 = list(st.session_state.get("d1") or [])
            st.session_state["d1"] = d1 + names * (names[0] not in d1)
        elif ",".join(names) not in chosen:
            chosen.append(",".join(names))
    st.session_state["higher"] = chosen


def _drop_impossible(expression: Expression, before: tuple[str, ...], out: str) -> None:
    """Remove the chosen partials that name a name no longer in the function, and a Jacobian of a
    function with one output; remember a sentence saying which and why (shown until the
    function changes again)."""
    memory = widget_memory()
    present = set(expression.free_names)
    gone = [n for n in before if n not in present]
    d1 = [n for n in memory.get("d1") or [] if n in present]
    grids_before = {n for n in before if memory.get(f"role.{n}", "grid") == "grid"}
    if grids_before and grids_before <= set(memory.get("d1") or []):  # every first partial: so too
        d1 += [n for n in expression.free_names  # for a new grid variable
               if n not in before and memory.get(f"role.{n}") == "grid" and n not in d1]
    lost = [partial_label(out, (n,)) for n in memory.get("d1") or [] if n not in present]
    higher = []
    for spec in memory.get("higher") or []:
        if set(spec.split(",")) <= present:
            higher.append(spec)
        else:
            lost.append(partial_label(out, tuple(spec.split(","))))
    bundles = list(memory.get("bundles") or [])
    sentences = []
    if lost:
        verb = "is" if len(gone) == 1 else "are"
        sentences.append(f"Dropped {', '.join(lost)}: {', '.join(gone)} {verb} no longer in the "
                         "function.")
    if "jacobian" in bundles and not expression.is_vector:
        bundles.remove("jacobian")
        sentences.append("Dropped the Jacobian: the function now has one output.")
    memory["d1"], memory["higher"], memory["bundles"] = d1, higher, bundles
    for key in ("d1", "higher", "bundles"):
        st.session_state.pop(key, None)
    if sentences:
        memory["_dropped"] = (expression.text, " ".join(sentences))
    elif memory.get("_dropped", ("",))[0] != expression.text:
        memory.pop("_dropped", None)


def _seed_derivatives(specs: list[str], grid_names: tuple[str, ...], param_names: tuple[str, ...],
                      expression: Expression) -> None:
    """Sort a link's ``wrt`` values into the three pickers; report the ones that are invalid,
    with the CLI's message (an order counted with the function's own ``diff`` included)."""
    d1, higher, bundles, problems = [], [], [], []
    order = {n: i for i, n in enumerate(grid_names + param_names)}
    for spec in specs:
        try:
            request = parse_request(spec, grid_names, param_names, APP_LIMITS, expression)
        except PartialsError as exc:  # it names the spec, as the CLI does
            problems.append(markdown_safe(exc.describe()))
            continue
        if request.kind != "partial":
            if request.kind != "jacobian" or expression.is_vector:
                bundles.append(request.kind)
        elif len(request.components[0]) == 1:
            d1.append(request.components[0][0])
        else:
            higher.append(",".join(sorted(request.components[0], key=order.__getitem__)))
    memory = widget_memory()
    # One spelling each: "tk", "∂²f/∂t∂k" and "t,k" in one link are one choice (issue 11).
    memory["d1"], memory["higher"], memory["bundles"] = (
        list(dict.fromkeys(d1)), list(dict.fromkeys(higher)), list(dict.fromkeys(bundles)))
    for key in ("d1", "higher", "bundles"):
        st.session_state.pop(key, None)
    if problems:
        st.error("**Partials from the link were ignored:** " + "; ".join(problems), icon=":material/error:")
