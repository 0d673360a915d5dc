"""LaTeX formulas computed in a pool of worker processes, each killed and replaced on timeout.

Symbolic work on an adversarial but valid tree can take minutes; a failure hides the formula,
never the numbers.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Sequence

from compute.language.expression import Expression, parse_expression
from compute.service.workers import CallFailed, WorkerPool, WorkerSettings
from compute.views.symbolic import FormulaKey, FormulaSet


class FormulasBusy(Exception):
    """No formula worker was free in time: try again later (not the same as "no formula")."""


_FORMULA_SETTINGS = WorkerSettings(
    "compute.service.formula_worker",
    memory_bytes=int(os.environ.get("PARTIALS_JOB_MEMORY_BYTES", str(3 * 2**30))), nice=10,
    start_seconds=60)
_POOL: list[WorkerPool] = []  # made on first use: importing this module starts nothing
_POOL_LOCK = threading.Lock()


def formula_pool() -> WorkerPool:
    """Up to ``PARTIALS_FORMULA_WORKERS`` (4) SymPy workers, one request each at a time: a slow
    formula occupies one worker for at most its time limit, so one user's huge expression does
    not hold up another's formulas (one worker behind a lock did)."""
    with _POOL_LOCK:
        if not _POOL:
            size = int(os.environ.get("PARTIALS_FORMULA_WORKERS", "4"))
            _POOL.append(WorkerPool(_FORMULA_SETTINGS, size, keep_ready=1))
            _POOL[0].warm()
            atexit.register(_POOL[0].close)
        return _POOL[0]


def formula_set(
    expression: Expression, keys: Sequence[FormulaKey], timeout_s: float = 5.0, queue_s: float | None = None,
) -> FormulaSet:
    """The formulas for each ``(output, wrt)`` and the definitions they use, from a worker; None
    where SymPy failed, ran too long or too large. Raises :class:`FormulasBusy` when no worker
    frees up within ``queue_s`` (default: the timeout).

    The worker gets the validated expression itself (a pickle between our own processes).
    """
    keys = list(keys)
    none = FormulaSet({key: None for key in keys})
    try:
        answer = formula_pool().call((expression, keys), cpu_seconds=None, wall_seconds=timeout_s,
                                     queue_seconds=timeout_s if queue_s is None else queue_s)
    except CallFailed as exc:
        if exc.reason == "queue":
            raise FormulasBusy from None
        return none
    if not (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], list)
            and len(answer[0]) == len(keys)):
        return none
    latex, where = answer
    return FormulaSet(dict(zip(keys, latex, strict=True)), tuple(tuple(entry) for entry in where))


def formulas_latex(
    expression: Expression | str, keys: Sequence[FormulaKey], timeout_s: float = 5.0,
    queue_s: float | None = None,
) -> dict[FormulaKey, str | None]:
    """LaTeX for each ``(output, wrt)`` (see :func:`formula_set`, which adds the definitions)."""
    if isinstance(expression, str):
        expression = parse_expression(expression)
    return formula_set(expression, keys, timeout_s, queue_s).latex
