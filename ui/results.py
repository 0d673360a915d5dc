"""Results of the Explorer: formulas, tables as readable text, warnings, CSV downloads."""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from compute import PartialsResult
from compute.language.grid import Grid
from compute.views.symbolic import MAX_SYMBOLIC_NODES, FormulaSet, latex_name, partial_latex, written_size
from compute.views.tables import Column, provenance, result_columns, tidy_table, with_quantity

from .compute_cache import formulas, start_formula_workers
from .downloads import download_button, download_format
from .formulas import definitions_block, formula_block
from .inputs import remember, remembered

MAX_TEXT_CELLS = 2500  # above this a table is drawn as an interactive grid instead of text
PREVIEW_ROWS, PREVIEW_COLUMNS = 500, 60  # what a large table sends to the browser
FORMULA_MAX_NODES = MAX_SYMBOLIC_NODES * 4  # larger functions (as written) get no formulas


def format_number(value: float, digits: int = 10) -> str:
    """Integers as integers, others to ``digits`` significant digits; ∞ and NaN spelled out."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}g}"


def axis_labels(values, digits: int) -> list[str]:
    """Grid values as headers: exactly as typed when that takes at most ``digits`` significant
    digits ("0.25", "1e-06"); otherwise the fewest digits that still tell neighbours apart
    ("-1.98", not "-1.979899497487437"). The CSV keeps every value in full."""
    floats = [float(v) for v in values]
    for used in range(1, digits + 1):
        labels = [format_number(v, used) for v in floats]
        if all(float(label) == v for label, v in zip(labels, floats, strict=True)
               if math.isfinite(v)):
            return labels
    for used in range(min(4, digits), 18):
        labels = [format_number(v, used) for v in floats]
        if len(set(labels)) == len(labels):
            return labels
    return [repr(v) for v in floats]


def formatted(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    """A copy with every number as text, labels included (no '2.0' headers for the grid 2)."""
    text = frame.map(lambda v: format_number(float(v), digits))
    corner = f"{frame.index.name} \\ {frame.columns.name}" if frame.columns.name else frame.index.name
    text.index = pd.Index(axis_labels(frame.index, digits), name=corner)
    text.columns = pd.Index(axis_labels(frame.columns, digits), name=frame.columns.name)
    return text


def preview_grid(frame: pd.DataFrame, digits: int, wide: bool) -> tuple[pd.DataFrame, dict]:
    """A large table's preview for ``st.dataframe``: numbers stay numbers (sortable, copyable),
    shown to the chosen significant digits; a wide table's grid values become short headers."""
    if wide:
        frame = frame.copy()
        frame.index = pd.Index(axis_labels(frame.index, digits), name=frame.index.name)
        frame.columns = pd.Index(axis_labels(frame.columns, digits), name=frame.columns.name)
    number = st.column_config.NumberColumn(format=f"%.{digits}g")
    return frame, {str(name): number for name in frame.columns}


def latex_label(column: Column) -> str:
    """``\\frac{\\partial^{2} f}{\\partial t \\partial k}``, ``\\nabla^{2} f``, ``f``."""
    if column.wrt == "laplacian":
        return rf"\nabla^{{2}} {latex_name(column.output)}"
    return partial_latex(column.output, column.wrt)


def definitions_markdown(where: tuple[tuple[str, str, str], ...]) -> str:
    """The function's own definitions (and partials of them) that the formulas below use, each
    once: the formulas are written in terms of them (d1, d2 of Black–Scholes) rather than
    inlining them into formulas no one can read."""
    return definitions_block([formula_block(lhs, rhs, f"Definition of {plain}")
                              for lhs, rhs, plain in where])


def column_frame(result: PartialsResult, column: Column, rows: int | None = None,
                 columns: int | None = None) -> pd.DataFrame:
    """The wide matrix for two grid variables; otherwise one row per point. ``rows`` and
    ``columns`` cut a preview without building the whole frame."""
    domain = result.domain
    if isinstance(domain, Grid) and len(domain.names) == 2:
        (row_name, row_values), (col_name, col_values) = domain.axes
        return pd.DataFrame(column.values[:rows, :columns],
                            index=pd.Index(row_values[:rows], name=row_name),
                            columns=pd.Index(col_values[:columns], name=col_name))
    n = domain.size if rows is None else min(rows, domain.size)
    data = dict(domain.coordinates(0, n))
    data[column.label] = column.values.reshape(-1)[:n]
    return pd.DataFrame(data)


def render_summary(result: PartialsResult, seconds: float) -> None:
    domain = result.domain
    shape = " × ".join(f"{n:,}" for n in domain.shape)
    kind = "grid" if isinstance(domain, Grid) else "points"
    size = f"{shape} = {domain.size:,} points" if len(domain.shape) > 1 else f"{domain.size:,} points"
    # A fused kernel is why a repeat of a large job is faster than its first run: say so.
    kernel = " · fused kernel" if result.fused_blocks else ""
    st.caption(f"{kind} {', '.join(domain.names)}: {size} · {result.dtype} · "
               f"{seconds * 1000:,.1f} ms{kernel}")
    for column in result_columns(result):
        bad = result.nonfinite(column.values)
        if bad:
            nan = int(np.isnan(column.values).sum())
            st.warning(f"{column.label}: {bad:,} of {column.values.size:,} points are not finite "
                       f"({nan:,} NaN, {bad - nan:,} ±∞) — blank in plots, NaN/∞ in tables.",
                       icon=":material/error:")


def _nth_column_frame(i: int) -> Callable[[PartialsResult], pd.DataFrame]:
    return lambda result: column_frame(result, list(result_columns(result))[i])


def deferred(result: PartialsResult, build: Callable[[PartialsResult], pd.DataFrame]
             ) -> Callable[[], pd.DataFrame]:
    """A download's table, built on click from a weak reference: Streamlit keeps a session's
    download callables for as long as the session lives, and a strong one would pin the result's
    arrays there after the shared cache has let them go."""
    ref = weakref.ref(result)

    def frame() -> pd.DataFrame:
        alive = ref()
        if alive is None:
            return pd.DataFrame({"note": ["These results have been dropped from the server's memory "
                                          "since the page was drawn: reload the page to download them."]})
        return build(alive)

    return frame


def render_tables(result: PartialsResult, command: str | None = None,
                  grids: tuple[tuple[str, str], ...] = ()) -> None:
    """``command``: the CLI command that writes the same numbers, offered when a download is too
    large to build in the server; ``grids``: the grid specs as typed. Both go into the downloads,
    with the function and parameters, so a file says what it holds and how to compute it again."""
    columns = list(result_columns(result))
    keys = tuple((c.output, c.wrt) for c in columns if isinstance(c.wrt, tuple))
    with_formulas = bool(keys) and written_size(result.expression) <= FORMULA_MAX_NODES
    if with_formulas:
        start_formula_workers()  # they start while the tables are drawn
    download_col, digits_col = st.columns([3, 2], vertical_alignment="bottom")
    domain = result.domain
    described = provenance(result, grids=grids, command=command)  # heads every download
    too_large = download_button(
        download_col, "Download everything (one row per point)",
        deferred(result, lambda r: tidy_table(r, ascii_labels=True)),
        numbers=domain.size * (len(domain.names) + len(columns)), file_stem="partials", key="dl_all",
        command=command, metadata=described)
    remembered("digits", 10)
    digits = int(digits_col.number_input("Significant digits", 3, 17, key="digits",
                                         help="Downloads always carry full float64 precision."))
    remember("digits")
    if too_large:
        st.caption(f"{too_large} The command line streams every number to a file:")
        if command:
            st.code(command, language="bash", wrap_lines=True)
    definitions = st.empty()
    heads = []
    for i, column in enumerate(columns):
        head, button = st.columns([3, 1], vertical_alignment="center")
        with head:
            heads.append(st.empty())
            heads[-1].markdown(f"### {column.label}")
        wide = isinstance(result.domain, Grid) and len(result.domain.names) == 2
        numbers = domain.size + sum(domain.shape) if wide else domain.size * (len(domain.names) + 1)
        download_button(button, "Parquet" if download_format(numbers) == "parquet" else "CSV",
                        deferred(result, _nth_column_frame(i)),
                        numbers=numbers,
                        file_stem=column.ascii_label.replace("/", "_"), key=f"dl_{i}", index=wide,
                        command=command, width="stretch",
                        metadata=with_quantity(described, result, column))
        if wide:
            names = result.domain.names
            st.caption(f"{column.label} — rows: {names[0]}, columns: {names[1]}")
        if column.values.size <= MAX_TEXT_CELLS:
            frame = column_frame(result, column)
            shown = formatted(frame, digits) if wide else frame.map(
                lambda v: format_number(float(v), digits))
            st.table(shown, hide_index=not wide)
        else:
            preview = column_frame(result, column, PREVIEW_ROWS, PREVIEW_COLUMNS if wide else None)
            full = column.values.shape if wide else (column.values.size, preview.shape[1])
            shape = " × ".join(f"{n:,}" for n in full)
            st.caption(f"{column.label}: {_stats(column.values, digits)} · showing the first "
                       f"{' × '.join(f'{n:,}' for n in preview.shape)} of {shape} — the download has "
                       "everything")
            shown, config = preview_grid(preview, digits, wide)
            st.dataframe(shown, width="stretch", height=320, column_config=config)
    if with_formulas:  # after the numbers: SymPy never delays them
        render_formulas(formulas(result.expression, keys), columns, heads, definitions)


def render_formulas(found: FormulaSet, columns: list[Column], heads: list, definitions) -> None:
    """Each column's heading becomes its formula where SymPy gave one, with the definitions the
    formulas use shown once, above the first."""
    shown = False
    for column, head in zip(columns, heads, strict=True):
        formula = found.latex.get((column.output, column.wrt)) if isinstance(column.wrt, tuple) else None
        if formula:
            head.markdown(formula_block(latex_label(column), formula, f"Formula of {column.label}"),
                          unsafe_allow_html=True)
            shown = True
    if shown and found.where:
        definitions.markdown(definitions_markdown(found.where), unsafe_allow_html=True)


def _stats(values: np.ndarray, digits: int) -> str:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return "no finite values"
    return (f"min {format_number(float(finite.min()), digits)}, "
            f"max {format_number(float(finite.max()), digits)}, "
            f"mean {format_number(float(finite.mean()), digits)}")
