"""Blocks on several threads (compute.engines.parallel): every block still agrees with SymPy, on
grids and on scattered points, and a failing block fails the call. Speed under a busy neighbour
is measured in bench/suite.py, never here."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import sympy as sp
import torch

from compute import make_grid, make_points, partials_on_grid
from compute.engines import parallel
from conftest import assert_close, sympy_reference

x, y = sp.symbols("x y", real=True)
TEXT = "exp(-x*y/4)*sin(x + y) + log(1 + x**2*y**2)"
EXPR = sp.exp(-x * y / 4) * sp.sin(x + y) + sp.log(1 + x**2 * y**2)
WRT = ["x", "y", "x,y", "x,x,y,y"]


@pytest.fixture
def block_threads() -> Iterator[int]:
    """Three block threads for the test, then the process's settings as they were."""
    threads, workers = torch.get_num_threads(), parallel._state.workers
    assert parallel.configure(3) == 3
    try:
        yield 3
    finally:
        parallel.configure(workers)
        torch.set_num_threads(threads)


def test_configure_fixes_one_intra_op_thread(block_threads: int) -> None:
    assert torch.get_num_threads() == 1
    assert parallel.block_workers() == block_threads
    torch.set_num_threads(2)  # someone raised torch's threads: blocks go serial, no oversubscription
    assert parallel.block_workers() == 1


@pytest.mark.usefixtures("block_threads")
def test_grid_blocks_on_threads_agree_with_sympy() -> None:
    xs, ys = np.linspace(-1.3, 2.1, 17), np.linspace(0.2, 1.9, 9)
    # 3 rows per block: 6 blocks shared by 3 threads, the last one short.
    result = partials_on_grid(TEXT, make_grid({"x": xs, "y": ys}), WRT, chunk_points=27)
    assert result.method == "symbolic"
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    points = {x: X.ravel(), y: Y.ravel()}
    assert_close(result.value(), sympy_reference(EXPR, (), points), what="f")
    for spec in WRT:
        symbols = tuple({"x": x, "y": y}[n] for n in spec.split(","))
        assert_close(result.partial(spec), sympy_reference(EXPR, symbols, points), what=spec)
    assert all(s >= 0 for s in result.seconds.values())


@pytest.mark.usefixtures("block_threads")
def test_scattered_points_on_threads_agree_with_sympy() -> None:
    rng = np.random.default_rng(13)
    px, py = rng.uniform(-2, 2, 50), rng.uniform(0.1, 2, 50)
    result = partials_on_grid(TEXT, make_points({"x": px, "y": py}), WRT[:3], chunk_points=8)
    points = {x: px, y: py}
    for spec in WRT[:3]:
        symbols = tuple({"x": x, "y": y}[n] for n in spec.split(","))
        assert_close(result.partial(spec), sympy_reference(EXPR, symbols, points), what=spec)


@pytest.mark.usefixtures("block_threads")
def test_a_failing_block_fails_the_call_after_every_block_ran() -> None:
    ran: list[int] = []

    def work(block: int) -> None:
        ran.append(block)
        if block == 2:
            raise ValueError("block 2")

    with pytest.raises(ValueError, match="block 2"):
        parallel.run_blocks(work, list(range(7)))
    assert sorted(ran) == list(range(7))


def test_unconfigured_blocks_run_in_order_on_the_calling_thread() -> None:
    if parallel.block_workers() != 1:
        pytest.skip("this process configured block threads")
    ran: list[int] = []
    parallel.run_blocks(ran.append, [3, 1, 2])
    assert ran == [3, 1, 2]


def test_default_workers_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTIALS_BLOCK_THREADS", "3")
    assert parallel.default_workers() == 3
    monkeypatch.setenv("PARTIALS_BLOCK_THREADS", "many")
    assert parallel.default_workers() == parallel.available_cores()


@pytest.mark.usefixtures("block_threads")
def test_blocks_started_from_a_block_thread_run_there() -> None:
    """A call nested inside a block (none today) runs its blocks in order instead of waiting on
    the pool it occupies — no deadlock."""
    inner: list[int] = []

    def outer(_: int) -> None:
        parallel.run_blocks(inner.append, [1, 2, 3])

    parallel.run_blocks(outer, list(range(6)))
    assert sorted(inner) == [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3]


@pytest.mark.usefixtures("block_threads")
@pytest.mark.parametrize("method", ["batched-grad", "vmap"])
def test_autograd_chunks_on_threads_agree_with_sympy(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The autograd engines' chunks run on the block threads too (grad mode set in each thread)."""
    from compute.engines import parallel as blocks

    ran_on: set[str] = set()
    run = blocks.run_blocks

    def spy(work, spans):
        def recorded(span):
            import threading
            import time

            ran_on.add(threading.current_thread().name)
            time.sleep(0.005)  # lets the other threads take the next chunks
            work(span)
        run(recorded, spans)

    monkeypatch.setattr("compute.engines.engine.run_blocks", spy)
    xs, ys = np.linspace(-1.3, 2.1, 23), np.linspace(0.2, 1.9, 11)
    result = partials_on_grid(TEXT, make_grid({"x": xs, "y": ys}), WRT, method=method,
                              chunk_points=20)  # 13 chunks, the last one short
    assert len(ran_on) > 1  # several block threads took chunks
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    points = {x: X.ravel(), y: Y.ravel()}
    assert_close(result.value(), sympy_reference(EXPR, (), points), what="f")
    for spec in WRT:
        symbols = tuple({"x": x, "y": y}[n] for n in spec.split(","))
        assert_close(result.partial(spec), sympy_reference(EXPR, symbols, points), what=f"{method} {spec}")


@pytest.mark.usefixtures("block_threads")
def test_blocks_use_only_the_cores_nobody_else_is_running_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy neighbour (another runnable thread on the machine) leaves fewer spare cores: the
    blocks then run on fewer threads, and still agree with SymPy."""
    import threading

    monkeypatch.setattr(parallel, "available_cores", lambda: 3)
    names: set[str] = set()

    def record(_: int) -> None:
        import time

        names.add(threading.current_thread().name)
        time.sleep(0.002)

    monkeypatch.setattr(parallel, "_RECENT", parallel.deque(maxlen=3))
    monkeypatch.setattr(parallel._state, "runnable_elsewhere", lambda: 0)
    parallel.run_blocks(record, list(range(12)))
    assert len(names) > 1
    monkeypatch.setattr(parallel._state, "runnable_elsewhere", lambda: 2)  # two of three cores busy
    for _ in range(2):  # a job that saw no neighbour is still among the last three
        names.clear()
        parallel.run_blocks(record, list(range(12)))
        assert len(names) > 1
    names.clear()
    parallel.run_blocks(record, list(range(12)))  # the last three jobs all saw it
    assert names == {threading.current_thread().name}  # one thread: this one, in order
    xs, ys = np.linspace(-1.3, 2.1, 17), np.linspace(0.2, 1.9, 9)
    result = partials_on_grid(TEXT, make_grid({"x": xs, "y": ys}), WRT, chunk_points=27)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    points = {x: X.ravel(), y: Y.ravel()}
    assert_close(result.partial("x,y"), sympy_reference(EXPR, (x, y), points), what="x,y")


def test_runnable_elsewhere_reads_the_machine() -> None:
    from compute.service.machine import runnable_elsewhere

    assert runnable_elsewhere() >= 0
    assert 1 <= parallel.spare_cores() <= parallel.available_cores()


@pytest.mark.usefixtures("block_threads")
def test_only_the_spare_cores_take_part_and_warm_starts_every_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    monkeypatch.setattr(parallel, "available_cores", lambda: 3)
    monkeypatch.setattr(parallel, "_RECENT", parallel.deque(maxlen=3))
    monkeypatch.setattr(parallel._state, "runnable_elsewhere", lambda: 1)  # one core of three busy
    names: set[str] = set()

    def record(_: int) -> None:
        names.add(threading.current_thread().name)
        time.sleep(0.002)

    parallel.run_blocks(record, list(range(30)))
    assert len(names) == 2  # two of the three block threads
    # A worker warms all its threads before it caps its memory, neighbour or not (a warm-up that
    # ran on fewer threads waited 30 s on its barrier and the worker never started).
    monkeypatch.setattr(parallel._state, "runnable_elsewhere", lambda: 5)
    started = time.monotonic()
    parallel.warm()
    assert time.monotonic() - started < 10
