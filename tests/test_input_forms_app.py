"""Issue 11 in the app (AppTest): every form of the function, the grids and the partials gives
the seed's matrix, is shown back in the plain form, and stays in the share link as typed."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app import tables

from conftest import open_app
from ui.compute_cache import clear_results

SEED_F = [["10", "21"], ["20", "42"], ["40", "84"]]
SEED_DK = [["9", "13"], ["18", "26"], ["36", "52"]]
SEED_DTK = [["9", "13"]] * 3


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_results()


def read_as(at: AppTest) -> list[str]:
    """The canonical text shown under the function ("Read as:" and its code block)."""
    captions = [c.value for c in at.caption]
    if "Read as:" not in captions:
        return []
    return [c.value for c in at.code if not c.value.startswith("http")]


CASES = [
    # (function, t's grid, k's grid, the mixed partial as typed, read as)
    ("t*k + 2*t*k**2", "1, 2, 4", "2, 3", "t,k", None),
    ("f(t,k) = t*k + 2*t*k^2", "1 2 4", "2:3", "tk", "f(t, k) = t*k + 2*t*k**2"),
    ("t*k + 2t*k^2", "t = 1, 2, 4", "k = 2 3", "∂²f/∂t∂k", "t*k + 2*t*k**2"),
    ("def f(t, k):\n    gamma = t*k + 2*t*torch.pow(k, 2)\n    return gamma", "[1 2 4]", "2:1:3",
     "d2f/dtdk", "gamma = t*k + 2*t*k**2\nf(t, k) = gamma"),
    ("lambda t, k: np.multiply(t, k) + 2*t*k**2", "1,2,4", "np.arange(2, 4)", "f_tk",
     "f(t, k) = t*k + 2*t*k**2"),
]


@pytest.mark.parametrize(("function", "grid_t", "grid_k", "mixed", "canonical"), CASES)
def test_every_form_gives_the_seed_matrix_and_the_link_keeps_it_as_typed(
        function, grid_t, grid_k, mixed, canonical) -> None:
    at = open_app(f=function, wrt=["k", mixed], **{"var.t": grid_t, "var.k": grid_k})
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    shown = tables(at)
    assert shown["f"] == SEED_F
    assert shown["∂f/∂k"] == SEED_DK
    assert shown["∂²f/∂t∂k"] == SEED_DTK
    assert read_as(at) == ([canonical] if canonical else [])
    assert at.query_params["f"] == function  # the link keeps what the user typed
    assert at.query_params["var.t"] == grid_t
    assert at.query_params["var.k"] == grid_k
    assert list(at.query_params["wrt"]) == ["k", "t,k"]  # the pickers hold the plain spec


def test_a_grid_typed_in_another_form_says_how_it_was_read() -> None:
    at = open_app(f="t*k", wrt=["k"], **{"var.t": "0:0.25:1", "var.k": "k = 1 2"})
    captions = [c.value for c in at.caption]
    assert "5 values — read as `linspace(0, 1, 5)`" in captions
    assert "2 values — read as `1, 2`" in captions
    at = open_app(f="t*k", wrt=["k"], **{"var.t": "k = 1, 2", "var.k": "0:1:0.1"})
    errors = " ".join(e.value for e in at.error)
    assert "this grid is for t, but it starts with 'k ='" in errors
    assert "did you mean 0:0.1:1?" in errors


def test_declared_variables_fix_the_axis_order_and_start_as_grids() -> None:
    at = open_app(f="f(k, t) = a*t*k + 2*t*k^2", **{"var.t": "1, 2, 4", "var.k": "2, 3"})
    assert at.session_state["role.k"] == "grid"
    assert at.session_state["role.t"] == "grid"
    assert at.session_state["role.a"] == "parameter"
    assert "f — rows: k, columns: t" in [c.value for c in at.caption]
    assert tables(at)["f"] == [["10", "20", "40"], ["21", "42", "84"]]  # the seed, transposed


def test_a_run_together_name_is_pointed_out_next_to_the_function() -> None:
    at = open_app(f="t*k + 2tk^2", **{"var.t": "1, 2", "var.k": "2"})
    warnings = " ".join(w.value for w in at.warning)
    assert "'tk' is one name" in warnings
    assert "did you mean `t*k`?" in warnings


def test_a_partial_typed_in_any_notation_becomes_its_option() -> None:
    at = open_app(f="t*k + 2*t*k**2", wrt=["k"], **{"var.t": "1, 2, 4", "var.k": "2, 3"})
    box = at.multiselect(key="higher")
    assert "∂²f/∂t∂k  (t,k)" in box.options  # typing t,k finds it
    box.set_value(["tk", "d2f/dk2", "df/dt", "zz"]).run()
    assert at.session_state["higher"] == ["t,k", "k,k"]
    assert at.session_state["d1"] == ["k", "t"]
    assert "'zz' is not a variable or parameter" in " ".join(e.value for e in at.error)
    shown = tables(at)
    assert shown["∂²f/∂t∂k"] == SEED_DTK
    assert shown["∂²f/∂k²"] == [["4"] * 2, ["8"] * 2, ["16"] * 2]  # 4t


def test_a_hostile_def_is_refused_under_the_function() -> None:
    at = open_app(f="def f(t):\n    import os\n    return t", **{"var.t": "1, 2"})
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "**Function:** 'import' is not needed at line 2, column 5" in errors
    assert not at.table


def test_every_alias_prefix_and_product_in_the_app_agrees_with_sympy() -> None:
    import numpy as np
    from test_input_forms import MIXED_FORMS, MIXED_GRID, MIXED_REFERENCE, X

    from conftest import assert_close, sympy_reference

    at = open_app(f=MIXED_FORMS, wrt=["x"], digits="17", **{"var.x": MIXED_GRID})
    assert not at.error, [e.value for e in at.error]
    rows = at.table[1].value.to_numpy()  # ∂f/∂x: one row per point (x, value)
    shown = np.array([float(v) for v in rows[:, -1]])
    expected = sympy_reference(MIXED_REFERENCE, (X,), {X: np.array([0.5, 1.5, 2.5])})
    assert_close(shown, expected, rel=1e-12)
    assert read_as(at)[0].startswith("normcdf(x) + log(x) + asin(x/4) + x**2 + exp(x/2) + pi")


def test_a_link_with_every_spelling_of_the_mixed_partial_picks_it_once() -> None:
    from test_input_forms import MIXED_SPECS

    at = open_app(f="t*k + 2*t*k**2", wrt=["k", *MIXED_SPECS], **{"var.t": "1, 2, 4", "var.k": "2, 3"})
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["higher"] == ["t,k"]
    assert tables(at)["∂²f/∂t∂k"] == SEED_DTK
