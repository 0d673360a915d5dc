"""The vocabulary of the expression language: its functions (from the registry in
``compute.registry.functions``, which also holds every lowering of each), constants and comparisons."""

from __future__ import annotations

from compute.language.tree import COMPARE_OPS, CONSTANTS
from compute.registry.functions import FUNCTIONS

COMPARISONS = tuple(COMPARE_OPS.values())

# diff(u, x) is a form of the language, not a registry function (compute.language.derivative_forms).
RESERVED_NAMES = frozenset(FUNCTIONS) | frozenset(CONSTANTS) | frozenset({"diff"})

__all__ = ["COMPARISONS", "CONSTANTS", "FUNCTIONS", "RESERVED_NAMES"]
