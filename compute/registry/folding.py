"""Constant folding in float64, with overflow detected rather than computed exactly.

Python would compute ``9**9**9`` exactly (a 370-million-digit integer); we fold every constant as
an IEEE float64 with NumPy's overflow trap on, so huge constants fail at once. Domain results
(``1/0``, ``log(0)``, ``sqrt(-1)``) are not errors: they fold to inf/NaN like torch would
compute them on the grid, and are reported there. Each function folds with its registry entry's
``fold`` (``compute.registry.catalogue``); the folds NumPy and ``math`` lack are written here
(np.float64 in, float out).
"""

from __future__ import annotations

import math
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


# -- the folds NumPy and math do not have ---------------------------------------------------------

def fold_sigmoid(x: np.float64) -> np.float64:
    if x >= 0:
        return np.float64(1.0) / (np.float64(1.0) + np.exp(-x))
    z = np.exp(x)
    return z / (np.float64(1.0) + z)


def fold_sech(x: np.float64) -> np.float64:
    """1/cosh(x) without overflowing cosh: sech(1000) is 0, not an error."""
    e = np.exp(-np.abs(x))
    return np.float64(2.0) * e / (np.float64(1.0) + e * e)


def _gamma_sign(x: float) -> float:
    return 1.0 if x > 0 else 1.0 + 4.0 * math.floor(x / 2.0) - 2.0 * math.floor(x)


def fold_gamma(x: float) -> float:
    x = float(x)
    if x <= 0 and x == math.floor(x):  # a pole: ±inf like the torch definition
        return _gamma_sign(x) * math.inf
    return math.gamma(x)  # OverflowError past 171.6: a constant too large, like exp(710)


def fold_lgamma(x: float) -> float:
    x = float(x)
    return math.inf if x <= 0 and x == math.floor(x) else math.lgamma(x)


def fold_digamma(x: float) -> float:
    """ψ(x) to ~1e-15: reflection for x < 0.5, recurrence up to 10, then the asymptotic series."""
    x = float(x)
    if x <= 0 and x == math.floor(x):
        return math.nan
    if x < 0.5:
        return fold_digamma(np.float64(1.0 - x)) - math.pi / math.tan(math.pi * x)
    shift = 0.0
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return shift + math.log(x) - 0.5 / x - series


def fold_zeta(s: np.float64, q: np.float64) -> float:
    """Hurwitz ζ(s, q) for a whole s ≥ 2: only reached from a rule with a constant argument."""
    import torch  # never from user text: the function is not part of the language

    return float(torch.special.zeta(torch.tensor(float(s), dtype=torch.float64),
                                    torch.tensor(float(q), dtype=torch.float64)))


def fold_where(c, a, b):
    return a if c else b


def fold_variadic(reduce):
    def fold(*args):
        out = args[0]
        for a in args[1:]:
            out = reduce(out, a)
        return out

    return fold
