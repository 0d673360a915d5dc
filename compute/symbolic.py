"""The second lowering: a SymPy expression built with constructors, for LaTeX formulas.

SymPy's own parser evaluates text with ``eval``; we never hand it user text. We build the
expression from the validated tree, never simplify, and cap size and time: symbolic work on an
adversarial but valid tree can take minutes, so :func:`formulas_latex` runs it in a pool of
worker processes (:mod:`compute.workers`), each killed and replaced on timeout. A failure hides
the formula, never the numbers.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Sequence

import sympy as sp

from .expression import Expression, parse_expression
from .tree import Binary, Call, Compare, Constant, Node, Num, Ref, Symbol, Unary
from .workers import CallFailed, WorkerPool, WorkerSettings

MAX_SYMBOLIC_NODES = 400
MAX_LATEX_CHARS = 4000


def _cbrt(x: sp.Expr) -> sp.Expr:
    return sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3)


SYMPY_FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "atan2": sp.atan2,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "sech": sp.sech,
    "asinh": sp.asinh,
    "acosh": sp.acosh,
    "atanh": sp.atanh,
    "exp": sp.exp,
    "expm1": lambda x: sp.exp(x) - 1,
    "log": sp.log,
    "log1p": lambda x: sp.log(1 + x),
    "log2": lambda x: sp.log(x, 2),
    "log10": lambda x: sp.log(x, 10),
    "sqrt": sp.sqrt,
    "cbrt": _cbrt,
    "abs": sp.Abs,
    "sign": sp.sign,
    "erf": sp.erf,
    "erfc": sp.erfc,
    "min": sp.Min,
    "max": sp.Max,
    "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    "where": lambda c, a, b: sp.Piecewise((a, c), (b, True)),
}
_COMPARE = {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge}


def sympy_symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def latex_name(name: str) -> str:
    """How a name prints in formulas: ``sigma`` → ``\\sigma``, ``x1`` → ``x_{1}``."""
    return sp.latex(sympy_symbol(name))


def to_sympy(expression: Expression) -> dict[str, sp.Expr]:
    """``{output name: SymPy expression}`` with intermediates substituted."""
    scope: dict[str, sp.Expr] = {}
    for name, node in expression.definitions:
        scope[name] = _lower(node, scope)
    return {name: _lower(node, scope) for name, node in expression.outputs}


def _lower(node: Node, scope: dict[str, sp.Expr]) -> sp.Expr:
    if isinstance(node, Num):
        v = node.value
        return sp.Integer(int(v)) if v.is_integer() and abs(v) < 2**53 else sp.Float(v)
    if isinstance(node, Constant):
        return sp.pi if node.name == "pi" else sp.E
    if isinstance(node, Symbol):
        return sympy_symbol(node.name)
    if isinstance(node, Ref):
        return scope[node.name]
    if isinstance(node, Unary):
        operand = _lower(node.operand, scope)
        return -operand if node.op == "-" else operand
    if isinstance(node, Binary):
        a, b = _lower(node.left, scope), _lower(node.right, scope)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        if node.op == "/":
            return a / b
        return a**b
    if isinstance(node, Compare):
        return _COMPARE[node.op](_lower(node.left, scope), _lower(node.right, scope))
    if isinstance(node, Call):
        return SYMPY_FUNCTIONS[node.func](*[_lower(a, scope) for a in node.args])
    raise TypeError(f"unexpected node {node!r}")  # pragma: no cover


def latex_of(
    expression: Expression, output: str, wrt: Sequence[str] = ()
) -> str | None:
    """LaTeX of an output or one of its partials, or None when it would be too large."""
    if expression.inlined_size() > MAX_SYMBOLIC_NODES * (1 if wrt else 4):
        return None
    expr = to_sympy(expression)[output]
    for name in wrt:
        expr = sp.diff(expr, sympy_symbol(name))
    if sp.count_ops(expr, visual=False) > MAX_SYMBOLIC_NODES * 4:
        return None
    text = sp.latex(expr)
    return text if len(text) <= MAX_LATEX_CHARS else None


FormulaKey = tuple[str, tuple[str, ...]]


def formulas_in_process(text: str, keys: list[FormulaKey]) -> dict[FormulaKey, str | None]:
    expression = parse_expression(text)
    out: dict[FormulaKey, str | None] = {}
    for output, wrt in keys:
        try:
            out[(output, wrt)] = latex_of(expression, output, wrt)
        except Exception:  # noqa: BLE001 - a formula failure only hides that formula
            out[(output, wrt)] = None
    return out


class FormulasBusy(Exception):
    """No formula worker was free in time: try again later (not the same as "no formula")."""


_FORMULA_SETTINGS = WorkerSettings(
    "compute.formula_worker",
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


def formulas_latex(
    text: str, keys: Sequence[FormulaKey], timeout_s: float = 5.0, queue_s: float | None = None,
) -> dict[FormulaKey, str | None]:
    """LaTeX for each ``(output, wrt)``; None where SymPy failed, ran too long or too large.
    Raises :class:`FormulasBusy` when no worker frees up within ``queue_s`` (default: the timeout).

    ``text`` must already have parsed (the worker parses it again with the same parser).
    """
    keys = list(keys)
    try:
        answers = formula_pool().call((text, keys), cpu_seconds=None, wall_seconds=timeout_s,
                                      queue_seconds=timeout_s if queue_s is None else queue_s)
    except CallFailed as exc:
        if exc.reason == "queue":
            raise FormulasBusy from None
        return {key: None for key in keys}
    if not isinstance(answers, list) or len(answers) != len(keys):
        return {key: None for key in keys}
    return dict(zip(keys, answers, strict=True))
