"""The two autograd engines, chunk by chunk: the batched gradient of the summed output
(exact because every function here is pointwise — one backward pass per derivative level
instead of an N×N Jacobian, higher orders nested through a trie of multi-indices) and
``torch.func`` (vmap over nested jacrev of a one-point function), the general reference path.
The engine picks between them and the symbolic program (``compute.engines.engine``).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import numpy as np
import torch

from compute.engines.torch_lowering import TorchFunction
from compute.language.expression import Expression
from compute.language.tree import walk

if TYPE_CHECKING:
    from compute.engines.engine import PartialsResult

_CHUNK_BYTES = 192 * 2**20
_SECONDS = threading.Lock()  # chunks run on several block threads; their timings add up here


def autograd_chunk_size(expression: Expression, indices: list[tuple[str, ...]], n_inputs: int) -> int:
    """Points per chunk so the autograd graph stays around ``_CHUNK_BYTES``."""
    trees = [node for _, node in expression.folded_definitions + expression.folded_outputs]
    nodes = sum(1 for tree in trees for _ in walk(tree)) + 4
    depth = max((len(i) for i in indices), default=0)
    per_point = 8 * (nodes + n_inputs) * (1 + depth) ** 2 * max(1, len(indices))
    return int(min(2**21, max(4096, _CHUNK_BYTES // per_point)))


def _inputs(result: PartialsResult, start: int, stop: int, needs_grad: set[str]) -> dict[str, torch.Tensor]:
    dtype, device = getattr(torch, result.dtype), torch.device(result.device)
    coords = result.domain.coordinates(start, stop)
    env: dict[str, torch.Tensor] = {}
    for name, values in coords.items():
        tensor = torch.from_numpy(np.ascontiguousarray(values)).to(device=device, dtype=dtype)
        env[name] = tensor.requires_grad_(name in needs_grad)
    for name, value in result.params.items():
        if name in needs_grad:  # a per-point copy, so d/dparam comes out per point
            env[name] = torch.full((stop - start,), value, dtype=dtype, device=device,
                                   requires_grad=True)
        else:
            env[name] = torch.tensor(value, dtype=dtype, device=device)
    return env


def _store(result: PartialsResult, key: tuple[str, tuple[str, ...]], tensor: torch.Tensor,
           span: tuple[int, int], seconds: float) -> None:
    start, stop = span
    target = result.partials[key] if key[1] else result.values[key[0]]
    data = tensor.detach()
    if data.dim() == 0 or data.shape[0] != stop - start:
        data = data.expand(stop - start)
    target[start:stop] = data.numpy(force=True)  # force: vmap may hand back a ZeroTensor
    with _SECONDS:
        result.seconds[key] += seconds


def batched_grad_chunk(result: PartialsResult, function: TorchFunction,
                        indices: list[tuple[str, ...]], start: int, stop: int) -> None:
    needs_grad = {name for idx in indices for name in idx}
    env = _inputs(result, start, stop, needs_grad)
    t0 = time.perf_counter()
    outputs = function(env)
    forward = time.perf_counter() - t0
    deepest = max((len(i) for i in indices), default=0)
    needed = {idx[:k] for idx in indices for k in range(1, len(idx) + 1)}
    for output, value in outputs.items():
        _store(result, (output, ()), value, (start, stop), forward / len(outputs))
        derivs: dict[tuple[str, ...], torch.Tensor] = {(): value}
        for level in range(1, deepest + 1):
            prefixes = sorted({idx[:-1] for idx in needed if len(idx) == level},
                              key=lambda p: [result._order.index(n) for n in p])
            for prefix in prefixes:
                children = [idx for idx in sorted(needed) if len(idx) == level and idx[:-1] == prefix]
                children.sort(key=lambda idx: result._order.index(idx[-1]))
                t0 = time.perf_counter()
                grads = _grad(derivs[prefix], [env[idx[-1]] for idx in children],
                              create_graph=level < deepest)
                share = (time.perf_counter() - t0) / len(children)
                for idx, g in zip(children, grads, strict=True):
                    derivs[idx] = g
                    if (output, idx) in result.partials:
                        _store(result, (output, idx), g, (start, stop), share)


def _grad(tensor: torch.Tensor, inputs: list[torch.Tensor], *, create_graph: bool) -> list[torch.Tensor]:
    if not tensor.requires_grad:  # constant in these inputs: every derivative is 0
        return [torch.zeros_like(i) for i in inputs]
    return list(torch.autograd.grad(
        tensor.sum(), inputs, create_graph=create_graph, retain_graph=True,
        allow_unused=True, materialize_grads=True,
    ))


def vmap_chunk(result: PartialsResult, function: TorchFunction,
                indices: list[tuple[str, ...]], start: int, stop: int) -> None:
    """The general engine: torch.func.vmap over nested jacrev of a one-point function."""
    from torch.func import jacrev, vmap

    env = _inputs(result, start, stop, needs_grad=set())
    names = list(env)
    batched = [env[n].expand(stop - start) if env[n].dim() == 0 else env[n] for n in names]
    chunk = 65536
    for output in result.outputs:
        def point(*args, _output=output):
            return function(dict(zip(names, args, strict=True)))[_output]

        t0 = time.perf_counter()
        value = vmap(point, chunk_size=chunk)(*batched)
        _store(result, (output, ()), value, (start, stop), time.perf_counter() - t0)
        for idx in indices:
            derivative = point
            for name in reversed(idx):
                derivative = jacrev(derivative, argnums=names.index(name))
            t0 = time.perf_counter()
            out = vmap(derivative, chunk_size=chunk)(*[b.detach() for b in batched])
            _store(result, (output, idx), out, (start, stop), time.perf_counter() - t0)
