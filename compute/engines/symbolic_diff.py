"""Exact derivatives by differentiating the expression itself, evaluated as one shared graph.

Autograd re-runs the function and stores every intermediate to walk back through it; for the
short pointwise formulas people type, writing the derivative formulas out and evaluating them
is far cheaper — that is what "SymPy compiled to NumPy" does. Here the validated tree becomes a
hash-consed graph (each distinct operation once, so f and all its partials share their common
subexpressions; ``compute.language.calculus``), differentiated rule by rule with the trivial zeros
and ones simplified away, and evaluated chunk by chunk with torch, freeing each intermediate after
its last use. The rules are the registry's (compute/registry/catalogue.py), written once and
interpreted here, by the autograd engines' rule-backed backward and by the code export, so results
agree with the autograd engines to rounding; SymPy tests check all three.

A derivative that is structurally zero is exactly 0 (see ``compute.language.calculus``). The
graph, its differentiation and ``TooLarge`` live there, torch-free, because the parser expands
``diff(...)`` with them; they are re-exported here for the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from compute.engines.torch_lowering import raw_op
from compute.language.calculus import Derivatives, Graph, TooLarge, children, topological
from compute.language.expression import Expression

__all__ = ["Derivatives", "Differentiator", "Graph", "Program", "TooLarge", "children", "topological"]


class Differentiator(Derivatives):
    """Builds f's graph from the folded tree and differentiates ids with respect to names."""

    def __init__(self, expression: Expression, budget: int) -> None:
        super().__init__(Graph(budget))
        scope: dict[str, int] = {}
        for name, node in expression.folded_definitions:
            scope[name] = self.graph.build(node, scope)
        self.outputs = {name: self.graph.build(node, scope) for name, node in expression.folded_outputs}


_BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}
# The same kernels as _BINARY, able to write straight into a result buffer (``out=``).
_BINARY_OUT: dict[str, Callable[..., torch.Tensor]] = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
}
_COMPARE = {"<": torch.lt, "<=": torch.le, ">": torch.gt, ">=": torch.ge}


def apply_op(op: tuple, values: Mapping[int, Any], env: Mapping[str, Any],
             tensor: Callable[[Any], torch.Tensor], call: Callable[[str], Callable[..., Any]]) -> Any:
    """One operation of a program from its arguments' values: the semantics shared by the eager
    program below and the fused one (``compute.engines.fused``), written once. ``tensor`` makes a
    Python number a tensor of the program's dtype; ``call`` gives a function's torch callable."""
    kind = op[0]
    if kind == "const":
        return op[1]
    if kind == "var":
        return env[op[1]]
    if kind == "neg":
        return -values[op[1]]
    if kind in _BINARY:
        a, b = values[op[1]], values[op[2]]
        if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):
            a = tensor(a)  # IEEE semantics: 1/0 is inf, not an error
        return _BINARY[kind](a, b)
    if kind == "cmp":
        return _COMPARE[op[1]](tensor(values[op[2]]), values[op[3]])
    if kind == "where":
        cond, a, b = (values[j] for j in op[1:])
        return torch.where(tensor(cond).bool(), tensor(a), tensor(b))
    return call(op[1])(*[tensor(values[j]) for j in op[2:]])


class Program:
    """The ids to compute, in order, with the step after which each value can be dropped."""

    def __init__(self, graph: Graph, roots: Sequence[int]) -> None:
        self.graph = graph
        try:
            expanded = graph.expand_definitions(roots)
            self.evaluated = {r: expanded[r] for r in roots}  # root -> the id computed for it
        except TooLarge:  # no room to expand: evaluate the calls as they are
            self.evaluated = {r: r for r in roots}
        order = topological(graph, list(dict.fromkeys(self.evaluated.values())))
        self.order = order
        self.roots = set(self.evaluated.values())
        last: dict[int, int] = {}
        for step, i in enumerate(order):
            for c in self._children(i):
                last[c] = step
        self.free_after: dict[int, list[int]] = {}
        for i, step in last.items():
            if i not in self.roots:
                self.free_after.setdefault(step, []).append(i)

    def _children(self, i: int) -> tuple[int, ...]:
        return children(self.graph.ops[i])

    def run(self, env: Mapping[str, torch.Tensor], shape: tuple[int, ...], dtype: torch.dtype,
            out: Mapping[int, torch.Tensor], device: torch.device | None = None) -> None:
        """Write each root's value, broadcast to ``shape``, into ``out[root]`` (inputs may be
        broadcastable views on ``device``; ``out`` may live elsewhere, e.g. NumPy memory for a
        CUDA run). A root computed at full size by a binary operation is written in place by
        that operation — one pass over memory fewer per result than computing then copying,
        which is most of the cost when a function is cheap."""
        device = device or torch.device("cpu")
        targets: dict[int, torch.Tensor] = {}
        shared: list[tuple[torch.Tensor, int]] = []  # two roots that evaluate to one id
        for root, target in out.items():
            i = self.evaluated.get(root, root)
            if i in targets:
                shared.append((target, i))
            else:
                targets[i] = target
        out = targets

        def tensor(value) -> torch.Tensor:
            return value if isinstance(value, torch.Tensor) else torch.tensor(
                value, dtype=dtype, device=device)

        values: dict[int, Any] = {}
        written: set[int] = set()
        ops = self.graph.ops
        for step, i in enumerate(self.order):
            op = ops[i]
            buffer = out.get(i) if op[0] in _BINARY_OUT else None
            a, b = (values[op[1]], values[op[2]]) if buffer is not None else (None, None)
            if (buffer is not None and isinstance(a, torch.Tensor) and a.device == buffer.device
                    and _fills(a, b, shape)):  # a result that fills its array: written straight in
                values[i] = _BINARY_OUT[op[0]](a, b, out=buffer)
                written.add(i)
            else:
                values[i] = apply_op(op, values, env, tensor, raw_op)
            for dead in self.free_after.get(step, ()):
                values.pop(dead, None)
        for r in self.roots:
            if r not in written:
                out[r].copy_(tensor(values[r]).expand(shape))
        for target, i in shared:
            target.copy_(out[i])


def _fills(a: torch.Tensor, b: object, shape: tuple[int, ...]) -> bool:
    """Whether ``a op b`` broadcasts to exactly ``shape`` (torch.broadcast_shapes is slow)."""
    if not isinstance(b, torch.Tensor):
        return a.shape == shape
    if shape in (a.shape, b.shape):
        return True
    return (a.dim() == b.dim() == len(shape)
            and all(max(m, n) == s for m, n, s in zip(a.shape, b.shape, shape, strict=True)))


