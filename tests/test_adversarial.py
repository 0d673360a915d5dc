"""Hostile input through every front door: the engine, the CLI, the app (AppTest) — each gets
a clear error within a second, and the canary file proves nothing ran. (The browser front door
is in test_browser.py: malicious links.)"""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from adversarial_cases import CANARY, CSVS, DERIVATIVES, EXPRESSIONS, GRIDS, NONFINITE, PARAMS
from compute import (
    PartialsError,
    make_grid,
    parse_constant,
    parse_derivative_spec,
    parse_expression,
    partials_on_grid,
    points_from_csv,
)
from conftest import ROOT, as_read, run_cli
from ui.compute_cache import clear_results

APP = str(ROOT / "app.py")
ALL = len(EXPRESSIONS) + len(GRIDS) + len(PARAMS) + len(DERIVATIVES) + len(CSVS)


@pytest.fixture(scope="module", autouse=True)
def canary():
    CANARY.parent.mkdir(exist_ok=True)
    CANARY.unlink(missing_ok=True)
    yield
    assert not CANARY.exists(), "a hostile input was executed"


def test_the_suite_is_large_enough() -> None:
    assert ALL >= 60
    assert len(EXPRESSIONS) >= 30


def rejected(call, words: str) -> None:
    start = time.perf_counter()
    with pytest.raises(PartialsError) as info:
        call()
    elapsed = time.perf_counter() - start
    assert words in str(info.value), str(info.value)
    assert elapsed < 1.0, f"took {elapsed:.2f} s"


# --- engine ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "words"), EXPRESSIONS)
def test_engine_rejects_expression(text: str, words: str) -> None:
    rejected(lambda: parse_expression(text), words)


@pytest.mark.parametrize(("spec", "words"), GRIDS)
def test_engine_rejects_grid(spec: str, words: str) -> None:
    rejected(lambda: make_grid({"x": spec}), words)


@pytest.mark.parametrize(("value", "words"), PARAMS)
def test_engine_rejects_parameter(value: str, words: str) -> None:
    rejected(lambda: parse_constant(value), words)


@pytest.mark.parametrize(("spec", "words"), DERIVATIVES)
def test_engine_rejects_derivative(spec: str, words: str) -> None:
    rejected(lambda: parse_derivative_spec(spec, ["x", "y"], ["a"]), words)


@pytest.mark.parametrize(("text", "words"), CSVS)
def test_engine_rejects_csv(text: str, words: str) -> None:
    rejected(lambda: points_from_csv(text), words)


# --- command line ----------------------------------------------------------------------------

def cli_rejects(args: list[str], words: str, stdin: str | None = None) -> None:
    start = time.perf_counter()
    proc = run_cli(*args, stdin=stdin)
    elapsed = time.perf_counter() - start
    assert proc.returncode in (2, 3), proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert words.replace("\x00", "") in lines[0] or words.startswith("U+"), lines[0]
    assert elapsed < 3.0, f"the CLI took {elapsed:.2f} s"  # interpreter start included


@pytest.mark.parametrize(("text", "words"), [c for c in EXPRESSIONS if "\x00" not in c[0]
                                             and "\ud800" not in c[0]])
def test_cli_rejects_expression(text: str, words: str) -> None:
    cli_rejects(["--var", "x=1,2", "--var", "y=1", "--", text], words)


@pytest.mark.parametrize(("spec", "words"), [c for c in GRIDS if "\x00" not in c[0]])
def test_cli_rejects_grid(spec: str, words: str) -> None:
    cli_rejects(["x", f"--var=x={spec}"], words)


@pytest.mark.parametrize(("value", "words"), [c for c in PARAMS if "\x00" not in c[0]])
def test_cli_rejects_parameter(value: str, words: str) -> None:
    cli_rejects(["x*a", "--var", "x=1,2", f"--param=a={value}"], words)


@pytest.mark.parametrize(("spec", "words"), DERIVATIVES)
def test_cli_rejects_derivative(spec: str, words: str) -> None:
    cli_rejects(["x*y*a", "--var", "x=1,2", "--var", "y=3", "--param", "a=1", f"--wrt={spec}"], words)


@pytest.mark.parametrize(("text", "words"), CSVS)
def test_cli_rejects_csv(text: str, words: str) -> None:
    cli_rejects(["x", "--points", "-"], words, stdin=text)


def test_cli_rejects_nul_and_surrogates_in_arguments() -> None:
    # The OS cannot pass a NUL in argv; a lone surrogate arrives as surrogateescape bytes.
    cli_rejects(["--var", "x=1", "--", "x\udcff"], "U+DCFF")


# --- the app, through share-link query parameters ---------------------------------------------

@pytest.fixture
def app_run():
    clear_results()

    def run(**query) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        for key, value in query.items():
            at.query_params[key] = value
        start = time.perf_counter()
        at.run()
        assert not at.exception
        return at, time.perf_counter() - start

    return run


def app_rejects(app_run, words: str, **query) -> None:
    at, elapsed = app_run(**query)
    errors = as_read(" ".join(e.value for e in at.error))
    assert words in errors, errors
    assert elapsed < 5.0


# A URL cannot carry a lone surrogate (browsers decode bad bytes to U+FFFD), and an empty f
# means "no link" (the seed example): those two are for the engine and the CLI.
@pytest.mark.parametrize(("text", "words"), [c for c in EXPRESSIONS if "\ud800" not in c[0] and c[0]])
def test_app_rejects_expression(app_run, text: str, words: str) -> None:
    app_rejects(app_run, words, f=text, **{"var.x": "1, 2", "var.y": "3"})


@pytest.mark.parametrize(("spec", "words"), GRIDS)
def test_app_rejects_grid(app_run, spec: str, words: str) -> None:
    app_rejects(app_run, words, f="x", **{"var.x": spec})


@pytest.mark.parametrize(("value", "words"), PARAMS)
def test_app_rejects_parameter(app_run, value: str, words: str) -> None:
    app_rejects(app_run, words, f="x*a", **{"var.x": "1, 2", "param.a": value})


@pytest.mark.parametrize(("spec", "words"), DERIVATIVES)
def test_app_rejects_derivative(app_run, spec: str, words: str) -> None:
    app_rejects(app_run, words, f="x*y*a", wrt=[spec],
                **{"var.x": "1, 2", "var.y": "3", "param.a": "1"})


def test_app_ignores_unknown_and_malformed_link_keys(app_run) -> None:
    at, _ = app_run(f="x", **{"var.x": "1, 2", "var.__class__": "1", "evil": TOUCH_KEY,
                              "var.x y": "1"})
    assert [t.value.to_numpy().tolist() for t in at.table]  # results still shown
    assert any("not a valid name" in w.value for w in at.warning)


TOUCH_KEY = "__import__('os').system('id')"


# --- valid input with non-finite results: accepted and reported ---------------------------------

@pytest.mark.parametrize(("text", "spec", "bad_values"), NONFINITE)
def test_nonfinite_results_are_accepted_and_reported(app_run, text, spec, bad_values) -> None:
    result = partials_on_grid(text, make_grid({"x": spec}), ["x"])
    assert result.nonfinite(result.value()) == bad_values
    assert result.nonfinite(result.value()) + result.nonfinite(result.partial("x")) > 0
    proc = run_cli(text, "--var", f"x={spec}", "--wrt", "x")
    assert proc.returncode == 0
    assert "null" in proc.stdout
    at, _ = app_run(f=text, **{"var.x": spec}, wrt=["x"])
    assert not at.error
    assert any("not finite" in w.value for w in at.warning)
