"""Parse once: the function text, grid specs, points and derivative specs are validated where
they arrive, and the validated objects flow forward — to the cache key, to the worker, to the
formulas — without anyone parsing them again (issue 10, item 4)."""

from __future__ import annotations

import pytest

import ui.function_input as ui_function
import ui.points_input as ui_points
from compute import Limits, cli
from compute.language import derivatives, expression, grid
from compute.language.derivatives import DerivativeRequest
from compute.language.expression import Expression
from compute.language.grid import AxisSpec
from compute.service import jobs
from compute.service.jobs import job_request, run_request
from conftest import open_app
from ui import compute_cache
from ui.compute_cache import clear_results


def _forbid(monkeypatch, module, name: str) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError(f"{module.__name__}.{name} called again on validated input")

    monkeypatch.setattr(module, name, refuse)


def test_a_request_carries_validated_objects_not_text() -> None:
    request = job_request("t*k + 2*t*k**2", {"t": "1, 2, 4", "k": [2.0, 3.0]}, wrt=("k", "t,k"))
    assert isinstance(request.expression, Expression)
    assert all(isinstance(axis, AxisSpec) for _, axis in request.grids)
    assert all(isinstance(w, DerivativeRequest) for w in request.wrt)
    assert request.size == 6


def test_the_worker_side_computes_without_parsing_anything(monkeypatch) -> None:
    request = job_request("t*k + 2*t*k**2", {"t": "1, 2, 4", "k": "2, 3"}, wrt=("k",))
    for module, name in ((expression, "parse_expression"), (expression, "parse_python"),
                         (grid, "parse_grid_spec"), (jobs, "parse_expression"), (jobs, "parse_request"),
                         (derivatives, "parse_derivative_spec")):
        _forbid(monkeypatch, module, name)
    result = run_request(request, Limits())
    assert result.partial("k").tolist() == [[9, 13], [18, 26], [36, 52]]  # the seed's matrix


def test_the_page_parses_the_function_once_and_sends_that_expression(monkeypatch) -> None:
    parsed: list[Expression] = []
    sent: list[jobs.JobRequest] = []
    real_parse, real_run = ui_function.parse_expression, compute_cache.run_job

    def parse(*args, **kwargs):
        parsed.append(real_parse(*args, **kwargs))
        return parsed[-1]

    def run(request, *args, **kwargs):
        sent.append(request)
        return real_run(request, *args, **kwargs)

    monkeypatch.setattr(ui_function, "parse_expression", parse)
    monkeypatch.setattr(compute_cache, "run_job", run)
    clear_results()
    at = open_app(f="a*x*y + sin(x*y)", **{"var.x": "linspace(0, 1, 5)", "var.y": "1, 2"},
                  **{"param.a": "2"}, wrt=["x", "y,y"])
    assert not at.exception
    assert len(parsed) == 1  # one script run, one parse of the function text
    assert len(sent) == 1
    assert sent[0].expression is parsed[0]
    assert dict(sent[0].grids)["x"] == AxisSpec("linspace", (0.0, 1.0, 5.0), 5)
    assert [w.components for w in sent[0].wrt] == [(("x",),), (("y", "y"),)]


def test_points_typed_in_the_table_are_never_written_out_as_csv(monkeypatch) -> None:
    _forbid(monkeypatch, ui_points, "points_from_csv")
    clear_results()
    at = open_app()
    at.button_group(key="mode").set_value("points").run()
    assert not at.exception
    assert not at.error
    assert at.table or at.dataframe


@pytest.mark.parametrize("specs", [["k"], ["k", "t,k", "hessian"]])
def test_the_cli_parses_each_derivative_spec_once(monkeypatch, specs) -> None:
    calls: list[str] = []
    real = derivatives.parse_derivative_spec

    def counting(text, *args, **kwargs):
        calls.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(derivatives, "parse_derivative_spec", counting)
    argv = ["t*k + 2*t*k**2", "--var", "t=1,2,4", "--var", "k=2,3"]
    for spec in specs:
        argv += ["--wrt", spec]
    result, _ = cli.run(argv)
    assert sorted(calls) == sorted(specs)
    assert result.partial("k").tolist() == [[9, 13], [18, 26], [36, 52]]
