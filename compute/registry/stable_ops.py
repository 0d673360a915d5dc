"""Registry functions whose autograd backward is their own rule (``autograd="rule"``).

torch's own derivatives of some functions lose digits or overflow in their intermediates:
tanh' as 1 − tanh² and sigmoid' as y(1 − y) cancel in the tails (sigmoid'(30) came out 1e-3 off),
atanh' as 1/(1 − x²) near ±1, asinh' as (x² + 1)^−½ is 0 past |x| ≈ 1.3e154 and atan2's partials
x/(x² + y²) are 0 at (1e200, 2e200). For these functions the registry's partials are the backward:
the forward keeps torch's value, and the backward evaluates the partials with the same functions
(each possibly rule-backed itself), so every higher order is the rule differentiated again and
just as accurate. They work under autograd and torch.func (vmap, jacrev).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from compute.language.tree import Node
from compute.registry.functions import Function

Tensor = torch.Tensor


def rule_backed(fn: Function, forward: Callable[..., Tensor],
                partials: Callable[[list[Node], dict[str, Tensor]], list]) -> Callable[..., Tensor]:
    """``forward`` with ``fn.partials`` as its backward; ``partials(rules, scope)`` evaluates
    some of them differentiably."""
    params, rules = fn.params, fn.partials

    class _Function(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(*args: Tensor) -> Tensor:
            return forward(*args)

        @staticmethod
        def setup_context(ctx, inputs, output) -> None:  # noqa: ARG004 -- torch's signature
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad: Tensor):
            args = ctx.saved_tensors
            needed = [i for i, flag in enumerate(ctx.needs_input_grad) if flag]
            values = dict(zip(needed, partials([rules[i] for i in needed],
                                               dict(zip(params, args, strict=True))), strict=True))
            grads: list[Tensor | None] = []
            for i, arg in enumerate(args):
                if i not in values:
                    grads.append(None)
                    continue
                g = grad * values[i]
                grads.append(g if g.shape == arg.shape else g.sum_to_size(arg.shape))
            return tuple(grads)

    _Function.__name__ = _Function.__qualname__ = f"Stable{fn.name.capitalize()}"

    def apply(*args: Tensor) -> Tensor:
        return _Function.apply(*args)

    apply.__name__ = fn.name
    return apply
