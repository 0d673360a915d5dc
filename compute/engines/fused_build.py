"""Building a fused kernel: the derivative program exported and compiled ahead of time by AOTInductor.

Run by the compile process (:mod:`compute.service.compile_worker`), the benchmarks and the tests —
never on a request's path: a build costs seconds to a minute of CPU and imports Dynamo and
Inductor (hundreds of MB). The program is traced once with a **dynamic** block shape (one kernel
per program and layout, whatever the grid's size), compiled with one thread per kernel (the
engine's block threads give the parallelism), loaded back exactly as the engine will load it,
and run beside the eager program on the job's own sample values at two shapes. Only a kernel
that matches to rounding — non-finite points included — is published, by renaming its directory
into place (readers never see half a kernel). Any failure is recorded as ``<key>.failed`` so that
the program stays eager and is not ordered again.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from compute.engines.fused import (
    FuseOrder,
    Kernel,
    Layout,
    failed_path,
    kernel_dir,
    library_path,
    make_kernel_dir,
    program_key,
    same_to_rounding,
    sample_inputs,
)

MAX_KERNELS = 256  # published kernels kept (~1.5 MB each); the least recently built go first
INDUCTOR_CACHE_BYTES = 512 * 2**20  # Inductor's own cache, emptied between builds past this
_EXPORT_SIZES = (13, 7, 5, 3)  # distinct and ≥ 2: no dimension is specialised or tied to another
_TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def build(order: FuseOrder) -> str:
    """Build, verify and publish the kernel for ``order``: ``"ready"`` (also when it already
    was), or ``"failed: why"`` (and the program is marked so)."""
    if library_path(order.key).is_file():
        return "ready"
    staging = kernel_dir() / f".build-{order.key}-{os.getpid()}"
    try:
        make_kernel_dir()  # an unwritable cache directory is a failed build like any other
        started = time.perf_counter()
        program, ids = _program(order)
        _configure_inductor()
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        library = _compile(program, ids, order.layout, staging)
        _verify(library, program, ids, order)
        (staging / "meta.json").write_text(json.dumps({
            "function": order.expression.text, "partials": [",".join(i) for i in order.indices],
            "layout": {"variables": order.layout.variables, "params": order.layout.params,
                       "grid": order.layout.grid, "dtype": order.layout.dtype},
            "torch": torch.__version__, "build_seconds": round(time.perf_counter() - started, 2),
        }, indent=1))
        try:
            os.rename(staging, library_path(order.key).parent)
        except OSError:  # another process published it first
            shutil.rmtree(staging, ignore_errors=True)
        prune()
        return "ready"
    except Exception as exc:  # noqa: BLE001 - any failure leaves this program on the eager path
        shutil.rmtree(staging, ignore_errors=True)
        reason = f"{exc.__class__.__name__}: {str(exc)[:500]}"
        try:
            make_kernel_dir()
            failed_path(order.key).write_text(reason + "\n")
        except OSError:
            pass
        return f"failed: {reason}"


def prune() -> None:
    """Keep the kernel directory bounded whatever links a server is sent: at most ``MAX_KERNELS``
    kernels (the oldest builds are removed; a process that has one loaded keeps its mapping), and
    Inductor's intermediate cache emptied once it passes ``INDUCTOR_CACHE_BYTES``."""
    root = kernel_dir()
    kernels = sorted((p for p in root.glob("*/kernel.so")), key=lambda p: p.stat().st_mtime)
    for old in kernels[:max(0, len(kernels) - MAX_KERNELS)]:
        shutil.rmtree(old.parent, ignore_errors=True)
    inductor = root / "inductor"
    if inductor.is_dir():
        size = sum(f.stat().st_size for f in inductor.rglob("*") if f.is_file())
        if size > INDUCTOR_CACHE_BYTES:
            shutil.rmtree(inductor, ignore_errors=True)


def _program(order: FuseOrder) -> tuple[Any, tuple[int, ...]]:
    from compute.engines.symbolic_run import fusable_program

    found = fusable_program(order.expression, order.indices)
    if found is None:
        raise ValueError("the function has no symbolic derivative program")
    program, ids = found
    if program_key(program, ids, order.layout) != order.key:
        raise ValueError("the rebuilt program differs from the ordered one")
    return program, ids


def _configure_inductor() -> None:
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(kernel_dir() / "inductor"))
    import torch._inductor.config as inductor_config

    inductor_config.compile_threads = 1  # no pool of compile processes beside the workers
    torch.set_num_threads(1)  # one thread per kernel call: no OpenMP region in the generated loop


class _Evaluate(torch.nn.Module):
    """``forward(*inputs, *outs)``: the program's operations, in its order, writing value
    ``ids[j]`` into ``outs[j]`` — the eager program's semantics (one ``apply_op``)."""

    def __init__(self, program: Any, ids: tuple[int, ...], layout: Layout) -> None:
        super().__init__()
        from compute.engines.torch_lowering import raw_op

        ops = program.graph.ops
        self.plan = tuple((i, ops[i]) for i in program.order)
        self.calls = {op[1]: raw_op(op[1]) for _, op in self.plan if op[0] == "call"}
        self.ids, self.names = ids, layout.variables + layout.params
        self.dtype = getattr(torch, layout.dtype)

    def forward(self, *args: torch.Tensor) -> tuple:
        from compute.engines.symbolic_diff import apply_op

        inputs, outs = args[:len(self.names)], args[len(self.names):]
        env = dict(zip(self.names, inputs, strict=True))
        values: dict[int, Any] = {}
        for i, op in self.plan:
            values[i] = apply_op(op, values, env, self._tensor, self.calls.__getitem__)
        for out, i in zip(outs, self.ids, strict=True):
            out.copy_(self._tensor(values[i]))
        return ()

    def _tensor(self, value: Any) -> torch.Tensor:
        return value if isinstance(value, torch.Tensor) else torch.tensor(value, dtype=self.dtype)


def _compile(program: Any, ids: tuple[int, ...], layout: Layout, staging: Path) -> Path:
    from torch.export import Dim, export

    ndim = layout.ndim
    sizes = _EXPORT_SIZES[:ndim]
    dims = [Dim(f"d{j}", min=2) for j in range(ndim)]
    samples = [np.linspace(0.25, 0.75, sizes[i if layout.grid else 0])
               for i in range(len(layout.variables))]
    inputs = sample_inputs(layout, samples, [0.5] * len(layout.params))
    outs = [torch.empty(sizes, dtype=getattr(torch, layout.dtype)) for _ in ids]
    dynamic: list[Any] = [({i: dims[i]} if layout.grid else {0: dims[0]})
                          for i in range(len(layout.variables))]
    dynamic += [None] * len(layout.params)
    dynamic += [dict(enumerate(dims)) for _ in ids]
    with torch.no_grad():
        exported = export(_Evaluate(program, ids, layout), tuple(inputs + outs),
                          dynamic_shapes={"args": tuple(dynamic)})
        from torch._inductor import aoti_compile_and_package

        package = aoti_compile_and_package(
            exported, package_path=str(staging / "kernel.pt2"))
    with zipfile.ZipFile(package) as archive:
        libraries = [n for n in archive.namelist() if n.endswith(".so")]
        if len(libraries) != 1 or any("/data/constants/" in n or "/data/weights/" in n
                                       for n in archive.namelist()):
            raise ValueError(f"unexpected package contents: {archive.namelist()}")
        library = staging / "kernel.so"
        library.write_bytes(archive.read(libraries[0]))
        library.chmod(0o700)
    os.remove(package)
    return library


def _verify(library: Path, program: Any, ids: tuple[int, ...], order: FuseOrder) -> None:
    """The kernel against the eager program on the job's samples, at full and at about half size
    (two shapes of the dynamic dimensions)."""
    layout = order.layout
    kernel = Kernel(library, 1)
    dtype = getattr(torch, layout.dtype)
    full = [len(s) for s in order.samples] if layout.grid else [len(order.samples[0])]
    for sizes in (full, [max(2, (n + 1) // 2) for n in full]):
        inputs = sample_inputs(layout, order.samples, order.params, sizes)
        shape = tuple(sizes) if layout.grid else (sizes[0],)
        got = [torch.empty(shape, dtype=dtype) for _ in ids]
        kernel([*inputs, *got])
        want = {i: torch.empty(shape, dtype=dtype) for i in ids}
        env = dict(zip(layout.variables + layout.params, inputs, strict=True))
        program.run(env, shape, dtype, want)
        for g, i in zip(got, ids, strict=True):
            if not same_to_rounding(g.numpy(), want[i].numpy(), _TOLERANCE[layout.dtype]):
                raise ValueError("the compiled kernel disagrees with the eager program")
