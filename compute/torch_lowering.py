"""Lower a validated expression to a pointwise torch function.

Every operation is elementwise, so the function maps same-shaped (or broadcastable) tensors to
same-shaped outputs: the property the derivative engine relies on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from . import stable_ops
from .expression import Expression
from .tree import Binary, Call, Compare, Constant, Node, Num, Ref, Symbol, Unary

Tensor = torch.Tensor
Scalar = float | Tensor


def _cbrt(x: Tensor) -> Tensor:
    return torch.sign(x) * torch.abs(x).pow(1.0 / 3.0)


TORCH_FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "asin": stable_ops.asin,
    "acos": stable_ops.acos,
    "atan": torch.atan,
    "atan2": torch.atan2,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "tanh": stable_ops.tanh,
    "sech": stable_ops.sech,
    "asinh": torch.asinh,
    "acosh": stable_ops.acosh,
    "atanh": stable_ops.atanh,
    "exp": torch.exp,
    "expm1": stable_ops.expm1,
    "log": torch.log,
    "log1p": torch.log1p,
    "log2": torch.log2,
    "log10": torch.log10,
    "sqrt": torch.sqrt,
    "cbrt": _cbrt,
    "abs": torch.abs,
    "sign": torch.sign,
    "erf": torch.special.erf,
    "erfc": torch.special.erfc,
    "min": torch.minimum,
    "max": torch.maximum,
    "sigmoid": stable_ops.sigmoid,
    "softplus": stable_ops.softplus,  # logaddexp: exact everywhere (F.softplus cuts at 20)
    "where": torch.where,
}


class TorchFunction:
    """Callable ``env -> {output name: tensor}`` built from the folded tree."""

    def __init__(self, expression: Expression, dtype: torch.dtype = torch.float64) -> None:
        self.expression = expression
        self.dtype = dtype

    def __call__(self, env: Mapping[str, Tensor]) -> dict[str, Tensor]:
        scope: dict[str, Scalar] = dict(env)
        for name, node in self.expression.folded_definitions:
            scope[name] = self._eval(node, scope)
        return {
            name: self._as_tensor(self._eval(node, scope), env)
            for name, node in self.expression.folded_outputs
        }

    def _as_tensor(self, value: Scalar, env: Mapping[str, Tensor]) -> Tensor:
        if isinstance(value, Tensor):
            return value
        like = next(iter(env.values()), None)
        device = like.device if like is not None else None
        return torch.tensor(value, dtype=self.dtype, device=device)

    def _tensor(self, value: Scalar, like: Scalar) -> Tensor:
        if isinstance(value, Tensor):
            return value
        if isinstance(like, Tensor):
            return torch.full_like(like, value, dtype=self.dtype)
        return torch.tensor(value, dtype=self.dtype)

    def _eval(self, node: Node, scope: dict[str, Scalar]) -> Scalar:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, (Symbol, Ref)):
            return scope[node.name]
        if isinstance(node, Unary):
            operand = self._eval(node.operand, scope)
            return -operand if node.op == "-" else operand
        if isinstance(node, Binary):
            a = self._eval(node.left, scope)
            b = self._eval(node.right, scope)
            return _binary(node.op, a, b)
        if isinstance(node, Compare):
            a = self._tensor(self._eval(node.left, scope), None)
            b = self._eval(node.right, scope)
            return _compare(node.op, a, b)
        if isinstance(node, Call):
            args = [self._eval(arg, scope) for arg in node.args]
            if node.func == "where":
                cond, a, b = args
                if not isinstance(cond, Tensor):
                    cond = torch.tensor(bool(cond))
                like = a if isinstance(a, Tensor) else b
                return torch.where(cond, self._tensor(a, like), self._tensor(b, like))
            if node.func in ("min", "max"):
                out = args[0]
                for arg in args[1:]:
                    like = out if isinstance(out, Tensor) else arg
                    out = TORCH_FUNCTIONS[node.func](self._tensor(out, like), self._tensor(arg, like))
                return out
            if node.func == "atan2":
                like = args[0] if isinstance(args[0], Tensor) else args[1]
                return torch.atan2(self._tensor(args[0], like), self._tensor(args[1], like))
            return TORCH_FUNCTIONS[node.func](self._tensor(args[0], None))
        if isinstance(node, Constant):  # pragma: no cover - folded away before lowering
            raise TypeError("constants are folded before lowering")
        raise TypeError(f"unexpected node {node!r}")  # pragma: no cover


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
        return torch.pow(a, b)  # a constant exponent stays a float: no log(base) term
    raise TypeError(op)  # pragma: no cover


def _compare(op: str, a: Tensor, b: Scalar) -> Tensor:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b
