"""The command-line contract of PRODUCT.md: the arguments, the order of the checks, the exit codes.

Exit 0 on success; 2 with one ``error: ...`` line for bad input; 3 when a resource limit stops
the job. Never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from compute.cli.inputs import check_params_used, read_constants, read_pairs, read_points, say_read_as
from compute.cli.output import TABLE_MAX_NUMBERS, table_too_big, write_result
from compute.cli.point import run_at, write_inspection
from compute.engines.inspect import Inspection
from compute.errors import PartialsError, ResourceLimitError
from compute.language.derivatives import DEVICES, METHODS, parse_request
from compute.language.expression import parse_expression
from compute.language.grid import Domain, bind_names, make_grid, points_from_csv
from compute.language.numbers import printable
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
    parser.add_argument("--build-kernel", action="store_true",
                        help="after answering, build this function's fused kernel (seconds to a "
                             "minute of CPU; needs g++) so that later runs of it on large grids "
                             "are several times faster; without it a run uses kernels already built")
    parser.add_argument("--max-points", type=int, default=None, metavar="N",
                        help="refuse grids with more than N points "
                             f"(default {Limits.from_env().max_points:,}; env PARTIALS_MAX_POINTS)")
    return parser


def run(argv: Sequence[str]) -> tuple[PartialsResult | Inspection, str]:
    """The result the arguments ask for, and the output format: every input is checked before
    torch loads (~2 s)."""
    args = build_parser().parse_args(list(argv))
    overrides = {"max_points": args.max_points} if args.max_points is not None else {}
    limits = Limits.from_env(**overrides)
    expression = parse_expression(args.expr, limits)
    variables = read_pairs(args.var, "var")
    params = read_constants(args.param, "param", limits)
    if args.at is not None:
        return run_at(args, expression, variables, params, limits), args.format
    if args.points is not None:
        if variables:
            raise PartialsError("give either --var grids or --points, not both")
        domain: Domain = points_from_csv(read_points(args.points), limits)
    else:
        if not variables:
            raise PartialsError("give at least one grid variable with --var NAME=SPEC")
        domain = make_grid(variables, limits)
    check_params_used(expression, domain, params)
    if args.format == "table" and domain.size > TABLE_MAX_NUMBERS:
        raise table_too_big(domain.size)
    # The same spec given twice is one key of the output: ask for it once. Different spellings
    # of one partial ("x,y", "y, x") stay separate keys; the engine computes it once.
    wrt = list(dict.fromkeys(args.wrt)) if args.wrt is not None else None
    bound = bind_names(expression, domain, params)  # every check before torch loads (~2 s)
    # Validated here, before torch loads, and handed on as they are: the engine parses nothing again.
    requests = None if wrt is None else [
        parse_request(spec, domain.names, tuple(bound), limits, expression) for spec in wrt]
    say_read_as(expression, variables, requests or (), limits)
    from compute.engines.engine import partials_on_grid  # torch loads only once the input is valid
    from compute.engines.parallel import configure
    from compute.service.machine import runnable_elsewhere

    # One torch thread, blocks across the cores nobody else is using: robust when another process is busy.
    configure(runnable_elsewhere=runnable_elsewhere)
    return partials_on_grid(expression, domain, requests, params, dtype=args.dtype,
                            method=args.method, device=args.device, limits=limits), args.format


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m compute``: run, write, and turn every outcome into an exit code."""
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            cast(io.TextIOWrapper, stream).reconfigure(errors="backslashreplace")
    try:
        start = time.perf_counter()
        result, fmt = run(argv)
        if isinstance(result, Inspection):
            write_inspection(result, fmt)
            return 0
        write_result(result, fmt, time.perf_counter() - start)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's final flush
        if build_parser().parse_args(list(argv)).build_kernel:
            build_kernel(result)
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


def build_kernel(result: PartialsResult) -> None:
    """Build the kernel the result ordered (after its output was written), saying what happened."""
    from compute.engines import fused

    order = result.fuse_order
    if result.fused_blocks:
        note = "this function's fused kernel is already built (it computed this result)"
    elif order is None:
        note = (f"no fused kernel: only grids of {fused.MIN_POINTS:,}+ points computed with the "
                "symbolic engine on the CPU use one (or it failed to build before)")
    else:
        from compute.engines.fused_build import build

        start = time.perf_counter()
        status = build(order)
        note = (f"fused kernel built in {time.perf_counter() - start:.1f} s: later runs of this "
                "function and these partials use it" if status == "ready"
                else f"the fused kernel could not be built ({status[8:]}); runs stay eager")
    print(f"note: {note}", file=sys.stderr)


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
