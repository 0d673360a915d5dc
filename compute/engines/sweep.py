"""One parameter swept across a range: the same partials at each value, for animations.

A sweep is cheap because only the plotted plane is needed — the functions are pointwise, so the
partials at a thinned sub-grid are exactly the full grid's partials at those points — and the
derivative program is built once and reused for every frame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from compute.engines.engine import PartialsResult, partials_on_grid
from compute.errors import PartialsError, ResourceLimitError
from compute.language.derivatives import DerivativeRequest
from compute.language.expression import Expression
from compute.language.grid import Domain, Grid
from compute.limits import DEFAULT_LIMITS, Limits

MAX_FRAMES = 60


def sweep_values(start: float, stop: float, frames: int) -> tuple[float, ...]:
    """``frames`` evenly spaced values from ``start`` to ``stop``, both included."""
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise PartialsError("the sweep's ends must be finite numbers")
    if start == stop:
        raise PartialsError("the sweep needs two different ends")
    if not 2 <= frames <= MAX_FRAMES:
        raise PartialsError(f"an animation has 2 to {MAX_FRAMES} frames, not {frames}")
    return tuple(float(v) for v in np.linspace(start, stop, frames))


def thinned_plane(grid: Grid, axes: Sequence[str], index: Mapping[str, int],
                  max_per_axis: int) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """The sub-grid a plot shows: each plotted axis thinned to every k-th value (at most
    ``max_per_axis`` of them, as the plots thin large grids), every other variable at its slice
    value."""
    plane = []
    for name, values in grid.axes:
        if name in axes:
            step = max(1, math.ceil(len(values) / max_per_axis))
            picked = values[::step]
        else:
            picked = values[index.get(name, 0):][:1]
        plane.append((name, tuple(float(v) for v in picked)))
    return tuple(plane)


def partials_over_sweep(
    expression: Expression,
    domain: Domain,
    wrt: Sequence[str | DerivativeRequest],
    params: Mapping[str, float],
    name: str,
    values: Sequence[float],
    *,
    dtype: str = "float64",
    limits: Limits = DEFAULT_LIMITS,
) -> list[PartialsResult]:
    """The partials on ``domain`` with parameter ``name`` set to each of ``values`` in turn."""
    if name not in params:
        raise PartialsError(f"'{name}' is not a parameter of this view — only parameters sweep")
    if not 1 <= len(values) <= MAX_FRAMES:
        raise PartialsError(f"a sweep has 1 to {MAX_FRAMES} values, not {len(values)}")
    if domain.size * len(values) > limits.max_points:
        raise ResourceLimitError(
            f"{len(values)} frames × {domain.size:,} points is over the limit of "
            f"{limits.max_points:,} points — use fewer frames")
    return [partials_on_grid(expression, domain, wrt, {**params, name: float(v)}, dtype=dtype,
                             limits=limits) for v in values]
