"""Run engine jobs with a time limit and a memory cap that are actually enforced.

A Streamlit script thread cannot be interrupted mid-operation, so heavy jobs run in worker
processes (``python -m compute.job_worker``) that we can kill. Each worker caps its own address
space (``RLIMIT_AS``) once torch is loaded and uses a fixed number of torch threads; the parent
kills it when a job passes its time limit and starts a fresh one on demand. Small jobs — by a
cost estimate made before anything is allocated — run inline, because a worker round trip
costs milliseconds and pickling.

The time limit counts the worker's CPU time, not the clock: workers run at low priority, so on a
busy server a job that needs one second may wait many seconds for the CPU, and it must not be
killed for other users' load. A much longer wall-clock limit still catches a job that cannot make
progress at all (a stalled or thrashing worker).

Requests carry only validated plain data (strings, tuples of floats); the worker validates them
again with the same parser. Answers are pickles from our own worker process.
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .derivatives import parse_derivative_spec
from .errors import PartialsError, ResourceLimitError
from .expression import Expression, parse_expression
from .grid import make_grid, make_points, parse_grid_spec
from .limits import Limits
from .tree import walk
from .wire import decode, encode

_PIPE_BYTES = 1 << 20  # results are tens of MB: fewer, larger reads while other threads hold the GIL
_POLL_SECONDS = 0.2  # how often the worker's CPU time is checked while a job runs
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class JobRequest:
    """Everything a job needs, as hashable plain values (also the app's cache key)."""

    text: str
    grids: tuple[tuple[str, str | tuple[float, ...]], ...] = ()  # a grid spec, or the axis values
    points: tuple[tuple[str, tuple[float, ...]], ...] = ()
    params: tuple[tuple[str, float], ...] = ()
    wrt: tuple[str, ...] = ()
    dtype: str = "float64"
    sweep: tuple[str, tuple[float, ...]] | tuple[()] = ()  # (parameter, values): one result each


@dataclass(frozen=True)
class JobLimits:
    seconds: float = 20.0  # a job's own CPU time (per worker thread), once a worker has it
    wall_seconds: float = 120.0  # its time on the clock, however busy the server is
    queue_seconds: float = 90.0  # how long a job may wait for a free worker before it is turned away
    memory_bytes: int = 3 * 2**30
    inline_cost: float = 3e7  # estimated node-evaluations below which a job runs in-thread
    max_cost: float = 2e11  # refused before starting
    workers: int = 2
    threads_per_worker: int = 1

    @classmethod
    def from_env(cls) -> JobLimits:
        values = {}
        for name, cast in (("seconds", float), ("wall_seconds", float), ("queue_seconds", float),
                           ("memory_bytes", int),
                           ("inline_cost", float), ("max_cost", float), ("workers", int),
                           ("threads_per_worker", int)):
            raw = os.environ.get(f"PARTIALS_JOB_{name.upper()}")
            if raw:
                try:
                    values[name] = cast(raw)
                except ValueError:
                    continue
        return cls(**values)


def run_request(request: JobRequest, limits: Limits):
    """Validate and compute in this process (the worker calls this too): a PartialsResult, or a
    list of them for a sweep."""
    from .engine import partials_on_grid
    from .sweep import partials_over_sweep

    expression = parse_expression(request.text, limits)
    if request.points:
        domain = make_points(dict(request.points), limits)
    else:
        domain = make_grid(dict(request.grids), limits)
    if request.sweep:
        name, values = request.sweep
        return partials_over_sweep(expression, domain, list(request.wrt), dict(request.params),
                                   name, values, dtype=request.dtype, limits=limits)
    return partials_on_grid(expression, domain, list(request.wrt), dict(request.params),
                            dtype=request.dtype, limits=limits)


def estimate_cost(request: JobRequest, limits: Limits) -> float:
    """Node evaluations, roughly: points × expression size × (1 + work per requested partial).

    Reverse mode costs about one more pass per derivative order along each chain; the
    estimate only has to rank jobs (inline or worker) and stop absurd ones before they start.
    """
    expression = parse_expression(request.text, limits)
    if request.points:
        points = len(request.points[0][1]) if request.points else 0
        names = tuple(n for n, _ in request.points)
    else:
        points = 1
        for _, spec in request.grids:
            points *= len(spec) if isinstance(spec, tuple) else parse_grid_spec(spec, limits).size
        names = tuple(n for n, _ in request.grids)
    params = tuple(n for n, _ in request.params)
    orders = []
    for spec in request.wrt:
        parsed = parse_derivative_spec(spec, names, params, limits)
        orders += [len(c) for c in parsed.components]
    work = 1 + sum(2 * o for o in orders)
    frames = len(request.sweep[1]) if request.sweep else 1
    return float(points) * frames * _size(expression) * work * len(expression.outputs)


def _size(expression: Expression) -> int:
    trees = [n for _, n in expression.folded_definitions + expression.folded_outputs]
    return sum(1 for tree in trees for _ in walk(tree))


class _Worker:
    def __init__(self, job_limits: JobLimits) -> None:
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "PARTIALS_WORKER_MEMORY": str(job_limits.memory_bytes),
               "PARTIALS_WORKER_THREADS": str(job_limits.threads_per_worker),
               "OMP_NUM_THREADS": str(job_limits.threads_per_worker)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "compute.job_worker"], cwd=root, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        _widen_pipe(self.process.stdout.fileno())
        if self.receive(time.monotonic() + 120) != "ready":
            self.kill()
            raise OSError("a compute worker did not start")

    def send(self, message: object) -> None:
        for frame in encode(message):
            self.process.stdin.write(frame)
        self.process.stdin.flush()

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
        fd = self.process.stdout.fileno()
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
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()


def _widen_pipe(fd: int) -> None:
    """Linux lets a pipe hold up to 1 MiB (the default is 64 KiB); elsewhere this does nothing."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):
        pass


class JobPool:
    """A few persistent workers shared by every session; one job per worker at a time."""

    def __init__(self, job_limits: JobLimits | None = None) -> None:
        self.limits = job_limits or JobLimits.from_env()
        self._idle: list[_Worker] = []
        self._busy = 0
        self._lock = threading.Condition()

    def _acquire(self, deadline: float) -> _Worker | None:
        with self._lock:
            while not self._idle and self._busy >= self.limits.workers:
                if not self._lock.wait(timeout=max(0.0, deadline - time.monotonic())):
                    return None
            self._busy += 1
            worker = self._idle.pop() if self._idle else None
        if worker is None or not worker.alive():
            try:
                worker = _Worker(self.limits)
            except OSError:
                self._release(None)
                raise
        return worker

    def _release(self, worker: _Worker | None) -> None:
        with self._lock:
            self._busy -= 1
            if worker is not None and worker.alive():
                self._idle.append(worker)
            self._lock.notify()

    def run(self, request: JobRequest, limits: Limits):
        """The job's result, or ResourceLimitError when it ran out of time or memory."""
        # Waiting for a worker is not running: a burst of heavy jobs queues (each still gets its
        # full time limit once it starts) and only a long backlog turns a job away.
        worker = self._acquire(time.monotonic() + self.limits.queue_seconds)
        if worker is None:
            raise ResourceLimitError(
                f"the server is busy with other heavy jobs (waited {self.limits.queue_seconds:g} s "
                "for a free worker) — try again shortly")
        cpu_limit = self.limits.seconds * self.limits.threads_per_worker
        started_cpu = worker.cpu_seconds()
        if started_cpu is None:  # no /proc: the clock is all there is
            deadline, over_budget = time.monotonic() + self.limits.seconds, None
        else:
            deadline = time.monotonic() + self.limits.wall_seconds

            def over_budget() -> bool:
                used = worker.cpu_seconds()
                return used is not None and used - started_cpu > cpu_limit

        try:
            worker.send((request, limits))
            answer = worker.receive(deadline, over_budget)
        except (OSError, EOFError, pickle.UnpicklingError):
            answer = None
        if answer is None:
            alive = worker.alive()
            out_of_time = over_budget is None or over_budget()
            worker.kill()
            self._release(None)
            if alive and out_of_time:
                raise ResourceLimitError(
                    f"stopped after {self.limits.seconds:g} s of computing (the time limit) — try "
                    "a smaller grid or fewer partials")
            if alive:
                raise ResourceLimitError(
                    f"stopped: the server is too busy to finish this job within "
                    f"{self.limits.wall_seconds:g} s — try again shortly, or use a smaller grid")
            raise ResourceLimitError("the job ran out of memory and was stopped")
        self._release(worker)
        status, payload = answer
        if status == "ok":
            return payload
        if status == "limit":
            raise ResourceLimitError(payload)
        raise PartialsError(payload)

    def close(self) -> None:
        with self._lock:
            for worker in self._idle:
                worker.kill()
            self._idle.clear()


def run_job(request: JobRequest, limits: Limits, pool: JobPool):
    """Inline when small, in a worker when heavy, refused when absurd — decided before starting."""
    cost = estimate_cost(request, limits)
    if cost > pool.limits.max_cost:
        raise ResourceLimitError(
            f"this job is estimated at {cost:.2g} operations, over the limit of "
            f"{pool.limits.max_cost:.2g} — use fewer points or partials")
    if cost <= pool.limits.inline_cost:
        return run_request(request, limits)
    return pool.run(request, limits)
