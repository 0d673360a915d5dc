"""The point inspector (issue 12, item 2): its numbers at points that are not grid points, against
SymPy's exact derivatives evaluated to 30 digits; the CLI's ``--at``; the Explorer panel, its
bad input, and its share link (inspected point in the URL → panel shows it)."""

from __future__ import annotations

import base64
import json
import urllib.parse

import mpmath
import numpy as np
import pytest
import sympy as sp
from streamlit.testing.v1 import AppTest

from compute import PartialsError
from compute.cli.inputs import read_constants
from compute.engines.inspect import determinant, inspect_point
from conftest import open_app, run_cli
from ui.compute_cache import clear_results

x, y, z, r, th, a = sp.symbols("x y z r theta a", real=True)


def exact(expr: sp.Expr, subs: dict, *wrt: sp.Symbol) -> float:
    """The exact derivative (SymPy), evaluated to 30 digits, as a float."""
    with mpmath.workdps(30):
        value = (sp.diff(expr, *wrt) if wrt else expr).evalf(30, subs={k: sp.Float(v, 30)
                                                                      for k, v in subs.items()})
    return float(value)


def close(actual: float, expected: float, rel: float = 1e-12, scale: float = 1.0) -> bool:
    return abs(actual - expected) <= rel * max(abs(expected), scale * 1e-3, 1e-300)


# (function as typed, the same in SymPy, variables, point (no grid has these values), params)
SCALARS = [
    ("sin(a*x*y) + x**3/y", sp.sin(a * x * y) + x**3 / y, (x, y), (0.37, 1.91), {a: 1.3}),
    ("log1p(x^2)*exp(-x)", sp.log(1 + x**2) * sp.exp(-x), (x,), (2.718,), {}),
    ("exp(-(x^2 + y^2 + z^2)/2) * cosh(x - z)",
     sp.exp(-(x**2 + y**2 + z**2) / 2) * sp.cosh(x - z), (x, y, z), (0.3, -1.1, 0.71), {}),
    ("(1 - x)^2 + 100*(y - x^2)^2", (1 - x)**2 + 100 * (y - x**2)**2, (x, y), (-1.234567, 2.5), {}),
]


@pytest.mark.parametrize(("text", "expr", "names", "point", "params"), SCALARS,
                         ids=[c[0][:24] for c in SCALARS])
def test_inspector_matches_sympy_at_points_off_every_grid(text, expr, names, point, params) -> None:
    subs = {**dict(zip(names, point, strict=True)), **params}
    found = inspect_point(text, {str(n): v for n, v in zip(names, point, strict=True)},
                          {str(k): v for k, v in params.items()},
                          ["laplacian", ",".join(str(n) for n in names[:1] * 3)])
    assert found.point == point
    assert close(found.value(), exact(expr, subs))
    scale = max(abs(exact(expr, subs, n)) for n in names)
    for n in names:
        assert close(found.gradient()[str(n)], exact(expr, subs, n), scale=scale), n
    hessian = [[exact(expr, subs, p, q) for q in names] for p in names]
    hscale = max(abs(v) for row in hessian for v in row)
    assert found.hessian() is not None
    for i, row in enumerate(hessian):
        for j, value in enumerate(row):
            assert close(found.hessian()[i][j], value, scale=hscale), (i, j)
    with mpmath.workdps(30):
        det = sp.hessian(expr, names).subs({k: sp.Float(v, 30) for k, v in subs.items()}).det()
    assert close(found.hessian_determinant(), float(det), rel=1e-10, scale=hscale**len(names))
    laplacian = sum(hessian[i][i] for i in range(len(names)))
    assert close(found.quantity("laplacian"), laplacian, scale=hscale)
    third = exact(expr, subs, names[0], names[0], names[0])
    assert close(found.quantities[-1].value, third, scale=max(abs(third), hscale)), "third partial"


def test_a_parameter_partial_at_the_point() -> None:
    """∂f/∂a where a is a parameter (theta = −∂C/∂T is one): computed at the inspected point."""
    expr = sp.exp(-a * x) * sp.sin(y)
    found = inspect_point("exp(-a*x)*sin(y)", {"x": 0.45, "y": 2.2}, {"a": 1.7}, ["a", "a,x"])
    subs = {x: 0.45, y: 2.2, a: 1.7}
    assert close(found.quantity("a"), exact(expr, subs, a))
    assert close(found.quantity("a,x"), exact(expr, subs, a, x))
    assert found.params == (("a", 1.7),)


def test_jacobian_and_its_determinant_of_vector_valued_functions() -> None:
    phi = sp.Symbol("phi", real=True)
    spherical = [r * sp.sin(th) * sp.cos(phi), r * sp.sin(th) * sp.sin(phi), r * sp.cos(th)]
    point = {r: 1.7, th: 0.83, phi: 2.9}
    found = inspect_point("X = r*sin(theta)*cos(phi); Y = r*sin(theta)*sin(phi); Z = r*cos(theta); "
                          "X, Y, Z", {"r": 1.7, "theta": 0.83, "phi": 2.9})
    assert found.outputs == ("X", "Y", "Z")
    jac = [[exact(f, point, v) for v in (r, th, phi)] for f in spherical]
    for i, row in enumerate(jac):
        for j, value in enumerate(row):
            assert close(found.jacobian[i][j], value, scale=2.0), (i, j)
    det = exact(r**2 * sp.sin(th), point)  # the volume element r² sin θ
    assert close(found.jacobian_determinant, det, rel=1e-13)
    polar = inspect_point("x = r*cos(theta); y = r*sin(theta); x, y", {"r": 2.5, "theta": 4.0})
    assert close(polar.jacobian_determinant, 2.5, rel=1e-15)
    assert polar.hessian("y") is not None
    assert close(polar.hessian("y")[1][1], exact(r * sp.sin(th), {r: 2.5, th: 4.0}, th, th))


def test_non_square_jacobian_has_no_determinant_and_one_variable_works() -> None:
    found = inspect_point("u = x^2; v = sin(x); u, v", {"x": 0.7})
    assert found.jacobian_determinant is None
    assert found.jacobian == ((1.4,), (exact(sp.cos(x), {x: 0.7}),))
    assert found.hessian_determinant(0) == 2.0


def test_non_finite_values_are_reported_not_raised() -> None:
    found = inspect_point("log(x)*y", {"x": -1.0, "y": 2.0})
    assert found.value() != found.value()  # NaN: log(-1) is not real
    assert found.gradient()["x"] == -2.0  # y/x is finite there


def test_determinant_is_exact_for_small_matrices() -> None:
    assert determinant(((802.0, -400.0), (-400.0, 200.0))) == 400.0
    assert determinant(((3.0,),)) == 3.0
    assert abs(determinant(((2.0, 0, 0), (0, 3.0, 0), (0, 0, 4.0))) - 24.0) < 1e-12


def test_points_are_parsed_by_compute_not_evaluated() -> None:
    assert read_constants(["t=1.5", "k=2*pi"], "at") == {"t": 1.5, "k": 2 * 3.141592653589793}
    for bad in (["t"], ["=1"], ["t=__import__('os')"], ["t=1", "t=2"], ["t=nan"], ["1t=2"]):
        with pytest.raises(PartialsError):
            read_constants(bad, "at")


# --- CLI --------------------------------------------------------------------------------------

def test_cli_at_prints_the_point_as_json() -> None:
    done = run_cli("sin(a*x*y) + x**3/y", "--at", "x=0.37", "y=1.91", "--param", "a=1.3", "--wrt", "a")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    expr, subs = sp.sin(a * x * y) + x**3 / y, {x: 0.37, y: 1.91, a: 1.3}
    assert doc["point"] == {"x": 0.37, "y": 1.91}
    assert close(doc["value"], exact(expr, subs))
    assert close(doc["gradient"]["y"], exact(expr, subs, y), scale=1.0)
    assert close(doc["hessian"][0][1], exact(expr, subs, x, y), scale=1.0)
    assert close(doc["partials"]["a"], exact(expr, subs, a), scale=1.0)
    polar = json.loads(run_cli("x = r*cos(theta); y = r*sin(theta); x, y", "--at", "r=2",
                               "--at", "theta=1").stdout)
    assert polar["jacobian_determinant"] == 2.0
    assert set(polar["value"]) == {"x", "y"}


def test_cli_at_table_and_csv() -> None:
    table = run_cli("(1 - x)^2 + 100*(y - x^2)^2", "--at", "x=1", "y=1", "--format", "table")
    assert table.returncode == 0, table.stderr
    assert "[802, -400]" in table.stdout
    assert "det = 400" in table.stdout
    csv = run_cli("x^3", "--at", "x=2", "--format", "csv").stdout.splitlines()
    assert csv == ["x,f,df/dx,d2f/dx2", "2.0,8.0,12.0,12.0"]


@pytest.mark.parametrize("args", [
    ("x*y", "--at", "x=abc", "y=1"),
    ("x*y", "--at", "x=1"),  # y has no value
    ("x*y", "--at", "x=1", "y=2", "--var", "x=1,2"),
    ("x*y", "--at", "x=1", "x=2", "y=1"),
    ("x*y", "--at", "x=1", "y=2", "--wrt", "q"),
])
def test_cli_at_bad_input_is_one_error_line(args) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert done.stderr.startswith("error: "), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


# --- the Explorer panel -----------------------------------------------------------------------

@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_results()


ROSENBROCK = {"f": "(1 - x)^2 + 100*(y - x^2)^2", "var.x": "linspace(-2, 2, 81)",
              "var.y": "linspace(-1, 3, 81)", "wrt": ["x", "y"]}


def panel_tables(at: AppTest) -> list[list[list[str]]]:
    """The inspector's tables (quantity, gradient, Hessian): the last st.tables of the page."""
    return [t.value.reset_index().to_numpy().tolist() for t in at.table]


def share_link(at: AppTest) -> str:
    return next(c.value for c in at.code if c.value.startswith("http"))


def test_a_link_with_a_point_opens_the_inspector_there_and_round_trips() -> None:
    at = open_app(**ROSENBROCK, **{"inspect.x": "0.3", "inspect.y": "-0.7"})
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    expr, subs = (1 - x)**2 + 100 * (y - x**2)**2, {x: 0.3, y: -0.7}
    text = " ".join(m.value for m in at.markdown)
    assert "At x = 0.3, y = -0.7" in text
    tables = panel_tables(at)
    gradient = next(t for t in tables if t[0][0] == "∇f")[0][1:]
    assert [float(v) for v in gradient] == pytest.approx([exact(expr, subs, x), exact(expr, subs, y)],
                                                         rel=1e-9)
    hessian = tables[-1]
    assert [row[0] for row in hessian] == ["x", "y"]
    assert float(hessian[0][1]) == pytest.approx(exact(expr, subs, x, x), rel=1e-9)
    assert float(hessian[1][1]) == pytest.approx(exact(expr, subs, x, y), rel=1e-12)  # −400x
    assert float(hessian[1][2]) == 200
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(share_link(at)).query)
    assert (query["inspect.x"], query["inspect.y"]) == (["0.3"], ["-0.7"])
    again = open_app(**{k: v if len(v) > 1 or k == "wrt" else v[0] for k, v in query.items()})
    assert panel_tables(again)[-3:] == tables[-3:]
    assert again.text_input(key="inspect.x").value == "0.3"


def test_typing_a_point_outside_the_grid_and_a_bad_value() -> None:
    at = open_app(**ROSENBROCK, **{"inspect.x": "1", "inspect.y": "1"})
    at.text_input(key="inspect.x").set_value("2*pi").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "outside the grid (x runs -2 … 2)" in text
    assert dict(at.query_params)["inspect.x"] == "2*pi"
    at.text_input(key="inspect.y").set_value("one").run()
    assert not at.exception
    assert any("Inspect y:" in e.value for e in at.error)
    assert len(at.dataframe) == 3  # f and the two partials
    assert not any("At x" in m.value for m in at.markdown)
    assert at.get("expander")  # the rest of the page works


def test_closed_inspector_computes_nothing_and_leaves_the_link_alone() -> None:
    at = open_app(**ROSENBROCK)
    assert not any(k.startswith("inspect.") for k in at.query_params)
    assert not any(m.value.startswith("**At ") for m in at.markdown)
    at.session_state["inspect_open"] = True
    at.run()
    assert any(m.value.startswith("**At x = 0, y = 1**") for m in at.markdown)  # grid middles
    assert "inspect.x" in dict(at.query_params)


def test_one_variable_vector_valued_and_parameters_in_the_panel() -> None:
    at = open_app(f="u = a*x^2; v = sin(x); u, v", **{"var.x": "0, 1, 2", "param.a": "3",
                                                       "inspect.x": "0.25", "wrt": ["x", "a"]})
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    text = " ".join(m.value for m in at.markdown)
    assert "**At x = 0.25** (with a = 3)" in text
    assert "Jacobian ∂(u, v)/∂(x)" in text
    assert "not square" in text
    table = next(t.value for t in at.table if t.value.index.name == "quantity")
    quantities = dict(zip(table.index, table["value"], strict=True))
    assert float(quantities["u"]) == 0.1875
    assert float(quantities["∂u/∂a"]) == 0.0625


# --- the plot: tangent plane and clicks ---------------------------------------------------------

def floats(array) -> list:
    """A Plotly array as sent to the browser (a list, or a base64 typed array) as nested lists."""
    if isinstance(array, dict):
        raw = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
        return raw.reshape([int(n) for n in str(array.get("shape", raw.size)).split(",")]).tolist()
    return list(array)


def traces(at: AppTest) -> dict[str, dict]:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return {t.get("name") or t["type"]: {k: floats(v) if k in "xyz" else v for k, v in t.items()}
            for t in spec["data"]}


@pytest.mark.parametrize("show", ["f", "f:x"])
def test_the_surface_draws_the_tangent_plane_of_the_plotted_quantity(show) -> None:
    """The plane through (x0, y0, q) with q's exact slopes (q = f, or ∂f/∂x: then second partials)."""
    at = open_app(f="sin(x)*y**2", **{"var.x": "linspace(0, 3, 31)", "var.y": "linspace(1, 3, 21)",
                                      "wrt": "x", "view": "plot", "show": show, "inspect.x": "1.234",
                                      "inspect.y": "2.5"})
    assert not at.exception
    found = traces(at)
    plane, dot = found["tangent plane"], found["inspected point"]
    q = sp.sin(x) * y**2 if show == "f" else sp.diff(sp.sin(x) * y**2, x)
    at0 = {x: 1.234, y: 2.5}
    assert (dot["x"], dot["y"]) == ([1.234], [2.5])
    assert dot["z"][0] == pytest.approx(exact(q, at0), rel=1e-12)
    xs, ys, zs = plane["x"], plane["y"], plane["z"]
    for j, yy in enumerate(ys):
        for i, xx in enumerate(xs):
            tangent = exact(q, at0) + exact(q, at0, x) * (xx - 1.234) + exact(q, at0, y) * (yy - 2.5)
            assert zs[j][i] == pytest.approx(tangent, rel=1e-12, abs=1e-12)


def test_a_heatmap_carries_click_targets_and_rings_the_point() -> None:
    at = open_app(f="x*y", **{"var.x": "0, 1, 2", "var.y": "1, 2", "plot": "heatmap", "view": "plot",
                              "inspect.x": "1", "inspect.y": "2"})
    found = traces(at)
    targets = found["click to inspect"]
    assert sorted(zip(targets["x"], targets["y"], strict=True)) == [(a, b) for a in (0, 1, 2) for b in (1, 2)]
    assert (found["inspected point"]["x"], found["inspected point"]["y"]) == ([1.0], [2.0])


def test_a_selection_means_a_grid_point_a_box_centre_or_nothing() -> None:
    from compute import make_grid, partials_on_grid
    from ui.plot_point import clicked_point

    result = partials_on_grid("x*y*z", make_grid({"x": "0, 0.1, 0.2", "y": "1, 2", "z": "5, 6"}))
    slice_at = {"z": 1}
    clicked = clicked_point({"points": [{"x": 0.10000000149, "y": 2.0}], "box": []}, result,
                            ("x", "y"), slice_at)
    assert clicked == {"x": 0.1, "y": 2.0, "z": 6.0}  # float32 in the browser: snapped to the grid
    box = clicked_point({"points": [], "box": [{"x": [0.05, 0.25], "y": [1.0, 1.5]}]}, result,
                        ("x", "y"), slice_at)
    assert box == {"x": 0.15, "y": 1.25, "z": 6.0}
    for bad in ({"points": [{"x": "nan", "y": 1}], "box": []}, {"points": [{}], "box": []},
                {"points": [], "box": [{"x": [1]}]}):
        assert clicked_point(bad, result, ("x", "y"), slice_at) is None
