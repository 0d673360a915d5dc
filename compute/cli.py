"""``python -m compute``: the command-line contract of PRODUCT.md.

Exit 0 on success; 2 with one ``error: ...`` line for bad input; 3 when a resource limit stops
the job. Never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .derivatives import DEVICES, METHODS
from .errors import PartialsError, ResourceLimitError
from .expression import parse_expression
from .grid import make_grid, points_from_csv
from .limits import Limits
from .numbers import parse_constant

if TYPE_CHECKING:
    from .engine import PartialsResult

EXAMPLES = """examples:
  python -m compute "t*k + 2*t*k**2" --var t=1,2,4 --var k=2,3 --wrt k --format table
  python -m compute "x**2*y" --var "x=linspace(0, 1, 5)" --var y=1,2 --wrt x,x --wrt hessian
  python -m compute "exp(-a*x)" --var "x=arange(0, 1, 0.25)" --param a=2 --wrt x --wrt a
  python -m compute "sin(x*y)" --var "x=linspace(0, pi, 10000)" --var "y=linspace(0, 1, 10000)" \\
      --format summary
A function that starts with '-' goes after '--':  python -m compute --var x=1,2 -- "-x**2"
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, our exit code, no usage dump
        raise PartialsError(message)


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
            raise PartialsError(f"--{what} expects NAME=VALUE, got '{item[:60]}'")
        if name in out:
            raise PartialsError(f"{'variable' if what == 'var' else 'parameter'} '{name}' is given twice")
        out[name] = spec
    return out


def run(argv: Sequence[str]) -> tuple[PartialsResult, str]:
    args = build_parser().parse_args(list(argv))
    overrides = {"max_points": args.max_points} if args.max_points is not None else {}
    limits = Limits.from_env(**overrides)
    expression = parse_expression(args.expr, limits)
    variables = _pairs(args.var, "var")
    params: dict[str, float] = {}
    for name, text in _pairs(args.param, "param").items():
        try:
            params[name] = parse_constant(text, limits)
        except PartialsError as exc:
            raise exc.in_field(f"parameter {name}") from None
    if args.points is not None:
        if variables:
            raise PartialsError("give either --var grids or --points, not both")
        text = sys.stdin.read() if args.points == "-" else _read_file(args.points)
        domain = points_from_csv(text, limits)
    else:
        if not variables:
            raise PartialsError("give at least one grid variable with --var NAME=SPEC")
        domain = make_grid(variables, limits)
    from .engine import partials_on_grid  # torch loads only once the input is valid

    return partials_on_grid(expression, domain, args.wrt, params, dtype=args.dtype,
                            method=args.method, device=args.device, limits=limits), args.format


def _read_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(20_000_001)
    except (OSError, UnicodeDecodeError) as exc:
        raise PartialsError(f"cannot read {path}: {exc.__class__.__name__}") from None


def _nested(array: np.ndarray) -> list:
    """Nested lists in grid shape with non-finite numbers as None (JSON null)."""
    finite = np.isfinite(array)
    if finite.all():
        return array.astype(np.float64).tolist()
    obj = array.astype(np.float64).astype(object)
    obj[~finite] = None
    return obj.tolist()


def to_json(result: PartialsResult) -> dict:
    def per_output(output: str) -> tuple[dict, dict]:
        partials: dict = {}
        counts: dict = {"value": result.nonfinite(result.value(output))}
        for request in result.requests:
            quantity = result.quantity(request, output)
            if isinstance(quantity, dict):
                partials[request.text] = {k: _nested(v) for k, v in quantity.items()}
                counts[request.text] = {k: result.nonfinite(v) for k, v in quantity.items()}
            else:
                partials[request.text] = _nested(quantity)
                counts[request.text] = result.nonfinite(quantity)
        return partials, counts

    domain = result.domain
    variables = ({name: values.tolist() for name, values in domain.axes}
                 if hasattr(domain, "axes") else {n: v.tolist() for n, v in domain.columns})
    out = {"expression": result.expression.text, "variables": variables, "params": result.params}
    if len(result.outputs) == 1:
        partials, counts = per_output(result.outputs[0])
        out.update(value=_nested(result.value()), partials=partials, nonfinite=counts)
    else:
        both = {o: per_output(o) for o in result.outputs}
        out["value"] = {o: _nested(result.value(o)) for o in result.outputs}
        out["partials"] = {o: both[o][0] for o in result.outputs}
        out["nonfinite"] = {o: both[o][1] for o in result.outputs}
    return out


def to_table(result: PartialsResult) -> str:
    from .tables import result_columns, tidy_table, wide_table

    columns = list(result_columns(result))
    if hasattr(result.domain, "axes") and len(result.domain.names) == 2:
        blocks = [f"{c.label}\n{wide_table(result, c).to_string()}" for c in columns]
        return "\n\n".join(blocks)
    return tidy_table(result).to_string(index=False)


def to_summary(result: PartialsResult, seconds: float) -> str:
    from .tables import result_columns

    domain = result.domain
    kind = "grid" if hasattr(domain, "axes") else "points"
    shape = " × ".join(str(n) for n in domain.shape)
    lines = [
        f"expression: {result.expression.text}",
        f"{kind}: {', '.join(domain.names)}  shape {shape} = {domain.size:,} points",
        f"dtype: {result.dtype}  method: {result.method}  device: {result.device}",
        f"{'quantity':<16} {'min':>14} {'max':>14} {'non-finite':>11} {'seconds':>9}",
    ]
    for column in result_columns(result):
        values = column.values
        finite = values[np.isfinite(values)]
        lo = f"{finite.min():.6g}" if finite.size else "—"
        hi = f"{finite.max():.6g}" if finite.size else "—"
        secs = 0.0 if column.wrt == "laplacian" else result.seconds_for(column.output, column.wrt)
        lines.append(f"{column.label:<16} {lo:>14} {hi:>14} {result.nonfinite(values):>11,} {secs:>9.4f}")
    lines.append(f"total seconds: {seconds:.3f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    try:
        start = time.perf_counter()
        result, fmt = run(argv)
        seconds = time.perf_counter() - start
        if fmt == "json":
            json.dump(to_json(result), sys.stdout, allow_nan=False)
            sys.stdout.write("\n")
        elif fmt == "csv":
            from .tables import tidy_table

            tidy_table(result, ascii_labels=True).to_csv(sys.stdout, index=False)
        elif fmt == "table":
            print(to_table(result))
        else:
            print(to_summary(result, seconds))
        return 0
    except ResourceLimitError as exc:
        print(f"error: {exc.describe()}", file=sys.stderr)
        return 3
    except PartialsError as exc:
        print(f"error: {exc.describe()}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of memory — try a smaller grid or fewer partials", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001 - never a traceback
        print(f"error: internal error ({exc.__class__.__name__}); please report it", file=sys.stderr)
        return 1
