"""``python -m compute``: the command-line contract of PRODUCT.md.

Exit 0 on success; 2 with one ``error: ...`` line for bad input; 3 when a resource limit stops
the job. Never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from compute.engines.inspect import Inspection, inspection_csv, inspection_json, inspection_text, parse_point
from compute.errors import PartialsError, ResourceLimitError
from compute.language.derivatives import DEVICES, METHODS, column_keys, parse_request
from compute.language.expression import Expression, parse_expression
from compute.language.grid import (
    MAX_CSV_BYTES,
    Domain,
    bind_names,
    check_variable_name,
    make_grid,
    points_from_csv,
)
from compute.language.numbers import parse_constant, printable
from compute.limits import Limits

if TYPE_CHECKING:
    from compute.engines.engine import PartialsResult

EXAMPLES = """examples:
  python -m compute "t*k + 2*t*k**2" --var t=1,2,4 --var k=2,3 --wrt k --format table
  python -m compute "x**2*y" --var "x=linspace(0, 1, 5)" --var y=1,2 --wrt x,x --wrt hessian
  python -m compute "exp(-a*x)" --var "x=arange(0, 1, 0.25)" --param a=2 --wrt x --wrt a
  python -m compute "sin(x*y)" --var "x=linspace(0, pi, 10000)" --var "y=linspace(0, 1, 10000)" \\
      --format summary
A function that starts with '-' goes after '--':  python -m compute --var x=1,2 -- "-x**2"
"""


# Output is written this many numbers at a time, so what it costs beyond the result arrays is a
# few MB whatever the grid (a whole JSON document as nested lists took ~32 bytes a number).
BLOCK_NUMBERS = 1 << 16
TABLE_MAX_NUMBERS = 100_000  # --format table is for reading: bigger results go to csv or summary
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader went away


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, our exit code, no usage dump
        raise PartialsError(printable(message, 300))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m compute",
        description="Exact partial derivatives of a function at every point of a grid.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expr", metavar="EXPR", help="the function, e.g. 't*k + 2*t*k**2'")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=SPEC",
                        help="a grid variable: 1,2,4 | linspace(a,b,n) | arange(a,b,step) | "
                             "logspace(a,b,n) | a value; order gives the axis order")
    parser.add_argument("--at", action="extend", nargs="+", default=None, metavar="NAME=VALUE",
                        help="one point, any values (not only grid points): f, gradient, Hessian "
                             "(with its determinant), Jacobian of a vector-valued f, and --wrt "
                             "partials there; e.g. --at t=1.5 k=2 (instead of --var/--points)")
    parser.add_argument("--points", metavar="CSV",
                        help="scattered points instead of a grid: a CSV file (or - for stdin) "
                             "with a header of variable names")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter (a scalar), e.g. a=2 or w=2*pi")
    parser.add_argument("--wrt", action="append", default=None, metavar="SPEC",
                        help="a partial: k | t,k | k,k,k | gradient | hessian | laplacian | "
                             "jacobian (repeatable; default: every first partial)")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--format", choices=("json", "csv", "table", "summary"), default="json")
    parser.add_argument("--method", choices=METHODS, default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--device", choices=DEVICES, default="auto",
                        help="where to compute: auto (CUDA when torch sees a GPU, else the CPU)")
    parser.add_argument("--max-points", type=int, default=None, metavar="N",
                        help="refuse grids with more than N points "
                             f"(default {Limits.from_env().max_points:,}; env PARTIALS_MAX_POINTS)")
    return parser


def _pairs(items: Sequence[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, spec = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise PartialsError(f"--{what} expects NAME=VALUE, got '{printable(item, 60)}'")
        if name in out:
            raise PartialsError(f"{'variable' if what == 'var' else 'parameter'} "
                                f"'{printable(name, 40)}' is given twice")
        out[name] = spec
    return out


def run(argv: Sequence[str]) -> tuple[PartialsResult | Inspection, str]:
    args = build_parser().parse_args(list(argv))
    overrides = {"max_points": args.max_points} if args.max_points is not None else {}
    limits = Limits.from_env(**overrides)
    expression = parse_expression(args.expr, limits)
    variables = _pairs(args.var, "var")
    params: dict[str, float] = {}
    for name, text in _pairs(args.param, "param").items():
        check_variable_name(name, "parameter")
        try:
            params[name] = parse_constant(text, limits)
        except PartialsError as exc:
            raise exc.in_field(f"parameter {name}") from None
    if args.at is not None:
        return _run_at(args, expression, variables, params, limits), args.format
    if args.points is not None:
        if variables:
            raise PartialsError("give either --var grids or --points, not both")
        domain: Domain = points_from_csv(_read_points(args.points), limits)
    else:
        if not variables:
            raise PartialsError("give at least one grid variable with --var NAME=SPEC")
        domain = make_grid(variables, limits)
    _check_params_used(expression, domain, params)
    if args.format == "table" and domain.size > TABLE_MAX_NUMBERS:
        raise _table_too_big(domain.size)
    # The same spec given twice is one key of the output: ask for it once. Different spellings
    # of one partial ("x,y", "y, x") stay separate keys; the engine computes it once.
    wrt = list(dict.fromkeys(args.wrt)) if args.wrt is not None else None
    bound = bind_names(expression, domain, params)  # every check before torch loads (~2 s)
    # Validated here, before torch loads, and handed on as they are: the engine parses nothing again.
    requests = None if wrt is None else [
        parse_request(spec, domain.names, tuple(bound), limits, expression) for spec in wrt]
    _say_read_as(expression, variables, requests or (), limits)
    from compute.engines.engine import partials_on_grid  # torch loads only once the input is valid
    from compute.engines.parallel import configure

    configure()  # one torch thread, blocks across the cores: robust when another process is busy
    return partials_on_grid(expression, domain, requests, params, dtype=args.dtype,
                            method=args.method, device=args.device, limits=limits), args.format


def _run_at(args: argparse.Namespace, expression: Expression, variables: dict[str, str],
            params: dict[str, float], limits: Limits) -> Inspection:
    """``--at NAME=VALUE ...``: everything about one point (``compute.engines.inspect``)."""
    if variables or args.points is not None:
        raise PartialsError("give either --at (one point) or --var/--points (a grid or points), "
                            "not both")
    from compute.language.grid import make_points

    point = parse_point(args.at, limits)
    domain = make_points({name: [value] for name, value in point.items()}, limits)
    _check_params_used(expression, domain, params)
    bound = bind_names(expression, domain, params)
    wrt = list(dict.fromkeys(args.wrt or ()))
    for spec in wrt:
        parse_request(spec, domain.names, tuple(bound), limits, expression)
    from compute.engines.inspect import inspect_point  # torch loads only once the input is valid

    return inspect_point(expression, point, params, wrt, dtype=args.dtype, method=args.method,
                         device=args.device, limits=limits)


def _write_inspection(inspection: Inspection, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(inspection_json(inspection), allow_nan=False))
    elif fmt == "csv":
        sys.stdout.write(inspection_csv(inspection))
    else:  # table and summary: one point is small
        print(inspection_text(inspection))
    sys.stdout.flush()


def _say_read_as(expression: Expression, variables: dict[str, str], requests: Sequence[Any],
                 limits: Limits) -> None:
    """One stderr note per input typed in another form than the canonical one (``2tk``, a def,
    ``0:0.1:1``, ``∂²f/∂t∂k``), saying how it was read (issue 11)."""
    from compute.language.grid import parse_grid_spec

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


def _check_params_used(expression: Expression, domain: Domain, params: dict[str, float]) -> None:
    """A parameter must be a name the function leaves free (a grid variable it does not use is
    fine: f may be constant in x); a typo would otherwise be ignored without a word."""
    free = expression.free_names
    for name in params:
        if name not in free:
            waiting = [n for n in free if n not in params and n not in domain.names]
            hint = f" — names still without a value: {', '.join(waiting)}" if waiting else ""
            raise PartialsError(f"parameter '{name}' is not a name in the function{hint}")


def _read_points(path: str, max_bytes: int = MAX_CSV_BYTES) -> str:
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


def _table_too_big(numbers: int) -> ResourceLimitError:
    return ResourceLimitError(
        f"--format table is for small results ({numbers:,} numbers; it prints at most "
        f"{TABLE_MAX_NUMBERS:,}) — use --format csv or --format summary"
    )


# --- output, block by block -------------------------------------------------------------------

Block = Callable[[int, int], np.ndarray]  # flat (C-order) values start:stop of one quantity


def _flat(array: np.ndarray) -> Block:
    flat = array.reshape(-1)
    return lambda start, stop: flat[start:stop]


def _laplacian(result: PartialsResult, output: str) -> Block:
    """Blocks of ``result.laplacian(output)`` (the same sum, in the same order) without the
    whole-grid temporaries."""
    parts = [_flat(result.partial((name, name), output)) for name in result.domain.names]
    if len(parts) == 1:
        return parts[0]
    return lambda start, stop: np.sum([part(start, stop) for part in parts], axis=0)


def _columns(result: PartialsResult) -> Iterator[tuple[str, tuple[str, ...] | str, str, str, Block]]:
    """``tables.result_columns`` with lazy values: (output, wrt, label, ascii label, blocks)."""
    for output, wrt, label, ascii_label in column_keys(result):
        if wrt == ():
            block = _flat(result.value(output))
        elif wrt == "laplacian":
            block = _laplacian(result, output)
        else:
            block = _flat(result.partial(wrt, output))
        yield output, wrt, label, ascii_label, block


def _quantity(result: PartialsResult, request, output: str) -> Block | dict[str, Block]:
    """What a request asks for (``result.quantity``), as blocks."""
    if request.kind == "partial":
        return _flat(result.partial(request.components[0], output))
    if request.kind == "laplacian":
        return _laplacian(result, output)
    return {",".join(c): _flat(result.partial(c, output)) for c in request.components}


def _json_lists(block: np.ndarray) -> tuple[list, int]:
    """Nested lists with non-finite numbers as None (JSON null), and how many there were."""
    finite = np.isfinite(block)
    bad = block.size - int(np.count_nonzero(finite))
    if not bad:
        return block.astype(np.float64).tolist(), 0
    obj = block.astype(np.float64).astype(object)
    obj[~finite] = None
    return obj.tolist(), bad


def _write_nested(write: Callable[[str], object], shape: tuple[int, ...], block: Block,
                  offset: int = 0) -> int:
    """Write values ``offset``… as nested JSON arrays of ``shape``, the same text as
    ``json.dumps`` of the whole nested list, at most BLOCK_NUMBERS numbers at a time.
    Returns the count of non-finite numbers written."""
    size = math.prod(shape)
    if size <= BLOCK_NUMBERS:
        lists, bad = _json_lists(block(offset, offset + size).reshape(shape))
        write(json.dumps(lists, allow_nan=False))
        return bad
    inner = math.prod(shape[1:])
    bad = 0
    write("[")
    if inner <= BLOCK_NUMBERS:  # whole rows at a time
        rows = BLOCK_NUMBERS // inner
        for first in range(0, shape[0], rows):
            count = min(rows, shape[0] - first)
            start = offset + first * inner
            lists, n = _json_lists(block(start, start + count * inner).reshape((count, *shape[1:])))
            bad += n
            if first:
                write(", ")
            write(json.dumps(lists, allow_nan=False)[1:-1])
    else:  # a row is itself too big: each row in parts
        for row in range(shape[0]):
            if row:
                write(", ")
            bad += _write_nested(write, shape[1:], block, offset + row * inner)
    write("]")
    return bad


def _write_object(write: Callable[[str], object], items: Sequence[tuple[str, Callable[[], object]]]):
    """``{"key": …, …}`` where each item writes its own value and returns its non-finite count;
    returns ``{key: count}`` (a dict, so a repeated key behaves as in ``json.dumps``)."""
    counts: dict[str, object] = {}
    write("{")
    for i, (key, write_value) in enumerate(items):
        write(("" if i == 0 else ", ") + json.dumps(key) + ": ")
        counts[key] = write_value()
    write("}")
    return counts


def write_json(result: PartialsResult, write: Callable[[str], object]) -> None:
    """The JSON document of PRODUCT.md, byte for byte what ``json.dump`` of the nested lists gave,
    written block by block: nothing is built whole but the result arrays themselves."""
    domain = result.domain
    shape = domain.shape

    def nested(block: Block, of: tuple[int, ...] = shape) -> Callable[[], int]:
        return lambda: _write_nested(write, of, block)

    def partials(output: str) -> Callable[[], dict]:
        items: list[tuple[str, Any]] = []
        for text, request in {r.text: r for r in result.requests}.items():
            quantity = _quantity(result, request, output)
            if isinstance(quantity, dict):
                items.append((text, lambda q=quantity: _write_object(
                    write, [(k, nested(v)) for k, v in q.items()])))
            else:
                items.append((text, nested(quantity)))
        return lambda: _write_object(write, items)

    axes = domain.axes if hasattr(domain, "axes") else domain.columns
    write('{"expression": ' + json.dumps(result.expression.text) + ', "variables": ')
    _write_object(write, [(name, nested(_flat(values), values.shape)) for name, values in axes])
    write(', "params": ' + json.dumps(result.params, allow_nan=False) + ', "value": ')
    outputs = result.outputs
    if len(outputs) == 1:
        counts: dict[str, Any] = {"value": _write_nested(write, shape, _flat(result.value()))}
        write(', "partials": ')
        counts.update(partials(outputs[0])())
    else:
        values = _write_object(write, [(o, nested(_flat(result.value(o)))) for o in outputs])
        write(', "partials": ')
        found = _write_object(write, [(o, partials(o)) for o in outputs])
        counts = {o: {"value": values[o], **found[o]} for o in outputs}
    write(', "nonfinite": ' + json.dumps(counts) + "}\n")


def write_csv(result: PartialsResult, stream) -> None:
    """``tables.tidy_table(result, ascii_labels=True).to_csv(index=False)``, a block of rows at
    a time."""
    import pandas as pd

    domain = result.domain
    columns: dict[str, Block] = {}
    for _, _, _, ascii_label, block in _columns(result):
        label = ascii_label
        while label in columns or label in domain.names:  # a variable may share an output's name
            label += "'"
        columns[label] = block
    rows = max(1, BLOCK_NUMBERS // (len(domain.names) + len(columns)))
    for start in range(0, domain.size, rows):
        stop = min(start + rows, domain.size)
        data = dict(domain.coordinates(start, stop))
        data.update((label, block(start, stop)) for label, block in columns.items())
        pd.DataFrame(data).to_csv(stream, index=False, header=start == 0)


def to_table(result: PartialsResult) -> str:
    from compute.views.tables import result_columns, tidy_table, wide_table

    columns = list(result_columns(result))
    numbers = result.domain.size * len(columns)
    if numbers > TABLE_MAX_NUMBERS:
        raise _table_too_big(numbers)
    if hasattr(result.domain, "axes") and len(result.domain.names) == 2:
        blocks = [f"{c.label}\n{wide_table(result, c).to_string()}" for c in columns]
        return "\n\n".join(blocks)
    return tidy_table(result).to_string(index=False)


def to_summary(result: PartialsResult, seconds: float) -> str:
    domain = result.domain
    kind = "grid" if hasattr(domain, "axes") else "points"
    shape = " × ".join(str(n) for n in domain.shape)
    lines = [
        f"expression: {result.expression.text}",
        f"{kind}: {', '.join(domain.names)}  shape {shape} = {domain.size:,} points",
        f"dtype: {result.dtype}  method: {result.method}  device: {result.device}",
        f"{'quantity':<16} {'min':>14} {'max':>14} {'non-finite':>11} {'seconds':>9}",
    ]
    step = BLOCK_NUMBERS * 16
    for output, wrt, label, _, block in _columns(result):
        low = high = None
        bad = 0
        for start in range(0, domain.size, step):
            values = block(start, min(start + step, domain.size))
            finite = values[np.isfinite(values)]
            bad += values.size - finite.size
            if finite.size:
                low = finite.min() if low is None else min(low, finite.min())
                high = finite.max() if high is None else max(high, finite.max())
        lo = "—" if low is None else f"{low:.6g}"
        hi = "—" if high is None else f"{high:.6g}"
        secs = 0.0 if wrt == "laplacian" else result.seconds_for(output, wrt)
        lines.append(f"{label:<16} {lo:>14} {hi:>14} {bad:>11,} {secs:>9.4f}")
    lines.append(f"total seconds: {seconds:.3f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            cast(io.TextIOWrapper, stream).reconfigure(errors="backslashreplace")
    try:
        start = time.perf_counter()
        result, fmt = run(argv)
        if isinstance(result, Inspection):
            _write_inspection(result, fmt)
            return 0
        seconds = time.perf_counter() - start
        if fmt == "json":
            write_json(result, sys.stdout.write)
        elif fmt == "csv":
            write_csv(result, sys.stdout)
        elif fmt == "table":
            print(to_table(result))
        else:
            print(to_summary(result, seconds))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's final flush
        return 0
    except BrokenPipeError:
        return _closed_pipe()
    except ResourceLimitError as exc:
        return _fail(exc.describe(), 3)
    except PartialsError as exc:
        return _fail(exc.describe(), 2)
    except MemoryError:
        return _fail("out of memory — try a smaller grid or fewer partials", 3)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001 - never a traceback
        return _fail(f"internal error ({exc.__class__.__name__}); please report it", 1)


def _fail(message: str, code: int) -> int:
    with contextlib.suppress(OSError, ValueError):  # stderr itself may be a closed pipe
        print(f"error: {message}", file=sys.stderr)
    return code


def _closed_pipe() -> int:
    """The reader went away (``| head``): stop quietly, as Unix tools do. stdout now points at
    /dev/null so the interpreter's last flush of what is still buffered reports nothing."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    return EXIT_CLOSED_PIPE
