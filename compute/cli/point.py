"""``--at NAME=VALUE ...``: everything about one point (``compute.engines.inspect``), from the
command line: any values, not only grid points."""

from __future__ import annotations

import argparse
import json
import sys

from compute.cli.inputs import check_params_used, read_constants
from compute.engines.inspect import (
    Inspection,
    inspect_point,
    inspection_csv,
    inspection_json,
    inspection_text,
)
from compute.errors import PartialsError
from compute.language.derivatives import parse_request
from compute.language.expression import Expression
from compute.language.grid import bind_names, make_points
from compute.limits import Limits


def run_at(args: argparse.Namespace, expression: Expression, variables: dict[str, str],
           params: dict[str, float], limits: Limits) -> Inspection:
    """The inspection of the point ``--at`` names, every input checked before torch loads."""
    if variables or args.points is not None:
        raise PartialsError("give either --at (one point) or --var/--points (a grid or points), "
                            "not both")
    point = read_constants(args.at, "at", limits)
    domain = make_points({name: [value] for name, value in point.items()}, limits)
    check_params_used(expression, domain, params)
    bound = bind_names(expression, domain, params)
    wrt = list(dict.fromkeys(args.wrt or ()))
    for spec in wrt:
        parse_request(spec, domain.names, tuple(bound), limits, expression)
    # torch loads inside, only now that the input is valid
    return inspect_point(expression, point, params, wrt, dtype=args.dtype, method=args.method,
                         device=args.device, limits=limits)


def write_inspection(inspection: Inspection, fmt: str) -> None:
    """The inspection on stdout; table and summary are one text, as one point is small."""
    if fmt == "json":
        print(json.dumps(inspection_json(inspection), allow_nan=False))
    elif fmt == "csv":
        sys.stdout.write(inspection_csv(inspection))
    else:
        print(inspection_text(inspection))
    sys.stdout.flush()
