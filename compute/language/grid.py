"""Where to evaluate: a product grid of named axes, or a table of scattered points.

Sizes are known from the specs before anything is allocated, so limits are checked first.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import TYPE_CHECKING

import numpy as np

from compute.errors import PartialsError, ResourceLimitError
from compute.language.vocabulary import RESERVED_NAMES
from compute.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from compute.language.expression import Expression

from compute.language.numbers import (
    match_decimal,
    parse_constant,
    parse_number,
    parse_number_list,
    printable,
)

_GRID_FUNCTIONS = ("linspace", "arange", "logspace")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")


@dataclass(frozen=True)
class AxisSpec:
    """One axis as the user wrote it; ``size`` is known without allocating the values."""

    kind: str  # "values", "linspace", "arange", "logspace"
    args: tuple[float, ...]
    size: int
    # How it was typed when that was not the canonical form (start:step:stop, 1 2 4, t = …,
    # np.linspace): the app then shows ``text()`` back ("read as").
    form: str = field(default="", compare=False)

    @property
    def read_as(self) -> str | None:
        """The canonical spec when the user typed another form, else None."""
        return self.text() if self.form else None

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


def parse_grid_spec(text: str, limits: Limits = DEFAULT_LIMITS, variable: str | None = None) -> AxisSpec:
    """``1, 2, 4`` · ``[1, 2, 4]`` · ``linspace(a, b, n)`` · ``arange(a, b, step)`` ·
    ``logspace(a, b, n)`` · a single value; bounds may be constant expressions. Also the forms
    people bring (issue 11): ``start:step:stop`` (MATLAB), ``1 2 4``, a leading ``t =`` (which
    must name ``variable`` when given) and ``np.``/``torch.`` before the grid functions."""
    if not isinstance(text, str):
        raise PartialsError("expected text")
    if len(text) > limits.max_spec_chars:
        raise PartialsError(f"too long ({len(text)} characters; the limit is {limits.max_spec_chars})")
    text, forms = _typed_forms(text, variable)
    if ":" in text:
        return replace(_colon_spec(text, limits), form="start:step:stop")
    try:
        axis = _plain_spec(text, limits)
    except PartialsError as exc:
        axis = _spaced_spec(text, limits, exc)
        forms.append("space-separated")
    return replace(axis, form=", ".join(forms)) if forms else axis


_PREFIX = re.compile(r"[ \t]*(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=(?!=)")
_MODULE = re.compile(r"(?P<module>np|numpy|torch)\.(?=(?:linspace|arange|logspace)\b)")


def _typed_forms(text: str, variable: str | None) -> tuple[str, list[str]]:
    """Blank out (keeping every column) a leading ``t =`` and ``np.``/``torch.`` prefixes."""
    forms: list[str] = []
    prefix = _PREFIX.match(text)
    if prefix is not None:
        name = prefix["name"]
        if variable is not None and name != variable:
            raise PartialsError(f"this grid is for {variable}, but it starts with '{printable(name, 40)} =' "
                                f"— write the values only, or {variable} = …",
                                column=prefix.start("name") + 1)
        text = " " * prefix.end() + text[prefix.end():]
        forms.append(f"{name} = …")
    for match in list(_MODULE.finditer(text)):
        text = text[:match.start()] + " " * (match.end() - match.start()) + text[match.end():]
        forms.append(f"{match['module']}.")
    return text, forms


def _spaced_spec(text: str, limits: Limits, error: PartialsError) -> AxisSpec:
    """``1 2 4`` (also in [ ]): values separated by spaces, each one piece (``2*pi``, not
    ``2 * pi``); tried only when the text does not read as one value or a comma list."""
    if error.column is not None and ".." in text:
        raise PartialsError(f"{error.message} — write a range as start:step:stop (0:0.1:1) or "
                            "linspace(0, 1, 11)", column=error.column) from None
    if not error.message.startswith("syntax error") or "," in text or "(" in text:
        raise error
    inner = text.replace("[", " ").replace("]", " ")
    pieces = [(m.start(), m.group()) for m in re.finditer(r"\S+", inner)]
    if len(pieces) < 2:
        raise error
    if len(pieces) > limits.max_axis_points:
        raise ResourceLimitError(f"too many values ({len(pieces)})")
    values = [_constant_at(piece, start, limits) for start, piece in pieces]
    return check_distinct(AxisSpec("values", tuple(values), len(values)))


def _constant_at(piece: str, start: int, limits: Limits) -> float:
    """A constant typed at column ``start + 1`` of a grid spec, errors pointing there."""
    try:
        return parse_constant(" " * start + piece, limits)
    except ResourceLimitError:
        raise
    except PartialsError as exc:
        column = exc.column if exc.column is not None else start + 1
        raise PartialsError(exc.message, column=column) from None


STEP_RULE = ("start:step:stop runs from start in steps of step while it has not passed stop; stop "
             "is included when it is a whole number of steps from start (to within 1e-9 of a "
             "step), as in MATLAB, and then it reads as linspace(start, stop, n); a:b means a:1:b")


def _colon_spec(text: str, limits: Limits) -> AxisSpec:
    """``start:step:stop`` in MATLAB's order (``0:0.1:1`` is 11 values); ``a:b`` steps by 1."""
    parts: list[tuple[int, str]] = []
    start = 0
    for piece in text.split(":"):
        parts.append((start, piece))
        start += len(piece) + 1
    if len(parts) not in (2, 3):
        raise PartialsError(f"write start:step:stop (e.g. 0:0.1:1), not {len(parts)} parts "
                            f"separated by ':'", column=parts[3][0] if len(parts) > 3 else None)
    for offset, piece in parts:
        if not piece.strip():
            raise PartialsError("a part of start:step:stop is missing — e.g. 0:0.1:1",
                                column=offset + 1)
    values = [_constant_at(piece, offset, limits) for offset, piece in parts]
    a, step, b = values if len(values) == 3 else (values[0], 1.0, values[1])
    if step == 0:
        raise PartialsError("start:step:stop: the step must not be 0", column=parts[1][0] + 1)
    span = (b - a) / step
    if not math.isfinite(span):
        raise PartialsError("start:step:stop: the range is too large for float64")
    shown = ":".join(_number_text(v) for v in values)
    if span < -1e-9 or (len(values) == 3 and span < 1 - 1e-9):
        which = "is empty" if span < -1e-9 else f"holds only {_number_text(a)}"
        hint = " — the step must go from start towards stop"
        if len(values) == 3 and values[2] != 0 and (values[1] - a) / values[2] >= 1:
            hint = (f" — did you mean {_number_text(a)}:{_number_text(values[2])}:"
                    f"{_number_text(values[1])}? The order is start:step:stop")
        elif span >= 0:
            hint = ""
        if span < -1e-9 or hint:
            raise PartialsError(f"{shown} {which} (start {_number_text(a)}, step "
                                f"{_number_text(step)}, stop {_number_text(b)}){hint}")
    if abs(span) >= limits.max_axis_points:
        raise ResourceLimitError(f"{shown}: about {abs(span) + 1:.3g} points on one axis is more than "
                                 f"the limit ({limits.max_axis_points:,})")
    whole = round(span)
    lands = abs(span - whole) <= 1e-9 * max(1.0, abs(span))
    count = (whole if lands else math.floor(span)) + 1
    if count > limits.max_axis_points:
        raise ResourceLimitError(f"{shown}: {count:,} points on one axis is more than the limit "
                                 f"({limits.max_axis_points:,})")
    if count == 1:
        return AxisSpec("values", (a,), 1)
    if lands and count <= 12 and a.is_integer() and step.is_integer():  # 1:5 reads 1, 2, 3, 4, 5
        return check_distinct(AxisSpec("values", tuple(a + step * i for i in range(count)), count))
    if lands:
        return check_distinct(AxisSpec("linspace", (a, b, float(count)), count))
    if math.ceil((b - a) / step) == count:
        return check_distinct(AxisSpec("arange", (a, b, step), count))
    return check_distinct(AxisSpec("values", tuple(a + step * i for i in range(count)), count))


def _plain_spec(text: str, limits: Limits) -> AxisSpec:
    func, values = parse_number_list(text, _GRID_FUNCTIONS, limits)
    if func is None:
        if len(values) > limits.max_axis_points:
            raise ResourceLimitError(f"too many values ({len(values)})")
        return check_distinct(AxisSpec("values", tuple(values), len(values)))
    if func == "arange":
        return check_distinct(_arange(values, limits))
    if len(values) != 3:
        raise PartialsError(f"{func}() takes 3 arguments (start, stop, count), got {len(values)} "
                            f"— e.g. {func}(0, 1, 50)")
    a, b, n = values
    count = _count(n, func, limits)
    if func == "logspace":
        for end in (a, b):
            if end > 308.25 or end < -323.3:
                raise PartialsError(f"logspace({a:g}, {b:g}, …): 10**{end:g} is outside float64")
    return check_distinct(AxisSpec(func, (a, b, float(count)), count))


_CHECKED_BY_VALUE = 10_000_000  # an axis this long whose spacing is near float64's resolution


def check_distinct(axis: AxisSpec) -> AxisSpec:
    """A grid axis may not repeat a value (points may): its rows or columns would share a
    label, and ``linspace(1, 1, 3)`` or a step below float64's resolution
    (``arange(1e16, 1e16 + 10, 1)``) would silently do so. Values that may overflow are
    computed and checked too (``linspace(-1e308, 1e308, 3)`` would hold NaN)."""
    if axis.size < 2:
        return axis
    if axis.kind == "values":
        values = np.sort(np.asarray(axis.args, dtype=np.float64))
    elif _clearly_distinct(axis):
        return axis
    elif axis.kind != "logspace" and axis.args[0] == axis.args[1]:
        values = np.full(2, axis.args[0])
    elif axis.size > _CHECKED_BY_VALUE:
        raise PartialsError(f"{axis.kind}(): the spacing is below float64's resolution at these "
                            "values, so grid values would repeat — grid values must be distinct")
    else:
        with np.errstate(all="ignore"):
            values = axis.values()
        if not np.isfinite(values).all():
            raise PartialsError(f"{axis.kind}(): the values overflow float64")
        values = np.sort(values)
    same = np.flatnonzero(values[1:] == values[:-1])
    if same.size:
        raise PartialsError(f"the grid repeats the value {_number_text(float(values[same[0]]))} "
                            "— grid values must be distinct")
    return axis


def _clearly_distinct(axis: AxisSpec) -> bool:
    """True when the spacing is far above float64's rounding at the axis's magnitude, so the
    computed values are strictly monotonic without computing them."""
    a, b, third = axis.args
    step = third if axis.kind == "arange" else (b - a) / (axis.size - 1)
    scale = max(abs(a), abs(b))
    if not (math.isfinite(b - a) and math.isfinite(step)) or abs(step) < 16 * math.ulp(scale):
        return False
    if axis.kind == "logspace":  # 10**x: relative spacing ≈ 2.3·step, normal numbers only
        return abs(step) >= 1e-13 and min(a, b) >= -307
    return abs(step) >= 1e-300


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
    if len(values) == 1:  # arange(stop), as NumPy and torch read it
        values = [0.0, values[0]]
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
