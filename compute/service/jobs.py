"""Run engine jobs where a limit can stop them: nothing a link asks for computes in the server.

A Streamlit script thread cannot be interrupted mid-operation, so every job runs in a worker
process (:mod:`compute.service.workers`) with a CPU-time limit, a wall-clock limit and a memory cap. Two
lanes: jobs that a cost estimate calls small go to *quick* workers with a short CPU budget (a
round trip costs milliseconds, and they never queue behind heavy jobs); a job that overruns that
budget — the estimate can be wrong, e.g. when the symbolic program is too large and autograd
takes over — moves to the *heavy* lane with the full limit. Absurd jobs, and results over the
per-request byte budget, are refused before anything starts.

The time limits count the worker's CPU time, not the clock: workers run at low priority, so on a
busy server a job that needs one second may wait many seconds for the CPU, and it must not be
killed for other users' load. A much longer wall-clock limit still catches a job that cannot make
progress at all (a stalled or thrashing worker).

Requests are validated once, where the user's text arrives (:func:`job_request`), and travel to
the worker as the validated objects themselves (an Expression, AxisSpecs, DerivativeRequests):
pickles between our own processes, parsed by nobody again. Answers are pickles from our own
worker process.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from compute.errors import PartialsError, ResourceLimitError
from compute.language.derivatives import DerivativeRequest, parse_request
from compute.language.expression import Expression, parse_expression
from compute.language.grid import AxisSpec, Domain, grid_axes, make_grid, make_points
from compute.language.tree import walk
from compute.limits import DEFAULT_LIMITS, Limits
from compute.service.compiler import KernelCompiler, can_compile
from compute.service.workers import CallFailed, WorkerPool, WorkerSettings


@dataclass(frozen=True)
class JobRequest:
    """Everything a job needs, validated once (by :func:`job_request`) and hashable: the app's
    cache key, and what travels to a worker, which computes without parsing anything again."""

    expression: Expression
    grids: tuple[tuple[str, AxisSpec], ...] = ()
    points: tuple[tuple[str, tuple[float, ...]], ...] = ()
    params: tuple[tuple[str, float], ...] = ()
    wrt: tuple[DerivativeRequest, ...] = ()
    dtype: str = "float64"
    sweep: tuple[str, tuple[float, ...]] | tuple[()] = ()  # (parameter, values): one result each

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in (self.points or self.grids))

    @property
    def size(self) -> int:
        if self.points:
            return len(self.points[0][1])
        return math.prod(axis.size for _, axis in self.grids)


AxisInput = str | AxisSpec | Sequence[float]


def job_request(
    expression: Expression | str,
    grids: Mapping[str, AxisInput] | Sequence[tuple[str, AxisInput]] = (),
    points: Mapping[str, Sequence[float]] | Sequence[tuple[str, Sequence[float]]] = (),
    params: Mapping[str, float] | Sequence[tuple[str, float]] = (),
    wrt: Sequence[str | DerivativeRequest] = (),
    dtype: str = "float64",
    sweep: tuple[str, Sequence[float]] | tuple[()] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> JobRequest:
    """A request validated for ``limits``: what is already validated (an Expression, an
    AxisSpec, a DerivativeRequest) is taken as it is; text is parsed here, once. Raises
    PartialsError (ResourceLimitError when too many points) before any worker is asked."""
    if isinstance(expression, str):
        expression = parse_expression(expression, limits)
    grid_items = tuple(grids.items()) if isinstance(grids, Mapping) else tuple(grids)
    point_items = tuple(points.items()) if isinstance(points, Mapping) else tuple(points)
    axes: tuple[tuple[str, AxisSpec], ...] = ()
    columns: tuple[tuple[str, tuple[float, ...]], ...] = ()
    if point_items:
        built = make_points(dict(point_items), limits)
        columns = tuple((n, tuple(v.tolist())) for n, v in built.columns)
    else:
        axes = grid_axes(dict(grid_items), limits)
    names = tuple(n for n, _ in (columns or axes))
    values = tuple((str(n), float(v)) for n, v in (params.items() if isinstance(params, Mapping) else params))
    bound = tuple(n for n, _ in values)
    requests = tuple(
        r if isinstance(r, DerivativeRequest) else parse_request(r, names, bound, limits, expression)
        for r in wrt)
    frames: tuple[str, tuple[float, ...]] | tuple[()] = (
        (sweep[0], tuple(float(v) for v in sweep[1])) if sweep else ())
    return JobRequest(expression, axes, columns, values, requests, dtype, frames)


@dataclass(frozen=True)
class JobLimits:
    seconds: float = 20.0  # a job's own CPU time (all its block threads together), once a worker has it
    wall_seconds: float = 120.0  # its time on the clock, however busy the server is
    queue_seconds: float = 90.0  # how long a job may wait for a free worker before it is turned away
    memory_bytes: int = 3 * 2**30
    quick_cost: float = 3e7  # estimated node-evaluations below which a job takes the quick lane
    quick_seconds: float = 2.0  # CPU budget in the quick lane; past it the job moves to a heavy worker
    quick_workers: int = 2
    max_cost: float = 2e11  # refused before starting
    workers: int = 2  # heavy workers
    # Block threads per heavy worker (one torch intra-op thread each: compute.engines.parallel).
    threads_per_worker: int = field(default_factory=lambda: min(4, _cores()))

    @classmethod
    def from_env(cls) -> JobLimits:
        """Defaults, then ``PARTIALS_JOB_<FIELD>`` environment variables (bad values ignored)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            cast = int if f.type in ("int", int) else float
            raw = os.environ.get(f"PARTIALS_JOB_{f.name.upper()}")
            if raw:
                try:
                    values[f.name] = cast(raw)
                except ValueError:
                    continue
        return cls(**values)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run_request(request: JobRequest, limits: Limits):
    """Compute in this process (the worker calls this): a PartialsResult, or a list of them for
    a sweep. Nothing is parsed: the request holds validated objects."""
    from compute.engines.engine import partials_on_grid
    from compute.engines.sweep import partials_over_sweep

    if request.points:
        domain: Domain = make_points(dict(request.points), limits)
    else:
        domain = make_grid(dict(request.grids), limits)
    if request.sweep:
        name, values = request.sweep
        return partials_over_sweep(request.expression, domain, list(request.wrt), dict(request.params),
                                   name, values, dtype=request.dtype, limits=limits)
    return partials_on_grid(request.expression, domain, list(request.wrt), dict(request.params),
                            dtype=request.dtype, limits=limits)


@dataclass(frozen=True)
class JobSize:
    """What a request will cost, known before anything is allocated."""

    cost: float  # node evaluations, roughly: ranks jobs and stops absurd ones
    result_bytes: int  # the arrays the result will hold


def measure_request(request: JobRequest) -> JobSize:
    """Cost: points × expression size × (1 + work per requested partial) — reverse mode costs
    about one more pass per derivative order along each chain. It only has to rank jobs (quick
    or heavy lane) and stop absurd ones; the workers' CPU limits do the rest. Bytes are exact:
    f and every distinct partial (t,k and k,t once) per output, per point, per frame."""
    expression = request.expression
    order = request.names + tuple(n for n, _ in request.params)
    orders: list[int] = []
    distinct: set[tuple[str, ...]] = set()
    for derivative in request.wrt:
        for component in derivative.components:
            orders.append(len(component))
            distinct.add(tuple(sorted(component, key=order.index)))
    work = 1 + sum(2 * o for o in orders)
    frames = len(request.sweep[1]) if request.sweep else 1
    outputs = len(expression.outputs)
    itemsize = 4 if request.dtype == "float32" else 8
    return JobSize(
        cost=float(request.size) * frames * _size(expression) * work * outputs,
        result_bytes=request.size * frames * outputs * (1 + len(distinct)) * itemsize,
    )


def estimate_cost(request: JobRequest) -> float:
    return measure_request(request).cost


def _size(expression: Expression) -> int:
    trees = [n for _, n in expression.folded_definitions + expression.folded_outputs]
    return sum(1 for tree in trees for _ in walk(tree))


class JobPool:
    """The two lanes of compute workers shared by every session."""

    def __init__(self, job_limits: JobLimits | None = None) -> None:
        self.limits = job_limits or JobLimits.from_env()
        heavy = WorkerSettings("compute.service.job_worker", memory_bytes=self.limits.memory_bytes,
                               threads=self.limits.threads_per_worker, nice=10)
        quick = WorkerSettings("compute.service.job_worker", memory_bytes=self.limits.memory_bytes,
                               threads=1, nice=5)
        self.heavy = WorkerPool(heavy, self.limits.workers)
        self.quick = WorkerPool(quick, self.limits.quick_workers,
                                keep_ready=1 if self.limits.quick_workers else 0)
        # Fused kernels that large jobs order are built beside the workers, never inside a job.
        self.compiler = KernelCompiler() if can_compile() else None

    def run(self, request: JobRequest, limits: Limits, *, quick: bool = False):
        """The job's result, or ResourceLimitError when it ran out of time or memory. A kernel the
        job ordered (compute.engines.fused) is queued for the compile process once it answered."""
        result = self._run(request, limits, quick=quick)
        for one in result if isinstance(result, list) else [result]:
            order, one.fuse_order = one.fuse_order, None
            if order is not None and self.compiler is not None:
                self.compiler.order(order)
        return result

    def _run(self, request: JobRequest, limits: Limits, *, quick: bool = False):
        if quick and self.limits.quick_workers:
            try:
                return self._call(self.quick, request, limits, self.limits.quick_seconds)
            except CallFailed as exc:
                if exc.reason != "cpu":
                    raise self._failure(exc) from None
            # The estimate was wrong: the job gets a heavy worker and its full limit.
        try:
            # Block threads share one job's work without spinning: its CPU time is its work.
            return self._call(self.heavy, request, limits, self.limits.seconds)
        except CallFailed as exc:
            raise self._failure(exc) from None

    def _call(self, lane: WorkerPool, request: JobRequest, limits: Limits, cpu_seconds: float):
        # Waiting for a worker is not running: a burst of heavy jobs queues (each still gets its
        # full time limit once it starts) and only a long backlog turns a job away. A worker that
        # answered "limit" may be left holding memory: it is replaced, never reused.
        answer = lane.call((request, limits), cpu_seconds=cpu_seconds,
                                    wall_seconds=self.limits.wall_seconds,
                                    queue_seconds=self.limits.queue_seconds,
                                    replace_if=lambda answer: answer[0] != "ok")
        status, payload = answer
        if status == "ok":
            return payload
        if status == "limit":
            raise ResourceLimitError(payload)
        raise PartialsError(payload)

    def _failure(self, exc: CallFailed) -> ResourceLimitError:
        if exc.reason == "queue":
            return ResourceLimitError(
                f"the server is busy with other heavy jobs (waited {self.limits.queue_seconds:g} s "
                "for a free worker) — try again shortly")
        if exc.reason == "cpu":
            return ResourceLimitError(
                f"stopped after {self.limits.seconds:g} s of computing (the time limit) — try "
                "a smaller grid or fewer partials")
        if exc.reason == "wall":
            return ResourceLimitError(
                f"stopped: the server is too busy to finish this job within "
                f"{self.limits.wall_seconds:g} s — try again shortly, or use a smaller grid")
        return ResourceLimitError("the job ran out of memory and was stopped")

    def warm(self) -> None:
        """Start a quick worker now, in the background, so the first request does not wait."""
        self.quick.warm()

    def close(self) -> None:
        self.heavy.close()
        self.quick.close()
        if self.compiler is not None:
            self.compiler.close()


def run_job(request: JobRequest, limits: Limits, pool: JobPool):
    """Quick lane when small, heavy lane when not, refused when absurd or when its result would
    pass ``limits.max_result_bytes`` — decided before anything starts."""
    size = measure_request(request)
    if size.cost > pool.limits.max_cost:
        raise ResourceLimitError(
            f"this job is estimated at {size.cost:.2g} operations, over the limit of "
            f"{pool.limits.max_cost:.2g} — use fewer points or partials")
    if size.result_bytes > limits.max_result_bytes:
        raise ResourceLimitError(
            f"the results would need {_bytes(size.result_bytes)}; this server's limit per request "
            f"is {_bytes(limits.max_result_bytes)} — use fewer points or partials")
    return pool.run(request, limits, quick=size.cost <= pool.limits.quick_cost)


def _bytes(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def result_nbytes(result) -> int:
    """Bytes a job's answer holds: one result, or a sweep's list of them."""
    results = result if isinstance(result, list) else [result]
    return sum(r.nbytes for r in results)
