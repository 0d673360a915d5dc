"""The approaches Partials replaces, run for real so the Guide can show where they go wrong.

``summed_backward`` is what ``torch.autograd.grad(..., grad_outputs=ones)`` gives;
``jacobian_filter`` is the popular N×N Jacobian answer with ``jac > 0``. Both take tiny grids
only: the Jacobian needs 16·N² bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from compute.engines.engine import partials_on_grid
from compute.engines.torch_lowering import TorchFunction
from compute.language.expression import parse_expression
from compute.language.grid import make_grid

MAX_JACOBIAN_POINTS = 400


def jacobian_bytes(points: int) -> int:
    """Memory of the N×N float64 Jacobian for each of two inputs (8 bytes × N² × 2)."""
    return 16 * points * points


def _tensors(t_values: Sequence[float], k_values: Sequence[float]):
    t = torch.tensor(list(t_values), dtype=torch.float64)
    k = torch.tensor(list(k_values), dtype=torch.float64)
    return t, k


def summed_backward(text: str, names: tuple[str, str], t_values: Sequence[float],
                    k_values: Sequence[float]) -> np.ndarray:
    """∂f/∂(second variable) the way backward computes it: summed over the first variable."""
    function = TorchFunction(parse_expression(text))
    t, k = _tensors(t_values, k_values)
    k.requires_grad_(True)
    T, K = torch.meshgrid(t, k, indexing="ij")
    out = next(iter(function({names[0]: T, names[1]: K}).values()))
    (grad,) = torch.autograd.grad(out, k, grad_outputs=torch.ones_like(out))
    return grad.numpy()


def jacobian_filter(text: str, names: tuple[str, str], t_values: Sequence[float],
                    k_values: Sequence[float]) -> np.ndarray:
    """The entries of ∂f/∂(second variable) that survive ``jac > 0``, flattened (as the answer
    reshapes them); fewer than N when any derivative is zero or negative."""
    if len(t_values) * len(k_values) > MAX_JACOBIAN_POINTS:
        raise ValueError("the N×N Jacobian is only run on tiny grids")
    function = TorchFunction(parse_expression(text))
    t, k = _tensors(t_values, k_values)
    T, K = torch.meshgrid(t, k, indexing="ij")

    def f(a, b):
        return next(iter(function({names[0]: a, names[1]: b}).values()))

    _, jac_k = torch.autograd.functional.jacobian(f, (T, K))
    return jac_k[jac_k > 0].numpy()


def exact(text: str, names: tuple[str, str], t_values: Sequence[float],
          k_values: Sequence[float]) -> np.ndarray:
    grid = make_grid({names[0]: list(t_values), names[1]: list(k_values)})
    return partials_on_grid(text, grid, [names[1]]).partial(names[1])
