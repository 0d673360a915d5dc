"""Constant folding in float64, with overflow detected rather than computed exactly.

Python would compute ``9**9**9`` exactly (a 370-million-digit integer); we fold every constant as
an IEEE float64 with NumPy's overflow trap on, so huge constants fail at once. Domain results
(``1/0``, ``log(0)``, ``sqrt(-1)``) are not errors: they fold to inf/NaN like torch would
compute them on the grid, and are reported there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


class ConstantOverflow(ArithmeticError):
    """A constant subexpression exceeds float64."""


def _sigmoid(x: np.float64) -> np.float64:
    if x >= 0:
        return np.float64(1.0) / (np.float64(1.0) + np.exp(-x))
    z = np.exp(x)
    return z / (np.float64(1.0) + z)


def _sech(x: np.float64) -> np.float64:
    """1/cosh(x) without overflowing cosh: sech(1000) is 0, not an error."""
    e = np.exp(-np.abs(x))
    return np.float64(2.0) * e / (np.float64(1.0) + e * e)


def _cbrt(x: np.float64) -> np.float64:
    return np.cbrt(x)


_UNARY: dict[str, Callable[[np.float64], np.float64]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "sech": _sech,
    "asinh": np.arcsinh,
    "acosh": np.arccosh,
    "atanh": np.arctanh,
    "exp": np.exp,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "cbrt": _cbrt,
    "abs": np.abs,
    "sign": np.sign,
    "erf": lambda x: np.float64(math.erf(x)),
    "erfc": lambda x: np.float64(math.erfc(x)),
    "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(np.float64(0.0), x),
}


def _nary(func: str, args: list[np.float64]) -> np.float64:
    if func == "atan2":
        return np.arctan2(args[0], args[1])
    if func == "min":
        out = args[0]
        for a in args[1:]:
            out = np.minimum(out, a)
        return out
    if func == "max":
        out = args[0]
        for a in args[1:]:
            out = np.maximum(out, a)
        return out
    if func == "where":
        return args[1] if args[0] else args[2]
    raise KeyError(func)


FOLDABLE_FUNCTIONS = frozenset(_UNARY) | {"atan2", "min", "max", "where"}

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
    values = [np.float64(a) for a in args]
    with np.errstate(over="raise", divide="ignore", invalid="ignore", under="ignore"):
        try:
            if func in _UNARY:
                return float(_UNARY[func](values[0]))
            return float(_nary(func, values))
        except (FloatingPointError, OverflowError) as exc:
            raise ConstantOverflow(str(exc)) from None
