"""Exact partial derivatives at every point of a grid (or of scattered points).

Three exact engines, picked per request: the **symbolic** program (default — the function's own
derivative formulas as one shared graph, evaluated block by block on broadcast grid axes, see
``symbolic_diff``), and the two autograd paths of ``autograd_paths`` — the batched gradient of
the summed output (exact because every function is pointwise) and ``torch.func``'s vmap over
nested jacrev. Tests prove all three agree with SymPy and with each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from compute.engines.autograd_paths import autograd_chunk_size, batched_grad_chunk, vmap_chunk
from compute.engines.parallel import block_workers, run_blocks
from compute.engines.symbolic_run import (
    DTYPES,
    run_symbolic,
    symbolic_program,
)
from compute.engines.torch_lowering import TorchFunction
from compute.errors import PartialsError, ResourceLimitError
from compute.language.derivative_forms import check_request_orders, order_room
from compute.language.derivatives import DEVICES, METHODS, DerivativeRequest, parse_request
from compute.language.expression import Expression, parse_expression
from compute.language.grid import Domain, Points, bind_names
from compute.limits import DEFAULT_LIMITS, Limits


def resolve_device(device: str) -> str:
    """``auto`` is CUDA when torch sees a GPU, else the CPU; asking for CUDA without one is an
    error rather than a silent fallback."""
    if device not in DEVICES:
        raise PartialsError(f"device must be one of {', '.join(DEVICES)}, not '{str(device)[:20]}'")
    available = torch.cuda.is_available()
    if device == "cuda" and not available:
        raise PartialsError("device 'cuda' was asked for, but torch sees no CUDA GPU here")
    return "cuda" if device == "cuda" or (device == "auto" and available) else "cpu"


@dataclass
class PartialsResult:
    """Values and partials shaped like the domain (grid shape, or (n,) for points)."""

    expression: Expression
    domain: Domain
    params: dict[str, float]
    requests: tuple[DerivativeRequest, ...]
    method: str
    dtype: str
    device: str = "cpu"  # where the numbers were computed; results always come back as NumPy
    values: dict[str, np.ndarray] = field(default_factory=dict)
    partials: dict[tuple[str, tuple[str, ...]], np.ndarray] = field(default_factory=dict)
    seconds: dict[tuple[str, tuple[str, ...]], float] = field(default_factory=dict)
    fused_blocks: int = 0  # blocks a fused kernel computed (compute.engines.fused); 0: all eager
    fuse_order: Any = None  # a fused.FuseOrder when this job would be faster with a kernel

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.expression.output_names

    def value(self, output: str | None = None) -> np.ndarray:
        return self.values[output or self.outputs[0]].reshape(self.domain.shape)

    def partial(self, wrt: str | Sequence[str], output: str | None = None) -> np.ndarray:
        """One partial by spec (``"t,k"`` or ``("t", "k")``); mixed partials commute."""
        names = tuple(n.strip() for n in wrt.split(",")) if isinstance(wrt, str) else tuple(wrt)
        key = (output or self.outputs[0], canonical(names, self._order))
        return self.partials[key].reshape(self.domain.shape)

    def coordinate(self, name: str) -> np.ndarray:
        """A variable's value at every point, shaped like the results."""
        return self.domain.coordinates(0, self.domain.size)[name].reshape(self.domain.shape)

    def laplacian(self, output: str | None = None) -> np.ndarray:
        parts = [self.partial((v, v), output) for v in self.domain.names]
        return np.sum(parts, axis=0) if len(parts) > 1 else parts[0]

    def quantity(self, request: DerivativeRequest, output: str | None = None):
        """What a request asks for: an array, or ``{component: array}`` for bundles."""
        if request.kind == "partial":
            return self.partial(request.components[0], output)
        if request.kind == "laplacian":
            return self.laplacian(output)
        return {",".join(c): self.partial(c, output) for c in request.components}

    def seconds_for(self, output: str, wrt: Sequence[str]) -> float:
        """Seconds spent on one quantity (f when ``wrt`` is empty)."""
        return self.seconds.get((output, canonical(wrt, self._order) if wrt else ()), 0.0)

    def components(self) -> list[tuple[str, ...]]:
        """Every distinct partial the requests need, in request order (t,k and k,t once)."""
        seen: dict[tuple[str, ...], tuple[str, ...]] = {}
        for request in self.requests:
            for component in request.components:
                seen.setdefault(canonical(component, self._order), component)
        return list(seen.values())

    @property
    def nbytes(self) -> int:
        """Memory the result holds (its arrays and the domain's): what a cache must weigh."""
        arrays = [*self.values.values(), *self.partials.values()]
        domain = self.domain
        arrays += [values for _, values in (domain.columns if isinstance(domain, Points) else domain.axes)]
        return sum(a.nbytes for a in arrays) + 4096

    def nonfinite(self, array: np.ndarray) -> int:
        return int(array.size - np.count_nonzero(np.isfinite(array)))

    @property
    def _order(self) -> tuple[str, ...]:
        return self.domain.names + tuple(p for p in self.params if p not in self.domain.names)


def canonical(wrt: Sequence[str], order: Sequence[str]) -> tuple[str, ...]:
    """Sort a multi-index by variable order so equal mixed partials share one computation."""
    rank = {name: i for i, name in enumerate(order)}
    return tuple(sorted(wrt, key=lambda n: rank.get(n, len(rank))))


def partials_on_grid(
    expression: Expression | str,
    domain: Domain,
    wrt: Sequence[str | DerivativeRequest] | None = None,
    params: Mapping[str, float] | None = None,
    *,
    dtype: str = "float64",
    method: str = "auto",
    device: str = "auto",
    chunk_points: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> PartialsResult:
    """f and the requested partials at every point of ``domain``.

    ``wrt`` holds derivative specs (``"k"``, ``"t,k"``, ``"hessian"``…); None means every first
    partial with respect to the domain's variables.
    """
    if isinstance(expression, str):
        expression = parse_expression(expression, limits)
    if dtype not in DTYPES:
        raise PartialsError(f"dtype must be float64 or float32, not '{dtype}'")
    if method not in METHODS:
        raise PartialsError(f"method must be one of {', '.join(METHODS)}")
    device = resolve_device(device)
    bound = bind_names(expression, domain, params or {})
    if wrt is None:  # every first partial, unless the function's diff() already takes order 4
        wrt = list(domain.names) if order_room(expression, limits) > 0 else []
    requests = tuple(
        r if isinstance(r, DerivativeRequest)
        else parse_request(r, domain.names, tuple(bound), limits)
        for r in wrt
    )
    check_request_orders(expression, requests, limits)  # the function's own diff() counts too
    order = domain.names + tuple(p for p in bound if p not in domain.names)
    indices = sorted(
        {canonical(c, order) for r in requests for c in r.components},
        key=lambda idx: (len(idx), [order.index(n) for n in idx]),
    )
    if len(indices) > limits.max_partials:
        raise PartialsError(
            f"too many partials requested ({len(indices)}; the limit is {limits.max_partials})"
        )
    program = None
    if method in ("auto", "symbolic"):
        program = symbolic_program(expression, indices, strict=method == "symbolic")
        method = "symbolic" if program is not None else "batched-grad"
    result = PartialsResult(expression, domain, bound, requests, method=method, dtype=dtype,
                            device=device)
    _allocate(result, indices, limits)
    if program is not None:
        run_symbolic(result, program, chunk_points)
        return result
    # Chunks run on the block threads like the symbolic program's blocks; each is smaller by the
    # thread count, so the autograd graphs in flight together weigh what one chunk did.
    threads = block_workers() if device == "cpu" else 1
    chunk = chunk_points or max(4096, autograd_chunk_size(
        expression, indices, len(domain.names) + len(bound)) // threads)
    function = TorchFunction(expression, DTYPES[dtype])
    compute = batched_grad_chunk if result.method == "batched-grad" else vmap_chunk

    def work(span: tuple[int, int]) -> None:
        with torch.enable_grad():  # grad mode is per thread
            compute(result, function, indices, *span)

    spans = [(start, min(start + chunk, domain.size)) for start in range(0, max(domain.size, 1), chunk)]
    if threads > 1:
        run_blocks(work, spans)
    else:
        for span in spans:
            work(span)
    return result


def _allocate(result: PartialsResult, indices: list[tuple[str, ...]], limits: Limits) -> None:
    n = result.domain.size
    itemsize = 8 if result.dtype == "float64" else 4
    count = len(result.outputs) * (1 + len(indices))
    need = n * itemsize * count
    if need > limits.max_result_bytes:
        raise ResourceLimitError(
            f"the results need {need / 2**30:.1f} GiB ({count} arrays of {n:,} points); "
            f"the limit is {limits.max_result_bytes / 2**30:.1f} GiB"
        )
    np_dtype = np.float64 if result.dtype == "float64" else np.float32
    for output in result.outputs:
        result.values[output] = np.empty(n, dtype=np_dtype)
        result.seconds[(output, ())] = 0.0
        for idx in indices:
            result.partials[(output, idx)] = np.empty(n, dtype=np_dtype)
            result.seconds[(output, idx)] = 0.0
