"""Lower a validated expression to a pointwise torch function.

Every operation is elementwise, so the function maps same-shaped (or broadcastable) tensors to
same-shaped outputs: the property the derivative engine relies on. Each function comes from the
registry (``compute.registry.functions``): a torch callable or a definition evaluated here, wrapped in its
rule-backed ``autograd.Function`` where torch's own derivative is not accurate (``stable_ops``).

``where(c, a, b)`` evaluates each branch on inputs whose gradient is cut where that branch is not
taken (``where(c, x, x.detach())``, intermediates recomputed from such inputs): the value is
unchanged, but a branch's non-finite derivative where it is not taken (``where(x > 0, sqrt(x), 0)``
at 0) cannot reach the result as 0·∞ = NaN, at any order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, cast

import torch

from compute.language.expression import Expression
from compute.language.tree import (
    Binary,
    Call,
    Compare,
    Constant,
    Node,
    Num,
    Ref,
    Symbol,
    Unary,
    reads,
)
from compute.registry import stable_ops
from compute.registry.functions import REGISTRY

Tensor = torch.Tensor
Scalar = float | Tensor
Op = Callable[..., Tensor]


def _resolve(path: str) -> Op:
    target: Any = torch
    for part in path.split(".")[1:]:
        target = getattr(target, part)
    return target


@functools.cache
def raw_op(name: str) -> Op:
    """The function's forward with torch's own autograd (no rule-backed wrapper): for computing
    values only, as the symbolic engine does."""
    fn = REGISTRY[name]
    if fn.torch is None:
        definition, params = fn.define, fn.params
        assert definition is not None  # the registry checks: a torch callable or a definition

        def defined(*args: Tensor) -> Tensor:
            return cast(Tensor, evaluate(definition, dict(zip(params, args, strict=True)), raw_op,
                                         _dtype(args), mask=False))

        defined.__name__ = name
        return defined
    return _resolve(fn.torch)


@functools.cache
def torch_op(name: str) -> Op:
    """The function as the autograd engines differentiate it: rule-backed where the registry
    says so, else torch's own derivative (of the torch callable or through the definition)."""
    fn = REGISTRY[name]
    if fn.autograd == "rule":
        return stable_ops.rule_backed(fn, raw_op(name), _partials)
    if fn.torch is not None:
        return raw_op(name)
    definition, params = fn.define, fn.params
    assert definition is not None  # the registry checks: a torch callable or a definition

    def defined(*args: Tensor) -> Tensor:
        return cast(Tensor, evaluate(definition, dict(zip(params, args, strict=True)), torch_op,
                                     _dtype(args)))

    defined.__name__ = name
    return defined


def _partials(rules: list[Node], scope: dict[str, Tensor]) -> list[Scalar]:
    """Several partials at one point, sharing what they have in common (atan2's two partials
    both divide by hypot(x, y): computed once)."""
    memo: dict[Node, Scalar] = {}
    return [evaluate(rule, scope, torch_op, _dtype(scope.values()), memo=memo) for rule in rules]


def _dtype(args) -> torch.dtype | None:
    """The floating dtype of a function's tensor arguments: its constants take the same."""
    return next((a.dtype for a in args if isinstance(a, Tensor) and a.is_floating_point()), None)


def evaluate(node: Node, scope: Mapping[str, Scalar], op: Callable[[str], Op] = torch_op,
             dtype: torch.dtype | None = None, *, mask: bool = True,
             memo: dict[Node, Scalar] | None = None) -> Scalar:
    """A tree's value: numbers stay floats until they meet a tensor; ``op(name)`` gives each
    function; ``mask`` cuts the gradient of ``where``'s branches where they are not taken;
    ``memo`` (for small trees: rules) computes each repeated subtree once."""
    if memo is None or isinstance(node, (Num, Symbol, Ref)):
        return _evaluate(node, scope, op, dtype, mask, memo)
    found = memo.get(node)
    if found is None:
        found = memo[node] = _evaluate(node, scope, op, dtype, mask, memo)
    return found


def _evaluate(node: Node, scope: Mapping[str, Scalar], op: Callable[[str], Op],
              dtype: torch.dtype | None, mask: bool, memo: dict[Node, Scalar] | None) -> Scalar:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, (Symbol, Ref)):
        return scope[node.name]
    if isinstance(node, Unary):
        operand = evaluate(node.operand, scope, op, dtype, mask=mask, memo=memo)
        return -operand if node.op == "-" else operand
    if isinstance(node, Binary):
        a = evaluate(node.left, scope, op, dtype, mask=mask, memo=memo)
        b = evaluate(node.right, scope, op, dtype, mask=mask, memo=memo)
        return _binary(node.op, a, b)
    if isinstance(node, Compare):
        a = evaluate(node.left, scope, op, dtype, mask=mask, memo=memo)
        b = evaluate(node.right, scope, op, dtype, mask=mask, memo=memo)
        return _compare(node.op, _tensor(a, b, dtype), b)
    if isinstance(node, Call):
        fn = REGISTRY[node.func]
        if fn.condition:
            return _where(node, scope, op, dtype, mask)
        args = [evaluate(a, scope, op, dtype, mask=mask, memo=memo) for a in node.args]
        f = op(node.func)
        if len(args) == 1:
            return f(_tensor(args[0], None, dtype))
        if fn.variadic:
            out = args[0]
            for arg in args[1:]:
                out = f(_tensor(out, arg, dtype), _tensor(arg, out, dtype))
            return out
        like = next((a for a in args if isinstance(a, Tensor)), None)
        return f(*(_tensor(a, like, dtype) for a in args))
    if isinstance(node, Constant):  # pragma: no cover - folded away before lowering
        raise TypeError("constants are folded before lowering")
    raise TypeError(f"unexpected node {node!r}")  # pragma: no cover


def _where(node: Call, scope: Mapping[str, Scalar], op: Callable[[str], Op],
           dtype: torch.dtype | None, mask: bool) -> Tensor:
    condition, first, second = node.args
    cond = evaluate(condition, scope, op, dtype, mask=mask)
    if not isinstance(cond, Tensor):
        cond = torch.tensor(bool(cond))
    branches = []
    for branch, taken in ((first, True), (second, False)):
        inner = _cut(scope, branch, cond, taken, op, dtype) if mask else scope
        branches.append(evaluate(branch, inner, op, dtype, mask=mask))
    a, b = branches
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    return torch.where(cond, _tensor(a, like, dtype), _tensor(b, like, dtype))


class Scope(dict):
    """Names -> values, with the definitions (name -> tree) the intermediates were computed from."""

    definitions: Mapping[str, Node] = {}  # replaced per instance, never mutated


def _cut(scope: Mapping[str, Scalar], branch: Node, cond: Tensor, taken: bool,
         op: Callable[[str], Op], dtype: torch.dtype | None) -> Scope:
    """The scope a branch is evaluated in: every input it reads has its gradient cut where the
    branch is not taken — the free names directly, and each intermediate it reads recomputed
    from cut inputs (cutting the intermediate itself would leave its own derivative, NaN for
    d = sqrt(x) at x = -1, to meet the 0 coming back)."""
    definitions = getattr(scope, "definitions", {})
    leaves, intermediates = reads(branch, definitions)
    out = Scope(scope)
    out.definitions = definitions
    for name in leaves:
        value = scope[name]
        if isinstance(value, Tensor):
            out[name] = (torch.where(cond, value, value.detach()) if taken
                         else torch.where(cond, value.detach(), value))
    for name, tree in definitions.items():  # in definition order
        if name in intermediates:
            out[name] = evaluate(tree, out, op, dtype)
    return out


def _tensor(value: Scalar, like: object, dtype: torch.dtype | None) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(like, Tensor):
        return torch.tensor(value, dtype=like.dtype if like.is_floating_point() else dtype,
                            device=like.device)
    return torch.tensor(value, dtype=dtype or torch.get_default_dtype())


class TorchFunction:
    """Callable ``env -> {output name: tensor}`` built from the folded tree."""

    def __init__(self, expression: Expression, dtype: torch.dtype = torch.float64) -> None:
        self.expression = expression
        self.dtype = dtype

    def __call__(self, env: Mapping[str, Tensor]) -> dict[str, Tensor]:
        scope = Scope(env)
        scope.definitions = dict(self.expression.folded_definitions)
        for name, node in self.expression.folded_definitions:
            scope[name] = evaluate(node, scope, torch_op, self.dtype)
        return {
            name: self._as_tensor(evaluate(node, scope, torch_op, self.dtype), env)
            for name, node in self.expression.folded_outputs
        }

    def _as_tensor(self, value: Scalar, env: Mapping[str, Tensor]) -> Tensor:
        if isinstance(value, Tensor):
            return value
        like = next(iter(env.values()), None)
        device = like.device if like is not None else None
        return torch.tensor(value, dtype=self.dtype, device=device)


def _binary(op: str, a: Scalar, b: Scalar) -> Scalar:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b  # at least one side is a tensor (constants are folded): IEEE, no raise
    if op == "**":
        # A constant exponent stays a float: no log(base) term.
        return torch.pow(a, b) if isinstance(a, Tensor) else torch.pow(a, cast(Tensor, b))
    raise TypeError(op)  # pragma: no cover


def _compare(op: str, a: Tensor, b: Scalar) -> Tensor:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b
