"""Parameter sweeps (the Explorer's animation): every frame exact against SymPy, through the
engine, the job runner (inline and in a worker) and the page."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import sympy as sp
from streamlit.testing.v1 import AppTest

from compute import Limits, PartialsError, ResourceLimitError, parse_expression
from compute.engines.sweep import MAX_FRAMES, partials_over_sweep, sweep_values, thinned_plane
from compute.language.grid import make_grid
from compute.service.jobs import JobLimits, JobPool, job_request, run_job
from conftest import assert_close, open_app, sympy_reference
from ui.compute_cache import clear_results

a, x, y = sp.symbols("a x y")
TEXT = "a*x**2*y + sin(a*y) - exp(-a*x)"
EXACT = a * x**2 * y + sp.sin(a * y) - sp.exp(-a * x)


def test_every_frame_is_exact() -> None:
    grid = make_grid({"x": "linspace(-1, 2, 7)", "y": "0, 0.5, 3"})
    values = sweep_values(-2, 3, 6)
    frames = partials_over_sweep(parse_expression(TEXT), grid, ["x", "y", "x,y"], {"a": 1.0}, "a",
                                 values)
    X, Y = np.meshgrid(grid.axis("x"), grid.axis("y"), indexing="ij")
    for value, frame in zip(values, frames, strict=True):
        assert frame.params == {"a": value}
        expr = EXACT.subs(a, sp.Float(value, 30))
        points = {x: X.ravel(), y: Y.ravel()}
        assert_close(frame.value(), sympy_reference(expr, (), points), what=f"f at a={value}")
        for wrt in ((x,), (y,), (x, y)):
            spec = ",".join(str(s) for s in wrt)
            assert_close(frame.partial(spec), sympy_reference(expr, wrt, points),
                         what=f"d/d{spec} at a={value}")


def test_sweep_values_are_evenly_spaced() -> None:
    assert sweep_values(0, 1, 5) == (0.0, 0.25, 0.5, 0.75, 1.0)


@pytest.mark.parametrize(("start", "stop", "frames", "words"), [
    (0, float("inf"), 5, "finite"), (1, 1, 5, "different"), (0, 1, 1, "frames"),
    (0, 1, MAX_FRAMES + 1, "frames"),
])
def test_sweep_values_are_checked(start: float, stop: float, frames: int, words: str) -> None:
    with pytest.raises(PartialsError, match=words):
        sweep_values(start, stop, frames)


def test_only_parameters_sweep_and_the_point_budget_holds() -> None:
    grid = make_grid({"x": "linspace(0, 1, 100)", "y": "linspace(0, 1, 100)"})
    expression = parse_expression(TEXT)
    with pytest.raises(PartialsError, match="not a parameter"):
        partials_over_sweep(expression, grid, ["x"], {"a": 1.0}, "x", (0.0, 1.0))
    with pytest.raises(ResourceLimitError, match="fewer frames"):
        partials_over_sweep(expression, grid, ["x"], {"a": 1.0}, "a", sweep_values(0, 1, 30),
                            limits=Limits(max_points=200_000))


def test_the_thinned_plane_is_what_the_plot_shows() -> None:
    grid = make_grid({"x": "linspace(0, 1, 1001)", "y": "linspace(0, 2, 11)", "z": "5, 6, 7"})
    plane = dict(thinned_plane(grid, ("x", "y"), {"z": 2}, 100))
    assert len(plane["x"]) == 91
    assert plane["x"][:2] == (0.0, 0.011)
    assert plane["y"] == tuple(grid.axis("y"))
    assert plane["z"] == (7.0,)


@pytest.mark.parametrize("quick", [True, False])
def test_a_sweep_runs_as_one_job_in_either_lane(quick: bool) -> None:
    pool = JobPool(JobLimits(quick_cost=1e12 if quick else 0.0, workers=1))
    plane = (("x", (0.5, 1.0, 2.0)), ("y", (1.0, 3.0)))
    request = job_request(TEXT, grids=plane, params=(("a", 1.0),), wrt=("x",),
                         sweep=("a", (0.0, 1.0, 2.0)))
    try:
        frames = run_job(request, Limits(), pool)
    finally:
        pool.close()
    X, Y = np.meshgrid([0.5, 1.0, 2.0], [1.0, 3.0], indexing="ij")
    for value, frame in zip((0.0, 1.0, 2.0), frames, strict=True):
        expected = sympy_reference(EXACT.subs(a, value), (x,), {x: X.ravel(), y: Y.ravel()})
        assert_close(frame.partial("x"), expected, what=f"a={value}")


def _figure(at: AppTest, key: str) -> dict:
    charts = [c for c in at.get("plotly_chart") if json.loads(c.proto.spec).get("frames")]
    assert charts, f"no animated chart ({key})"
    return json.loads(charts[0].proto.spec)


def _floats(array) -> np.ndarray:
    """A Plotly array as sent to the browser: a list, or a base64 typed array."""
    if isinstance(array, dict):  # {"dtype": "f4", "bdata": ..., "shape": "2, 3"}
        raw = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
        shape = [int(n) for n in str(array.get("shape", raw.size)).split(",")]
        return raw.reshape(shape)
    return np.asarray(array, dtype=np.float64)


SWEEP_LINK = {"f": "a*x*y**2", "var.x": "0, 1, 2", "var.y": "1, 2", "param.a": "1",
              "range.a": "0, 4", "wrt": "x", "plot": "heatmap", "view": "plot"}


def test_the_explorer_plays_a_parameter_sweep() -> None:
    clear_results()  # a fresh session on empty result caches
    at = open_app(**SWEEP_LINK)
    assert not at.exception
    at.toggle(key="anim.on").set_value(True).run()
    assert not at.exception
    assert not at.error
    figure = _figure(at, "anim")
    frames = figure["frames"]
    assert len(frames) == 20
    assert frames[0]["name"] == "a = 0"
    assert frames[-1]["name"] == "a = 4"
    # ∂f/∂x = a·y² on x = 0, 1, 2 and y = 1, 2; Plotly's z is (y, x)
    last = _floats(frames[-1]["data"][0]["z"])
    assert np.array_equal(last, np.array([[4, 4, 4], [16, 16, 16]], dtype=np.float32))
    assert figure["data"][0]["zmin"] == 0
    assert figure["data"][0]["zmax"] == 16


def test_a_playing_animation_travels_in_the_share_link() -> None:
    clear_results()  # a fresh session on empty result caches
    at = open_app(**SWEEP_LINK)
    assert "anim" not in at.query_params  # nothing plays: the link says nothing
    at.number_input(key="anim.to.a").set_value(3.0).run()
    at.number_input(key="anim.frames").set_value(4).run()
    at.toggle(key="anim.on").set_value(True).run()
    assert at.query_params["anim"] == "a, 0.0, 3.0, 4"
    link = dict(at.query_params)

    clear_results()  # a fresh session on empty result caches

    other = open_app(**link)
    assert not other.exception
    assert not other.error
    assert other.toggle(key="anim.on").value is True
    frames = _figure(other, "anim")["frames"]
    assert [f["name"] for f in frames] == ["a = 0", "a = 1", "a = 2", "a = 3"]
    # ∂f/∂x = a·y² on y = 1, 2 (Plotly's z is (y, x)): a = 3 gives 3 and 12
    assert np.array_equal(_floats(frames[-1]["data"][0]["z"]),
                          np.array([[3, 3, 3], [12, 12, 12]], dtype=np.float32))


@pytest.mark.parametrize(("anim", "noted"), [("a, 0, 3", True), ("a, 0, 3, x", True),
                                             ("__class__, 0, 1, 5", True), ("a, 0, 1e999, 5", True),
                                             ("b, 0, 1, 5", False)])
def test_a_bad_animation_in_a_link_is_left_out_and_the_page_works(anim: str, noted: bool) -> None:
    clear_results()  # a fresh session on empty result caches
    at = open_app(**{"f": "a*x", "var.x": "0, 1", "param.a": "1", "wrt": "x", "anim": anim,
                         "view": "plot"})
    assert not at.exception
    assert at.toggle(key="anim.on").value is False
    assert "anim" not in at.query_params
    assert any("'anim' in the link" in w.value for w in at.warning) == noted
    assert at.get("plotly_chart")  # the plot as usual
