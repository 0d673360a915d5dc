"""One background process that builds the fused kernels that large jobs order.

A job that ran eagerly and was large enough leaves a :class:`compute.engines.fused.FuseOrder` on
its result (:mod:`compute.engines.fused`). The job pool hands it here after the job has answered;
one worker process (:mod:`compute.service.compile_worker`, niceness 19, its own memory cap and CPU
budget) builds the orders one at a time, in arrival order, and publishes each kernel on disk, where
every job worker — and the CLI — finds it for the next job. Nothing waits for it: not the job that
ordered it, not the next one. A process separate from the job workers, so a build's CPU time and
memory are never counted against somebody's job.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections import deque

from compute.engines import fused
from compute.service.workers import CallFailed, WorkerPool, WorkerSettings

_MAX_QUEUED = 16  # orders past this are dropped (they come back with the next large job)


def can_compile() -> bool:
    """Kernels are on and there is a C++ compiler for Inductor to call."""
    return fused.enabled() and shutil.which(os.environ.get("CXX", "g++")) is not None


class KernelCompiler:
    """Orders in, kernels out; ``status(key)`` says ``queued``, ``building``, ``ready`` or
    ``failed: …`` for keys ordered in this process."""

    def __init__(self, *, cpu_seconds: float = 600.0, memory_bytes: int = 4 * 2**30) -> None:
        self.cpu_seconds = cpu_seconds
        self.pool = WorkerPool(WorkerSettings("compute.service.compile_worker",
                                              memory_bytes=memory_bytes, nice=19,
                                              start_seconds=300.0), 1)
        self._orders: deque[fused.FuseOrder] = deque()
        self._status: dict[str, str] = {}
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def order(self, order: fused.FuseOrder) -> None:
        with self._lock:
            if self._closed or order.key in self._status or len(self._orders) >= _MAX_QUEUED:
                return
            self._status[order.key] = "queued"
            self._orders.append(order)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="kernel-compiler")
                self._thread.start()
            self._lock.notify_all()

    def status(self, key: str) -> str | None:
        with self._lock:
            return self._status.get(key)

    def wait(self, key: str, timeout: float) -> str | None:
        """The key's status once it is ``ready`` or ``failed`` (or when ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._status.get(key) in ("queued", "building"):
                if not self._lock.wait(timeout=max(0.0, deadline - time.monotonic())):
                    break
            return self._status.get(key)

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._orders and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                order = self._orders.popleft()
                self._status[order.key] = "building"
            try:
                answer = str(self.pool.call(order, cpu_seconds=self.cpu_seconds,
                                            wall_seconds=4 * self.cpu_seconds, queue_seconds=60.0,
                                            replace_if=lambda a: a != "ready"))
            except CallFailed as exc:
                answer = f"failed: {exc.reason}"
                if exc.reason in ("cpu", "died"):  # past its CPU budget, or out of memory: for good
                    _mark_failed(order.key, answer)
            except OSError as exc:  # the compile process did not start: maybe next time
                answer = f"failed: {exc}"
            with self._lock:
                self._status[order.key] = answer
                self._lock.notify_all()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self.pool.close()


def _mark_failed(key: str, reason: str) -> None:
    """A build that the worker could not finish within its budgets is not ordered again; one
    stopped by the clock (a loaded machine) or that never started may be, after a restart."""
    try:
        fused.make_kernel_dir()
        fused.failed_path(key).write_text(reason + "\n")
    except OSError:
        pass
