"""The symbolic engine's side of a request: its derivative program (built once, cached by bytes)
and the block-by-block run of it over a grid or points — eager torch operations, or the program's
fused kernel once one is built (:mod:`compute.engines.fused`)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from compute.caches import BoundedCache
from compute.engines import fused
from compute.engines.parallel import available_cores, block_workers, run_blocks
from compute.errors import PartialsError
from compute.language.expression import Expression
from compute.language.grid import Points
from compute.language.tree import walk

if TYPE_CHECKING:
    from compute.engines.engine import PartialsResult
    from compute.engines.symbolic_diff import Program

DTYPES = {"float64": torch.float64, "float32": torch.float32}


SYMBOLIC_CHUNK = 1 << 17  # points per chunk: intermediates stay in cache (1 MiB each in float64)
FUSED_CHUNK = 1 << 20  # the largest block a kernel takes (8 MiB per result in float64)
SYMBOLIC_CHUNK_GPU = 1 << 23  # a GPU wants big launches; each block is copied back to NumPy


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


def symbolic_program(expression: Expression, indices: list[tuple[str, ...]], *, strict: bool):
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
    program = symbolic_program(expression, list(indices), strict=False)
    if program is None:
        return None
    return program.program, tuple(i for i, _ in _root_groups(program))


SPLIT_INTENSITY = 8  # operations per result written: below it a kernel is bound by memory writes


def _kernel_block(size: int, intensity: float) -> int:
    """Points per block for a kernel. It keeps no intermediates, so blocks are big (fewer calls).
    A kernel with work to spare per result written is split into at least two blocks per block
    thread, which then share it; one that mostly writes (a polynomial: ~4 operations per
    result) is not — measured here, two threads first-touching fresh result pages were slower
    than one."""
    if intensity < SPLIT_INTENSITY:
        return FUSED_CHUNK
    return min(FUSED_CHUNK, max(SYMBOLIC_CHUNK, -(-size // (2 * block_workers()))))


def run_symbolic(result: PartialsResult, program: _SymbolicProgram, chunk_points: int | None) -> None:
    """Grids go by blocks of rows with each axis as a broadcastable view — no coordinate arrays
    at all; scattered points go by flat chunks. Blocks write disjoint slices of the results, so
    on the CPU they run on the block threads of :mod:`compute.engines.parallel`. When the
    program's fused kernel has been built (:mod:`compute.engines.fused`) each block runs it
    instead of the eager operations; when it has not, a large job leaves an order for one."""
    t0 = time.perf_counter()
    dtype, device = DTYPES[result.dtype], torch.device(result.device)
    chunk = chunk_points or (SYMBOLIC_CHUNK if device.type == "cpu" else SYMBOLIC_CHUNK_GPU)
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
        kernel = fused.load(key, max(block_workers(), available_cores()))  # a model per thread
        if kernel is not None and chunk_points is None:  # a caller's block size stays
            chunk = _kernel_block(domain.size, len(program.program.order) / max(1, len(groups)))

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


