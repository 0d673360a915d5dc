"""The minimal Explorer page, headless through AppTest: the seed's matrix, edits, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def tables(at: AppTest) -> dict[str, list[list[float]]]:
    labels = [s.value for s in at.subheader]
    return {label: t.value.to_numpy().tolist() for label, t in zip(labels, at.table, strict=True)}


def test_default_page_shows_the_seed_matrix(app: AppTest) -> None:
    assert not app.exception
    shown = tables(app)
    assert shown["∂f/∂k"] == [[9, 13], [18, 26], [36, 52]]
    assert shown["∂f/∂t"] == [[10, 21], [10, 21], [10, 21]]
    assert shown["f"] == [[10, 21], [20, 42], [40, 84]]


def test_changing_the_function_updates_results(app: AppTest) -> None:
    app.text_area[0].set_value("t - k**2").run()
    assert not app.exception
    assert tables(app)["∂f/∂k"] == [[-4, -6]] * 3


def test_bad_function_shows_its_error_with_the_column(app: AppTest) -> None:
    app.text_area[0].set_value("t*sn(k)").run()
    assert not app.exception
    assert "unknown function 'sn' at column 3" in app.error[0].value


def test_bad_grid_shows_its_error_naming_the_variable(app: AppTest) -> None:
    app.text_input(key="var.k").set_value("linspace(0, 1)").run()
    assert not app.exception
    assert "grid for k" in app.error[0].value
