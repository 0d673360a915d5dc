"""The CLI's arguments read into validated values: ``NAME=VALUE`` lists (``--var``, ``--param``,
``--at``), the ``--points`` CSV, and the checks and notes that come before anything is computed."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Sequence
from typing import Any

from compute.errors import PartialsError, ResourceLimitError
from compute.language.expression import Expression
from compute.language.grid import MAX_CSV_BYTES, Domain, check_variable_name, parse_grid_spec
from compute.language.numbers import parse_constant, printable
from compute.limits import DEFAULT_LIMITS, Limits

# What a name given twice is called, by option.
_TWICE = {
    "var": "variable '{}' is given twice",
    "param": "parameter '{}' is given twice",
    "at": "'{}' is given twice in --at",
}


def read_pairs(items: Sequence[str], option: str) -> dict[str, str]:
    """``["t=1,2", "k=3"]`` as ``{name: text}``, for the ``--option`` named (var, param or at)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, spec = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise PartialsError(f"--{option} expects NAME=VALUE, got '{printable(item, 60)}'")
        if name in out:
            raise PartialsError(_TWICE[option].format(printable(name, 40)))
        out[name] = spec
    return out


def read_constants(items: Sequence[str], option: str,
                   limits: Limits = DEFAULT_LIMITS) -> dict[str, float]:
    """``--param a=2`` or ``--at t=1.5 k=2*pi`` as ``{name: value}``: each value a constant
    expression read by the same parser as the function's constants, never evaluated."""
    kind, field = ("parameter", "parameter") if option == "param" else ("variable", f"--{option}")
    values: dict[str, float] = {}
    for name, text in read_pairs(items, option).items():
        check_variable_name(name, kind)
        try:
            values[name] = parse_constant(text, limits)
        except PartialsError as exc:
            raise exc.in_field(f"{field} {name}") from None
    return values


def check_params_used(expression: Expression, domain: Domain, params: dict[str, float]) -> None:
    """A parameter must be a name the function leaves free (a grid variable it does not use is
    fine: f may be constant in x); a typo would otherwise be ignored without a word."""
    free = expression.free_names
    for name in params:
        if name not in free:
            waiting = [n for n in free if n not in params and n not in domain.names]
            hint = f" — names still without a value: {', '.join(waiting)}" if waiting else ""
            raise PartialsError(f"parameter '{name}' is not a name in the function{hint}")


def say_read_as(expression: Expression, variables: dict[str, str], requests: Sequence[Any],
                limits: Limits) -> None:
    """One stderr note per input typed in another form than the canonical one (``2tk``, a def,
    ``0:0.1:1``, ``∂²f/∂t∂k``), saying how it was read (issue 11)."""
    notes = []
    if expression.read_as is not None:
        notes.append(f"the function reads as: {expression.read_as.replace(chr(10), '; ')}")
    for name, spec in variables.items():
        read_as = parse_grid_spec(spec, limits, name).read_as
        if read_as is not None:
            notes.append(f"--var {name} reads as {name}={read_as}")
    for request in requests:
        read_as = getattr(request, "read_as", None)
        if read_as is not None:
            notes.append(f"--wrt {request.text} reads as {read_as}")
    for note in notes:
        print(f"note: {printable(note, 400)}", file=sys.stderr)


def read_points(path: str, max_bytes: int = MAX_CSV_BYTES) -> str:
    """The CSV from a file or stdin (``-``), reading at most ``max_bytes`` + 1 bytes, so an
    endless stream (``yes 1 |``) or a huge file stops at the limit instead of filling memory."""
    where = "stdin" if path == "-" else printable(path, 80)
    try:
        if path == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:
                raise PartialsError("--points -: there is no stdin to read")
            data = stream.read(max_bytes + 1)
        else:
            with open(path, "rb") as handle:
                info = os.fstat(handle.fileno())
                if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
                    raise _csv_too_big(max_bytes)
                data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise PartialsError(f"cannot read {where}: {exc.strerror or exc.__class__.__name__}") from None
    if len(data) > max_bytes:
        raise _csv_too_big(max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PartialsError(f"cannot read {where}: not UTF-8 text (byte 0x{data[exc.start]:02x} "
                            f"at offset {exc.start:,})") from None


def _csv_too_big(max_bytes: int) -> ResourceLimitError:
    return ResourceLimitError(f"the CSV is too large (more than {max_bytes:,} bytes)")
