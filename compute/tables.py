"""pandas views of a result: the wide matrix for two grid variables, a tidy table otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .derivatives import column_keys
from .grid import Grid

if TYPE_CHECKING:
    from .engine import PartialsResult


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
    frame = pd.DataFrame(
        column.values.reshape(grid.shape),
        index=pd.Index(rows, name=row_name),
        columns=pd.Index(cols, name=col_name),
    )
    return frame


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
