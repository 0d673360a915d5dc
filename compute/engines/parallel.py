"""Block-level parallelism that survives a busy neighbour.

torch's intra-op threads split every operation across the cores: when another process keeps a
core busy, each of the hundreds of small operations of a derivative program waits for its
descheduled thread (measured on 2 cores: 2.0 s median for first partials at 10^7 points at 2
intra-op threads, against 0.07 s at 1). Here torch keeps **one** intra-op thread and the
engine's independent blocks (128 K points each) are handed to a few Python threads instead —
torch releases the GIL inside each operation, so the blocks run side by side, and a thread that
the scheduler sets aside delays its own block, not every operation of every block.

``configure(workers)`` is for a process that owns its torch settings (the CLI, the app's job
workers): it fixes torch at one intra-op thread. A library caller that never configures keeps
torch's own threading and serial blocks, exactly as before.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

import torch

T = TypeVar("T")



class _State:
    lock = threading.Lock()
    workers = 1
    pool: ThreadPoolExecutor | None = None
    runnable_elsewhere: Callable[[], int] | None = None  # set by configure(); None: nobody else


_state = _State()
_PREFIX = "partials-block"


def available_cores() -> int:
    """The cores this process may run on (its affinity mask, where the OS tells)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    """``PARTIALS_BLOCK_THREADS`` when set to a positive integer, else one per available core."""
    raw = os.environ.get("PARTIALS_BLOCK_THREADS", "")
    try:
        value = int(raw)
    except ValueError:
        value = 0
    return value if value > 0 else available_cores()


def configure(workers: int | None = None, runnable_elsewhere: Callable[[], int] | None = None) -> int:
    """One torch intra-op thread; blocks on ``workers`` threads (default: :func:`default_workers`),
    as many as there are spare cores when ``runnable_elsewhere()`` counts the machine's other
    runnable threads (``compute.service.machine``). Returns the number of block threads."""
    count = max(1, int(workers)) if workers is not None else default_workers()
    if runnable_elsewhere is not None:
        _state.runnable_elsewhere = runnable_elsewhere
    torch.set_num_threads(1)
    with _state.lock:
        if count != _state.workers and _state.pool is not None:
            _state.pool.shutdown(wait=True)
            _state.pool = None
        _state.workers = count
    return count


def warm() -> None:
    """Start every block thread now and let each run a small torch operation — so that a process
    which caps its address space afterwards (the app's job workers) has already mapped the
    threads' stacks and allocator arenas, and the cap limits jobs, not thread start-up."""
    workers = block_workers()
    if workers <= 1:
        return
    barrier = threading.Barrier(workers)

    def touch(_: int) -> None:
        barrier.wait(timeout=30)  # every thread holds one task: each of them starts
        torch.ones(4096, dtype=torch.float64).mul_(2.0).sum()

    run_blocks(touch, list(range(workers)), every_thread=True)


def block_workers() -> int:
    """Block threads in use now: 1 unless :func:`configure` asked for more and torch still has a
    single intra-op thread (several blocks each splitting every op would oversubscribe)."""
    workers = _state.workers
    return workers if workers > 1 and torch.get_num_threads() == 1 else 1


_RECENT: deque[tuple[float, int]] = deque(maxlen=3)  # (when, runnable elsewhere) at recent jobs


def spare_cores() -> int:
    """Cores that no other runnable thread is using (at least one), asked at a job's start. With
    a busy neighbour, a block thread that shares its core stalls the blocks it holds (measured:
    fused kernels on 2 threads beside a spinning process took 1–2.5× a lone thread's time, at
    random; on one thread, 1.0–1.05×). A neighbour counts when every job of the last 2 seconds
    (up to 3) saw it: a kernel thread runnable for a few microseconds must not halve a job."""
    now = time.monotonic()
    count = _state.runnable_elsewhere
    _RECENT.append((now, count() if count is not None else 0))
    busy = min(n for when, n in list(_RECENT) if now - when < 2.0)
    return max(1, available_cores() - busy)


def run_blocks(work: Callable[[T], None], blocks: Sequence[T], *, every_thread: bool = False) -> None:
    """``work(block)`` for every block — on the block threads when there are several blocks and
    several threads, else in order on this thread. Each thread takes blocks one at a time from a
    shared queue, so a thread that is descheduled simply takes fewer of them; only as many threads
    as there are spare cores right now take part (all of them with ``every_thread``). The first
    error is raised once every block has finished."""
    workers = min(block_workers(), len(blocks))
    if workers > 1 and not every_thread:
        workers = min(workers, spare_cores())
    nested = threading.current_thread().name.startswith(_PREFIX)  # never wait on our own pool
    if workers <= 1 or nested:
        for block in blocks:
            work(block)
        return
    with _state.lock:
        if _state.pool is None:
            _state.pool = ThreadPoolExecutor(_state.workers, thread_name_prefix=_PREFIX)
        pool = _state.pool
    queue = iter(blocks)
    taking = threading.Lock()
    errors: list[BaseException] = []

    def take_blocks() -> None:
        while True:
            with taking:
                block = next(queue, _DONE)
            if block is _DONE:
                return
            try:
                work(cast(T, block))
            except BaseException as error:  # noqa: BLE001 - raised below, once every block ran
                errors.append(error)

    for future in [pool.submit(take_blocks) for _ in range(workers)]:
        future.result()
    if errors:
        raise errors[0]


_DONE = object()
