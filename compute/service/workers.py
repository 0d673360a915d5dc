"""Worker processes that a limit can stop: one class for the compute pool and the formula pool.

A Streamlit script thread cannot be interrupted mid-operation, so anything that can take long
runs in a worker process (``python -m MODULE``, a plain subprocess: nothing of the parent is
re-imported or forked with torch threads running). Each worker lowers its priority, caps its
own address space (``RLIMIT_AS``) and answers one framed message at a time (:mod:`compute.service.wire`).
The parent times a call by the worker's CPU time (other users' load slows a job down instead of
killing it), by a longer wall clock, and by how long it may queue for a free worker; a worker that
overran, died, or answered that it hit a limit is killed and replaced, so one bad job cannot
poison the next.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compute.service.wire import decode, encode

_PIPE_BYTES = 1 << 20  # results are tens of MB: fewer, larger reads while other threads hold the GIL
_POLL_SECONDS = 0.2  # how often a worker's CPU time is checked while it works
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class WorkerSettings:
    module: str  # run as ``python -m module``; it calls :func:`serve`
    memory_bytes: int = 3 * 2**30  # address space a worker may add once its imports are loaded
    threads: int = 1  # block threads (compute.engines.parallel); torch runs one intra-op thread
    nice: int = 10  # workers yield the CPU to the server's event loop
    start_seconds: float = 120.0


class CallFailed(Exception):
    """A call got no answer. ``reason``: ``queue`` (no free worker in time), ``cpu`` (past its CPU
    budget), ``wall`` (past its clock budget), ``died`` (the worker exited: memory, a crash)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WorkerProcess:
    def __init__(self, settings: WorkerSettings) -> None:
        env = {**os.environ, "PYTHONPATH": _ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "PARTIALS_WORKER_MEMORY": str(settings.memory_bytes),
               "PARTIALS_WORKER_THREADS": str(settings.threads),
               "PARTIALS_WORKER_NICE": str(settings.nice),
               "OMP_NUM_THREADS": "1"}  # ``threads`` are block threads of one intra-op thread each
        self.process = subprocess.Popen(
            [sys.executable, "-m", settings.module], cwd=_ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None  # both are pipes (PIPE above)
        assert stdout is not None
        self._stdin, self._stdout = stdin, stdout
        _widen_pipe(stdout.fileno())
        if self.receive(time.monotonic() + settings.start_seconds) != "ready":
            self.kill()
            raise OSError(f"a worker ({settings.module}) did not start")

    def send(self, message: object) -> None:
        for frame in encode(message):
            self._stdin.write(frame)
        self._stdin.flush()

    def receive(self, deadline: float, over_budget: Callable[[], bool] | None = None) -> object:
        """The next message, or None when the deadline passes, ``over_budget()`` turns true
        (checked while no answer has started to arrive) or the worker dies."""
        budget = over_budget  # only until the answer starts to arrive

        def read(n: int) -> bytearray | None:
            nonlocal budget
            check, budget = budget, None
            return self._read(n, deadline, check)

        return decode(read)

    def _read(self, n: int, deadline: float, over_budget: Callable[[], bool] | None = None
              ) -> bytearray | None:
        fd = self._stdout.fileno()
        buffer = bytearray(n)
        view, got = memoryview(buffer), 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            wait = left if over_budget is None else min(left, _POLL_SECONDS)
            if not select.select([fd], [], [], wait)[0]:
                if over_budget is not None and over_budget():
                    return None
                continue
            count = os.readv(fd, [view[got:got + _PIPE_BYTES]])
            if not count:
                return None
            got += count
        return buffer

    def cpu_seconds(self) -> float | None:
        """CPU time the worker has used so far (all its threads), where /proc tells."""
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self._stdin, self._stdout):
            stream.close()


def _widen_pipe(fd: int) -> None:
    """Linux lets a pipe hold up to 1 MiB (the default is 64 KiB); elsewhere this does nothing."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):
        pass


class WorkerPool:
    """Up to ``size`` workers of one kind shared by every session; one call per worker at a time.

    After :meth:`warm`, ``keep_ready`` workers are kept started ahead (in the background) so that
    a first request, or the one after a worker was replaced, does not wait for imports."""

    def __init__(self, settings: WorkerSettings, size: int, keep_ready: int = 0) -> None:
        self.settings = settings
        self.size = max(1, size)
        self.keep_ready = min(keep_ready, self.size)
        self._idle: list[WorkerProcess] = []
        self._busy = 0
        self._starting = 0
        self._closed = False
        self._warm = False
        self._lock = threading.Condition()

    def warm(self) -> None:
        self._warm = True
        self._replenish()

    def _replenish(self) -> None:
        if not self._warm:
            return
        with self._lock:
            missing = self.keep_ready - len(self._idle) - self._starting
            missing = min(missing, self.size - self._busy - len(self._idle) - self._starting)
            if missing <= 0 or self._closed:
                return
            self._starting += missing
        for _ in range(missing):
            threading.Thread(target=self._start_one, daemon=True, name="worker-start").start()

    def _start_one(self) -> None:
        try:
            worker: WorkerProcess | None = WorkerProcess(self.settings)
        except OSError:
            worker = None
        with self._lock:
            self._starting -= 1
            if worker is not None and not self._closed:
                self._idle.append(worker)
                worker = None
            self._lock.notify_all()
        if worker is not None:
            worker.kill()

    def _acquire(self, deadline: float) -> WorkerProcess | None:
        with self._lock:
            while not self._idle and (self._starting or self._busy >= self.size):
                # A worker already starting is never later than one we would start: wait for
                # it, or for a slot when every worker is taken.
                if not self._lock.wait(timeout=max(0.0, deadline - time.monotonic())):
                    return None
            self._busy += 1
            worker = self._idle.pop() if self._idle else None
        if worker is None or not worker.alive():
            if worker is not None:
                worker.kill()
            try:
                worker = WorkerProcess(self.settings)
            except OSError:
                self._release(None)
                raise
        return worker

    def _release(self, worker: WorkerProcess | None) -> None:
        with self._lock:
            self._busy -= 1
            if worker is not None and worker.alive() and not self._closed:
                self._idle.append(worker)
                worker = None
            self._lock.notify_all()
        if worker is not None and worker.alive():
            worker.kill()
        self._replenish()

    def call(self, message: object, *, cpu_seconds: float | None, wall_seconds: float,
             queue_seconds: float, replace_if: Callable[[Any], bool] = lambda _: False) -> Any:
        """The worker's answer; :class:`CallFailed` when there is none. The worker is replaced
        (not reused) after a failure, or when ``replace_if(answer)`` says its state is suspect."""
        worker = self._acquire(time.monotonic() + queue_seconds)
        if worker is None:
            raise CallFailed("queue")
        started_cpu = worker.cpu_seconds() if cpu_seconds is not None else None
        if started_cpu is None:  # no /proc, or no CPU budget: the clock is all there is
            budget = cpu_seconds if cpu_seconds is not None else wall_seconds
            deadline, over_budget = time.monotonic() + min(budget, wall_seconds), None
        else:
            deadline = time.monotonic() + wall_seconds
            assert cpu_seconds is not None  # else started_cpu is None

            def over_budget() -> bool:
                used = worker.cpu_seconds()
                return used is not None and used - started_cpu > cpu_seconds

        try:
            worker.send(message)
            answer = worker.receive(deadline, over_budget)
        except (OSError, EOFError, pickle.UnpicklingError):
            answer = None
        if answer is None:
            alive = worker.alive()
            out_of_cpu = over_budget is not None and over_budget()
            self._release_dead(worker)
            if not alive:
                raise CallFailed("died")
            if out_of_cpu or (over_budget is None and cpu_seconds is not None):
                raise CallFailed("cpu")
            raise CallFailed("wall")
        if replace_if(answer):
            self._release_dead(worker)
        else:
            self._release(worker)
        return answer

    def _release_dead(self, worker: WorkerProcess) -> None:
        worker.kill()
        self._release(None)

    def worker_pids(self) -> list[int]:
        """Idle workers' process ids (for tests and monitoring)."""
        with self._lock:
            return [w.process.pid for w in self._idle]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


# --- the worker's side -------------------------------------------------------------------------


def cap_memory() -> None:
    """Cap the address space at what is mapped now plus ``PARTIALS_WORKER_MEMORY`` bytes."""
    cap = int(os.environ.get("PARTIALS_WORKER_MEMORY", "0"))
    if cap <= 0:
        return
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    limit = used + cap
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(handle: Callable[[object], object], prepare: Callable[[], None] | None = None) -> None:
    """A worker's main loop: lower priority, ``prepare()`` (imports), cap memory, then answer
    each message with ``handle(message)`` until stdin closes."""
    os.nice(int(os.environ.get("PARTIALS_WORKER_NICE", "10")))
    if prepare is not None:
        prepare()
    cap_memory()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    _send(stdout, "ready")
    while _answer_one(stdin, stdout, handle):
        pass


def _answer_one(stdin, stdout, handle: Callable[[object], object]) -> bool:
    """One request and its answer; both are dropped on return, so an idle worker holds no result
    and a job never runs beside the memory of the previous one."""
    message = _receive(stdin)
    if message is None:
        return False
    answer = handle(message)
    del message
    try:
        _send(stdout, answer)
    except MemoryError:
        del answer
        _send(stdout, ("limit", "the result is too large for this server's memory limit"))
    return True


def _send(stream, message: object) -> None:
    for frame in encode(message):
        stream.write(frame)
    stream.flush()


def _receive(stream) -> object | None:
    def read(n: int) -> bytes | None:
        data = stream.read(n)
        return data if len(data) == n else None

    return decode(read)
