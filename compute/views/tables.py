"""pandas views of a result: the wide matrix for two grid variables, a tidy table otherwise; and
what a downloaded table must say about itself (function, grids, parameters) to be reproduced."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from compute.language.derivatives import column_keys
from compute.language.grid import Grid

if TYPE_CHECKING:
    from compute.engines.engine import PartialsResult


@dataclass(frozen=True)
class Column:
    """One computed quantity: its labels and its values shaped like the domain."""

    output: str
    wrt: tuple[str, ...] | str  # () for the value, a multi-index, or "laplacian"
    label: str  # ∂²f/∂t∂k
    ascii_label: str  # d2f/dtdk
    values: np.ndarray


def result_columns(result: PartialsResult) -> Iterator[Column]:
    """Each output's value, then each requested partial, in request order, without repeats."""
    for output, wrt, label, ascii_label in column_keys(result):
        if wrt == ():
            values = result.value(output)
        elif wrt == "laplacian":
            values = result.laplacian(output)
        else:
            values = result.partial(wrt, output)
        yield Column(output, wrt, label, ascii_label, values)


def wide_table(result: PartialsResult, column: Column) -> pd.DataFrame:
    """Rows are the first variable's values, columns the second's — as in the original question."""
    grid = result.domain
    if not isinstance(grid, Grid) or len(grid.names) != 2:
        raise ValueError("a wide table needs a grid of exactly two variables")
    (row_name, rows), (col_name, cols) = grid.axes
    return pd.DataFrame(
        column.values.reshape(grid.shape),
        index=pd.Index(rows, name=row_name),
        columns=pd.Index(cols, name=col_name),
    )


def tidy_table(result: PartialsResult, *, ascii_labels: bool = False) -> pd.DataFrame:
    """One row per point: the variables, then each output and partial."""
    domain = result.domain
    data: dict[str, np.ndarray] = dict(domain.coordinates(0, domain.size))
    for column in result_columns(result):
        label = column.ascii_label if ascii_labels else column.label
        while label in data:  # a variable may share an output's name
            label += "'"
        data[label] = column.values.reshape(-1)
    return pd.DataFrame(data)


def exact_text(value: float) -> str:
    """The shortest text that reads back as exactly this float64: ``2`` for 2.0, ``0.12``,
    ``0.30000000000000004`` (what ``linspace`` really holds there), ``inf``, ``nan``."""
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def exact_wide(frame: pd.DataFrame, *, text_index: bool = True) -> pd.DataFrame:
    """A wide table (index: the first variable, columns: the second) for a file: column headers
    as exact text (``2``, ``0.12``), the index named for both axes (``t \\ k``, the first header
    cell of a CSV), and its values as exact text too (or kept as float64: ``text_index=False``,
    for Parquet)."""
    out = frame.copy(deep=False)
    name = f"{frame.index.name} \\ {frame.columns.name}"
    out.index = (pd.Index([exact_text(v) for v in frame.index], name=name) if text_index
                 else frame.index.rename(name))
    out.columns = pd.Index([exact_text(v) for v in frame.columns])
    return out


def provenance(result: PartialsResult, *, grids: Sequence[tuple[str, str]] = (),
               command: str | None = None, points_source: str | None = None) -> dict:
    """What a downloaded table was computed from, enough to compute it again: the function, each
    grid as typed (``grids``; the values themselves when not given), the parameters, the dtype and
    engine, what the table holds and how it is laid out, and the command line that writes the
    same numbers. Plain JSON-able values; :func:`comment_lines` writes it for a CSV."""
    domain = result.domain
    typed = dict(grids)
    meta: dict = {"function": result.expression.text}
    if isinstance(domain, Grid):
        meta["grid"] = {name: typed.get(name) or _values_text(values) for name, values in domain.axes}
    else:
        meta["points"] = {"count": domain.size, "variables": list(domain.names),
                          **({"source": points_source} if points_source else {})}
    meta["parameters"] = {name: float(value) for name, value in result.params.items()}
    meta["dtype"] = result.dtype
    meta["engine"] = result.method
    noisy = isinstance(domain, Grid) and any(
        float(f"{v:.15g}") != v for _, values in domain.axes for v in values[:10_000])
    meta["numbers"] = ("exact float64: each number reads back as the value the engine used"
                       + (" (linspace and arange arithmetic can land beside the decimal you typed, "
                          "e.g. 0.30000000000000004)" if noisy else ""))
    if command:
        # A function of several lines is one line with "; " (the same function), so the command
        # fits on one comment line and still pastes into a shell.
        meta["command"] = command.replace("\n", "; ")
    return meta


def with_quantity(meta: dict, result: PartialsResult, column: Column) -> dict:
    """``meta`` for a file of one quantity: which one, and for a wide table which variable runs
    down the rows and which across the columns."""
    out = {**meta, "quantity": column.label, "quantity_ascii": column.ascii_label}
    if isinstance(result.domain, Grid) and len(result.domain.names) == 2:
        out["rows"], out["columns"] = result.domain.names
    return out


def _values_text(values: np.ndarray) -> str:
    if values.size <= 12:
        return ", ".join(exact_text(v) for v in values)
    return f"{values.size} values from {exact_text(values[0])} to {exact_text(values[-1])}"


def comment_lines(meta: dict) -> list[str]:
    """``meta`` as ``# `` lines for the top of a CSV (``pandas.read_csv(..., comment="#")`` skips
    them). Every line is one line: a function of several lines gets one comment line each."""
    lines = ["# Partials: exact partial derivatives at every point"]
    function = [line.strip() for line in meta["function"].replace(";", "\n").splitlines()
                if line.strip()]
    if len(function) == 1:
        lines.append(f"# function: {function[0]}")
    else:
        lines += ["# function:", *(f"#   {line}" for line in function)]
    for name, spec in meta.get("grid", {}).items():
        lines.append(f"# grid: {name} = {spec}")
    if "points" in meta:
        points = meta["points"]
        source = f" from {points['source']}" if points.get("source") else ""
        lines.append(f"# points: {points['count']:,} rows{source} of "
                     f"{', '.join(points['variables'])}")
    for name, value in meta["parameters"].items():
        lines.append(f"# parameter: {name} = {exact_text(value)}")
    lines.append(f"# dtype: {meta['dtype']} (engine: {meta['engine']})")
    if "quantity" in meta:
        layout = (f"; rows are {meta['rows']}, columns are {meta['columns']}"
                  if "rows" in meta else "")
        lines.append(f"# table: {meta['quantity']} ({meta['quantity_ascii']}){layout}")
    lines.append(f"# numbers: {meta['numbers']}")
    if "command" in meta:
        lines.append(f"# command: {meta['command']}")
    return [" ".join(line.splitlines()) for line in lines]
