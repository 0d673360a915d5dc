"""Issue 11: the forms people bring — declared functions (f(t, k) = …, def, lambda), calculator
notation, aliases and pasted torch/NumPy names, forgiving grids and derivative specs — through
the engine and the command line, checked against the seed's known matrix and SymPy."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from compute import PartialsError, make_grid, parse_derivative_spec, parse_expression, partials_on_grid
from conftest import assert_close, run_cli, sympy_reference

SEED_F = [[10, 21], [20, 42], [40, 84]]
SEED_DK = [[9, 13], [18, 26], [36, 52]]
SEED_DT = [[10, 21], [10, 21], [10, 21]]
SEED_DTK = [[9, 13], [9, 13], [9, 13]]  # ∂²f/∂t∂k = 1 + 4k

# The seed question typed in every style a user might bring.
SEED_STYLES = [
    "t*k + 2*t*k**2",
    "f(t, k) = t*k + 2*t*k^2",
    "f(t,k) = t*k + 2*t*k^2",
    "t*k + 2t*k^2",
    "t*k + 2(t)(k^2)",
    "t*k*(1 + 2k)",
    "def f(t, k):\n    return t*k + 2*t*k**2",
    "def gamma_fn(t: torch.Tensor, k: torch.Tensor) -> torch.Tensor:\n"
    '    """The seed question."""\n'
    "    gamma = t*k + 2*t*torch.pow(k, 2)\n"
    "    return gamma",
    "    def f(t, k):\n        a = t*k\n        return a + 2*a*k",  # pasted from inside a class
    "lambda t, k: t*k + 2*t*k**2",
    "f = lambda t, k: torch.mul(t, k) + 2*t*np.square(k)",
    "t*k + 2*t*pow(k, 2)",
    "t*k + 2*t*math.pow(k, 2)",
]
SEED_GRIDS = [
    ({"t": "1, 2, 4", "k": "2, 3"}, ""),
    ({"t": "1 2 4", "k": "2:3"}, "1, 2, 4|2, 3"),
    ({"t": "[1 2 4]", "k": "2:1:3"}, "1, 2, 4|2, 3"),
    ({"t": "t = 1, 2, 4", "k": "k = [2, 3]"}, "1, 2, 4|2, 3"),
    ({"t": "t=1 2 4", "k": "np.linspace(2, 3, num=2)"}, "1, 2, 4|linspace(2, 3, 2)"),
    ({"t": "1, 2, 4", "k": "torch.arange(2, 4)"}, "|arange(2, 4, 1)"),
]
MIXED_SPECS = ["t,k", "t k", "tk", "∂²f/∂t∂k", "d2f/dtdk", "f_tk", "d^2f/dt dk", "f_{tk}", "f_t_k",
               "∂^2 f/∂t ∂k", " t , k "]


def seed_grid(specs: dict[str, str] | None = None):
    return make_grid(specs or {"t": "1, 2, 4", "k": "2, 3"})


@pytest.mark.parametrize("text", SEED_STYLES)
def test_the_seed_in_every_style_gives_the_seed_matrix(text: str) -> None:
    result = partials_on_grid(text, seed_grid(), ["k", "t", "t,k"])
    assert result.value().tolist() == SEED_F
    assert result.partial("k").tolist() == SEED_DK
    assert result.partial("t").tolist() == SEED_DT
    assert result.partial("t,k").tolist() == SEED_DTK


@pytest.mark.parametrize(("specs", "read_as"), SEED_GRIDS)
def test_the_seed_grids_in_every_style(specs: dict[str, str], read_as: str) -> None:
    from compute.language.grid import parse_grid_spec

    grid = make_grid(specs)
    assert grid.axis("t").tolist() == [1, 2, 4]
    assert grid.axis("k").tolist() == [2, 3]
    shown = "|".join(parse_grid_spec(s, variable=n).read_as or "" for n, s in specs.items())
    assert shown == (read_as or "|")
    assert partials_on_grid("t*k + 2*t*k**2", grid, ["k"]).partial("k").tolist() == SEED_DK


@pytest.mark.parametrize("spec", MIXED_SPECS)
def test_every_spelling_of_the_mixed_partial_is_one_spec(spec: str) -> None:
    request = parse_derivative_spec(spec, ["t", "k"])
    assert request.components == (("t", "k"),)
    assert request.canonical == "t,k"
    assert request.read_as == (None if spec.replace(" ", "") == "t,k" else "t,k")
    result = partials_on_grid("t*k + 2*t*k**2", seed_grid(), [spec])
    assert [r.text for r in result.requests] == [spec]
    assert result.partial(request.components[0]).tolist() == SEED_DTK


@pytest.mark.parametrize(("spec", "components"), [
    ("∂³f/∂k³", ("k", "k", "k")), ("d3f/dk3", ("k", "k", "k")), ("d3f/dk^3", ("k", "k", "k")),
    ("∂³f/∂t∂k²", ("t", "k", "k")), ("f_tkk", ("t", "k", "k")), ("kk", ("k", "k")),
    ("df/dk", ("k",)), ("∂f/∂t", ("t",)), ("f_k", ("k",)), ("∂²/∂t∂k", ("t", "k")),
    ("dC/dsigma", ("sigma",)), ("sigma,sigma", ("sigma", "sigma")), ("f_{t,sigma}", ("t", "sigma")),
])
def test_higher_orders_and_longer_names_in_each_notation(spec: str, components) -> None:
    assert parse_derivative_spec(spec, ["t", "k"], ["sigma"]).components == (components,)


def test_names_with_underscores_are_read_as_written_not_as_a_subscript() -> None:
    """``f_v,w`` with variables f_v and w is those two (as typed), not f's subscript ``v,w``."""
    request = parse_derivative_spec("f_v,w", ["f_v", "w", "v"])
    assert request.components == (("f_v", "w"),)
    assert request.read_as is None
    assert parse_derivative_spec("for_,forward", ["for_", "forward"]).components == (("for_", "forward"),)
    assert parse_derivative_spec("f_v,w", ["v", "w"]).components == (("v", "w"),)  # a subscript


@pytest.mark.parametrize(("spec", "variables", "words", "column"), [
    ("tz", ["t", "k"], "'tz' is not a variable or parameter", 1),
    ("d2f/dtdz", ["t", "k"], "cannot read 'dtdz'", 5),
    ("∂²f/∂t", ["t", "k"], "the order on top (2) is not the number of differentiations below (1)", 2),
    ("∂⁵f/∂k⁵", ["t", "k"], "order 5 is above the limit of 4", None),
    ("f_tz", ["t", "k"], "'tz' is not a variable or parameter", 3),
    ("t z", ["t", "k"], "'z' is not a variable or parameter", 3),
    ("ab", ["a", "b", "ab2", "ba"], None, None),  # a,b: only one split
    ("aab", ["a", "aa", "b", "ab"], "can be read as", 1),
    ("dk2", ["k", "k2"], "'dk2' is not a variable or parameter", 1),  # no '/': not Leibniz
    ("d2f/dk2", ["k", "k2"], "can be read as", 5),
])
def test_derivative_spec_errors_point_at_the_column(spec, variables, words, column) -> None:
    if words is None:
        parse_derivative_spec(spec, variables)
        return
    with pytest.raises(PartialsError) as info:
        parse_derivative_spec(spec, variables)
    assert words in info.value.message
    assert info.value.column == column


# --- aliases, pasted names and calculator notation against SymPy ------------------------------

X, Y = sp.symbols("x y", real=True)
PHI = sp.erfc(-X / sp.sqrt(2)) / 2
EQUIVALENT = [
    ("N(x)", PHI), ("Phi(x)", PHI), ("ncdf(x)", PHI), ("torch.special.ndtr(x)", PHI),
    ("norm.cdf(x)", PHI), ("scipy.stats.norm.cdf(x)", PHI),
    ("ln(x)", sp.log(X)), ("np.log(x)", sp.log(X)), ("log(x, 2)", sp.log(X) / sp.log(2)),
    ("math.log(x, 10)", sp.log(X) / sp.log(10)), ("numpy.log2(x)", sp.log(X, 2)),
    ("arcsin(x/4)", sp.asin(X / 4)), ("np.arccos(x/4)", sp.acos(X / 4)), ("arctan(x)", sp.atan(X)),
    ("np.arctan2(y, x)", sp.atan2(Y, X)), ("arcsinh(x)", sp.asinh(X)),
    ("arccosh(1 + x)", sp.acosh(1 + X)),
    ("pow(x, y)", X**Y), ("torch.pow(x, 3)", X**3), ("np.power(x, y)", X**Y), ("square(x - y)", (X - Y)**2),
    ("exp2(x)", 2**X), ("torch.exp2(x)", 2**X), ("torch.special.expit(x)", 1 / (1 + sp.exp(-X))),
    ("F.sigmoid(x*y)", 1 / (1 + sp.exp(-X * Y))), ("torch.nn.functional.softplus(x)", sp.log(1 + sp.exp(X))),
    ("np.sqrt(np.abs(x - y))", sp.sqrt(sp.Abs(X - Y))), ("math.fabs(x - 2)", sp.Abs(X - 2)),
    ("torch.special.gammaln(x)", sp.log(sp.gamma(X))),
    ("torch.where(x > 1, x, y)", sp.Piecewise((X, X > 1), (Y, True))),
    ("math.pi*x + np.e**y", sp.pi * X + sp.E**Y), ("torch.neg(x) + torch.div(x, y)", -X + X / Y),
    ("2x", 2 * X), ("2pi x", None), ("2 sin(x)", 2 * sp.sin(X)), ("3(x + 1)", 3 * (X + 1)),
    ("(x + y)(x - y)", (X + Y) * (X - Y)), ("2x^2y", 2 * X**2 * Y), ("1.5e-1x", sp.Float(0.15) * X),
    ("2pi*x", 2 * sp.pi * X), ("(x)2 + 0", None), ("x(y)", None), ("2e*x", 2 * sp.E * X),
]
POINTS = {"x": [0.5, 1.5, 2.5], "y": [0.3, 1.1]}


@pytest.mark.parametrize(("text", "reference"), EQUIVALENT)
def test_aliases_prefixes_and_implicit_products_agree_with_sympy(text: str, reference) -> None:
    if reference is None:  # not a form we read: an error, never a silent guess
        with pytest.raises(PartialsError):
            parse_expression(text)
        return
    grid = make_grid(POINTS)
    names = [n for n in ("x", "y") if sp.Symbol(n, real=True) in reference.free_symbols]
    result = partials_on_grid(text, grid, names)
    coords = grid.coordinates(0, grid.size)
    points = {X: coords["x"], Y: coords["y"]}
    assert_close(result.value().ravel(), sympy_reference(reference, (), points), rel=1e-12, what=text)
    for name in names:
        expected = sympy_reference(reference, (sp.Symbol(name, real=True),), points)
        assert_close(result.partial(name).ravel(), expected, rel=1e-12, what=f"{text} wrt {name}")
    if text != "exp2(x)":  # a function of the language itself
        assert parse_expression(text).read_as is not None  # shown back in the plain form


def test_black_scholes_in_calculator_notation_keeps_sigma_a_name_and_reads_n_as_normcdf() -> None:
    text = ("d1 = (ln(S/K) + (r + sigma^2/2)T)/(sigma*sqrt(T))\nd2 = d1 - sigma*sqrt(T)\n"
            "C(S, K) = S*N(d1) - K*exp(-r*T)*N(d2)")
    expression = parse_expression(text)
    assert expression.free_names == ("S", "K", "r", "sigma", "T")
    assert expression.variables == ("S", "K")
    assert expression.output_names == ("C",)
    S, K = sp.symbols("S K", positive=True)
    r, sigma, T = sp.Rational(1, 20), sp.Rational(1, 5), sp.Integer(1)
    d1 = (sp.log(S / K) + (r + sigma**2 / 2) * T) / (sigma * sp.sqrt(T))
    phi = lambda u: sp.erfc(-u / sp.sqrt(2)) / 2  # noqa: E731
    call = S * phi(d1) - K * sp.exp(-r * T) * phi(d1 - sigma * sp.sqrt(T))
    grid = make_grid({"S": "80 100 120", "K": "100"})
    result = partials_on_grid(expression, grid, ["S", "S,S"], {"r": 0.05, "sigma": 0.2, "T": 1.0})
    points = {S: np.array([80.0, 100.0, 120.0]), K: np.full(3, 100.0)}
    assert_close(result.partial("S").ravel(), sympy_reference(call, (S,), points), rel=1e-12)
    assert_close(result.partial("S,S").ravel(), sympy_reference(call, (S, S), points), rel=1e-10)


# --- declared variables, canonical text, hints ---------------------------------------------------

@pytest.mark.parametrize(("text", "variables", "name", "canonical"), [
    ("f(k, t) = t*k + 2*t*k^2", ("k", "t"), "f", "f(k, t) = t*k + 2*t*k**2"),
    ("g(x) = a*x^2", ("x",), "g", "g(x) = a*x**2"),
    ("def price(S, sigma):\n    d = S*sigma\n    return d + 1", ("S", "sigma"), "price",
     "d = S*sigma\nprice(S, sigma) = d + 1"),
    ("def f(x, y):\n    u = x*y\n    v = x + y\n    return u, v", ("x", "y"), "f",
     "u = x*y\nv = x + y\nf(x, y) = u, v"),
    ("lambda y, x: x - y", ("y", "x"), "f", "f(y, x) = x - y"),
    ("h = lambda u: -u**2", ("u",), "h", "h(u) = -u**2"),
    ("2t + (-t)^2 + 2^-t", (), "f", "2*t + (-t)**2 + 2**(-t)"),
    ("a = 2x; a*torch.sin(x)", (), "f", "a = 2*x\na*sin(x)"),
    ("C = S*N(d)", (), "C", "C = S*normcdf(d)"),
])
def test_declared_order_output_name_and_canonical_text(text, variables, name, canonical) -> None:
    expression = parse_expression(text)
    assert expression.variables == variables
    assert expression.free_names[: len(variables)] == variables
    assert expression.function_name == name
    assert expression.canonical == canonical
    again = parse_expression(expression.canonical)
    assert (again.definitions, again.outputs, again.variables) == (
        expression.definitions, expression.outputs, expression.variables)


def test_a_declared_variable_the_body_does_not_use_is_still_an_axis() -> None:
    expression = parse_expression("f(t, k) = t^2")
    assert expression.free_names == ("t", "k")
    result = partials_on_grid(expression, seed_grid(), ["k", "t"])
    assert result.partial("k").tolist() == [[0, 0]] * 3
    assert result.partial("t").tolist() == [[2, 2], [4, 4], [8, 8]]


def test_n_is_the_normal_cdf_only_where_it_is_not_a_name_of_yours() -> None:
    assert parse_expression("N*normcdf(x)").free_names == ("N", "x")  # a variable called N works
    for text, words in [("N*N(x)", "'N' is also a variable here, so N(…) is ambiguous"),
                        ("N = 2\nN(x)", "'N' is defined on line 1, so N(…) is not normcdf(…)"),
                        ("f(N, x) = N(x)", "'N' is also a variable here"),
                        ("def f(x, ln):\n    return ln(x)", "'ln' is also a variable here")]:
        with pytest.raises(PartialsError) as info:
            parse_expression(text)
        assert words in info.value.message, info.value.message


def test_names_are_never_split_but_a_run_together_name_gets_a_hint() -> None:
    expression = parse_expression("t*k + 2tk^2")
    assert expression.free_names == ("t", "k", "tk")
    assert expression.hints == (("tk", "t*k"),)
    assert parse_expression("sigma*sqrt(T)").hints == ()
    with pytest.raises(PartialsError, match=r"did you mean t\*k\? Names are never split"):
        partials_on_grid("t*k + 2tk^2", seed_grid(), ["k"])


@pytest.mark.parametrize(("text", "words", "line", "column"), [
    ("2t + sn(x)", "unknown function 'sn'", 1, 6),
    ("f(t, k) = t*k + sn(k)", "unknown function 'sn'", 1, 17),
    ("def f(t):\n    y = 2t\n    return sn(y)", "unknown function 'sn'", 3, 12),
    ("x + torch.load(x)", "torch.load is not supported", 1, 5),
    ("3(x + np.foo(x))", "np.foo is not supported", 1, 7),
    ("x.exp()", "method calls such as x.exp(…) are not supported — write exp(x)", 1, 1),
    ("f(t, 2) = t", "'2' is not a name", 1, 6),
    ("f(t, k) = t\ng(t) = t", "only one line may define", 2, 1),
    ("f(t) = t\nt + 1", "must be the last line", 1, 1),
    ("def f(t, t):\n    return t", "'t' is listed twice", 1, 10),
    ("def f(t):\n    t = t + 1\n    return t", "'t' is a variable of the function", 2, 5),
    ("lambda pi: pi", "'pi' is a built-in constant", 1, 8),
    ("2t + 3j", "write 2*j", 1, 6),
    ("t*k + t(k + 1)", "'t' is not a function — write t*(…) to multiply", 1, 7),
    ("pow(x)", "pow() takes 2 arguments, got 1", 1, 1),
])
def test_errors_in_the_new_forms_point_at_the_users_column(text, words, line, column) -> None:
    with pytest.raises(PartialsError) as info:
        parse_expression(text)
    assert words in info.value.message, info.value.message
    assert (info.value.line or 1, info.value.column) == (line, column)


# --- the command line ---------------------------------------------------------------------------

@pytest.mark.parametrize(("expr", "var_t", "var_k", "wrt"), [
    ("f(t,k) = t*k + 2*t*k^2", "t=1 2 4", "k=2:1:3", "d2f/dtdk"),
    ("def f(t, k):\n    return t*k + 2t*k^2", "t=t = 1, 2, 4", "k=[2 3]", "f_tk"),
    ("lambda t, k: torch.mul(t, k) + 2*t*torch.pow(k, 2)", "t=1,2,4", "k=np.arange(2, 4)", "∂²f/∂t∂k"),
])
def test_the_cli_reads_every_form_and_says_how(expr, var_t, var_k, wrt) -> None:
    proc = run_cli(expr, "--var", var_t, "--var", var_k, "--wrt", "k", "--wrt", wrt)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["expression"] == expr
    assert data["variables"] == {"t": [1, 2, 4], "k": [2, 3]}
    assert data["value"] == SEED_F
    assert data["partials"] == {"k": SEED_DK, wrt: SEED_DTK}
    assert f"note: --wrt {wrt} reads as t,k" in proc.stderr
    assert "note: --var k reads as k=" in proc.stderr


def test_the_cli_rejects_a_hostile_def_in_one_line() -> None:
    proc = run_cli("def f(t):\n    import os\n    return t", "--var", "t=1,2")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: 'import' is not needed at line 2, column 5")
    assert proc.stderr.count("\n") == 1


# Every alias, prefix and calculator product at once, through the front doors that are not the
# engine (the CLI here, the app in test_input_forms_app.py), against SymPy.
MIXED_FORMS = ("N(x) + ln(x) + arcsin(x/4) + torch.pow(x, 2) + np.exp(x/2) + math.pi + 2x"
               " + 3(x + 1) + log(x, 2) + torch.special.expit(x) + (x + 1)(x - 1)")
MIXED_REFERENCE = (PHI + sp.log(X) + sp.asin(X / 4) + X**2 + sp.exp(X / 2) + sp.pi + 2 * X
                   + 3 * (X + 1) + sp.log(X) / sp.log(2) + 1 / (1 + sp.exp(-X)) + (X + 1) * (X - 1))
MIXED_GRID = "0.5 1.5 2.5"


def test_the_cli_reads_every_alias_prefix_and_product_as_sympy_does() -> None:
    proc = run_cli(MIXED_FORMS, "--var", f"x={MIXED_GRID}", "--wrt", "x", "--wrt", "d2f/dx2")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    points = {X: np.array([0.5, 1.5, 2.5])}
    assert_close(np.array(data["value"]), sympy_reference(MIXED_REFERENCE, (), points), rel=1e-12)
    assert_close(np.array(data["partials"]["x"]), sympy_reference(MIXED_REFERENCE, (X,), points),
                 rel=1e-12)
    assert_close(np.array(data["partials"]["d2f/dx2"]),
                 sympy_reference(MIXED_REFERENCE, (X, X), points), rel=1e-11)
    assert "note: the function reads as: normcdf(x) + log(x) + asin(x/4) + x**2" in proc.stderr


def test_the_cli_takes_every_spelling_of_the_mixed_partial_as_its_own_key() -> None:
    args = [arg for spec in MIXED_SPECS for arg in ("--wrt", spec)]
    proc = run_cli("t*k + 2*t*k**2", "--var", "t=1,2,4", "--var", "k=2,3", *args)
    assert proc.returncode == 0, proc.stderr
    partials = json.loads(proc.stdout)["partials"]
    assert partials == dict.fromkeys(MIXED_SPECS, SEED_DTK)


def test_the_cli_says_a_run_together_name_may_be_a_product() -> None:
    proc = run_cli("t*k + 2tk^2", "--var", "t=1,2,4", "--var", "k=2,3")
    assert proc.returncode == 2
    assert "'tk' has no grid and no value" in proc.stderr
    assert "did you mean t*k? Names are never split" in proc.stderr


@pytest.mark.parametrize(("text", "pair", "column"), [
    ("2t k + 3(t+1)", "'t k'", 4),
    ("t k", "'t k'", 3),
    ("x*y + a b", "'a b'", 9),
    ("u = x\nv = u w", "'u w'", 7),
])
def test_names_side_by_side_get_a_product_hint_at_the_second_name(text, pair, column) -> None:
    with pytest.raises(PartialsError) as info:
        parse_expression(text)
    assert pair in info.value.message
    left, right = pair.strip("'").split()
    assert f"write {left}*{right} for a product" in info.value.message
    assert info.value.column == column
