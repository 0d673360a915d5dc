"""Exact derivatives by differentiating the expression itself, evaluated as one shared graph.

Autograd re-runs the function and stores every intermediate to walk back through it; for the
short pointwise formulas people type, writing the derivative formulas out and evaluating them
is far cheaper — that is what "SymPy compiled to NumPy" does. Here the validated tree becomes a
hash-consed graph (each distinct operation once, so f and all its partials share their common
subexpressions), differentiated rule by rule with the trivial zeros and ones simplified away,
and evaluated chunk by chunk with torch, freeing each intermediate after its last use. The
rules mirror what torch's autograd computes (and compute/stable_ops.py where torch's own
derivative loses digits), so results agree with the autograd engines to rounding; SymPy tests
check all three.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from .expression import Expression
from .torch_lowering import TORCH_FUNCTIONS
from .tree import Binary, Call, Compare, Node, Num, Ref, Symbol, Unary

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
        if a == self.zero and self.value(b) not in (None, 0.0):
            return self.zero
        return self.add_op(("div", a, b))

    def pow(self, a: int, b: int) -> int:
        if b == self.one:
            return a
        if b == self.zero:
            return self.one
        return self.add_op(("pow", a, b))

    def call(self, func: str, *args: int) -> int:
        return self.add_op(("call", func, *args))

    def where(self, cond: int, a: int, b: int) -> int:
        if a == b:
            return a
        return self.add_op(("where", cond, a, b))

    def compare(self, op: str, a: int, b: int) -> int:
        return self.add_op(("cmp", op, a, b))


def _safe(compute) -> float:
    try:
        return compute()
    except OverflowError:
        return math.inf


class Differentiator:
    """Builds f's graph from the folded tree and differentiates ids with respect to names."""

    def __init__(self, expression: Expression, budget: int) -> None:
        self.graph = Graph(budget)
        scope: dict[str, int] = {}
        for name, node in expression.folded_definitions:
            scope[name] = self._build(node, scope)
        self.outputs = {name: self._build(node, scope) for name, node in expression.folded_outputs}
        self._memo: dict[tuple[int, str], int] = {}

    def _build(self, node: Node, scope: dict[str, int]) -> int:
        g = self.graph
        if isinstance(node, Num):
            return g.const(node.value)
        if isinstance(node, Symbol):
            return g.add_op(("var", node.name))
        if isinstance(node, Ref):
            return scope[node.name]
        if isinstance(node, Unary):
            inner = self._build(node.operand, scope)
            return g.neg(inner) if node.op == "-" else inner
        if isinstance(node, Binary):
            a, b = self._build(node.left, scope), self._build(node.right, scope)
            return {"+": g.add, "-": g.sub, "*": g.mul, "/": g.div, "**": g.pow}[node.op](a, b)
        if isinstance(node, Compare):
            return g.compare(node.op, self._build(node.left, scope), self._build(node.right, scope))
        if isinstance(node, Call):
            args = [self._build(a, scope) for a in node.args]
            if node.func == "where":
                return g.where(*args)
            if node.func in ("min", "max"):  # n-ary as a chain of binary ones, like the lowering
                out = args[0]
                for arg in args[1:]:
                    out = g.call(node.func, out, arg)
                return out
            return g.call(node.func, *args)
        raise TypeError(node)  # pragma: no cover

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
            return g.where(op[1], self.d(op[2], x), self.d(op[3], x))
        return self._call(i, op[1], op[2:], x)

    def _power(self, i: int, a: int, b: int, x: str) -> int:
        g = self.graph
        da, db = self.d(a, x), self.d(b, x)
        exponent = g.value(b)
        if exponent is not None:  # c·a^(c−1)·da
            return g.mul(g.mul(b, g.pow(a, g.const(exponent - 1.0))), da)
        base_term = g.zero if da == g.zero else g.mul(g.mul(b, g.pow(a, g.sub(b, g.one))), da)
        exp_term = g.zero if db == g.zero else g.mul(g.mul(i, g.call("log", a)), db)
        return g.add(base_term, exp_term)

    def _call(self, i: int, func: str, args: Sequence[int], x: str) -> int:
        g = self.graph
        if func in ("min", "max", "atan2"):
            return self._binary_call(i, func, args[0], args[1], x)
        a = args[0]
        da = self.d(a, x)
        if da == g.zero or func == "sign":
            return g.zero
        c = g.const

        def one_minus_square() -> int:
            return g.mul(g.sub(g.one, a), g.add(g.one, a))

        rules = {
            "sin": lambda: g.call("cos", a),
            "cos": lambda: g.neg(g.call("sin", a)),
            "tan": lambda: g.add(g.one, g.mul(i, i)),
            "asin": lambda: g.pow(one_minus_square(), c(-0.5)),
            "acos": lambda: g.neg(g.pow(one_minus_square(), c(-0.5))),
            "atan": lambda: g.div(g.one, g.add(g.one, g.mul(a, a))),
            "sinh": lambda: g.call("cosh", a),
            "cosh": lambda: g.call("sinh", a),
            "tanh": lambda: g.mul(g.call("sech", a), g.call("sech", a)),
            "sech": lambda: g.neg(g.mul(i, g.call("tanh", a))),
            "asinh": lambda: g.pow(g.add(g.mul(a, a), g.one), c(-0.5)),
            "acosh": lambda: g.mul(g.pow(g.sub(a, g.one), c(-0.5)), g.pow(g.add(a, g.one), c(-0.5))),
            "atanh": lambda: g.div(g.one, one_minus_square()),
            "exp": lambda: i,
            "expm1": lambda: g.call("exp", a),
            "log": lambda: g.div(g.one, a),
            "log1p": lambda: g.div(g.one, g.add(g.one, a)),
            "log2": lambda: g.div(g.one, g.mul(a, c(math.log(2.0)))),
            "log10": lambda: g.div(g.one, g.mul(a, c(math.log(10.0)))),
            "sqrt": lambda: g.div(c(0.5), i),
            "cbrt": lambda: g.mul(c(1.0 / 3.0), g.pow(g.call("abs", a), c(1.0 / 3.0 - 1.0))),
            "abs": lambda: g.call("sign", a),
            "erf": lambda: g.mul(c(2.0 / math.sqrt(math.pi)), g.call("exp", g.neg(g.mul(a, a)))),
            "erfc": lambda: g.mul(c(-2.0 / math.sqrt(math.pi)), g.call("exp", g.neg(g.mul(a, a)))),
            "sigmoid": lambda: g.mul(i, g.call("sigmoid", g.neg(a))),
            "softplus": lambda: g.call("sigmoid", a),
        }
        return g.mul(rules[func](), da)

    def _binary_call(self, i: int, func: str, a: int, b: int, x: str) -> int:
        g = self.graph
        da, db = self.d(a, x), self.d(b, x)
        if func == "atan2":  # atan2(y=a, x=b)
            r2 = g.add(g.mul(a, a), g.mul(b, b))
            return g.div(g.sub(g.mul(b, da), g.mul(a, db)), r2)
        if da == db:
            return da
        # torch.minimum/maximum send the gradient to the chosen side, half to each on a tie
        first, second = ("<", ">") if func == "min" else (">", "<")
        half = g.mul(g.const(0.5), g.add(da, db))
        return g.where(g.compare(first, a, b), da, g.where(g.compare(second, a, b), db, half))


_BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}
# The same kernels as _BINARY, able to write straight into a result buffer (``out=``).
_BINARY_OUT = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
               "pow": torch.pow}
_COMPARE = {"<": torch.lt, "<=": torch.le, ">": torch.gt, ">=": torch.ge}


class Program:
    """The ids to compute, in order, with the step after which each value can be dropped."""

    def __init__(self, graph: Graph, roots: Sequence[int]) -> None:
        self.graph = graph
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
                op = graph.ops[i]
                children = op[2:] if op[0] in ("call", "cmp") else op[1:] if op[0] not in (
                    "const", "var") else ()
                stack.extend((c, False) for c in reversed(children) if c not in seen)
        self.order = order
        self.roots = set(roots)
        last: dict[int, int] = {}
        for step, i in enumerate(order):
            for c in self._children(i):
                last[c] = step
        self.free_after: dict[int, list[int]] = {}
        for i, step in last.items():
            if i not in self.roots:
                self.free_after.setdefault(step, []).append(i)

    def _children(self, i: int) -> tuple[int, ...]:
        op = self.graph.ops[i]
        if op[0] in ("const", "var"):
            return ()
        return tuple(op[2:]) if op[0] in ("call", "cmp") else tuple(op[1:])

    def run(self, env: Mapping[str, torch.Tensor], shape: tuple[int, ...], dtype: torch.dtype,
            out: Mapping[int, torch.Tensor], device: torch.device | None = None) -> None:
        """Write each root's value, broadcast to ``shape``, into ``out[root]`` (inputs may be
        broadcastable views on ``device``; ``out`` may live elsewhere, e.g. NumPy memory for a
        CUDA run). A root computed at full size by a binary operation is written in place by
        that operation — one pass over memory fewer per result than computing then copying,
        which is most of the cost when a function is cheap."""
        device = device or torch.device("cpu")

        def tensor(value) -> torch.Tensor:
            return value if isinstance(value, torch.Tensor) else torch.tensor(
                value, dtype=dtype, device=device)

        values: dict[int, object] = {}
        written: set[int] = set()
        ops = self.graph.ops
        for step, i in enumerate(self.order):
            op = ops[i]
            kind = op[0]
            if kind == "const":
                values[i] = op[1]
            elif kind == "var":
                values[i] = env[op[1]]
            elif kind == "neg":
                values[i] = -values[op[1]]
            elif kind in _BINARY:
                a, b = values[op[1]], values[op[2]]
                if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):
                    a = tensor(a)  # IEEE semantics: 1/0 is inf, not an error
                target = out.get(i)
                if (target is not None and isinstance(a, torch.Tensor) and a.device == target.device
                        and _fills(a, b, shape)):
                    values[i] = _BINARY_OUT[kind](a, b, out=target)
                    written.add(i)
                else:
                    values[i] = _BINARY[kind](a, b)
            elif kind == "cmp":
                values[i] = _COMPARE[op[1]](tensor(values[op[2]]), values[op[3]])
            elif kind == "where":
                cond, a, b = (values[j] for j in op[1:])
                values[i] = torch.where(tensor(cond).bool(), tensor(a), tensor(b))
            else:  # call
                args = [tensor(values[j]) for j in op[2:]]
                values[i] = TORCH_FUNCTIONS[op[1]](*args)
            for dead in self.free_after.get(step, ()):
                values.pop(dead, None)
        for r in self.roots:
            if r not in written:
                out[r].copy_(tensor(values[r]).expand(shape))


def _fills(a: torch.Tensor, b: object, shape: tuple[int, ...]) -> bool:
    """Whether ``a op b`` broadcasts to exactly ``shape`` (torch.broadcast_shapes is slow)."""
    if not isinstance(b, torch.Tensor):
        return a.shape == shape
    if shape in (a.shape, b.shape):
        return True
    return (a.dim() == b.dim() == len(shape)
            and all(max(m, n) == s for m, n, s in zip(a.shape, b.shape, shape, strict=True)))


