"""The second lowering: a SymPy expression built with constructors, for LaTeX formulas.

SymPy's own parser evaluates text with ``eval``; we never hand it user text. We build the
expression from the validated tree, never simplify, and cap size and time: symbolic work on an
adversarial but valid tree can take minutes, so :func:`compute.service.formulas.formula_set` runs it in a pool
of worker processes (:mod:`compute.service.workers`), each killed and replaced on timeout. A failure hides
the formula, never the numbers.

Formulas are written in terms of the user's own definitions (:class:`ChainRule`): Black–Scholes'
∂C/∂S reads N1 − … exp(−d2²/2) … + …, with d1, d2, N1, N2 defined once beside the formulas,
instead of a 1,500-pixel expression with d1 written out four times. :meth:`ChainRule.inline`
substitutes the definitions back, which is how the tests check the formulas against SymPy.
``diff(u, t)`` in the function reads ∂u/∂t, a symbol defined beside the formulas
(:meth:`ChainRule.derivative_symbol`), never the expansion the engines compute with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.printing.latex import LatexPrinter

from compute.language.derivatives import partial_label
from compute.language.expression import Expression
from compute.language.tree import (
    Binary,
    Call,
    Compare,
    Constant,
    Derivative,
    Node,
    Num,
    Ref,
    Symbol,
    Unary,
    walk,
)
from compute.registry.functions import sympy_call

MAX_SYMBOLIC_NODES = 400
MAX_LATEX_CHARS = 4000


_COMPARE = {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge}


def sympy_symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def latex_name(name: str) -> str:
    """How a name prints in formulas: ``sigma`` → ``\\sigma``, ``x1`` → ``x_{1}``."""
    return sp.latex(sympy_symbol(name))


def to_sympy(expression: Expression) -> dict[str, sp.Expr]:
    """``{output name: SymPy expression}`` with intermediates substituted (``diff`` done by
    SymPy: the reference the tests check every engine against)."""
    scope: dict[str, sp.Expr] = {}
    for name, node in expression.definitions:
        scope[name] = _lower(node, scope)
    return {name: _lower(node, scope) for name, node in expression.outputs}


# How a diff(...) node lowers: (operand, names, scope) -> SymPy expression.
Derive = Callable[[Node, tuple[str, ...], dict[str, sp.Expr]], sp.Expr]


def _sympy_derivative(operand: Node, wrt: tuple[str, ...], scope: dict[str, sp.Expr]) -> sp.Expr:
    return sp.diff(_lower(operand, scope), *(sympy_symbol(n) for n in wrt))


def _lower(node: Node, scope: dict[str, sp.Expr], derive: Derive = _sympy_derivative) -> sp.Expr:
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
        operand = _lower(node.operand, scope, derive)
        return -operand if node.op == "-" else operand
    if isinstance(node, Binary):
        a, b = _lower(node.left, scope, derive), _lower(node.right, scope, derive)
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
        return _COMPARE[node.op](_lower(node.left, scope, derive), _lower(node.right, scope, derive))
    if isinstance(node, Call):
        return sympy_call(node.func, *[_lower(a, scope, derive) for a in node.args])
    if isinstance(node, Derivative):
        return derive(node.operand, node.wrt, scope)
    raise TypeError(f"unexpected node {node!r}")  # pragma: no cover


def partial_latex(output: str, wrt: Sequence[str]) -> str:
    """``\\frac{\\partial^{2} f}{\\partial t \\partial k}`` for ``("f", ("t", "k"))``; the output's
    own name when ``wrt`` is empty."""
    out = latex_name(output)
    if not wrt:
        return out
    order = len(wrt)
    top = rf"\partial^{{{order}}} {out}" if order > 1 else rf"\partial {out}"
    parts: list[str] = []
    for name in dict.fromkeys(wrt):
        power = list(wrt).count(name)
        parts.append(rf"\partial {latex_name(name)}" + (f"^{{{power}}}" if power > 1 else ""))
    return rf"\frac{{{top}}}{{{' '.join(parts)}}}"


class Named(sp.Symbol):
    """A user's definition kept as a symbol (``d1``), or a partial of one (``d1;sigma``: ∂d1/∂σ).

    A class of its own, so a definition never equals a free name it shadows (``x = x + 1`` is
    valid); real, like the free names, so derivatives of ``abs`` and ``sign`` stay readable."""

    def _latex(self, printer) -> str:  # noqa: ARG002 -- SymPy's printers call this for the class
        base, _, wrt = self.name.partition(";")
        return partial_latex(base, wrt.split(",") if wrt else ())


class FormulaPrinter(LatexPrinter):
    """SymPy's LaTeX, made easier to read: ``exp(…)`` of a fraction or a long argument as
    ``\\exp\\left(…\\right)`` (a superscript that small is hard to read), a power of a partial
    symbol in parentheses (``(∂d1/∂σ)²``); in a formula (not a definition, shown as written),
    a long numerator split off its fraction (``√2 S/(2√π) · ∂d1/∂σ · …``), so fractions stay
    narrow."""

    def __init__(self, split_fractions: bool = True) -> None:
        super().__init__({"long_frac_ratio": 1 if split_fractions else None})

    def _print_ExpBase(self, expr, exp=None):
        inner = self._print(expr.args[0])
        tex = (rf"\exp\left({inner}\right)" if "\\frac" in inner or len(inner) > 30
               else f"e^{{{inner}}}")
        return self._do_exponent(tex, exp)

    def _print_Pow(self, expr):
        base = expr.base
        if isinstance(base, Named) and ";" in base.name and expr.exp.is_Integer and expr.exp > 0:
            return rf"\left({self._print(base)}\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)


def formula_latex(expr: sp.Expr, split_fractions: bool = True) -> str:
    return FormulaPrinter(split_fractions).doprint(expr)


SMALL_PARTIAL_OPS = 8  # a definition's partial up to this many operations is written out in place


class ChainRule:
    """Formulas in terms of the user's own definitions.

    Each definition ``d1 = …`` is a symbol; a partial of an expression is its partial with the
    definitions held fixed plus, for each definition it uses, ∂expr/∂d1 · ∂d1/∂x (the chain rule,
    exact). ∂d1/∂x is written in place when it is short or only passes a partial through (N1 of
    d1), and otherwise becomes a symbol of its own (∂d1/∂σ), defined once beside the definitions.
    Nothing is simplified.
    """

    def __init__(self, expression: Expression) -> None:
        self.order = {name: i for i, name in enumerate(expression.free_names)}
        free = set(expression.free_names)
        self.definitions: dict[Named, sp.Expr] = {}  # in dependency order, partials last
        self._memo: dict[tuple[Named, str], sp.Expr] = {}
        scope: dict[str, sp.Expr] = {}
        by_name: dict[str, sp.Expr] = {}
        for name, node in expression.definitions:
            value = _lower(node, scope, self._derive)
            by_name[name] = value
            if name in free:  # shadows a free name: a symbol would read ambiguously, inline it
                scope[name] = value
            else:
                symbol = Named(name, real=True)
                self.definitions[symbol] = value
                scope[name] = symbol
        self.outputs: dict[str, sp.Expr] = {}
        for name, node in expression.outputs:
            # "u, v" lists definitions: the output u is u's own expression, not the symbol u.
            self.outputs[name] = (by_name[node.name] if isinstance(node, Ref)
                                  else _lower(node, scope, self._derive))

    def _derive(self, operand: Node, wrt: tuple[str, ...], scope: dict[str, sp.Expr]) -> sp.Expr:
        """``diff(u, t)`` of a definition reads ∂u/∂t (a symbol defined beside the formulas, even
        when short: the formula shows what was written); of an expression, its partial."""
        named = scope.get(operand.name) if isinstance(operand, Ref) else None
        if isinstance(named, Named):
            return self.derivative_symbol(named, wrt)
        expr = _lower(operand, scope, self._derive)
        for name in wrt:
            expr = self.partial(expr, name)
        return expr

    def derivative_symbol(self, named: Named, wrt: Sequence[str]) -> sp.Expr:
        """The symbol ∂ⁿu/∂…, defined as the exact partial of u (0 when it is structurally 0)."""
        expr: sp.Expr = named
        for name in wrt:
            if not isinstance(expr, Named):
                return sp.Integer(0)
            inner = self.partial(self.definitions[expr], name)
            if inner == 0:
                return sp.Integer(0)
            base, _, done = expr.name.partition(";")
            names = sorted([*(done.split(",") if done else []), name],
                           key=lambda n: self.order.get(n, len(self.order)))
            symbol = Named(f"{base};{','.join(names)}", real=True)
            self.definitions.setdefault(symbol, inner)  # ∂²u/∂t∂x and ∂²u/∂x∂t: one symbol
            expr = symbol
        return expr

    def formula(self, output: str, wrt: Sequence[str] = ()) -> sp.Expr:
        expr = self.outputs[output]
        for name in wrt:
            expr = self.partial(expr, name)
        return expr

    def partial(self, expr: sp.Expr, name: str) -> sp.Expr:
        x = sympy_symbol(name)
        result = sp.diff(expr, x)
        for named in self._named_in(expr):
            inner = self._partial_of(named, name)
            if inner != 0:
                result += sp.diff(expr, named) * inner
        return result

    def _named_in(self, expr: sp.Expr) -> list[Named]:
        index = {s: i for i, s in enumerate(self.definitions)}
        return sorted((s for s in expr.free_symbols if isinstance(s, Named)), key=index.__getitem__)

    def _partial_of(self, named: Named, name: str) -> sp.Expr:
        key = (named, name)
        if key not in self._memo:
            value = self.definitions[named]
            inner = self.partial(value, name)
            direct = sympy_symbol(name) in value.free_symbols
            if not direct or inner == 0 or sp.count_ops(inner) <= SMALL_PARTIAL_OPS:
                self._memo[key] = inner
            else:
                base, _, wrt = named.name.partition(";")
                names = sorted([*(wrt.split(",") if wrt else []), name],
                               key=lambda n: self.order.get(n, len(self.order)))
                symbol = Named(f"{base};{','.join(names)}", real=True)
                self.definitions.setdefault(symbol, inner)  # ∂²d/∂s∂t and ∂²d/∂t∂s: one symbol
                self._memo[key] = symbol
        return self._memo[key]

    def used(self, exprs: Sequence[sp.Expr]) -> list[Named]:
        """The definitions (and partials of them) that ``exprs`` need, each once, in an order where
        each comes after everything its own expression uses."""
        needed: set[Named] = set()
        stack = [s for e in exprs for s in e.free_symbols if isinstance(s, Named)]
        while stack:
            symbol = stack.pop()
            if symbol not in needed:
                needed.add(symbol)
                stack.extend(s for s in self.definitions[symbol].free_symbols if isinstance(s, Named))
        return [s for s in self.definitions if s in needed]

    def inline(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with every definition replaced by what it stands for (for checking)."""
        while named := [s for s in expr.free_symbols if isinstance(s, Named)]:
            expr = expr.xreplace({s: self.definitions[s] for s in named})
        return expr


def written_size(expression: Expression) -> int:
    """Node count as written, each definition once: what the formulas start from."""
    return sum(sum(1 for _ in walk(node)) for _, node in (*expression.definitions, *expression.outputs))


FormulaKey = tuple[str, tuple[str, ...]]


@dataclass(frozen=True)
class FormulaSet:
    """LaTeX per ``(output, wrt)`` (None where too large or failed), and ``where``: each definition
    the shown formulas use, once, in reading order, as ``(name, expression, plain name)``: LaTeX,
    LaTeX and text (``d1``, ``∂d1/∂σ``)."""

    latex: dict[FormulaKey, str | None]
    where: tuple[tuple[str, str, str], ...] = ()


def _too_large(expr: sp.Expr) -> bool:
    return sp.count_ops(expr, visual=False) > MAX_SYMBOLIC_NODES * 4


def formula_set_in_process(expression: Expression, keys: Sequence[FormulaKey]) -> FormulaSet:
    keys = list(keys)
    none: dict[FormulaKey, str | None] = dict.fromkeys(keys)
    if written_size(expression) > MAX_SYMBOLIC_NODES * 4:
        return FormulaSet(none)
    try:
        chain = ChainRule(expression)
    except Exception:  # noqa: BLE001 - a formula failure only hides formulas
        return FormulaSet(none)
    exprs: dict[FormulaKey, sp.Expr] = {}
    out: dict[FormulaKey, str | None] = {}
    for output, wrt in keys:
        try:
            expr = chain.formula(output, wrt)
            text_ = None if _too_large(expr) else formula_latex(expr)
        except Exception:  # noqa: BLE001
            expr, text_ = None, None
        if text_ is not None and len(text_) <= MAX_LATEX_CHARS:
            exprs[(output, wrt)], out[(output, wrt)] = expr, text_
        else:
            out[(output, wrt)] = None
    # Outputs shown as formulas of their own ("u, v") need no second line among the definitions.
    shown = {output for output, wrt in keys if not wrt and out.get((output, wrt))}
    where: list[tuple[str, str, str]] = []
    for symbol in chain.used(list(exprs.values())):
        if symbol.name in shown:
            continue
        value = chain.definitions[symbol]
        rhs = None if _too_large(value) else formula_latex(value, split_fractions=False)
        if rhs is None or len(rhs) > MAX_LATEX_CHARS:  # a formula without its definitions misleads
            return FormulaSet(none)
        base, _, wrt = symbol.name.partition(";")
        plain = partial_label(base, wrt.split(",")) if wrt else base
        where.append((formula_latex(symbol), rhs, plain))
    return FormulaSet(out, tuple(where))


def formulas_in_process(expression: Expression, keys: list[FormulaKey]) -> dict[FormulaKey, str | None]:
    return formula_set_in_process(expression, keys).latex
