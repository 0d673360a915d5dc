"""Resource limits: runaway jobs are stopped and reported; the server keeps working."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

import ui.compute_cache
from compute import Limits, ResourceLimitError
from compute.service.jobs import JobLimits, JobPool, estimate_cost, job_request, run_job
from conftest import ROOT
from ui.compute_cache import clear_results

LIMITS = Limits(max_points=10**9)
# About 6 s of work on one core (4 million points, five 4th-order partials of a long
# function): far past the 2-s limit below, whichever engine runs it.
SLOW = job_request("sin(x*y)*exp(cos(x + y))*log(2 + sin(x)*cos(y)) + tanh(x*y)*atan(x - y)"
                  "*sqrt(1 + x*x*y*y)",
                  grids=(("x", "linspace(0, 1, 2000)"), ("y", "linspace(0, 1, 2000)")),
                  wrt=("x,x,x,x", "y,y,y,y", "x,x,y,y", "x,x,x,y", "x,y,y,y"))
HUGE = job_request("sin(x*y)", grids=(("x", "linspace(0, 1, 20000)"), ("y", "linspace(0, 1, 5000)")),
                  wrt=("x", "y", "x,y"))
SMALL = job_request("t*k + 2*t*k**2", grids=(("t", "1, 2, 4"), ("k", "2, 3")), wrt=("k",))
MEDIUM = job_request("x*y", grids=(("x", "linspace(0, 1, 300)"), ("y", "linspace(0, 1, 300)")),
                    wrt=("x",))


@pytest.fixture(scope="module")
def pool():
    p = JobPool(JobLimits(seconds=2, memory_bytes=2 * 2**30, quick_cost=1e4, workers=1))
    yield p
    p.close()


def test_small_jobs_take_the_quick_lane_not_the_servers_thread(pool) -> None:
    assert estimate_cost(SMALL) < pool.limits.quick_cost
    assert run_job(SMALL, LIMITS, pool).partial("k").tolist() == [[9, 13], [18, 26], [36, 52]]
    assert pool.quick.worker_pids()
    assert not pool.heavy.worker_pids()


def test_a_runaway_job_is_stopped_at_the_time_limit_and_the_next_job_works(pool) -> None:
    start = time.perf_counter()
    with pytest.raises(ResourceLimitError, match="stopped after 2 s"):
        run_job(SLOW, LIMITS, pool)
    assert time.perf_counter() - start < 2 + 60  # limit plus at most a worker start
    assert run_job(MEDIUM, LIMITS, pool).partial("x").shape == (300, 300)


def test_a_job_over_the_memory_cap_is_stopped_and_the_next_job_works(pool) -> None:
    with pytest.raises(ResourceLimitError, match="memory"):
        run_job(HUGE, LIMITS, pool)
    assert run_job(MEDIUM, LIMITS, pool).partial("x")[299, 0] == 0.0


def _occupy(pool: JobPool) -> tuple[threading.Thread, list[Exception]]:
    """Start SLOW on the pool's only worker and return once it holds that worker (the list
    receives SLOW's error when its time limit stops it)."""
    errors: list[Exception] = []

    def slow() -> None:
        try:
            run_job(SLOW, LIMITS, pool)
        except ResourceLimitError as exc:
            errors.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    deadline = time.monotonic() + 60
    while pool.heavy._busy == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    return thread, errors


def test_a_queued_job_waits_for_a_worker_rather_than_failing() -> None:
    pool = JobPool(JobLimits(seconds=2, queue_seconds=30, quick_cost=1e4, workers=1))
    try:
        thread, errors = _occupy(pool)
        # The only worker runs SLOW until its 2-s limit stops it; MEDIUM queues, then runs.
        assert run_job(MEDIUM, LIMITS, pool).partial("x")[299, 0] == 0.0
        thread.join()
        assert "stopped after 2 s" in str(errors[0])
    finally:
        pool.close()


def test_a_job_is_turned_away_when_no_worker_frees_up_in_time() -> None:
    pool = JobPool(JobLimits(seconds=2, queue_seconds=0.3, quick_cost=1e4, workers=1))
    try:
        thread, errors = _occupy(pool)
        with pytest.raises(ResourceLimitError, match="busy"):
            run_job(MEDIUM, LIMITS, pool)
        thread.join()
        assert "stopped after 2 s" in str(errors[0])
        assert run_job(MEDIUM, LIMITS, pool).partial("x").shape == (300, 300)
    finally:
        pool.close()


def _idle_worker_pid(pool: JobPool) -> int:
    """Run a job so that the pool has a started, idle worker, and return its process id."""
    assert run_job(MEDIUM, LIMITS, pool).partial("x").shape == (300, 300)
    return pool.heavy.worker_pids()[0]


def test_the_time_limit_counts_computing_not_waiting_for_the_cpu() -> None:
    """A worker starved of CPU by other load (here: stopped outright for 2.5 s) is not killed by
    a 1-s limit, because it has not computed for 1 s."""
    pool = JobPool(JobLimits(seconds=1, wall_seconds=60, quick_cost=1e4, workers=1))
    try:
        pid = _idle_worker_pid(pool)
        os.kill(pid, signal.SIGSTOP)
        threading.Timer(2.5, os.kill, (pid, signal.SIGCONT)).start()
        start = time.perf_counter()
        result = run_job(MEDIUM, LIMITS, pool)
        assert time.perf_counter() - start > 2.0  # longer than the limit on the clock
        assert result.partial("x")[0, 299] == 1.0  # ∂(x·y)/∂x = y
        assert pool.heavy.worker_pids() == [pid]  # the same worker, not a restarted one
    finally:
        pool.close()


def test_a_job_that_cannot_progress_is_stopped_at_the_wall_clock_limit() -> None:
    pool = JobPool(JobLimits(seconds=10, wall_seconds=1, quick_cost=1e4, workers=1))
    try:
        os.kill(_idle_worker_pid(pool), signal.SIGSTOP)
        start = time.perf_counter()
        with pytest.raises(ResourceLimitError, match="too busy to finish this job within 1 s"):
            run_job(MEDIUM, LIMITS, pool)
        assert time.perf_counter() - start < 10
        assert run_job(MEDIUM, LIMITS, pool).partial("x").shape == (300, 300)  # a fresh worker
    finally:
        pool.close()


def test_absurd_jobs_are_refused_before_starting() -> None:
    pool = JobPool(JobLimits(max_cost=1e6))
    start = time.perf_counter()
    with pytest.raises(ResourceLimitError, match="estimated"):
        run_job(HUGE, LIMITS, pool)
    assert time.perf_counter() - start < 0.5


def test_limits_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("PARTIALS_MAX_POINTS", "1234")
    monkeypatch.setenv("PARTIALS_JOB_SECONDS", "7.5")
    monkeypatch.setenv("PARTIALS_JOB_QUEUE_SECONDS", "45")
    monkeypatch.setenv("PARTIALS_JOB_WALL_SECONDS", "300")
    assert Limits.from_env().max_points == 1234
    assert JobLimits.from_env().seconds == 7.5
    assert JobLimits.from_env().wall_seconds == 300
    assert JobLimits.from_env().queue_seconds == 45


def test_the_app_reports_a_stopped_job_and_keeps_working(monkeypatch, pool) -> None:
    monkeypatch.setattr(ui.compute_cache, "job_pool", lambda: pool)
    clear_results()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["f"] = SLOW.expression.text
    at.query_params["var.x"] = "linspace(0, 1, 2000)"
    at.query_params["var.y"] = "linspace(0, 1, 2000)"
    at.query_params["wrt"] = [w.text for w in SLOW.wrt]
    at.run()
    assert not at.exception
    assert any("stopped after 2 s" in e.value for e in at.error)
    at.text_area(key="fn").set_value("x + y").run()
    assert not at.error
    assert at.table or at.dataframe
