"""Where to evaluate: a product grid of named axes, or a table of scattered points.

Sizes are known from the specs before anything is allocated, so limits are checked first.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING

import numpy as np

from compute.errors import PartialsError, ResourceLimitError
from compute.language.vocabulary import RESERVED_NAMES
from compute.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from compute.language.expression import Expression

from compute.language.axes import STEP_RULE, AxisSpec, check_distinct, parse_grid_spec
from compute.language.numbers import match_decimal, parse_number, printable

__all__ = [  # the axis pieces live in compute.language.axes; importers find them here too
    "MAX_CSV_BYTES", "STEP_RULE", "AxisSpec", "Domain", "Grid", "Points", "bind_names", "check_distinct",
    "check_point_columns", "check_variable_name", "grid_axes", "make_grid", "make_points",
    "parse_grid_spec", "points_from_csv",
]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")


def check_variable_name(name: str, what: str = "variable") -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise PartialsError(
            f"'{printable(str(name), 40)}' is not a valid {what} name (a letter, then letters, "
            "digits or _)"
        )
    if name in RESERVED_NAMES:
        raise PartialsError(f"'{name}' is a built-in name and cannot be a {what}")
    return name


@dataclass(frozen=True, eq=False)
class Grid:
    """The product of named 1-D axes, in the order given; the first axis varies slowest."""

    axes: tuple[tuple[str, np.ndarray], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.axes)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(values) for _, values in self.axes)

    @property
    def size(self) -> int:
        return reduce(lambda a, b: a * b, self.shape, 1)

    def axis(self, name: str) -> np.ndarray:
        return dict(self.axes)[name]

    def coordinates(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Coordinates of the flat (C-order) points ``start:stop``, one array per variable.

        Axis i repeats each value ``stride`` times (the product of the later axes' lengths) with
        period ``n_i * stride``: a repeat and a tile of that pattern, cut to the range, is several
        times cheaper than unravelling every flat index.
        """
        count = stop - start
        out: dict[str, np.ndarray] = {}
        stride = 1
        for name, values in reversed(self.axes):
            period = len(values) * stride
            if period <= 4 * count or stride == 1:
                offset = start % period
                pattern = np.repeat(values, stride) if stride > 1 else values
                reps = -(-(offset + count) // period)
                out[name] = np.tile(pattern, reps)[offset:offset + count]
            else:  # a chunk much shorter than one period: index it directly
                index = np.arange(start, stop, dtype=np.int64)
                out[name] = values[(index // stride) % len(values)]
            stride = period
        return {name: out[name] for name in self.names}


@dataclass(frozen=True, eq=False)
class Points:
    """Scattered points: one column per variable, all the same length."""

    columns: tuple[tuple[str, np.ndarray], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.columns[0][1]),) if self.columns else (0,)

    @property
    def size(self) -> int:
        return self.shape[0]

    def coordinates(self, start: int, stop: int) -> dict[str, np.ndarray]:
        return {name: values[start:stop] for name, values in self.columns}


Domain = Grid | Points


def make_grid(
    variables: Mapping[str, str | AxisSpec | Sequence[float]], limits: Limits = DEFAULT_LIMITS
) -> Grid:
    """Build a grid from ``{name: spec}``; errors name the variable they belong to."""
    return Grid(tuple((name, axis.values()) for name, axis in grid_axes(variables, limits)))


def grid_axes(
    variables: Mapping[str, str | AxisSpec | Sequence[float]], limits: Limits = DEFAULT_LIMITS
) -> tuple[tuple[str, AxisSpec], ...]:
    """The validated axes of a grid, sizes checked, nothing allocated: what a request carries
    forward so no later step parses a grid spec again."""
    if not variables:
        raise PartialsError("give at least one grid variable")
    if len(variables) > limits.max_variables:
        raise PartialsError(f"too many variables ({len(variables)}; the limit is {limits.max_variables})")
    specs: list[tuple[str, AxisSpec]] = []
    for name, spec in variables.items():
        try:
            check_variable_name(name)
            specs.append((name, _axis_spec(spec, limits, name)))
        except PartialsError as exc:
            raise exc.in_field(f"grid for {str(name)[:40]}") from None
    total = math.prod(axis.size for _, axis in specs)
    if total > limits.max_points:
        shape = " × ".join(str(axis.size) for _, axis in specs)
        raise ResourceLimitError(
            f"the grid has {total:,} points ({shape}); the limit is {limits.max_points:,}"
        )
    return tuple(specs)


def _axis_spec(spec: str | AxisSpec | Sequence[float], limits: Limits, name: str | None = None) -> AxisSpec:
    if isinstance(spec, AxisSpec):
        return spec
    if isinstance(spec, str):
        return parse_grid_spec(spec, limits, name)
    try:
        values = np.asarray(spec, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise PartialsError("values must be numbers") from None
    if not values.size:
        raise PartialsError("no values given")
    if not np.isfinite(values).all():
        raise PartialsError("values must be finite numbers")
    if values.size > limits.max_axis_points:
        raise ResourceLimitError(f"too many values ({values.size})")
    return check_distinct(AxisSpec("values", tuple(values.tolist()), values.size))


def make_points(
    columns: Mapping[str, Sequence[float] | np.ndarray], limits: Limits = DEFAULT_LIMITS
) -> Points:
    """Scattered points from ``{name: values}``; every column the same length, all finite."""
    if not columns:
        raise PartialsError("give at least one column of points")
    if len(columns) > limits.max_variables:
        raise PartialsError(f"too many columns ({len(columns)}; the limit is {limits.max_variables})")
    built: list[tuple[str, np.ndarray]] = []
    length: int | None = None
    for name, values in columns.items():
        check_variable_name(name)
        try:
            array = np.asarray(values, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise PartialsError(f"column '{name}' must hold numbers") from None
        if length is None:
            length = len(array)
            if length > limits.max_points:
                raise ResourceLimitError(
                    f"{length:,} points is more than the limit ({limits.max_points:,})"
                )
        elif len(array) != length:
            raise PartialsError(f"column '{name}' has {len(array)} values; expected {length}")
        bad = np.flatnonzero(~np.isfinite(array))
        if len(bad):
            raise PartialsError(f"column '{name}', row {bad[0] + 1}: values must be finite numbers")
        built.append((name, array))
    if not length:
        raise PartialsError("the points table is empty")
    return Points(tuple(built))


MAX_CSV_BYTES = 20_000_000
_PLAIN_CSV = re.compile(r'[0-9eE.+\-, \t\r\n"]*\Z')


def _csv_cell(cell: str, line_no: int, name: str) -> float:
    """One cell by ``parse_number``'s rule, or an error naming the line, column and cell."""
    try:
        return parse_number(cell, f"CSV line {line_no}, column '{name}'")
    except PartialsError as exc:
        raise PartialsError(f"{exc.message} — cells must be plain finite decimal numbers, e.g. 1.5 "
                            "or -2e-3") from None


def points_from_csv(text: str, limits: Limits = DEFAULT_LIMITS, max_bytes: int = MAX_CSV_BYTES) -> Points:
    """Read a CSV with a header of variable names and one row per point.

    A leading byte-order mark (spreadsheets' "CSV UTF-8") is skipped. Cells are plain ASCII
    decimal numbers (``parse_number``): ``1_000``, ``١٢`` or ``１`` that ``float`` would take are
    refused with the line, the column and the cell."""
    if len(text) > max_bytes:
        raise ResourceLimitError(f"the CSV is too large (more than {max_bytes:,} characters)")
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise PartialsError("the CSV contains a NUL byte")
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows)
    except StopIteration:
        raise PartialsError("the CSV is empty") from None
    except csv.Error as exc:
        raise PartialsError(f"cannot read the CSV: {exc}") from None
    names = [h.strip() for h in header]
    for i, name in enumerate(names):
        try:
            check_variable_name(name)
        except PartialsError as exc:
            raise PartialsError(f"CSV header, column {i + 1}: {exc.message}") from None
    if len(set(names)) != len(names):
        raise PartialsError("the CSV header names a variable twice")
    data: list[list[float]] = [[] for _ in names]
    # Below the header, only digits, signs, '.', 'e', separators and quotes: float() then reads
    # exactly parse_number's plain decimals, so the strict check is needed only where it fails.
    plain = _PLAIN_CSV.match(text, text.find("\n") + 1) is not None
    try:
        for line_no, row in enumerate(rows, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise PartialsError(f"CSV line {line_no}: {len(row)} values; expected {len(names)}")
            for j, cell in enumerate(row):
                if plain or match_decimal(cell):  # quickly, when float() can only take decimals
                    try:
                        value = float(cell)
                    except ValueError:
                        value = math.nan
                    if math.isfinite(value):
                        data[j].append(value)
                        continue
                data[j].append(_csv_cell(cell, line_no, names[j]))
            if len(data[0]) > limits.max_points:
                raise ResourceLimitError(f"the CSV has more than {limits.max_points:,} points")
    except csv.Error as exc:
        raise PartialsError(f"cannot read the CSV: {exc}") from None
    return make_points(dict(zip(names, data, strict=True)), limits)


def check_point_columns(columns: Sequence[str], variables: Sequence[str],
                        parameters: Sequence[str] = ()) -> None:
    """A points table must have exactly one column per variable (in any order): raise a
    ``PartialsError`` naming the columns that are missing and the ones that are extra, with a
    hint for an extra column that is one of the function's parameters."""
    missing = [n for n in variables if n not in columns]
    extra = [n for n in columns if n not in variables]
    if not missing and not extra:
        return
    wanted = ", ".join(variables) if variables else "none"
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"extra {', '.join(printable(n, 40) for n in extra[:20])}"
                     + (f" and {len(extra) - 20} more" if len(extra) > 20 else ""))
    message = (f"the columns must be the function's variables ({wanted}): " + "; ".join(parts))
    as_parameters = [n for n in extra if n in parameters]
    if as_parameters:
        names = ", ".join(as_parameters)
        verb = "is a parameter" if len(as_parameters) == 1 else "are parameters"
        message += f" — {names} {verb} here; switch {'it' if len(as_parameters) == 1 else 'them'} " \
                   "to grid to take the values from the file"
    raise PartialsError(message)


def bind_names(expression: Expression, domain: Domain, params: Mapping[str, float]) -> dict[str, float]:
    """Check that every free name is a variable or a parameter, never both, never neither."""
    clean: dict[str, float] = {}
    for name, value in params.items():
        if name in domain.names:
            raise PartialsError(f"'{name}' is given both a grid and a value — choose one")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise PartialsError(f"parameter '{name}' must be a number") from None
        if not math.isfinite(number):
            raise PartialsError(f"parameter '{name}' must be a finite number")
        clean[name] = number
    joined = dict(getattr(expression, "hints", ()))
    for name in expression.free_names:
        if name not in domain.names and name not in clean:
            hint = (f"; did you mean {joined[name]}? Names are never split, so {name} is one name"
                    if name in joined else "")
            raise PartialsError(
                f"'{name}' has no grid and no value — give it a grid (variable) or a value "
                f"(parameter){hint}"
            )
    return clean
