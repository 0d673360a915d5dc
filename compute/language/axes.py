"""One grid axis from its spec: ``1, 2, 4`` · ``linspace(a, b, n)`` · ``arange(a, b, step)`` ·
``logspace(a, b, n)`` · a value, and the forms people bring (issue 11): ``start:step:stop``,
``1 2 4``, a leading ``t =``, ``np.``/``torch.`` prefixes. Sizes are known before anything is
allocated, so limits are checked first."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from compute.errors import PartialsError, ResourceLimitError
from compute.language.canonical import number_text
from compute.language.numbers import parse_constant, parse_number_list, printable
from compute.limits import DEFAULT_LIMITS, Limits

_GRID_FUNCTIONS = ("linspace", "arange", "logspace")
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
            return ", ".join(number_text(v) for v in self.args)
        a, b, c = self.args
        return f"{self.kind}({number_text(a)}, {number_text(b)}, {number_text(c)})"


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


STEP_RULE = ("values run from start in steps of step while they have not passed stop; stop is "
             "included when it is a whole number of steps from start (to within 1e-9 of a step), "
             "as in MATLAB, and then the axis reads as linspace(start, stop, n); a:b means a:1:b")


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
    shown = ":".join(number_text(v) for v in values)
    if span < -1e-9 or (len(values) == 3 and span < 1 - 1e-9):
        which = "is empty" if span < -1e-9 else f"holds only {number_text(a)}"
        hint = " — the step must go from start towards stop"
        if len(values) == 3 and values[2] != 0 and (values[1] - a) / values[2] >= 1:
            hint = (f" — did you mean {number_text(a)}:{number_text(values[2])}:"
                    f"{number_text(values[1])}? The order is start:step:stop")
        elif span >= 0:
            hint = ""
        if span < -1e-9 or hint:
            raise PartialsError(f"{shown} {which} (start {number_text(a)}, step "
                                f"{number_text(step)}, stop {number_text(b)}){hint}")
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
        raise PartialsError(f"the grid repeats the value {number_text(float(values[same[0]]))} "
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
