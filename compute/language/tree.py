"""The validated expression tree: the only thing the lowerings ever see.

Nodes are frozen (hashable) so a parsed expression can key a cache.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
"""The named constants a ``Constant`` holds, with their float64 values."""
# The Python operators (read with ``ast``) each ``Binary`` and ``Compare`` op is written with: the
# expression parser and the registry's rules read them alike.
BINARY_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
COMPARE_OPS: dict[type[ast.cmpop], str] = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
PRECEDENCE: dict[str, int] = {"+": 1, "-": 1, "*": 2, "/": 2, "unary": 3, "**": 4}
"""How tightly each op binds, for printing a tree with only the parentheses it needs."""


@dataclass(frozen=True, slots=True)
class Num:
    """A finite float64 literal, or a folded constant subexpression."""

    value: float


@dataclass(frozen=True, slots=True)
class Constant:
    """A named constant (``pi``, ``e``); kept by name so formulas show the symbol."""

    name: str


@dataclass(frozen=True, slots=True)
class Symbol:
    """A free name: a grid variable or a parameter."""

    name: str


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to an intermediate defined on an earlier line."""

    name: str


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "-" or "+"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # "+", "-", "*", "/", "**"
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # "<", "<=", ">", ">="
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Derivative:
    """``diff(u, x, y)``: the partial of ``operand`` with respect to free names, in order.

    Only in the trees as written (formulas show ∂u/∂x); the folded trees hold its expansion
    (``compute.language.derivative_forms``), so no engine ever meets this node."""

    operand: Node
    wrt: tuple[str, ...]


Node = Num | Constant | Symbol | Ref | Unary | Binary | Call | Compare | Derivative


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Derivative):
        return (node.operand,)
    if isinstance(node, (Binary, Compare)):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (iterative: no recursion limit)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def reads(tree: Node, definitions: Mapping[str, Node]) -> tuple[set[str], set[str]]:
    """The free names a tree reads, directly or through definitions, and the definitions (by
    name) it reads: what a ``where`` branch must cut and recompute."""
    leaves: set[str] = set()
    intermediates: set[str] = set()
    todo = [tree]
    while todo:
        for n in walk(todo.pop()):
            if isinstance(n, Ref) and n.name not in intermediates:
                intermediates.add(n.name)
                todo.append(definitions[n.name])
            elif isinstance(n, Symbol):
                leaves.add(n.name)
    return leaves, intermediates
