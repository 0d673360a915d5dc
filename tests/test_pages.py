"""Gallery, Compare and Guide: every example's fact, the compare difference, the live guide."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from compute.examples import EXAMPLES, example
from ui.compute_cache import clear_results
from ui.gallery import example_state
from ui.url_state import as_lists

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/explorer.py", "pages/gallery.py", "pages/compare.py", "pages/guide.py"]


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_results()
    yield


def run_page(page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    if page != "pages/explorer.py":
        at.switch_page(page)  # opened directly, as a link to that page would
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_an_exception(page: str) -> None:
    at = run_page(page)
    assert not at.exception
    assert not at.error


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.slug for e in EXAMPLES])
def test_every_gallery_example_shows_its_stated_fact(ex) -> None:
    shown, expected, holds = ex.verify()
    assert holds, f"{ex.slug}: engine gives {shown}, the card states {expected}"
    at = run_page("pages/explorer.py", **example_state(ex).to_query())
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.text_area(key="fn").value == ex.function
    assert len(at.table) + len(at.dataframe) >= 2


def test_black_scholes_delta_is_the_closed_form() -> None:
    result = example("black-scholes").compute()
    S, sigma = result.coordinate("S"), result.coordinate("sigma")
    K, T, r = 100.0, 1.0, 0.0
    d1 = (np.log(S / K) + (r + sigma**2 / 2) * T) / (sigma * math.sqrt(T))
    n_d1 = 0.5 * (1 + np.vectorize(math.erf)(d1 / math.sqrt(2)))
    np.testing.assert_allclose(result.partial("S", "C"), n_d1, rtol=1e-12, atol=1e-15)
    vega = S * np.exp(-d1**2 / 2) / math.sqrt(2 * math.pi) * math.sqrt(T)
    np.testing.assert_allclose(result.partial("sigma", "C"), vega, rtol=1e-10, atol=1e-12)


def test_heat_kernel_identity_on_the_grid() -> None:
    result = example("heat-kernel").compute()
    ut, uxx = result.partial("t", "u"), result.partial("x,x", "u")
    assert np.max(np.abs(ut - uxx)) <= 1e-10 * np.max(np.abs(ut))


def test_gallery_shows_a_card_per_example() -> None:
    at = run_page("pages/gallery.py")
    assert sorted(s.value for s in at.subheader) == sorted(e.title for e in EXAMPLES)
    assert len(EXAMPLES) >= 8


COMPARE = {"fa": "a*x**2", "var.x": "1, 2, 3", "pa.a": "1", "pb.a": "3", "wrt": ["x"]}


def test_compare_difference_has_the_known_answer() -> None:
    at = run_page("pages/compare.py", **COMPARE)
    assert not at.exception
    at.selectbox(key="cmp.show").set_value(("", ("x",))).run()
    diff = at.table[2].value.to_numpy().tolist()
    assert [row[1] for row in diff] == ["4", "8", "12"]  # d/dx (3x² − x²) = 4x
    assert at.table[0].value.to_numpy().tolist()[2][1] == "6"  # A: 2x at x = 3


def test_compare_link_round_trips() -> None:
    at = run_page("pages/compare.py", **COMPARE)
    written = {k: at.query_params.get_all(k) if hasattr(at.query_params, "get_all")
               else at.query_params[k] for k in at.query_params}
    again = run_page("pages/compare.py", **{k: v if len(v) > 1 or k == "wrt" else v[0]
                                          for k, v in as_lists(written).items()})
    assert again.number_input(key="cmp.pb.a").value == 3
    assert [t.value.to_numpy().tolist() for t in again.table] == [
        t.value.to_numpy().tolist() for t in at.table]


def test_compare_two_functions() -> None:
    at = run_page("pages/compare.py", fa="sin(x)", fb="sin(x) + x**3", **{"var.x": "0, 1, 2"})
    assert at.toggle(key="cmp.two").value
    diff = at.table[2].value.to_numpy().tolist()
    assert [row[1] for row in diff] == ["0", "1", "8"]


def test_guide_answers_the_question_live() -> None:
    at = run_page("pages/guide.py")
    text = " ".join(m.value for m in at.markdown)
    assert "[27, 39]" in text
    assert "3 of 9 numbers" in text
