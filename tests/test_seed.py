"""The question Partials was born from, answered exactly: API, CLI, and the failing fixes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from compute import make_grid, partials_on_grid
from conftest import run_cli

SEED_F = [[10, 21], [20, 42], [40, 84]]
SEED_DK = [[9, 13], [18, 26], [36, 52]]
SEED_DT = [[10, 21], [10, 21], [10, 21]]


def seed_result(**kwargs):
    grid = make_grid({"t": "1, 2, 4", "k": "2, 3"})
    return partials_on_grid("t*k + 2*t*k**2", grid, ["k", "t"], **kwargs)


@pytest.mark.parametrize("method", ["auto", "symbolic", "batched-grad", "vmap"])
def test_seed_example_through_the_api(method: str) -> None:
    result = seed_result(method=method)
    assert result.value().tolist() == SEED_F
    assert result.partial("k").tolist() == SEED_DK
    assert result.partial("t").tolist() == SEED_DT
    assert result.value().shape == (3, 2)


def test_seed_example_through_the_cli() -> None:
    proc = run_cli("t*k + 2*t*k**2", "--var", "t=1,2,4", "--var", "k=2,3", "--wrt", "k", "--wrt", "t")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = json.loads(proc.stdout)
    assert data["expression"] == "t*k + 2*t*k**2"
    assert data["variables"] == {"t": [1, 2, 4], "k": [2, 3]}
    assert data["params"] == {}
    assert data["value"] == SEED_F
    assert data["partials"] == {"k": SEED_DK, "t": SEED_DT}
    assert list(data["partials"]) == ["k", "t"]
    assert data["nonfinite"] == {"value": 0, "k": 0, "t": 0}


def test_cli_defaults_to_every_first_partial() -> None:
    proc = run_cli("t*k + 2*t*k**2", "--var", "t=1,2,4", "--var", "k=2,3")
    data = json.loads(proc.stdout)
    assert data["partials"] == {"t": SEED_DT, "k": SEED_DK}


def test_backward_sums_over_the_grid_but_we_do_not() -> None:
    """What people tried first: backward is a vector–Jacobian product, so it sums rows."""
    t = torch.tensor([1.0, 2.0], dtype=torch.float64)
    k = torch.tensor([2.0, 3.0], dtype=torch.float64, requires_grad=True)
    T, K = torch.meshgrid(t, k, indexing="ij")
    gamma = T * K + 2 * T * K**2
    (summed,) = torch.autograd.grad(gamma, k, grad_outputs=torch.ones_like(gamma))
    assert summed.tolist() == [27.0, 39.0]
    ours = partials_on_grid("t*k + 2*t*k**2", make_grid({"t": "1, 2", "k": "2, 3"}), ["k"])
    assert ours.partial("k").tolist() == [[9, 13], [18, 26]]
    assert ours.partial("k").sum(axis=0).tolist() == summed.tolist()


def popular_answer(f, t_values, k_values):
    """The accepted answer: N×N Jacobian on the meshgrid, then keep entries > 0."""
    t = torch.tensor(t_values, dtype=torch.float64)
    k = torch.tensor(k_values, dtype=torch.float64)
    T, K = torch.meshgrid(t, k, indexing="ij")
    _, jac_k = torch.autograd.functional.jacobian(f, (T, K))
    return jac_k[jac_k > 0]


def test_popular_jac_gt_zero_answer_matches_only_when_every_derivative_is_positive() -> None:
    kept = popular_answer(lambda t, k: t * k + 2 * t * k**2, [1.0, 2.0, 4.0], [2.0, 3.0])
    assert kept.reshape(3, 2).tolist() == SEED_DK


@pytest.mark.parametrize(
    ("expr", "torch_f"),
    [
        ("sin(t*k)", lambda t, k: torch.sin(t * k)),
        ("t*k - 2*t*k**2", lambda t, k: t * k - 2 * t * k**2),
        ("t**2 + 0*k", lambda t, k: t**2 + 0 * k),
    ],
)
def test_zero_and_negative_derivatives_come_out_right(expr: str, torch_f) -> None:
    t_values, k_values = [-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0]
    kept = popular_answer(torch_f, t_values, k_values)
    ours = partials_on_grid(expr, make_grid({"t": t_values, "k": k_values}), ["k"]).partial("k")
    T, K = np.meshgrid(t_values, k_values, indexing="ij")
    exact = {
        "sin(t*k)": T * np.cos(T * K),
        "t*k - 2*t*k**2": T - 4 * T * K,
        "t**2 + 0*k": np.zeros_like(T),
    }[expr]
    np.testing.assert_allclose(ours, exact, rtol=1e-15, atol=0)
    assert kept.numel() != 9, "the jac > 0 filter should lose zero/negative entries"
    assert (ours <= 0).any()
