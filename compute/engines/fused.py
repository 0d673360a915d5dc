"""Fused evaluation of the derivative program (opt-in: ``PARTIALS_FUSED=1``).

The engine evaluates its hash-consed derivative program op by op in eager torch, block by block:
every operation reads and writes a block-sized intermediate. Here the same program is handed to
``torch.compile`` (Inductor) once, with a dynamic block shape, so f and all its partials come out
of one generated loop that writes each result once (measured: 3–7× faster than the eager program
on transcendental and higher-order partials at 10^6–10^7 points, with the same bits in our checks;
see docs/benchmark.md).

Nothing ever waits for a compile: a large job (≥ ``MIN_POINTS``) of a program is served by the
eager program and, once it has finished, queues the compile for a single background thread at the
lowest priority; every block (of ≥ ``MIN_BLOCK`` points) that starts after the compiled function
is ready — of any job — uses it. Before it is trusted, the compiled function is checked against
the eager engine on a sample block (equal to rounding, the same non-finite points); a program
that fails to compile or to match stays eager for good. Compiled functions are called in
Dynamo's run-only mode, so a block whose shape the compiled guards do not cover (a one-row block,
say) runs the program uncompiled instead of compiling on the request path.
Inductor keeps its artifacts in its on-disk cache (``TORCHINDUCTOR_CACHE_DIR``, by default under
``~/.cache/partials``), so another process or a restart compiles the same program in seconds.

Off by default: a compile costs seconds to a minute of CPU per program on two cores, which a
one-shot CLI run never earns back, and the app's workers count every thread's CPU time against
the job in hand. Without a C++ compiler (or with any compile error) the engine stays eager.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import queue
import shutil
import threading
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

MIN_POINTS = 10**6  # a job this large queues a compile of its program (smaller ones never do)
NICE = 19  # the compile thread's niceness (Linux): it takes only CPU that requests leave idle


def enabled() -> bool:
    return os.environ.get("PARTIALS_FUSED", "") == "1" and _has_compiler(os.environ.get("CXX", "g++"))


@functools.lru_cache(maxsize=4)
def _has_compiler(name: str) -> bool:
    return shutil.which(name) is not None


@dataclass
class Fused:
    """One program's compiled form for one input signature: ``state`` is ``compiling``, ``ready``
    (``call`` set) or ``failed`` (``error`` says why)."""

    state: str = "compiling"
    call: Callable[..., None] | None = None
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event)


def _evaluator(program: Any, names: tuple[str, ...], ids: tuple[int, ...], dtype: torch.dtype
               ) -> Callable[..., None]:
    """A function ``(inputs, outs)`` that evaluates ``program`` (a symbolic_diff.Program) from the
    tensors of ``names`` and writes value ``ids[j]`` into ``outs[j]`` — the eager program's
    operations, in its order, without its buffers. Its code object is its own, so Dynamo's cache
    (kept per code object) holds this program's compiled form alone."""
    from compute.engines.symbolic_diff import apply_op
    from compute.engines.torch_lowering import raw_op

    ops = program.graph.ops
    plan = tuple((i, ops[i]) for i in program.order)
    # Resolved here: Dynamo warns about (and pytest turns into an error) tracing raw_op's lru_cache.
    calls = {op[1]: raw_op(op[1]) for _, op in plan if op[0] == "call"}
    free = {step: tuple(dead) for step, dead in program.free_after.items()}

    def as_tensor(value: Any) -> torch.Tensor:
        return value if isinstance(value, torch.Tensor) else torch.tensor(value, dtype=dtype)

    def evaluate(inputs: Sequence[torch.Tensor], outs: Sequence[torch.Tensor]) -> None:
        env = dict(zip(names, inputs, strict=True))
        values: dict[int, Any] = {}
        for step, (i, op) in enumerate(plan):
            values[i] = apply_op(op, values, env, as_tensor, calls.__getitem__)
            for dead in free.get(step, ()):  # uncompiled (a block the guards miss): eager's memory
                values.pop(dead, None)
        for out, i in zip(outs, ids, strict=True):
            out.copy_(as_tensor(values[i]))

    code = evaluate.__code__.replace(co_name=f"fused_program_{id(program):x}")
    return types.FunctionType(code, evaluate.__globals__, code.co_name, None, evaluate.__closure__)


class _Compiler:
    """One daemon thread that compiles queued programs, one at a time, at low priority."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="partials-fuse")
                self._thread.start()
        self._queue.put(job)

    def _loop(self) -> None:
        # Linux: a thread's niceness is its own — requests keep the CPU while this compiles.
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        _configure_inductor()
        while True:
            self._queue.get()()


_COMPILER = _Compiler()


_LOCK = threading.Lock()


def _configure_inductor() -> None:
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR",
                          str(Path.home() / ".cache" / "partials" / "inductor"))
    import torch._inductor.config as inductor_config

    inductor_config.compile_threads = 1  # no pool of compile processes beside the workers


def lookup(cache: dict, signature: tuple) -> Fused | None:
    """The compiled form of a program for ``signature`` (in any state), or None — always None
    while the fused path is off."""
    return cache.get(signature) if enabled() else None


def queue_compile(cache: dict, signature: tuple, program: Any, names: tuple[str, ...],
                  ids: tuple[int, ...], dtype: torch.dtype,
                  sample: Callable[[], tuple[list, list]]) -> None:
    """Queue a compile of ``program`` for ``signature`` unless one exists; ``sample()`` gives
    small inputs and output buffers of the job's layout to compile and verify on. Called once a
    job has finished, so the job that asked never shares the CPU with its own compile."""
    with _LOCK:
        if signature in cache:
            return
        entry = cache[signature] = Fused()
    inputs, outs = sample()
    _COMPILER.submit(lambda: _compile(entry, program, names, ids, dtype, inputs, outs))


def _compile(entry: Fused, program: Any, names: tuple[str, ...], ids: tuple[int, ...],
             dtype: torch.dtype, inputs: list[torch.Tensor], outs: list[torch.Tensor]) -> None:
    try:
        evaluate = _evaluator(program, names, ids, dtype)
        compiled = torch.compile(evaluate, dynamic=True, fullgraph=True)
        with torch.no_grad():
            compiled(inputs, outs)  # traces and compiles
            run_only = torch._dynamo.run(evaluate)
            got = [torch.empty_like(o) for o in outs]
            run_only(inputs, got)  # the cached compiled code, as requests will call it
            want = [torch.empty_like(o) for o in outs]
            program.run(dict(zip(names, inputs, strict=True)), tuple(outs[0].shape), dtype,
                        dict(zip(ids, want, strict=True)), outs[0].device)  # the eager engine
        for g, w in zip(got, want, strict=True):
            if not same_to_rounding(g.cpu().numpy(), w.cpu().numpy()):
                raise ValueError("the compiled program disagrees with the eager one")
        entry.call = run_only
        entry.state = "ready"
    except Exception as exc:  # noqa: BLE001 - any failure leaves this program on the eager path
        entry.state, entry.error = "failed", f"{exc.__class__.__name__}: {str(exc)[:300]}"
    finally:
        entry.done.set()


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


MIN_BLOCK = 1 << 15  # points: below this, checking the compiled guards costs more than it saves


def fits(shape: tuple[int, ...]) -> bool:
    """Whether a block is worth the compiled call and has the layout the compile covers: every
    dimension at least 2 (Dynamo specialises sizes 0 and 1, so such a block would miss the
    compiled guards and run uncompiled)."""
    return all(s >= 2 for s in shape) and math.prod(shape) >= MIN_BLOCK
