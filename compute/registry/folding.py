"""Constant folding in float64, with overflow detected rather than computed exactly.

Python would compute ``9**9**9`` exactly (a 370-million-digit integer); we fold every constant as
an IEEE float64 with NumPy's overflow trap on, so huge constants fail at once. Domain results
(``1/0``, ``log(0)``, ``sqrt(-1)``) are not errors: they fold to inf/NaN like torch would
compute them on the grid, and are reported there. Each function folds with its registry entry's
``fold`` (``compute.registry.functions``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class ConstantOverflow(ArithmeticError):
    """A constant subexpression exceeds float64."""


_BINARY: dict[str, Callable[[np.float64, np.float64], np.float64]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "**": np.power,
    "<": lambda a, b: np.float64(a < b),
    "<=": lambda a, b: np.float64(a <= b),
    ">": lambda a, b: np.float64(a > b),
    ">=": lambda a, b: np.float64(a >= b),
}


def fold_unary_minus(x: float) -> float:
    return -x


def fold_binary(op: str, a: float, b: float) -> float:
    with np.errstate(over="raise", divide="ignore", invalid="ignore", under="ignore"):
        try:
            return float(_BINARY[op](np.float64(a), np.float64(b)))
        except FloatingPointError as exc:
            raise ConstantOverflow(str(exc)) from None


def fold_call(func: str, args: list[float]) -> float:
    from compute.registry.functions import REGISTRY  # the registry folds its own rules' constants with this

    values = [np.float64(a) for a in args]
    with np.errstate(over="raise", divide="ignore", invalid="ignore", under="ignore"):
        try:
            return float(REGISTRY[func].fold(*values))
        except (FloatingPointError, OverflowError) as exc:
            raise ConstantOverflow(str(exc)) from None
