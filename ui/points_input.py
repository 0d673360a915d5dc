"""Scattered points: an editable table (one column per grid variable) or an uploaded CSV, parsed
once per distinct file."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from compute import Expression, PartialsError, parse_constant, points_from_csv
from compute.caches import BoundedCache
from compute.language.grid import check_point_columns, make_points

from .compute_cache import APP_LIMITS
from .inputs import Inputs, widget_memory
from .text import markdown_safe
from .url_state import LINK_MAX_POINTS

_UPLOADS: BoundedCache[tuple[tuple[str, tuple[float, ...]], ...]] = BoundedCache(
    256 * 2**20, lambda points: 64 + sum(32 * len(values) for _, values in points), ttl_seconds=3600)


def uploaded_points(data: bytes) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """An upload's validated columns, parsed once per distinct file (by content digest): every
    rerun of the page sees the same upload, and parsing 1 M rows takes over a second."""
    digest = hashlib.sha256(data).digest()

    def parse() -> tuple[tuple[str, tuple[float, ...]], ...]:
        points = points_from_csv(data.decode("utf-8", errors="replace"), APP_LIMITS)
        return tuple((n, tuple(v.tolist())) for n, v in points.columns)

    return _UPLOADS.get_or_compute(digest, parse)


def points_input(expression: Expression, inputs: Inputs) -> None:
    """Scattered points: an editable table (one column per variable) or an uploaded CSV."""
    names = [n for n in expression.free_names
             if widget_memory().get(f"role.{n}", "grid") == "grid"]
    if not names:
        st.info("Mark at least one name as a grid variable to give it points.")
        inputs.ok = False
        return
    upload = st.file_uploader("Upload points (CSV with a header of variable names)", type=["csv"],
                              key="pts_upload")
    if upload is not None:
        try:
            points = uploaded_points(upload.getvalue())
            params = [n for n in expression.free_names if n not in names]
            check_point_columns([n for n, _ in points], names, params)
            inputs.points = points
        except PartialsError as exc:
            st.error(f"**Uploaded CSV:** {markdown_safe(exc.describe())}", icon=":material/error:")
            inputs.ok = False
            return
        size = len(inputs.points[0][1]) if inputs.points else 0
        inputs.state["points_not_linked"] = size
        st.caption(f"{size:,} points from {upload.name}. The share link does not carry "
                   "uploaded points: send the CSV with it.")
        return
    table = _points_table(names)
    for name in names:
        link_error = widget_memory().get("_link_errors", {}).pop(f"pts.{name}", None)
        if link_error:
            st.error(f"**Points for {name}:** {link_error}", icon=":material/error:")
    edited = st.data_editor(table, num_rows="dynamic", key=f"pts_editor.{','.join(names)}",
                            width="stretch")
    try:
        clean = edited.dropna(how="all")
        if clean.isna().any().any():
            raise PartialsError("every row needs a value in every column")
        # The editor's cells are float64 already: validated as numbers, never written to text.
        parsed = make_points({name: clean[name].to_numpy() for name in names}, APP_LIMITS)
    except PartialsError as exc:
        st.error(f"**Points:** {markdown_safe(exc.describe())}", icon=":material/error:")
        inputs.ok = False
        return
    inputs.points = tuple((n, tuple(v.tolist())) for n, v in parsed.columns)
    if parsed.size <= LINK_MAX_POINTS:
        inputs.state["points"] = tuple((n, ", ".join(repr(x) for x in v)) for n, v in inputs.points)
    else:
        inputs.state["points_not_linked"] = parsed.size
        st.caption(f"The share link does not carry these {parsed.size:,} points (it carries "
                   f"tables of up to {LINK_MAX_POINTS} rows): send them as a CSV with the link.")


def _points_table(names: list[str]) -> pd.DataFrame:
    columns = {}
    for name in names:
        text = widget_memory().get(f"pts.{name}", "")
        try:
            values = [parse_constant(v, APP_LIMITS) for v in text.split(",")] if text else []
        except PartialsError as exc:  # a bad column in a link: said once, then the default table
            widget_memory().pop(f"pts.{name}", None)
            widget_memory().setdefault("_link_errors", {})[f"pts.{name}"] = (
                f"from the link: {markdown_safe(exc.describe())}")
            values = []
        columns[name] = values
    length = max((len(v) for v in columns.values()), default=0)
    if length == 0:
        columns = {name: [1.0 + i, 2.0 + 0.5 * i, 3.0 - i] for i, name in enumerate(names)}
    else:
        columns = {n: v + [float("nan")] * (length - len(v)) for n, v in columns.items()}
    return pd.DataFrame(columns, dtype="float64")

