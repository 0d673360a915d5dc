"""Resource limits, checked before anything big is parsed or allocated.

Defaults suit the command line; the app passes tighter ones. Each can be overridden by an
environment variable ``PARTIALS_<FIELD>`` (e.g. ``PARTIALS_MAX_POINTS=1000000``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Limits:
    max_expression_chars: int = 2000
    max_spec_chars: int = 500
    max_nodes: int = 1500
    max_depth: int = 200
    max_lines: int = 40
    max_points: int = 200_000_000
    max_axis_points: int = 200_000_000
    max_order: int = 4
    max_partials: int = 64
    max_variables: int = 16
    max_outputs: int = 16
    max_result_bytes: int = 16 * 2**30

    @classmethod
    def from_env(cls, **overrides: int) -> Limits:
        """Defaults, then ``PARTIALS_*`` environment variables, then explicit overrides."""
        values: dict[str, int] = {}
        for f in fields(cls):
            raw = os.environ.get(f"PARTIALS_{f.name.upper()}")
            if raw is not None:
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    continue
        values.update(overrides)
        return replace(cls(), **values)


DEFAULT_LIMITS = Limits()
