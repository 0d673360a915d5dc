"""Differentiation of an expression as a hash-consed graph, with the registry's rules.

Torch-free, so the parser can use it: ``diff(u, x)`` in the language is expanded here, once, into
an ordinary tree (``compute.language.derivative_forms``), and the symbolic engine
(``compute.engines.symbolic_diff``) differentiates the same graph for the requested partials.

Each distinct operation is built once (hash-consing), so f and all its partials share their
common subexpressions; the constructors simplify the trivial zeros and ones. A derivative that is
structurally zero is exactly 0: zero ids are pruned before any product or quotient is built (d(a/b)
with da = db = 0 is 0, not 0/b — which is NaN where b = 0), and a partial that is a ``where``
distributes over the derivative it multiplies, so a branch that is not taken contributes a
structural 0, never 0·∞.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from compute.language.tree import Binary, Call, Compare, Node, Num, Ref, Symbol, Unary
from compute.registry.functions import REGISTRY

Op = tuple  # ("const", value) | ("var", name) | (op, *child ids) | ("call", func, *ids) ...


class TooLarge(Exception):
    """The derivative graph grew past its budget: use autograd instead."""


class Graph:
    """Hash-consed operations: building the same operation twice returns the same id."""

    def __init__(self, budget: int) -> None:
        self.ops: list[Op] = []
        self.ids: dict[Op, int] = {}
        self.budget = budget
        self.zero, self.one = self.const(0.0), self.const(1.0)

    def add_op(self, op: Op) -> int:
        found = self.ids.get(op)
        if found is not None:
            return found
        if len(self.ops) >= self.budget:
            raise TooLarge
        self.ops.append(op)
        self.ids[op] = len(self.ops) - 1
        return len(self.ops) - 1

    def const(self, value: float) -> int:
        value = float(value)
        key = ("const", "nan") if math.isnan(value) else ("const", value)  # NaN != NaN
        found = self.ids.get(key)
        if found is not None:
            return found
        if len(self.ops) >= self.budget:
            raise TooLarge
        self.ops.append(("const", value))
        self.ids[key] = len(self.ops) - 1
        return len(self.ops) - 1

    def value(self, i: int) -> float | None:
        op = self.ops[i]
        return op[1] if op[0] == "const" else None

    # -- constructors with the trivial simplifications ------------------------------------------
    def neg(self, a: int) -> int:
        va = self.value(a)
        if va is not None:
            return self.const(-va)
        if self.ops[a][0] == "neg":
            return self.ops[a][1]
        return self.add_op(("neg", a))

    def add(self, a: int, b: int) -> int:
        if a == self.zero:
            return b
        if b == self.zero:
            return a
        va, vb = self.value(a), self.value(b)
        if va is not None and vb is not None:
            return self.const(va + vb)
        oa, ob = self.ops[a], self.ops[b]
        if oa[0] == ob[0] == "where" and oa[1] == ob[1]:  # one condition: add branch by branch
            return self.where(oa[1], self.add(oa[2], ob[2]), self.add(oa[3], ob[3]))
        return self.add_op(("add", a, b))

    def sub(self, a: int, b: int) -> int:
        if b == self.zero:
            return a
        if a == self.zero:
            return self.neg(b)
        va, vb = self.value(a), self.value(b)
        if va is not None and vb is not None:
            return self.const(va - vb)
        return self.add_op(("sub", a, b))

    def mul(self, a: int, b: int) -> int:
        if self.zero in (a, b):
            return self.zero
        if a == self.one:
            return b
        if b == self.one:
            return a
        va, vb = self.value(a), self.value(b)
        if va is not None and vb is not None:
            return self.const(_safe(lambda: va * vb))
        return self.add_op(("mul", a, b))

    def div(self, a: int, b: int) -> int:
        if b == self.one:
            return a
        if a == self.zero:  # structurally zero, like 0·b: SymPy's 0/x is 0 too
            return self.zero
        va, vb = self.value(a), self.value(b)
        if va is not None and vb is not None and vb != 0.0:
            return self.const(_safe(lambda: va / vb))
        return self.add_op(("div", a, b))

    def pow(self, a: int, b: int) -> int:
        if b == self.one:
            return a
        if b == self.zero:
            return self.one
        return self.add_op(("pow", a, b))

    def call(self, func: str, *args: int) -> int:
        fn = REGISTRY[func]
        if fn.variadic and len(args) > 2:  # a chain of binary calls, like the lowering
            out = args[0]
            for arg in args[1:]:
                out = self.call(func, out, arg)
            return out
        if fn.commutative:  # hypot(y, x) is hypot(x, y): one node
            args = tuple(sorted(args))
        return self.add_op(("call", func, *args))

    def where(self, cond: int, a: int, b: int) -> int:
        if a == b:
            return a
        return self.add_op(("where", cond, a, b))

    def compare(self, op: str, a: int, b: int) -> int:
        return self.add_op(("cmp", op, a, b))

    def build(self, node: Node, scope: dict[str, int], *, bound: bool = False,
              expand: bool = False) -> int:
        """A tree's id: ``scope`` holds the intermediates (Ref), and with ``bound`` also the
        parameters of a registry rule (Symbol) — otherwise a Symbol is a variable. With
        ``expand``, a call of a function defined in the language is its definition."""
        if isinstance(node, Num):
            return self.const(node.value)
        if isinstance(node, Symbol):
            return scope[node.name] if bound else self.add_op(("var", node.name))
        if isinstance(node, Ref):
            return scope[node.name]
        if isinstance(node, Unary):
            inner = self.build(node.operand, scope, bound=bound, expand=expand)
            return self.neg(inner) if node.op == "-" else inner
        if isinstance(node, Binary):
            a = self.build(node.left, scope, bound=bound, expand=expand)
            b = self.build(node.right, scope, bound=bound, expand=expand)
            return {"+": self.add, "-": self.sub, "*": self.mul, "/": self.div,
                    "**": self.pow}[node.op](a, b)
        if isinstance(node, Compare):
            return self.compare(node.op, self.build(node.left, scope, bound=bound, expand=expand),
                                self.build(node.right, scope, bound=bound, expand=expand))
        if isinstance(node, Call):
            args = [self.build(a, scope, bound=bound, expand=expand) for a in node.args]
            fn = REGISTRY[node.func]
            if fn.condition:
                return self.where(*args)
            if expand and fn.define is not None:
                return self.build(fn.define, fn.binding(args), bound=True, expand=True)
            return self.call(node.func, *args)
        raise TypeError(node)  # pragma: no cover

    def expand_definitions(self, roots: Sequence[int]) -> dict[int, int]:
        """Each id reachable from ``roots`` -> an id of the same value in which every call of a
        function defined in the language (unit, sech, normpdf…) is its definition, so that the
        program shares their insides (the hypot inside x/hypot(x, y) is the hypot beside it).
        Differentiation uses the calls (and their registry rules); evaluation, this."""
        new: dict[int, int] = {}
        for i in topological(self, roots):
            op = self.ops[i]
            kind = op[0]
            if kind in ("const", "var"):
                new[i] = i
            elif kind == "call":
                args = [new[c] for c in op[2:]]
                fn = REGISTRY[op[1]]
                new[i] = (self.build(fn.define, fn.binding(args), bound=True, expand=True)
                          if fn.define is not None else self.call(op[1], *args))
            elif kind == "cmp":
                new[i] = self.add_op(("cmp", op[1], new[op[2]], new[op[3]]))
            else:
                new[i] = self.add_op((kind, *(new[c] for c in op[1:])))
        return new


def children(op: Op) -> tuple[int, ...]:
    if op[0] in ("const", "var"):
        return ()
    return tuple(op[2:]) if op[0] in ("call", "cmp") else tuple(op[1:])


def topological(graph: Graph, roots: Sequence[int]) -> list[int]:
    """Every id reachable from ``roots``, children before parents (iterative: no recursion limit)."""
    order: list[int] = []
    seen: set[int] = set()
    for root in roots:
        stack = [(root, False)]
        while stack:
            i, expanded = stack.pop()
            if expanded:
                order.append(i)
                continue
            if i in seen:
                continue
            seen.add(i)
            stack.append((i, True))
            stack.extend((c, False) for c in reversed(children(graph.ops[i])) if c not in seen)
    return order

def _safe(compute) -> float:
    try:
        return compute()
    except OverflowError:
        return math.inf


class Derivatives:
    """Differentiates ids of a graph with respect to names, each (id, name) once."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._memo: dict[tuple[int, str], int] = {}

    def d(self, i: int, name: str) -> int:
        key = (i, name)
        if key not in self._memo:
            self._memo[key] = self._derivative(i, name)
        return self._memo[key]

    def _derivative(self, i: int, x: str) -> int:
        g, op = self.graph, self.graph.ops[i]
        kind = op[0]
        if kind in {"const", "cmp"}:
            return g.zero
        if kind == "var":
            return g.one if op[1] == x else g.zero
        if kind == "neg":
            return g.neg(self.d(op[1], x))
        if kind in ("add", "sub"):
            da, db = self.d(op[1], x), self.d(op[2], x)
            return g.add(da, db) if kind == "add" else g.sub(da, db)
        if kind == "mul":
            a, b = op[1], op[2]
            return g.add(g.mul(self.d(a, x), b), g.mul(a, self.d(b, x)))
        if kind == "div":
            a, b = op[1], op[2]
            da, db = self.d(a, x), self.d(b, x)
            return g.div(g.sub(da, g.mul(i, db)), b)  # (da − (a/b)·db) / b
        if kind == "pow":
            return self._power(i, op[1], op[2], x)
        if kind == "where":
            return self._call("where", op[1:], x)
        return self._call(op[1], op[2:], x)

    def _power(self, i: int, a: int, b: int, x: str) -> int:
        g = self.graph
        da, db = self.d(a, x), self.d(b, x)
        exponent = g.value(b)
        if exponent is not None:  # c·a^(c−1)·da
            return g.mul(g.mul(b, g.pow(a, g.const(exponent - 1.0))), da)
        base_term = g.zero if da == g.zero else g.mul(g.mul(b, g.pow(a, g.sub(b, g.one))), da)
        exp_term = g.zero if db == g.zero else g.mul(g.mul(i, g.call("log", a)), db)
        return g.add(base_term, exp_term)

    def _call(self, func: str, args: Sequence[int], x: str) -> int:
        """The chain rule with the registry's partials: Σ ∂f/∂arg · d(arg), skipping every
        argument whose derivative is structurally zero (its partial is never even built)."""
        g = self.graph
        fn = REGISTRY[func]
        total = g.zero
        binding = fn.binding(args)
        for rule, arg in zip(fn.partials, args, strict=True):
            darg = self.d(arg, x)
            if darg == g.zero:
                continue
            total = g.add(total, self._chain(self.graph.build(rule, binding, bound=True), darg))
        return total

    def _chain(self, partial: int, darg: int) -> int:
        """partial · darg, distributed over a ``where`` partial: the branch not taken is a
        structural 0 (so where's derivative is where(c, da, db), never 0·∞ = NaN)."""
        g = self.graph
        op = g.ops[partial]
        if op[0] == "where":
            return g.where(op[1], self._chain(op[2], darg), self._chain(op[3], darg))
        return g.mul(partial, darg)
