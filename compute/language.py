"""The vocabulary of the expression language: functions with their arity, and constants.

Each lowering (torch, NumPy constant folding, SymPy) maps these same names; a test checks that
every lowering covers exactly this table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    min_args: int
    max_args: int
    summary: str

    def arity_text(self) -> str:
        if self.min_args == self.max_args:
            n = self.min_args
            return f"{n} argument" + ("" if n == 1 else "s")
        if self.max_args >= 99:
            return f"at least {self.min_args} arguments"
        return f"{self.min_args} to {self.max_args} arguments"


def _unary(name: str, summary: str) -> FunctionInfo:
    return FunctionInfo(name, 1, 1, summary)


FUNCTIONS: dict[str, FunctionInfo] = {
    f.name: f
    for f in [
        _unary("sin", "sine"),
        _unary("cos", "cosine"),
        _unary("tan", "tangent"),
        _unary("asin", "inverse sine"),
        _unary("acos", "inverse cosine"),
        _unary("atan", "inverse tangent"),
        FunctionInfo("atan2", 2, 2, "atan2(y, x): angle of the point (x, y)"),
        _unary("sinh", "hyperbolic sine"),
        _unary("cosh", "hyperbolic cosine"),
        _unary("tanh", "hyperbolic tangent"),
        _unary("sech", "hyperbolic secant, 1/cosh(x)"),
        _unary("asinh", "inverse hyperbolic sine"),
        _unary("acosh", "inverse hyperbolic cosine"),
        _unary("atanh", "inverse hyperbolic tangent"),
        _unary("exp", "exponential"),
        _unary("expm1", "exp(x) - 1, accurate near 0"),
        _unary("log", "natural logarithm"),
        _unary("log1p", "log(1 + x), accurate near 0"),
        _unary("log2", "base-2 logarithm"),
        _unary("log10", "base-10 logarithm"),
        _unary("sqrt", "square root"),
        _unary("cbrt", "real cube root"),
        _unary("abs", "absolute value"),
        _unary("sign", "sign: -1, 0 or 1"),
        _unary("erf", "error function"),
        _unary("erfc", "complementary error function"),
        FunctionInfo("min", 2, 99, "smallest of its arguments"),
        FunctionInfo("max", 2, 99, "largest of its arguments"),
        _unary("sigmoid", "logistic function 1/(1 + exp(-x))"),
        _unary("softplus", "log(1 + exp(x))"),
        FunctionInfo("where", 3, 3, "where(condition, a, b): a where the condition holds, else b"),
    ]
}

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

COMPARISONS = ("<", "<=", ">", ">=")

RESERVED_NAMES = frozenset(FUNCTIONS) | frozenset(CONSTANTS)
