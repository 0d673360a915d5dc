"""Partials' pure core: parse a function, build a grid, get exact partials at every point.

Parsing and validation import no torch: the CLI rejects bad input in a fraction of a second.
The engine (and torch) load on first use of ``partials_on_grid`` or ``PartialsResult``.
"""

from typing import TYPE_CHECKING

from compute import _interrupt  # noqa: F401 - first: under `python -m compute`, Ctrl-C exits quietly
from compute.errors import PartialsError, ResourceLimitError
from compute.language.derivatives import DerivativeRequest, parse_derivative_spec, partial_label
from compute.language.expression import Expression, parse_expression
from compute.language.grid import (
    AxisSpec,
    Grid,
    Points,
    make_grid,
    make_points,
    parse_grid_spec,
    points_from_csv,
)
from compute.language.numbers import parse_constant
from compute.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from compute.engines.engine import PartialsResult, partials_on_grid

_LAZY = {"PartialsResult", "partials_on_grid"}


def __getattr__(name: str):
    if name in _LAZY:
        from compute.engines import engine

        return getattr(engine, name)
    raise AttributeError(name)


__all__ = [
    "DEFAULT_LIMITS",
    "AxisSpec",
    "DerivativeRequest",
    "Expression",
    "Grid",
    "Limits",
    "PartialsError",
    "PartialsResult",
    "Points",
    "ResourceLimitError",
    "make_grid",
    "make_points",
    "parse_constant",
    "parse_derivative_spec",
    "parse_expression",
    "parse_grid_spec",
    "partial_label",
    "partials_on_grid",
    "points_from_csv",
]
