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

import numpy as np

from .errors import PartialsError, ResourceLimitError
from .language import RESERVED_NAMES
from .limits import DEFAULT_LIMITS, Limits
from .numbers import parse_number_list

_GRID_FUNCTIONS = ("linspace", "arange", "logspace")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")


@dataclass(frozen=True)
class AxisSpec:
    """One axis as the user wrote it; ``size`` is known without allocating the values."""

    kind: str  # "values", "linspace", "arange", "logspace"
    args: tuple[float, ...]
    size: int

    def values(self) -> np.ndarray:
        if self.kind == "values":
            return np.array(self.args, dtype=np.float64)
        if self.kind in ("linspace", "logspace"):
            a, b, _ = self.args
            # One formula, written the same way in exported torch code, so both agree bit for bit.
            values = np.full(1, a) if self.size == 1 else a + (b - a) * np.arange(self.size) / (self.size - 1)
            values[-1] = b
            return values if self.kind == "linspace" else 10.0**values
        a, b, step = self.args
        return a + step * np.arange(self.size, dtype=np.float64)

    def text(self) -> str:
        """Canonical spec text that parses back to the same axis."""
        if self.kind == "values":
            return ", ".join(_number_text(v) for v in self.args)
        a, b, c = self.args
        return f"{self.kind}({_number_text(a)}, {_number_text(b)}, {_number_text(c)})"


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def parse_grid_spec(text: str, limits: Limits = DEFAULT_LIMITS) -> AxisSpec:
    """``1, 2, 4`` · ``[1, 2, 4]`` · ``linspace(a, b, n)`` · ``arange(a, b, step)`` ·
    ``logspace(a, b, n)`` · a single value; bounds may be constant expressions."""
    func, values = parse_number_list(text, _GRID_FUNCTIONS, limits)
    if func is None:
        if len(values) > limits.max_axis_points:
            raise ResourceLimitError(f"too many values ({len(values)})")
        return AxisSpec("values", tuple(values), len(values))
    if func == "arange":
        return _arange(values, limits)
    if len(values) != 3:
        raise PartialsError(f"{func}() takes 3 arguments (start, stop, count), got {len(values)}")
    a, b, n = values
    count = _count(n, func, limits)
    if func == "logspace":
        for end in (a, b):
            if end > 308.25 or end < -323.3:
                raise PartialsError(f"logspace({a:g}, {b:g}, …): 10**{end:g} is outside float64")
    return AxisSpec(func, (a, b, float(count)), count)


def _count(n: float, func: str, limits: Limits) -> int:
    if not n.is_integer() or n < 1:
        raise PartialsError(f"{func}(): the number of points must be a whole number ≥ 1, not {n:g}")
    if n > limits.max_axis_points:
        raise ResourceLimitError(
            f"{func}(): {n:.0f} points on one axis is more than the limit "
            f"({limits.max_axis_points})"
        )
    return int(n)


def _arange(values: list[float], limits: Limits) -> AxisSpec:
    if len(values) == 2:
        values = [*values, 1.0]
    if len(values) != 3:
        raise PartialsError(f"arange() takes start, stop and step, got {len(values)} arguments")
    a, b, step = values
    if step == 0:
        raise PartialsError("arange(): the step must not be 0")
    span = (b - a) / step
    if not math.isfinite(span):
        raise PartialsError("arange(): the range is too large for float64")
    count = math.ceil(span)
    if count < 1:
        raise PartialsError(
            f"arange({a:g}, {b:g}, {step:g}) is empty — the step must go from start towards stop"
        )
    if count > limits.max_axis_points:
        raise ResourceLimitError(
            f"arange(): {count} points on one axis is more than the limit ({limits.max_axis_points})"
        )
    return AxisSpec("arange", (a, b, step), count)


def check_variable_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise PartialsError(
            f"'{str(name)[:40]}' is not a valid variable name (a letter, then letters, digits or _)"
        )
    if name in RESERVED_NAMES:
        raise PartialsError(f"'{name}' is a built-in name and cannot be a variable")
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
    if not variables:
        raise PartialsError("give at least one grid variable")
    if len(variables) > limits.max_variables:
        raise PartialsError(f"too many variables ({len(variables)}; the limit is {limits.max_variables})")
    specs: list[tuple[str, AxisSpec]] = []
    for name, spec in variables.items():
        try:
            check_variable_name(name)
            specs.append((name, _axis_spec(spec, limits)))
        except PartialsError as exc:
            raise exc.in_field(f"grid for {str(name)[:40]}") from None
    total = math.prod(axis.size for _, axis in specs)
    if total > limits.max_points:
        shape = " × ".join(str(axis.size) for _, axis in specs)
        raise ResourceLimitError(
            f"the grid has {total:,} points ({shape}); the limit is {limits.max_points:,}"
        )
    return Grid(tuple((name, axis.values()) for name, axis in specs))


def _axis_spec(spec: str | AxisSpec | Sequence[float], limits: Limits) -> AxisSpec:
    if isinstance(spec, AxisSpec):
        return spec
    if isinstance(spec, str):
        return parse_grid_spec(spec, limits)
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
    return AxisSpec("values", tuple(values.tolist()), values.size)


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


def points_from_csv(text: str, limits: Limits = DEFAULT_LIMITS, max_bytes: int = 20_000_000) -> Points:
    """Read a CSV with a header of variable names and one row per point."""
    if len(text) > max_bytes:
        raise ResourceLimitError(f"the CSV is too large (more than {max_bytes:,} characters)")
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
    try:
        for line_no, row in enumerate(rows, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise PartialsError(f"CSV line {line_no}: {len(row)} values; expected {len(names)}")
            for j, cell in enumerate(row):
                try:
                    value = float(cell)
                except ValueError:
                    raise PartialsError(
                        f"CSV line {line_no}, column '{names[j]}': '{cell.strip()[:20]}' is not a number"
                    ) from None
                if not math.isfinite(value):
                    raise PartialsError(
                        f"CSV line {line_no}, column '{names[j]}': values must be finite numbers"
                    )
                data[j].append(value)
            if len(data[0]) > limits.max_points:
                raise ResourceLimitError(f"the CSV has more than {limits.max_points:,} points")
    except csv.Error as exc:
        raise PartialsError(f"cannot read the CSV: {exc}") from None
    return make_points(dict(zip(names, data, strict=True)), limits)
