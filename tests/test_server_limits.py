"""No link can hurt the server: every job runs where a limit stops it, memory is bounded by bytes
and given back, and a worker that hit a limit is replaced (issue 14, items 1–4 and 6)."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from compute import Limits, ResourceLimitError
from compute.caches import BoundedCache
from compute.service.jobs import (
    JobLimits,
    JobPool,
    JobRequest,
    estimate_cost,
    job_request,
    measure_request,
    run_job,
)

NAMES = ["t"] + [f"v{i}" for i in range(15)]


def chain_request(partials: int = 64) -> JobRequest:
    """The issue's link: a 39-line chain of sigmoid/softplus definitions, 16 one-value variables,
    order-4 partials. The cost estimate calls it ~100× under the quick threshold; it takes ~6 s
    of CPU (the symbolic program is too large, autograd takes over)."""
    lines = ["a0 = sigmoid(t*v0)**b + softplus(t + v1)**j"]
    lines += [f"a{i} = sigmoid(a{i - 1}*v{i % 15})**b + softplus(a{i - 1} + v{(i + 3) % 15})**j"
              for i in range(1, 39)]
    lines.append("a38")
    wrt = [",".join(c) for c in itertools.combinations_with_replacement(["t", "v0", "v1", "v2", "v3"], 4)]
    return job_request("\n".join(lines), grids=tuple((n, "0.5") for n in NAMES),
                      params=(("b", 2.0), ("j", 1.5)), wrt=tuple(wrt[:partials]))


TRIVIAL = job_request("x*y + 1", grids=(("x", "1, 2"), ("y", "3")), wrt=("x",))


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_a_job_the_estimate_calls_small_never_computes_in_the_callers_thread() -> None:
    request = chain_request()
    pool = JobPool(JobLimits(seconds=3, quick_seconds=1, workers=1, quick_workers=1))
    try:
        assert estimate_cost(request) < pool.limits.quick_cost / 50  # badly underestimated
        cpu = time.thread_time()
        start = time.perf_counter()
        with pytest.raises(ResourceLimitError, match="stopped after 3 s"):
            run_job(request, Limits(), pool)
        # 1 s in the quick lane, then the heavy lane's 3-s limit: stopped, never run here.
        assert time.perf_counter() - start < 60
        assert time.thread_time() - cpu < 0.5
        assert run_job(TRIVIAL, Limits(), pool).partial("x").tolist() == [[3.0], [3.0]]
    finally:
        pool.close()


def test_results_over_the_per_request_budget_are_refused_before_anything_starts() -> None:
    """``x*y*z*w`` on 2000×2000 with all 64 partials up to order 4 needed ~2 GB."""
    request = job_request("x*y*z*w", grids=(("x", "linspace(0, 1, 2000)"), ("y", "linspace(0, 1, 2000)"),
                                           ("z", "1"), ("w", "2")),
                         wrt=tuple(",".join(c) for o in (1, 2, 3, 4)
                                   for c in itertools.combinations_with_replacement("xyzw", o))[:64])
    limits = Limits(max_result_bytes=320 * 2**20)
    assert measure_request(request).result_bytes == 4_000_000 * 65 * 8
    pool = JobPool(JobLimits(workers=1))
    try:
        start = time.perf_counter()
        with pytest.raises(ResourceLimitError, match=r"would need 1\.9 GiB.*320 MiB"):
            run_job(request, limits, pool)
        assert time.perf_counter() - start < 1.0
        assert not pool.heavy.worker_pids()
        assert not pool.quick.worker_pids()
    finally:
        pool.close()


def test_a_worker_that_answers_limit_is_replaced_not_reused() -> None:
    pool = JobPool(JobLimits(workers=1, quick_workers=1))
    try:
        assert run_job(TRIVIAL, Limits(), pool).partial("x").shape == (2, 1)
        [first] = pool.quick.worker_pids()
        tight = Limits(max_result_bytes=16)  # the worker's own check answers "limit"
        with pytest.raises(ResourceLimitError, match="limit"):
            pool.run(TRIVIAL, tight, quick=True)
        assert first not in pool.quick.worker_pids()
        assert run_job(TRIVIAL, Limits(), pool).partial("x").shape == (2, 1)
        assert first not in pool.quick.worker_pids()
    finally:
        pool.close()


def _distinct_program(k: int) -> JobRequest:
    """A different function each time (a constant changes), each with a ~1 MB derivative program."""
    lines = [f"a0 = sigmoid(t + {k})**b + softplus(t)**j"]
    lines += [f"a{i} = sigmoid(a{i - 1})**b + softplus(a{i - 1})*u" for i in range(1, 14)]
    lines.append("a13 + u*v")
    wrt = sorted({",".join(sorted(c)) for c in itertools.combinations_with_replacement("tuv", 3)})
    return job_request("\n".join(lines), grids=(("t", "0.5"), ("u", "1.5"), ("v", "2")),
                      params=(("b", 2.0), ("j", 1.5)), wrt=(*wrt, "t", "t,u"))


def test_a_workers_memory_stays_bounded_across_200_distinct_jobs(monkeypatch) -> None:
    """The worker's program cache was an lru_cache of 256 entries of up to tens of MB, inside the
    worker's memory cap: after ~100 distinct heavy jobs every job was refused. Now it is bounded
    by bytes (here 16 MB), and the worker's memory levels off."""
    monkeypatch.setenv("PARTIALS_PROGRAM_CACHE_BYTES", str(16 * 2**20))
    pool = JobPool(JobLimits(workers=1, quick_cost=0.0, memory_bytes=2**30))
    try:
        assert run_job(_distinct_program(0), Limits(), pool).method == "symbolic"
        [pid] = pool.heavy.worker_pids()
        samples = []
        for k in range(1, 201):
            run_job(_distinct_program(k), Limits(), pool)
            if k % 50 == 0:
                samples.append(rss_bytes(pid))
        assert pool.heavy.worker_pids() == [pid]  # the same worker did all 200
        growth = samples[-1] - samples[0]
        print(f"\nworker RSS after 50/100/150/200 distinct programs: "
              f"{', '.join(f'{s / 2**20:.0f} MB' for s in samples)}")
        assert growth < 48 * 2**20, f"the worker grew {growth / 2**20:.0f} MB over 150 jobs"
        assert run_job(TRIVIAL, Limits(), pool).partial("x").tolist() == [[3.0], [3.0]]
    finally:
        pool.close()


def test_the_same_large_job_succeeds_every_time() -> None:
    """A worker used to hold its previous answer while computing the next one: with a memory cap
    between one and two results, identical requests alternated OK / "Too big" / OK."""
    request = job_request("x*y", grids=(("x", "linspace(0, 1, 5000)"), ("y", "linspace(0, 1, 4000)")),
                         wrt=("x", "y"))  # 20 M points × 3 arrays = 480 MB
    pool = JobPool(JobLimits(workers=1, quick_cost=0.0, memory_bytes=800 * 2**20))
    try:
        for _ in range(3):
            result = run_job(request, Limits(), pool)
            assert result.partial("x")[4999, 3999] == 1.0
            del result
        [pid] = pool.heavy.worker_pids()
        assert rss_bytes(pid) < 600 * 2**20  # an idle worker keeps no answer
    finally:
        pool.close()


def test_a_cache_is_bounded_by_bytes_and_computes_a_key_once() -> None:
    cache: BoundedCache[bytes] = BoundedCache(100, len)
    cache.put("a", b"x" * 40)
    cache.put("b", b"x" * 40)
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("c", b"x" * 40)  # over 100 bytes: b (least recently used) goes
    assert cache.get("b") is None
    assert cache.get("a") is not None
    assert cache.bytes == 80
    assert cache.put("huge", b"x" * 101) == b"x" * 101
    assert cache.get("huge") is None
    calls = []

    def slow() -> bytes:
        calls.append(1)
        time.sleep(0.3)
        return b"y"

    threads = [threading.Thread(target=cache.get_or_compute, args=("k", slow)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert cache.get("k") == b"y"

    def failing() -> bytes:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        cache.get_or_compute("bad", failing)
    assert cache.get_or_compute("bad", lambda: b"z") == b"z"  # a failure is not cached


def test_a_slow_formula_does_not_hold_up_another_users() -> None:
    from compute.service.formulas import formula_pool, formulas_latex

    slow = "x"
    for _ in range(100):
        slow = f"sin({slow})"  # its 2nd derivative takes SymPy ~25 s
    pool = formula_pool()
    deadline = time.monotonic() + 60
    while not pool.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.1)
    answers: list[dict] = []
    threads = [threading.Thread(target=lambda: answers.append(
        formulas_latex(slow, [("f", ("x", "x"))], timeout_s=4.0))) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    start = time.perf_counter()
    light = formulas_latex("x*y", [("f", ("x",))], timeout_s=4.0)
    elapsed = time.perf_counter() - start
    for thread in threads:
        thread.join()
    assert light == {("f", ("x",)): "y"}
    assert elapsed < 3.0, f"a light formula waited {elapsed:.1f} s behind three slow ones"
    assert answers == [{("f", ("x", "x")): None}] * 3  # stopped at their time limit
    for pid in pool.worker_pids():  # same priority and memory cap as the compute workers
        with open(f"/proc/{pid}/stat") as stat:
            assert int(stat.read().rsplit(")", 1)[1].split()[16]) == 10  # nice
        with open(f"/proc/{pid}/limits") as limits:
            line = next(row for row in limits if row.startswith("Max address space"))
            assert line.split()[3] != "unlimited"
