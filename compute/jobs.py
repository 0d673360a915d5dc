"""Run engine jobs with a time limit and a memory cap that are actually enforced.

A Streamlit script thread cannot be interrupted mid-operation, so heavy jobs run in worker
processes (``python -m compute.job_worker``) that we can kill. Each worker caps its own address
space (``RLIMIT_AS``) once torch is loaded and uses a fixed number of torch threads; the parent
kills it when a job passes its time limit and starts a fresh one on demand. Small jobs — by a
cost estimate made before anything is allocated — run inline, because a worker round trip
costs milliseconds and pickling.

Requests carry only validated plain data (strings, tuples of floats); the worker validates them
again with the same parser. Answers are pickles from our own worker process.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .derivatives import parse_derivative_spec
from .errors import PartialsError, ResourceLimitError
from .expression import Expression, parse_expression
from .grid import make_grid, make_points, parse_grid_spec
from .limits import Limits
from .tree import walk

_HEADER = struct.Struct("!Q")


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
    seconds: float = 20.0  # a job's own run time, once a worker has it
    queue_seconds: float = 90.0  # how long a job may wait for a free worker before it is turned away
    memory_bytes: int = 3 * 2**30
    inline_cost: float = 3e7  # estimated node-evaluations below which a job runs in-thread
    max_cost: float = 2e11  # refused before starting
    workers: int = 2
    threads_per_worker: int = 1

    @classmethod
    def from_env(cls) -> JobLimits:
        values = {}
        for name, cast in (("seconds", float), ("queue_seconds", float), ("memory_bytes", int),
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
        if self.receive(time.monotonic() + 120) != "ready":
            self.kill()
            raise OSError("a compute worker did not start")

    def send(self, message: object) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.write(_HEADER.pack(len(data)) + data)
        self.process.stdin.flush()

    def receive(self, deadline: float) -> object:
        header = self._read(_HEADER.size, deadline)
        if header is None:
            return None
        (length,) = _HEADER.unpack(header)
        body = self._read(length, deadline)
        return None if body is None else pickle.loads(body)

    def _read(self, n: int, deadline: float) -> bytes | None:
        fd = self.process.stdout.fileno()
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()


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
        try:
            worker.send((request, limits))
            answer = worker.receive(time.monotonic() + self.limits.seconds)
        except (OSError, EOFError, pickle.UnpicklingError):
            answer = None
        if answer is None:
            timed_out = worker.alive()
            worker.kill()
            self._release(None)
            if timed_out:
                raise ResourceLimitError(
                    f"stopped after {self.limits.seconds:g} s (the time limit) — try a smaller "
                    "grid or fewer partials")
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
