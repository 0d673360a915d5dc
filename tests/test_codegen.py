"""Exported torch code runs on its own and prints the engine's numbers — for every accepted
name, in the view's dtype, and with large point sets read from the CSV the page offers.

Every snippet of this module runs in ONE Python process (importing torch costs 1–2 s): the
module-scoped fixture writes each to its own folder and a runner executes them one by one,
each in a fresh namespace, capturing what it prints.
"""

from __future__ import annotations

import json
import keyword
import re
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compute import PartialsError, make_grid, make_points, parse_expression, partials_on_grid
from compute.language.derivatives import partial_label
from compute.language.grid import Grid, Points, check_variable_name, parse_grid_spec
from compute.views.codegen import (
    INLINE_POINTS,
    SNIPPET_BUDGET,
    hygienic_names,
    points_csv,
    reads_points_file,
    too_long_to_show,
    torch_snippet,
)

CASES = [
    ("t*k + 2*t*k**2", {"t": "1, 2, 4", "k": "2, 3"}, {}, [("k",), ("t",), ("t", "k")]),
    ("sin(x*y) + cbrt(x) - softplus(a*y)", {"x": "linspace(-1, 2, 17)", "y": "arange(0, 1, 0.05)"},
     {"a": 0.5}, [("x",), ("a",), ("x", "y"), ("y", "y", "y")]),
    ("d = where(x > 0, x**2, 2.0); torch = min(d, 1, y) + max(x, y)\nu = torch*pi; v = y**-2; u, v",
     {"x": "-1, 0.5, 2", "y": "logspace(0, 1, 4)"}, {}, [("x",), ("y",)]),
    ("exp(1)*x + 3", {"x": "1, 2"}, {}, [("x",), ("x", "x")]),
    ("7", {"x": "1, 2"}, {}, [("x",)]),
    ("tanh(x) + sigmoid(3*x) + softplus(y) + atanh(y/50) + asin(y/50) + acos(y/60) + acosh(2 + x^2)",
     {"x": "-30, 0.3, 11.86", "y": "-30, 0.2, 45"}, {}, [("x",), ("x", "x"), ("y", "y", "y")]),
    ("sech(x)", {"x": "-900, 0.3, 2"}, {}, [("x",), ("x", "x")]),  # sech's helper needs tanh's
    ("tanh(x^3)", {"x": "-12, 0.3, 9.5"}, {}, [("x",), ("x", "x", "x")]),  # and tanh's needs sech's
    ("expm1(x) + acosh(y)", {"x": "-30, 0.5", "y": "1.5, 1e160"}, {}, [("x",), ("y",), ("y", "y")]),
    ("x*y + log(y)", {"x": "logspace(-3, 3, 40)", "y": "linspace(1, 2, 15)"}, {}, [("x",), ("y",)]),
    # every function added with the registry, and rules that print helpers of their own
    ("normcdf(x) + normpdf(y) + hypot(x, y) + gamma(y) + lgamma(y) + digamma(y) + sec(x) + csc(y)"
     " + cot(y) + exp2(x) + logaddexp(x, y) + asinh(x*1e160) + atan2(y, x)",
     {"x": "-2, 0.3, 1.5", "y": "0.5, 2.5, 7"}, {}, [("x",), ("y",), ("x", "y"), ("y", "y", "y")]),
    # where's branch not taken does not leak, through intermediates too
    ("d = sqrt(x); g = log(d); where(x > 0, d^3 + g*y, x*y)", {"x": "-1, 0, 2", "y": "0.5, 2"}, {},
     [("x",), ("x", "x"), ("x", "y")]),
    # diff(...) in the function: printed as its expansion (hidden definitions _du_dx, _s1, ...)
    ("u = sin(x*y)*exp(-y); v = diff(u, x); diff(v, y, y) - diff(u, x, y) + where(x > 0, diff(u, y), 0)",
     {"x": "-1, 0.5, 2", "y": "0.3, 1.5"}, {}, [("x",), ("y",)]),
    ("x*None_ + lambda_", {"x": "1, 2", "None": "1", "for": "2, 3", "None_": "5", "lambda_": "0.5"}, {},
     [("x",), ("None_",), ("for",)]),
]

# Names a user may give that the snippet's own code also needs, or that collide once renamed.
HOSTILE = [
    ["f", "print", "torch", "torch_", "np", "grad", "x_", "vmap", "math"],
    ["len", "range", "sum", "list", "float", "open", "next", "type", "match", "case"],
    ["points", "shape", "stable", "axis", "arg", "csv", "csv_file", "csv_table", "row", "cell"],
    ["u", "f_u", "v", "f_v", "f_u_", "x", "y", "f", "True_", "None_"],
    ["Function", "forward", "derivative", "ctx", "inputs", "output", "staticmethod", "lambda_",
     "setup_context", "backward"],
]


@dataclass(eq=False)
class Job:
    """One exported snippet: what it reproduces and the files it reads."""

    text: str
    domain: Grid | Points
    params: dict[str, float]
    partials: list[tuple[str, ...]]
    dtype: str = "float64"
    specs: dict = field(default_factory=dict)

    @cached_property
    def code(self) -> str:
        return torch_snippet(parse_expression(self.text), self.domain, self.params, self.partials,
                             self.specs, dtype=self.dtype)

    @property
    def files(self) -> dict[str, str]:
        return {"points.csv": points_csv(self.domain)} if reads_points_file(self.domain) else {}


def case_job(text, variables, params, partials, dtype) -> Job:
    return Job(text, make_grid(variables), params, partials, dtype,
               {n: parse_grid_spec(s) for n, s in variables.items()})


def hostile_job(names: list[str], dtype: str, points: bool = False) -> Job:
    """The names as grid variables, parameters, definitions and vector outputs, through every
    helper the snippet defines, on a grid or on points read from a CSV file."""
    names = list(dict.fromkeys(names))
    g1, g2, p1, d1, d2, *rest = [*names, *(f"extra{i}" for i in range(5 - len(names)))]
    text = (f"{d1} = {g1}*{g2} + sigmoid({p1}*{g1}) + cbrt({g2}) + tanh({g1}/3) + "
            f"softplus({g2}) + atanh({g1}/9) + expm1({g2}/5) + sech({g1})"
            + "".join(f" + {r}*{g1}" for r in rest) + "\n"
            f"{d2} = {d1}*asin({g2}/9) + acos({g1}/9) + acosh(2 + {g2}^2) + where({g1} > 1.5, pi, e)"
            f"\n{d1}, {d2}")
    partials = [(g1,), (p1,), (g1, g2)]
    params = {p1: 0.75}
    if points:
        rng = np.random.default_rng(len(names))
        size = INLINE_POINTS + 7
        columns = {g1: rng.uniform(0.5, 3, size), g2: rng.uniform(-3, 3, size)}
        columns |= {r: rng.uniform(-1, 1, size) for r in rest}
        return Job(text, make_points(columns), params, partials, dtype)
    variables = {g1: "0.5, 1.25, 2", g2: "linspace(-3, 3, 14)"} | {r: "0.5" for r in rest}
    return case_job(text, variables, params, partials, dtype)


def template_names() -> list[str]:
    """Every word of the snippets' own text that the app accepts as a name."""
    words: set[str] = set()
    for points in (False, True):
        for dtype in ("float64", "float32"):
            words |= set(re.findall(r"[A-Za-z_]\w*", hostile_job(["a", "b", "c", "d", "g", "h"],
                                                                 dtype, points).code))
    for case in CASES:
        words |= set(re.findall(r"[A-Za-z_]\w*", case_job(*case, "float32").code))
    return sorted(w for w in words if accepted(w))


def accepted(name: str) -> bool:
    try:
        check_variable_name(name)
        return parse_expression(f"{name} + 1").free_names == (name,)
    except PartialsError:
        return False


def chunks(names: list[str], size: int) -> list[list[str]]:
    return [names[i:i + size] for i in range(0, len(names), size)]


def large_points_job() -> Job:
    rng = np.random.default_rng(7)
    size = 100_000
    points = make_points({"x": rng.uniform(-2, 2, size), "print": rng.normal(size=size)})
    return Job("x*exp(-print) + sigmoid(a*x*print)", points, {"a": 1.5}, [("x",), ("print",)])


def all_jobs() -> dict[str, Job]:
    jobs: dict[str, Job] = {"large-points": large_points_job()}
    for dtype in ("float64", "float32"):
        for case in CASES:
            jobs[f"{dtype}-{case[0][:30]}"] = case_job(*case, dtype)
        # the template's words in float32 only: its code uses every name float64's does, and more
        for i, names in enumerate(HOSTILE + (chunks(template_names(), 9) if dtype == "float32" else [])):
            jobs[f"{dtype}-hostile{i}-{','.join(names)}"] = hostile_job(names, dtype)
            jobs[f"{dtype}-hostile{i}-points"] = hostile_job(names, dtype, points=True)
    return jobs


JOBS = all_jobs()

RUNNER = """
import contextlib, io, json, os, runpy, sys, traceback
results = []
for path in json.load(sys.stdin):
    out, here = io.StringIO(), os.getcwd()
    os.chdir(os.path.dirname(path))
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
        results.append({"stdout": out.getvalue(), "error": None})
    except BaseException:
        results.append({"stdout": out.getvalue(), "error": traceback.format_exc()})
    finally:
        os.chdir(here)
json.dump(results, sys.stdout)
"""


def run_snippets(snippets: list[tuple[str, dict[str, str]]], folder: Path) -> list[dict]:
    """Run each (code, files) in its own folder, all in one interpreter; what each printed."""
    paths = []
    for i, (code, files) in enumerate(snippets):
        here = folder / f"snippet{i}"
        here.mkdir()
        for name, text in files.items():
            (here / name).write_text(text)
        (here / "snippet.py").write_text(code)
        paths.append(str(here / "snippet.py"))
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(paths), capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    return [_printed(r) for r in json.loads(proc.stdout)]


def _printed(result: dict) -> dict[str, np.ndarray] | str:
    if result["error"]:
        return result["error"]
    printed = {}
    for line in result["stdout"].strip().splitlines():
        label, _, values = line.partition(" ")
        printed[label.strip("'")] = np.array(json.loads(
            values.replace("nan", "NaN").replace("inf", "Infinity")), dtype=float)
    return printed


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, dict[str, np.ndarray] | str]:
    keys = list(JOBS)
    outputs = run_snippets([(JOBS[k].code, JOBS[k].files) for k in keys],
                           tmp_path_factory.mktemp("snippets"))
    return dict(zip(keys, outputs, strict=True))


def assert_reproduces(job: Job, printed: dict[str, np.ndarray] | str) -> None:
    assert not isinstance(printed, str), f"the snippet failed:\n{printed}\n{job.code}"
    result = partials_on_grid(job.text, job.domain, [",".join(p) for p in job.partials], job.params,
                              dtype=job.dtype)
    # float64: to the rounding of the terms (torch's vectorised and scalar kernels may differ in
    # the last bit, which shows where terms cancel); float32: the engine's symbolic partials and
    # the snippet's autograd round differently, so a few float32 ulps of the terms
    eps = 1e-15 if job.dtype == "float64" else 2e-6
    for output in result.outputs:
        expected = [(output, result.value(output))]
        expected += [(partial_label(output, w, ascii_only=True), result.partial(w, output))
                     for w in job.partials]
        for label, value in expected:
            got = printed[label]
            if job.dtype == "float32":  # computed in float32, not computed in float64 and rounded
                finite = got[np.isfinite(got)]
                np.testing.assert_array_equal(finite.astype(np.float32).astype(float), finite,
                                              err_msg=label)
            scale = float(np.max(np.abs(value[np.isfinite(value)]), initial=0.0))
            np.testing.assert_allclose(got, np.asarray(value, dtype=float).reshape(got.shape),
                                       rtol=100 * eps, atol=eps * scale, err_msg=label)


def ids(keys: list[str]) -> list[str]:
    return [re.sub(r"[^\w,.+*-]", "_", k)[:60] for k in keys]


CASE_KEYS = [k for k in JOBS if "hostile" not in k and k != "large-points"]
HOSTILE_KEYS = [k for k in JOBS if "hostile" in k]


@pytest.mark.parametrize("key", CASE_KEYS, ids=ids(CASE_KEYS))
def test_exported_code_reproduces_the_engine(key, printed) -> None:
    assert_reproduces(JOBS[key], printed[key])


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=ids(HOSTILE_KEYS))
def test_exported_code_is_hygienic_for_every_accepted_name(key, printed) -> None:
    """Names the snippet itself uses (torch, print, grad, points, its helpers' arguments, its
    loop variables, the builtins it calls — every word of its text), names that collide once
    renamed (torch beside torch_, an output u beside a variable f_u), builtins and soft keywords:
    the code still runs and prints the engine's numbers."""
    assert_reproduces(JOBS[key], printed[key])


def test_template_names_are_exercised() -> None:
    names = set(template_names())
    assert {"torch", "grad", "vmap", "points", "shape", "stable", "arg", "axis", "print", "csv_table",
            "float", "open", "forward", "ctx"} <= names
    assert all(not keyword.iskeyword(n) for n in names)  # keywords are no accepted names
    assert not accepted("_")
    assert not accepted("lambda")
    assert all(accepted(n) for n in ("match", "case", "type", "print", "f_u"))


def test_the_dtype_is_in_the_code() -> None:
    job = case_job(*CASES[1], "float32")
    assert "torch.set_default_dtype(torch.float32)" in job.code
    assert "torch.float32" not in case_job(*CASES[1], "float64").code
    with pytest.raises(ValueError, match="dtype"):
        torch_snippet(parse_expression("x"), job.domain, {}, [], dtype="float16")


@given(st.lists(st.from_regex(r"[a-z_]{1,4}", fullmatch=True), max_size=12),
       st.sets(st.from_regex(r"[a-z_]{1,5}", fullmatch=True), max_size=12))
def test_renaming_is_injective_and_avoids_every_taken_name(names, taken) -> None:
    renamed = hygienic_names(names, taken)
    assert set(renamed) == set(names)
    assert len(set(renamed.values())) == len(renamed)
    assert not set(renamed.values()) & taken
    assert all(renamed[n] == n for n in names if n not in taken)
    assert hygienic_names(reversed(names), taken) == renamed  # deterministic


def test_large_point_sets_are_read_from_the_csv_the_page_offers(printed) -> None:
    """100 k points: the snippet is a few KB and reads them from points.csv, written by the same
    routine as the page's download button; run next to it, it prints the engine's numbers."""
    job = JOBS["large-points"]
    assert reads_points_file(job.domain)
    assert len(job.code) < 3000, len(job.code)
    assert "'points.csv'" in job.code
    assert "'x'" in job.code
    assert "'print'" in job.code
    assert set(job.files) == {"points.csv"}
    custom = torch_snippet(parse_expression(job.text), job.domain, {}, [], points_file="my data.csv")
    assert "'my data.csv'" in custom
    assert_reproduces(job, printed["large-points"])


def test_small_point_sets_are_written_into_the_code() -> None:
    points = make_points({"x": [0.5, 1.5, -2.0], "y": [1.0, 0.0, 3.0]})
    assert not reads_points_file(points)
    code = torch_snippet(parse_expression("x*exp(-y)"), points, {}, [("x",)])
    assert "open(" not in code
    assert "-2.0" in code


def test_points_csv_round_trips_exactly() -> None:
    values = np.array([0.1, 1 / 3, -2.5e-300, 1.7976931348623157e308, 5e-324])
    text = points_csv(make_points({"x": values, "y": values[::-1]}))
    lines = text.splitlines()
    assert lines[0] == "x,y"
    assert [float(line.split(",")[0]) for line in lines[1:]] == values.tolist()


def test_large_grids_stay_compact() -> None:
    variables = {"x": "linspace(0, 1, 2000)", "y": "arange(0, 1000, 0.5)", "z": "logspace(-5, 5, 40)"}
    job = case_job("x*y*z", variables, {}, [("x",)], "float32")
    assert len(job.code) < 2000, len(job.code)
    # an explicit list is typed: at most 500 characters, so at most 250 values (distinct ones
    # fewer); values whose repr is long (1/7 → 0.14285714285714285) cannot make it outgrow the page
    typed = ",".join(f"{i}/7" for i in range(1, 100))
    assert len(typed) <= 500
    wide = case_job("x*y", {"x": typed, "y": typed}, {}, [("x",)], "float64")
    assert too_long_to_show(wide.code) is None


def test_code_over_the_budget_is_not_shown() -> None:
    assert too_long_to_show("x" * SNIPPET_BUDGET) is None
    message = too_long_to_show("x" * (SNIPPET_BUDGET + 1))
    assert message
    assert "download" in message


def _code_tab_with_points(size: int, budget: int) -> None:  # an AppTest script: imports inside
    import numpy as np

    from compute import make_points, partials_on_grid
    from ui.code_panel import code_panel

    rng = np.random.default_rng(1)
    points = make_points({"x": rng.uniform(0, 1, size), "print": rng.uniform(0, 1, size)})
    code_panel(partials_on_grid("x*print", points, ["x"], dtype="float32"), {}, budget)


def test_the_code_tab_shows_the_views_dtype_and_offers_the_points_file() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_code_tab_with_points, args=(INLINE_POINTS + 1, SNIPPET_BUDGET),
                               default_timeout=60).run()
    assert not at.exception
    [code] = at.code
    assert "torch.set_default_dtype(torch.float32)" in code.value
    assert "'points.csv'" in code.value
    assert "points.csv" in at.info[0].value
    assert [b.label for b in at.get("download_button")] == ["Download points.csv"]

    small = AppTest.from_function(_code_tab_with_points, args=(3, SNIPPET_BUDGET), default_timeout=60).run()
    assert not small.info
    assert not small.get("download_button")
    assert "open(" not in small.code[0].value

    over = AppTest.from_function(_code_tab_with_points, args=(3, 100), default_timeout=60).run()
    assert not over.code
    assert "too long to show" in over.warning[0].value
    assert [b.label for b in over.get("download_button")] == ["Download the code (partials_torch.py)"]
