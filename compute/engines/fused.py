"""Fused kernels for the derivative program: found on disk, loaded in milliseconds, never waited for.

The engine evaluates its hash-consed derivative program op by op in eager torch, block by block:
every operation reads and writes a block-sized intermediate. A **fused kernel** is the same
program compiled ahead of time by AOTInductor (:mod:`compute.engines.fused_build`) into one
shared library whose single loop reads the inputs and writes f and every partial once — 3–5×
faster than the eager program on transcendental and higher-order partials (docs/benchmark.md).

How it is used, so that no request ever waits for a compiler:

- A kernel is named by a **key**: a hash of the program's operations, the input layout (flat
  points or broadcast grid axes, the variables and parameters), the dtype and the torch version.
  The same function and partials give the same key in every process.
- The engine looks for ``<kernel dir>/<key>/kernel.so`` once per job (a ``stat``). When it is
  there, it is loaded with ``ctypes`` (no Dynamo, no Inductor import: a few milliseconds) and
  every block of ≥ ``MIN_BLOCK`` points runs it — through AOTInductor's C interface, which
  releases the GIL, so the engine's block threads (:mod:`compute.engines.parallel`) still share
  the work.
- When it is not there, the job runs eagerly as always, and a job of ≥ ``MIN_POINTS`` leaves a
  :class:`FuseOrder` on its result. Whoever owns processes decides what to do with it: the app's
  service hands it to one low-priority compile process (:mod:`compute.service.compiler`), which
  builds, verifies against the eager program, and publishes the kernel atomically; the next job
  of that function finds it. A one-shot CLI run only uses kernels that already exist.
- A program that failed to build or to verify is marked ``<key>.failed`` and stays eager.

``PARTIALS_FUSED=0`` turns kernels off; ``PARTIALS_FUSED_DIR`` moves the kernel directory
(default ``~/.cache/partials/fused``). Kernels are CPU code: a CUDA run stays eager.
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from compute.engines.symbolic_diff import Program
    from compute.language.expression import Expression

FORMAT = 2  # bump when the exported program's calling convention changes: old kernels are ignored
MIN_POINTS = 1 << 18  # a job this large orders a kernel for its program (smaller ones never do)
MIN_BLOCK = 1 << 10  # points: below this a block runs eagerly (a call costs ~20-50 µs; eager ops more)
SAMPLE_VALUES = 23  # per axis (or points): what a build traces and verifies on


def enabled() -> bool:
    return os.environ.get("PARTIALS_FUSED", "1") != "0"


def kernel_dir() -> Path:
    configured = os.environ.get("PARTIALS_FUSED_DIR")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "partials" / "fused"


@dataclass(frozen=True)
class Layout:
    """How a block's inputs arrive: ``grid`` — variable i is a broadcast view with its values
    along dimension i (the first sliced into rows); else flat — every variable a 1-D column.
    Parameters are 0-d tensors after the variables, in this order."""

    variables: tuple[str, ...]
    params: tuple[str, ...]
    grid: bool
    dtype: str

    @property
    def ndim(self) -> int:
        return len(self.variables) if self.grid else 1


@dataclass(frozen=True)
class FuseOrder:
    """What a compile process needs to build one kernel: the validated function and partials
    (it rebuilds the same program and checks the key), the layout, and sample inputs from the job's
    own ranges — per variable its grid values (or the first points' coordinates), per parameter
    its value — on which the kernel must match the eager program before it is published."""

    key: str
    expression: Expression
    indices: tuple[tuple[str, ...], ...]
    layout: Layout
    samples: tuple[np.ndarray, ...]
    params: tuple[float, ...]


def program_key(program: Program, ids: Sequence[int], layout: Layout) -> str:
    """The kernel's name: equal programs (same operations in the same order) with equal layouts
    share it across processes and restarts."""
    digest = hashlib.sha256(repr((FORMAT, torch.__version__, layout, tuple(ids))).encode())
    ops = program.graph.ops
    for i in program.order:
        digest.update(repr((i, ops[i])).encode())
    return digest.hexdigest()[:40]


class KernelError(RuntimeError):
    """A kernel could not be loaded or did not run: the caller stays eager."""


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


class Kernel:
    """A loaded kernel: an AOTInductor model container with ``models`` copies, so that as many
    block threads can run it at once. Calls go through ctypes, which drops the GIL."""

    def __init__(self, library: Path, models: int) -> None:
        try:
            self._lib = ctypes.CDLL(str(library))
            handle = ctypes.c_void_p()
            create = self._lib.AOTInductorModelContainerCreateWithDevice
            create.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t, ctypes.c_char_p,
                               ctypes.c_char_p]
            if create(ctypes.byref(handle), max(1, models), b"cpu", None) != 0:
                raise KernelError(f"could not create the kernel's model container ({library})")
            self._run = self._lib.AOTInductorModelContainerRun
            self._run.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t,
                                  ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t,
                                  ctypes.c_void_p, ctypes.c_void_p]
            self._delete = self._lib.AOTInductorModelContainerDelete
            self._delete.argtypes = [ctypes.c_void_p]
        except (OSError, AttributeError) as exc:
            raise KernelError(f"could not load {library}: {exc}") from exc
        self._handle = handle

    def __call__(self, tensors: Sequence[torch.Tensor]) -> None:
        """Run on ``tensors`` = inputs then outputs (written in place)."""
        capsules = torch._C._aoti.unsafe_alloc_void_ptrs_from_tensors(list(tensors))
        handles = (ctypes.c_void_p * len(capsules))(*[_capsule_pointer(c, None) for c in capsules])
        # The container takes ownership of the input handles (and frees them); nothing comes back.
        if self._run(self._handle, handles, len(capsules), None, 0, None, None) != 0:
            raise KernelError("the fused kernel failed")

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            self._delete(handle)


_KERNELS: dict[str, Kernel] = {}
_LOADING = threading.Lock()
_MAX_LOADED = 64  # kernels are a few MB of code each; the oldest are dropped past this


def library_path(key: str) -> Path:
    return kernel_dir() / key / "kernel.so"


def failed_path(key: str) -> Path:
    return kernel_dir() / f"{key}.failed"


def load(key: str, models: int) -> Kernel | None:
    """The kernel named ``key`` if one has been published (loaded once per process), else None.
    Loading a library runs its code: only a file this user owns, in a directory this user owns,
    that nobody else may write, is ever loaded."""
    kernel = _KERNELS.get(key)
    if kernel is not None:
        return kernel
    path = library_path(key)
    if not path.is_file() or not all(_private(p) for p in (path, path.parent, path.parent.parent)):
        return None
    with _LOADING:
        kernel = _KERNELS.get(key)
        if kernel is None:
            try:
                kernel = Kernel(path, models)
            except KernelError:
                return None
            while len(_KERNELS) >= _MAX_LOADED:
                _KERNELS.pop(next(iter(_KERNELS)))
            _KERNELS[key] = kernel
    return kernel


def _private(path: Path) -> bool:
    try:
        status = path.stat()
    except OSError:
        return False
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def make_kernel_dir() -> Path:
    """The kernel directory, created readable and writable by this user alone."""
    root = kernel_dir()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def has_failed(key: str) -> bool:
    return failed_path(key).exists()


def fits(shape: tuple[int, ...]) -> bool:
    """Whether a block has the layout the kernel was exported for (every dimension at least 2:
    export specialises sizes 0 and 1) and is big enough to be worth a call."""
    return all(s >= 2 for s in shape) and math.prod(shape) >= MIN_BLOCK


def sample_inputs(layout: Layout, samples: Sequence[np.ndarray], params: Sequence[float],
                  sizes: Sequence[int] | None = None) -> list[torch.Tensor]:
    """Tensors in ``layout`` from sample values (the first ``sizes[i]`` of each, default all):
    what a build traces on and verifies with. A grid's first axis is a sliced view, as in a job."""
    dtype = getattr(torch, layout.dtype)
    inputs: list[torch.Tensor] = []
    for i, values in enumerate(samples):
        n = len(values) if sizes is None else sizes[i if layout.grid else 0]
        column = torch.from_numpy(np.ascontiguousarray(values[:n])).to(dtype)
        if layout.grid:
            shape = [-1 if j == i else 1 for j in range(layout.ndim)]
            if i == 0:  # blocks slice the first axis: a view at an offset, as the engine passes it
                column = torch.cat([column[:1], column])[1:]
            column = column.reshape(shape)
        inputs.append(column)
    inputs += [torch.tensor(float(v), dtype=dtype) for v in params]
    return inputs


def samples_of(coordinates: Sequence[np.ndarray], grid: bool) -> tuple[np.ndarray, ...]:
    """At most ``SAMPLE_VALUES`` values of each axis, spread over it and keeping both ends (grids),
    or the first points (flat): the job's own values, zeros and edges included."""
    out = []
    for column in coordinates:
        values = np.asarray(column, dtype=np.float64)
        if grid and len(values) > SAMPLE_VALUES:
            values = values[np.linspace(0, len(values) - 1, SAMPLE_VALUES).round().astype(int)]
        out.append(np.array(values[:SAMPLE_VALUES], dtype=np.float64))
    if grid:
        out = [_at_least_two(v) for v in out]
    return tuple(out)


def _at_least_two(values: np.ndarray) -> np.ndarray:
    return values if len(values) >= 2 else np.concatenate([values, values + 1.0])[:2]


def same_to_rounding(got: np.ndarray, want: np.ndarray, rel: float = 1e-12) -> bool:
    """Equal to rounding where finite (relative, with a floor at 1e-3 of the largest value) and
    non-finite at exactly the same points with the same values."""
    finite = np.isfinite(want)
    if not np.array_equal(finite, np.isfinite(got)):
        return False
    if not np.array_equal(got[~finite], want[~finite], equal_nan=True):
        return False
    if not finite.any():
        return True
    scale = float(np.max(np.abs(want[finite])))
    bound = rel * np.maximum(np.abs(want[finite]), scale * 1e-3)
    return bool(np.all(np.abs(got[finite] - want[finite]) <= bound))
