"""Exact partial derivatives at every point of a grid (or of scattered points).

Three exact engines, picked per request: the **symbolic** program (default — the function's own
derivative formulas as one shared graph, evaluated block by block on broadcast grid axes, see
``symbolic_diff``), and the two autograd paths of ``autograd_paths`` — the batched gradient of
the summed output (exact because every function is pointwise) and ``torch.func``'s vmap over
nested jacrev. Tests prove all three agree with SymPy and with each other.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from compute.caches import BoundedCache
from compute.engines import fused
from compute.engines.autograd_paths import autograd_chunk_size, batched_grad_chunk, vmap_chunk
from compute.engines.parallel import block_workers, run_blocks
from compute.engines.torch_lowering import TorchFunction
from compute.errors import PartialsError, ResourceLimitError
from compute.language.derivative_forms import check_request_orders, order_room
from compute.language.derivatives import DEVICES, METHODS, DerivativeRequest, parse_request
from compute.language.expression import Expression, parse_expression
from compute.language.grid import Domain, Points, bind_names
from compute.language.tree import walk
from compute.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from compute.engines.symbolic_diff import Program

DTYPES = {"float64": torch.float64, "float32": torch.float32}


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
        program = _symbolic_program(expression, indices, strict=method == "symbolic")
        method = "symbolic" if program is not None else "batched-grad"
    result = PartialsResult(expression, domain, bound, requests, method=method, dtype=dtype,
                            device=device)
    _allocate(result, indices, limits)
    if program is not None:
        _run_symbolic(result, program, chunk_points or (
            _SYMBOLIC_CHUNK if device == "cpu" else _SYMBOLIC_CHUNK_GPU))
        return result
    chunk = chunk_points or autograd_chunk_size(expression, indices, len(domain.names) + len(bound))
    function = TorchFunction(expression, DTYPES[dtype])
    compute = batched_grad_chunk if result.method == "batched-grad" else vmap_chunk
    with torch.enable_grad():
        for start in range(0, max(domain.size, 1), chunk):
            stop = min(start + chunk, domain.size)
            compute(result, function, indices, start, stop)
    return result


_SYMBOLIC_CHUNK = 1 << 17  # points per chunk: intermediates stay in cache (1 MiB each in float64)
_SYMBOLIC_CHUNK_GPU = 1 << 23  # a GPU wants big launches; each block is copied back to NumPy


def symbolic_budget(size: int, partials: int) -> int:
    """Most operations the shared derivative graph may have before autograd takes over.

    Hash-consing keeps it near-linear in practice (the 4th derivative of a 30-factor product
    needs 470 operations), so this only stops pathological swell."""
    return 64 * size + 256 * (1 + partials)


@dataclass
class _SymbolicProgram:
    program: Program
    roots: dict[tuple[str, tuple[str, ...]], int]
    indices: tuple[tuple[str, ...], ...] = ()
    keys: dict = field(default_factory=dict)  # fused.Layout -> the kernel key (a hash: computed once)


def _symbolic_program(expression: Expression, indices: list[tuple[str, ...]], *, strict: bool):
    """f and every partial as one shared graph, or None when it would grow too large.

    Built once per (function, partials): interactive reruns and repeated calls reuse it. The
    cache is bounded by bytes: it lives in capped worker processes, where an entry-count bound
    (hundreds of programs of up to tens of MB) would eat the cap and refuse every later job."""
    size = sum(1 for _, node in expression.folded_definitions + expression.folded_outputs
               for _ in walk(node))
    budget = symbolic_budget(size, len(indices))
    key = (expression, tuple(indices), budget)
    program = _PROGRAMS.get_or_compute(key, lambda: _build_program(expression, key[1], budget))
    if program is _TOO_LARGE:
        if strict:
            raise PartialsError("the symbolic derivatives of this function are too large")
        return None
    return program


_TOO_LARGE = object()
_PROGRAM_OP_BYTES = 400  # measured: ~300 bytes per graph operation, with its hash-consing entry
_PROGRAMS: BoundedCache[Any] = BoundedCache(  # a _SymbolicProgram or _TOO_LARGE
    int(os.environ.get("PARTIALS_PROGRAM_CACHE_BYTES", str(128 * 2**20))),
    lambda p: 64 if p is _TOO_LARGE else 4096 + _PROGRAM_OP_BYTES * len(p.program.graph.ops),
)


def _build_program(expression: Expression, indices: tuple[tuple[str, ...], ...], budget: int):
    from compute.engines.symbolic_diff import Differentiator, Program, TooLarge

    try:
        diff = Differentiator(expression, budget)
        roots: dict[tuple[str, tuple[str, ...]], int] = {}
        for output, root in diff.outputs.items():
            roots[(output, ())] = root
            for idx in indices:
                node = root
                for name in idx:
                    node = diff.d(node, name)
                roots[(output, idx)] = node
    except TooLarge:
        return _TOO_LARGE
    return _SymbolicProgram(Program(diff.graph, list(dict.fromkeys(roots.values()))), roots, indices)


def fusable_program(expression: Expression, indices: Sequence[tuple[str, ...]]
                    ) -> tuple[Program, tuple[int, ...]] | None:
    """The program a fused kernel of (expression, partials) compiles, and the ids it writes —
    the very program the engine runs (the compile process rebuilds it from the same inputs)."""
    program = _symbolic_program(expression, list(indices), strict=False)
    if program is None:
        return None
    return program.program, tuple(i for i, _ in _root_groups(program))


def _run_symbolic(result: PartialsResult, program: _SymbolicProgram, chunk: int) -> None:
    """Grids go by blocks of rows with each axis as a broadcastable view — no coordinate arrays
    at all; scattered points go by flat chunks. Blocks write disjoint slices of the results, so
    on the CPU they run on the block threads of :mod:`compute.engines.parallel`. When the
    program's fused kernel has been built (:mod:`compute.engines.fused`) each block runs it
    instead of the eager operations; when it has not, a large job leaves an order for one."""
    t0 = time.perf_counter()
    dtype, device = DTYPES[result.dtype], torch.device(result.device)
    params = {name: torch.tensor(value, dtype=dtype, device=device)
              for name, value in result.params.items()}
    domain = result.domain
    shape = domain.shape
    row = math.prod(shape[1:])
    flat_layout = isinstance(domain, Points) or row > 4 * chunk
    names = (*domain.names, *params)
    groups = _root_groups(program)
    layout = fused.Layout(domain.names, tuple(params), not flat_layout, result.dtype)
    key = kernel = None
    if fused.enabled() and device.type == "cpu":
        key = program.keys.get(layout)
        if key is None:
            key = program.keys[layout] = fused.program_key(
                program.program, [i for i, _ in groups], layout)
        kernel = fused.load(key, block_workers())

    fused_blocks: list[slice] = []

    def block(env: dict[str, torch.Tensor], block_shape: tuple[int, ...], where: slice) -> None:
        if kernel is not None and fused.fits(block_shape):
            try:
                _fused_block(result, groups, kernel, [env[n] for n in names], block_shape, where)
                fused_blocks.append(where)  # list.append is atomic: blocks run on several threads
                return
            except fused.KernelError:
                pass
        _symbolic_block(result, program, env, block_shape, where)

    work: Callable[[tuple[int, int]], None]
    if flat_layout:
        spans = [(start, min(start + chunk, domain.size))
                 for start in range(0, max(domain.size, 1), chunk)]

        def work(span: tuple[int, int]) -> None:
            start, stop = span
            env = {name: torch.from_numpy(np.ascontiguousarray(v)).to(device=device, dtype=dtype)
                   for name, v in domain.coordinates(start, stop).items()}
            block({**env, **params}, (stop - start,), slice(start, stop))
    else:
        assert not isinstance(domain, Points)  # flat_layout covers them
        axes = {name: torch.from_numpy(values).to(device=device, dtype=dtype)
                for name, values in domain.axes}
        views = {name: axes[name].reshape([-1 if j == i else 1 for j in range(len(shape))])
                 for i, name in enumerate(domain.names)}
        rows = max(1, chunk // max(row, 1))
        first = domain.names[0]
        spans = [(start, min(start + rows, shape[0])) for start in range(0, shape[0], rows)]

        def work(span: tuple[int, int]) -> None:
            start, stop = span
            env = {**views, first: views[first][start:stop], **params}
            block(env, (stop - start, *shape[1:]), slice(start * row, stop * row))
    if device.type == "cpu":
        run_blocks(work, spans)
    else:  # one stream of large launches: threads would only contend for it
        for span in spans:
            work(span)
    result.fused_blocks += len(fused_blocks)
    share = (time.perf_counter() - t0) / len(program.roots)
    for key_ in program.roots:
        result.seconds[key_] += share
    if (key is not None and kernel is None and domain.size >= fused.MIN_POINTS
            and not fused.has_failed(key)):
        coordinates = ([values for _, values in domain.axes] if not isinstance(domain, Points)
                       and not flat_layout else
                       list(domain.coordinates(0, min(domain.size, fused.SAMPLE_VALUES)).values()))
        result.fuse_order = fused.FuseOrder(
            key, result.expression, program.indices, layout,
            fused.samples_of(coordinates, not flat_layout), tuple(result.params.values()))


def _root_groups(program: _SymbolicProgram) -> list[tuple[int, list[tuple[str, tuple[str, ...]]]]]:
    """The distinct values the program computes for its results, each with the keys it fills."""
    groups: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    for key, root in program.roots.items():
        groups.setdefault(program.program.evaluated.get(root, root), []).append(key)
    return list(groups.items())


def _fused_block(result: PartialsResult, groups: list[tuple[int, list[tuple[str, tuple[str, ...]]]]],
                 kernel: fused.Kernel, inputs: list[torch.Tensor], shape: tuple[int, ...],
                 flat: slice) -> None:
    outs: list[torch.Tensor] = []
    copies: list[tuple[torch.Tensor, torch.Tensor]] = []
    for _, keys in groups:
        views = [torch.from_numpy((result.partials[k] if k[1] else result.values[k[0]])[flat])
                 .view(shape) for k in keys]
        outs.append(views[0])
        copies += [(v, views[0]) for v in views[1:]]
    kernel([*inputs, *outs])
    for view, source in copies:
        view.copy_(source)


def _symbolic_block(result: PartialsResult, program: _SymbolicProgram, env: dict[str, torch.Tensor],
                    shape: tuple[int, ...], flat: slice) -> None:
    targets: dict[int, torch.Tensor] = {}
    copies: list[tuple[torch.Tensor, torch.Tensor]] = []  # a root that several keys share
    for key, root in program.roots.items():
        array = result.partials[key] if key[1] else result.values[key[0]]
        view = torch.from_numpy(array[flat]).view(shape)
        if root in targets:
            copies.append((view, targets[root]))
        else:
            targets[root] = view
    program.program.run(env, shape, DTYPES[result.dtype], targets, torch.device(result.device))
    for view, source in copies:
        view.copy_(source)


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
