"""The vocabulary of the expression language: its functions (from the registry in
``compute.functions``, which also holds every lowering of each), constants and comparisons."""

from __future__ import annotations

import math

from .functions import FUNCTIONS

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

COMPARISONS = ("<", "<=", ">", ">=")

RESERVED_NAMES = frozenset(FUNCTIONS) | frozenset(CONSTANTS)

__all__ = ["COMPARISONS", "CONSTANTS", "FUNCTIONS", "RESERVED_NAMES"]
