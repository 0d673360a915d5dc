"""Engine behaviour beyond agreement: shapes, chunking, bundles, kinks, non-finite results."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from compute import (
    Limits,
    PartialsError,
    ResourceLimitError,
    make_grid,
    make_points,
    partials_on_grid,
    points_from_csv,
)
from compute.language.grid import parse_grid_spec
from conftest import run_cli


def test_grid_axes_keep_variable_order_and_shape() -> None:
    grid = make_grid({"a": "1, 2", "b": "linspace(0, 1, 3)", "c": "5"})
    assert grid.shape == (2, 3, 1)
    result = partials_on_grid("a + 10*b + 100*c", grid, ["b"])
    assert result.value().shape == (2, 3, 1)
    assert result.value()[1, 2, 0] == 2 + 10 + 500


@pytest.mark.parametrize(
    ("spec", "values"),
    [
        ("1, 2, 4", [1, 2, 4]),
        ("[1, 2, 4]", [1, 2, 4]),
        ("(3)", [3]),
        ("2*pi", [2 * np.pi]),
        ("linspace(0, 1, 5)", [0, 0.25, 0.5, 0.75, 1]),
        ("linspace(0, 2*pi, 3)", [0, np.pi, 2 * np.pi]),
        ("arange(0, 1, 0.25)", [0, 0.25, 0.5, 0.75]),
        ("arange(3, 0, -1)", [3, 2, 1]),
        ("arange(0, 3)", [0, 1, 2]),
        ("logspace(0, 2, 3)", [1, 10, 100]),
        ("-1, 2^3, 1e-3", [-1, 8, 0.001]),
    ],
)
def test_grid_specs(spec: str, values: list[float]) -> None:
    axis = parse_grid_spec(spec)
    assert axis.size == len(values)
    np.testing.assert_allclose(axis.values(), values, rtol=1e-15)
    np.testing.assert_allclose(parse_grid_spec(axis.text()).values(), axis.values(), rtol=0)


def test_chunking_does_not_change_results() -> None:
    grid = make_grid({"x": "linspace(-2, 2, 37)", "y": "linspace(0.5, 3, 23)"})
    wrt = ["x", "y", "x,y", "y,y,y"]
    whole = partials_on_grid("sin(x*y)/y + x**3", grid, wrt)
    chunked = partials_on_grid("sin(x*y)/y + x**3", grid, wrt, chunk_points=10)
    for spec in wrt:
        np.testing.assert_array_equal(whole.partial(spec), chunked.partial(spec))


def test_bundles() -> None:
    grid = make_grid({"x": "1, 2", "y": "3, 4, 5"})
    r = partials_on_grid("x**2*y**3", grid, ["gradient", "hessian", "laplacian"])
    X, Y = np.meshgrid([1.0, 2.0], [3.0, 4.0, 5.0], indexing="ij")
    grad = r.quantity(r.requests[0])
    assert set(grad) == {"x", "y"}
    np.testing.assert_array_equal(grad["x"], 2 * X * Y**3)
    hess = r.quantity(r.requests[1])
    assert set(hess) == {"x,x", "x,y", "y,y"}
    np.testing.assert_array_equal(hess["x,y"], 6 * X * Y**2)
    np.testing.assert_array_equal(r.laplacian(), 2 * Y**3 + 6 * X**2 * Y)


def test_vector_valued_function_has_named_outputs_and_a_jacobian() -> None:
    grid = make_grid({"r": "1, 2", "theta": "0, pi/2"})
    res = partials_on_grid("x = r*cos(theta); y = r*sin(theta); x, y", grid, ["jacobian"])
    assert res.outputs == ("x", "y")
    jac = {o: res.quantity(res.requests[0], o) for o in res.outputs}
    np.testing.assert_allclose(jac["x"]["theta"], [[0, -1], [0, -2]], atol=1e-15)
    np.testing.assert_allclose(jac["y"]["r"], [[0, 1], [0, 1]], atol=1e-15)
    unnamed = partials_on_grid("r*cos(theta), r*sin(theta)", grid, ["r"])
    assert unnamed.outputs == ("f1", "f2")


def test_kinks_unused_variables_and_constants_do_not_crash() -> None:
    grid = make_grid({"x": "-1, 0, 1", "y": "2, 3"})
    for method in ("symbolic", "batched-grad", "vmap"):
        r = partials_on_grid("abs(x)", grid, ["x", "y", "x,x", "y,y,x"], method=method)
        assert r.partial("x")[:, 0].tolist() == [-1, 0, 1]
        assert not r.partial("y").any()
        assert not r.partial("x,x").any()
        c = partials_on_grid("3 + 0*x", grid, ["x", "x,y"], method=method)
        assert (c.value() == 3).all()
        assert not c.partial("x,y").any()
    k = partials_on_grid("7", grid, ["x"])
    assert (k.value() == 7).all()
    assert k.value().shape == (3, 2)


def test_nonfinite_results_are_reported_not_raised() -> None:
    grid = make_grid({"x": "-1, 0, 2"})
    r = partials_on_grid("x**1e300 + log(x) + sqrt(x)", grid, ["x"])
    assert r.nonfinite(r.value()) == 3
    s = partials_on_grid("sqrt(x)", make_grid({"x": "0, 1"}), ["x"])
    assert np.isinf(s.partial("x")[0])
    assert s.partial("x")[1] == 0.5
    d = partials_on_grid("1/0 + x", grid, ["x"])
    assert np.isinf(d.value()).all()
    assert (d.partial("x") == 1).all()


def test_partials_with_respect_to_parameters_are_per_point() -> None:
    grid = make_grid({"x": "0, 1, 2"})
    r = partials_on_grid("exp(-a*x)", grid, ["a", "a,x"], params={"a": 0.5})
    x = np.array([0.0, 1.0, 2.0])
    np.testing.assert_allclose(r.partial("a"), -x * np.exp(-0.5 * x), rtol=1e-15)
    np.testing.assert_allclose(r.partial("x,a"), (-1 + 0.5 * x) * np.exp(-0.5 * x), rtol=1e-15)


def test_points_from_csv() -> None:
    pts = points_from_csv("x, y\n1, 2\n3, 4\n\n5.5, -1e-3\n")
    r = partials_on_grid("x*y", pts, ["x"])
    assert r.value().tolist() == [2, 12, 5.5 * -1e-3]
    assert r.partial("x").tolist() == [2, 4, -1e-3]
    assert make_points({"x": [1, 2]}).shape == (2,)


def test_result_memory_is_checked_before_allocating() -> None:
    grid = make_grid({"x": "linspace(0, 1, 1000)"})
    with pytest.raises(ResourceLimitError, match="GiB"):
        partials_on_grid("x", grid, ["x"], limits=Limits(max_result_bytes=1000))


@pytest.mark.parametrize("shape", [(3,), (3, 2), (4, 1, 5), (7, 3, 2), (1, 1), (5, 7, 3, 2)])
def test_grid_coordinates_of_any_range_match_the_product(shape) -> None:
    import itertools

    rng = np.random.default_rng(0)
    grid = make_grid({f"v{i}": list(rng.random(n)) for i, n in enumerate(shape)})
    full = np.array(list(itertools.product(*[axis for _, axis in grid.axes])))
    ranges = [(0, grid.size), (1, grid.size - 1), (2, 3), (grid.size // 2, grid.size), (0, 1)]
    for start, stop in [(a, b) for a, b in ranges if 0 <= a < b <= grid.size]:
        coords = grid.coordinates(start, stop)
        for j, name in enumerate(grid.names):
            np.testing.assert_array_equal(coords[name], full[start:stop, j])


def test_auto_falls_back_to_autograd_when_symbolic_derivatives_swell(monkeypatch) -> None:
    from compute.engines import symbolic_run

    grid = make_grid({"x": "0.1, 0.2"})
    product = "*".join(f"(x + {i})" for i in range(1, 31))
    assert partials_on_grid(product, grid, ["x,x,x,x"]).method == "symbolic"  # 470 operations
    monkeypatch.setattr(symbolic_run, "symbolic_budget", lambda *_: 100)
    auto = partials_on_grid(product, grid, ["x,x,x,x"])
    assert auto.method == "batched-grad"
    reference = partials_on_grid(product, grid, ["x,x,x,x"], method="vmap")
    np.testing.assert_allclose(auto.partial("x,x,x,x"), reference.partial("x,x,x,x"), rtol=1e-12)
    with pytest.raises(PartialsError, match="too large"):
        partials_on_grid(product, grid, ["x,x,x,x"], method="symbolic")


def test_device_auto_is_the_cpu_without_a_gpu_and_cuda_is_never_a_silent_fallback() -> None:
    from compute.engines.engine import resolve_device

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(PartialsError, match="device must be one of"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(PartialsError, match="no CUDA GPU"):
            partials_on_grid("t*k", make_grid({"t": "1, 2", "k": "3"}), ["k"], device="cuda")
    result = partials_on_grid("t*k", make_grid({"t": "1, 2", "k": "3"}), ["k"], device="cpu")
    assert result.device == "cpu"
    assert result.partial("k").tolist() == [[1.0], [2.0]]


def test_the_cli_names_the_device_and_refuses_a_missing_gpu() -> None:
    summary = run_cli("t*k", "--var", "t=1,2", "--var", "k=3", "--format", "summary",
                      "--device", "cpu")
    assert summary.returncode == 0
    assert "device: cpu" in summary.stdout
    if not torch.cuda.is_available():
        missing = run_cli("t*k", "--var", "t=1,2", "--var", "k=3", "--device", "cuda")
        assert missing.returncode == 2
        assert missing.stderr.strip() == ("error: device 'cuda' was asked for, but torch sees no "
                                          "CUDA GPU here")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (none in CI)")
@pytest.mark.parametrize("method", ["symbolic", "batched-grad", "vmap"])
def test_cuda_gives_the_cpu_numbers(method: str) -> None:
    text = "exp(-t*k/4)*sin(t + k) + log(1 + t**2*k**2) + where(t > k, t, k)*a"
    grid = make_grid({"t": "linspace(-2, 2, 301)", "k": "linspace(0.5, 3, 257)"})
    wrt = ["t", "k", "t,k", "k,k,k", "a"]
    cpu = partials_on_grid(text, grid, wrt, {"a": 0.5}, method=method, device="cpu")
    gpu = partials_on_grid(text, grid, wrt, {"a": 0.5}, method=method, device="cuda")
    assert gpu.device == "cuda"
    for key, values in cpu.partials.items():
        np.testing.assert_allclose(gpu.partials[key], values, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(gpu.value(), cpu.value(), rtol=1e-13, atol=1e-13)
