"""Every number of the product's math that the app or the README states is recomputed here
(issue 9, item 5) — with the engine, compute.pitfalls or SymPy — so a wrong one (the Gallery once
said backward gives [27, 39] for t = 1, 2, 4; that grid gives [63, 91]) fails a test.

Gallery cards: each example's story and fact is scanned for numbers, and every number found must
be one its check below recomputed; a new number in a card fails until it is checked. README and
Guide: each statement is looked up verbatim (so an edit that changes it shows up here) and its
numbers recomputed. Performance figures are measurements, not claims of the math: not here.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from streamlit.testing.v1 import AppTest

from compute import make_grid, partials_on_grid, pitfalls
from compute.examples import EXAMPLES, Example, example
from conftest import ROOT, assert_close, run_cli, sympy_reference

README = (ROOT / "README.md").read_text(encoding="utf-8")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.])")
t, k = sp.symbols("t k", real=True)
SEED = t * k + 2 * t * k**2


def numbers_in(text: str) -> set[str]:
    return set(NUMBER.findall(text.replace("%", " ")))


def _index(values: np.ndarray, value: float) -> int:
    """Where ``value`` is exactly on the axis (a stated point must be a grid point)."""
    (hits,) = np.nonzero(values == value)
    assert hits.size == 1, f"{value} is not a grid value"
    return int(hits[0])


def _point(result, **coords: float) -> tuple[int, ...]:
    return tuple(_index(result.domain.axis(n), coords[n]) for n in result.domain.names)


# --- Gallery cards ----------------------------------------------------------------------------

def _original(ex: Example) -> set[str]:
    r = ex.compute()
    summed = pitfalls.summed_backward(ex.function, ("t", "k"), [1, 2, 4], [2, 3])
    assert summed.tolist() == [63, 91] == r.partial("k").sum(axis=0).tolist()
    assert r.partial("k").tolist() == [[9, 13], [18, 26], [36, 52]]
    assert sp.expand(sp.diff(SEED, k) - (t + 4 * t * k)) == 0
    assert r.partial("k")[_point(r, t=2, k=3)] == 26 == sp.diff(SEED, k).subs({t: 2, k: 3})
    return {"63", "91", "9", "18", "36", "13", "26", "52", "2", "3", "4"}


def _black_scholes(ex: Example) -> set[str]:
    r = ex.compute()
    params = dict(ex.params)
    assert params["K"] == 100
    assert params["T"] == 1
    assert params["r"] == 0
    at = _point(r, S=100, sigma=0.2)
    d1 = (math.log(100 / 100) + (0 + 0.2**2 / 2) * 1) / (0.2 * math.sqrt(1))
    assert math.isclose(d1, 0.1, rel_tol=1e-15)
    n = 0.5 * (1 + math.erf(0.1 / math.sqrt(2)))
    assert f"{n:.4f}" == f"{r.partial('S', 'C')[at]:.4f}" == "0.5398"
    return {"100", "0.2", "1", "0", "0.1", "0.5398"}


def _rosenbrock(ex: Example) -> set[str]:
    r = ex.compute()
    at = _point(r, x=1, y=1)
    assert r.partial("x", "f")[at] == 0
    assert r.partial("y", "f")[at] == 0
    engine = [[r.partial(a + "," + b, "f")[at] for b in "xy"] for a in "xy"]
    x, y = sp.symbols("x y", real=True)
    exact = sp.hessian((1 - x) ** 2 + 100 * (y - x**2) ** 2, (x, y)).subs({x: 1, y: 1})
    assert engine == [[float(v) for v in row] for row in exact.tolist()] == [[802, -400], [-400, 200]]
    return {"1", "0", "802", "400", "200"}


def _heat(ex: Example) -> set[str]:
    r = ex.compute()
    residual = float(np.max(np.abs(r.partial("t", "u") - r.partial("x,x", "u"))))
    assert round(math.log10(residual)) == -15, residual  # "to about 1e-15"
    x, tt = sp.symbols("x t", positive=True)
    u = sp.exp(-x**2 / (4 * tt)) / sp.sqrt(4 * sp.pi * tt)
    assert sp.simplify(sp.diff(u, tt) - sp.diff(u, x, 2)) == 0
    return {"0", "1e-15"}


def _ideal_gas(ex: Example) -> set[str]:
    r = ex.compute()
    at = _point(r, V=0.025, T=300)
    n_, R = dict(ex.params)["n"], dict(ex.params)["R"]
    assert f"{r.partial('T', 'P')[at]:.1f}" == f"{n_ * R / 0.025:.1f}" == "332.6"
    P, V = r.value("P"), r.coordinate("V")
    assert_close(r.partial("V", "P"), -P / V, what="∂P/∂V = −P/V")
    assert np.all(r.partial("V", "P") < 0)
    return {"0.025", "300", "332.6", "0"}


def _cobb_douglas(ex: Example) -> set[str]:
    r = ex.compute()
    euler = r.coordinate("L") * r.partial("L", "Y") + r.coordinate("K") * r.partial("K", "Y")
    assert_close(euler, r.value("Y"), what="Euler")
    at = _point(r, L=50, K=20)
    assert f"{euler[at]:.2f}" == f"{r.value('Y')[at]:.2f}" == "26.33"
    return {"50", "20", "26.33"}


def _polar(ex: Example) -> set[str]:
    r = ex.compute()
    det = r.partial("r", "x") * r.partial("theta", "y") - r.partial("theta", "x") * r.partial("r", "y")
    assert_close(det, r.coordinate("r"), what="det = r")
    assert np.allclose(det[_index(r.domain.axis("r"), 2.0)], 2.0, rtol=1e-14)
    return {"2"}


def _gaussian(ex: Example) -> set[str]:
    r = ex.compute()
    x, y, z = (r.coordinate(n) for n in "xyz")
    assert_close(r.laplacian(), (x**2 + y**2 + z**2 - 3) * r.value(), what="∇²f")
    assert r.laplacian()[_point(r, x=0, y=0, z=0)] == -3
    sx, sy, sz = sp.symbols("x y z", real=True)
    f = sp.exp(-(sx**2 + sy**2 + sz**2) / 2)
    laplacian = sum(sp.diff(f, s, 2) for s in (sx, sy, sz))
    assert sp.simplify(laplacian.subs({sx: 1, sy: 1, sz: 1})) == 0  # |(1, 1, 1)| = √3
    return {"3", "0"}


def _signs(ex: Example) -> set[str]:
    r = ex.compute()
    dk, tt = r.partial("k"), r.coordinate("t")
    assert np.all(dk[_index(r.domain.axis("t"), 0.0)] == 0)
    assert round(100 * float(np.mean(dk[tt < 0] < 0))) == 74
    assert dk[_point(r, t=-1, k=0)] == -1
    return {"0", "74", "1"}


CHECKS: dict[str, Callable[[Example], set[str]]] = {
    "original-question": _original, "black-scholes": _black_scholes, "rosenbrock": _rosenbrock,
    "heat-kernel": _heat, "ideal-gas": _ideal_gas, "cobb-douglas": _cobb_douglas, "polar": _polar,
    "gaussian-3d": _gaussian, "signs-matter": _signs,
}


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.slug for e in EXAMPLES])
def test_every_number_on_a_gallery_card_is_recomputed(ex) -> None:
    assert ex.slug in CHECKS, f"{ex.slug}: add a check of the numbers its card states"
    checked = CHECKS[ex.slug](ex)
    stated = numbers_in(f"{ex.story} {ex.fact}")
    assert stated <= checked, f"{ex.slug} states {sorted(stated - checked)} that no check recomputes"


def test_the_original_question_card_gives_what_backward_gives_on_its_own_grid() -> None:
    """The mistake this file exists for: the card's grid is t = 1, 2, 4."""
    ex = example("original-question")
    assert dict(ex.grids)["t"] == "1, 2, 4"
    assert "[63, 91]" in ex.story
    assert "[27, 39]" not in ex.story


# --- README ----------------------------------------------------------------------------------

def _readme_has(text: str) -> None:
    assert " ".join(text.split()) in " ".join(README.split()), f"README no longer says: {text}"


def test_readme_opening_numbers() -> None:
    _readme_has("For `f(t, k) = t*k + 2*t*k**2` on `t = 1, 2, 4`, `k = 2, 3`, people want ∂f/∂k at "
                "every point, the matrix `[[9, 13], [18, 26], [36, 52]]`.")
    _readme_has("`torch.autograd.grad` returns `[63., 91.]` instead (backward *sums* over the grid: "
                "9 + 18 + 36 and 13 + 26 + 52)")
    _readme_has("needs 16·N² bytes (a 1000×1000 grid would need 16 TB)")
    grid = {"t": np.array([1.0, 2.0, 4.0]), "k": np.array([2.0, 3.0])}
    T, K = np.meshgrid(grid["t"], grid["k"], indexing="ij")
    reference = sympy_reference(SEED, (k,), {t: T.ravel(), k: K.ravel()}).reshape(3, 2)
    assert reference.tolist() == [[9, 13], [18, 26], [36, 52]]
    summed = pitfalls.summed_backward("t*k + 2*t*k**2", ("t", "k"), [1, 2, 4], [2, 3])
    assert summed.tolist() == [63, 91] == [9 + 18 + 36, 13 + 26 + 52] == reference.sum(axis=0).tolist()
    points = 1000 * 1000
    assert pitfalls.jacobian_bytes(points) == 16 * points**2
    assert round(16 * points**2 / 1e12) == 16


def test_readme_guide_and_gallery_mentions() -> None:
    _readme_has("why backward gives `[27, 39]` on the smaller grid `t = 1, 2`")
    assert pitfalls.summed_backward("t*k + 2*t*k**2", ("t", "k"), [1, 2], [2, 3]).tolist() == [27, 39]
    _readme_has("**Gallery** — nine worked examples")
    assert len(EXAMPLES) == 9


README_RUN = re.compile(r"^\$ \.venv/bin/python -m compute (.+)$", re.M)


def test_readme_command_line_examples_print_what_it_shows() -> None:
    """Each ``$ python -m compute ...`` example in the README, run: the output it shows (up to
    ``...``) is what the command prints."""
    runs = list(README_RUN.finditer(README))
    assert len(runs) >= 3
    checked = 0
    for match in runs:
        rest = README[match.end() + 1:]
        shown = rest[:min(i for i in (rest.find("\n$ "), rest.find("```")) if i >= 0)].rstrip("\n")
        if not shown.strip():
            continue  # a command shown without its output (a summary of a big grid)
        out = run_cli(*shlex.split(match.group(1)))
        assert out.returncode == 0, out.stderr
        if shown.lstrip().startswith("{"):
            assert json.loads(shown) == json.loads(out.stdout), match.group(1)
        else:
            lines = shown.splitlines()
            lines = lines[:lines.index("...")] if "..." in lines else lines
            printed = out.stdout.splitlines()[:len(lines)]
            assert [line.split() for line in printed] == [line.split() for line in lines], match.group(1)
        checked += 1
    assert checked >= 3


def test_readme_python_api_comments_are_the_engine_numbers() -> None:
    _readme_has('result.partial("k")        # array([[ 9., 13.], [18., 26.], [36., 52.]])')
    result = partials_on_grid("t*k + 2*t*k**2", make_grid({"t": "1, 2, 4", "k": "2, 3"}),
                              ["k", "t,k", "hessian"])
    assert result.partial("k").tolist() == [[9, 13], [18, 26], [36, 52]]


def test_docs_security_constant_size() -> None:
    """docs/SECURITY.md: folding ``9**9**9`` exactly would compute a 370-million-digit integer."""
    text = (ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    assert "370-million-digit integer" in " ".join(text.split())
    digits = math.floor(9**9 * math.log10(9)) + 1
    assert round(digits / 1e6, -1) == 370


# --- Guide ------------------------------------------------------------------------------------

def test_the_guide_states_what_it_computes() -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "guide.py"), default_timeout=120).run()
    assert not at.exception
    heads = [h.value for h in (*at.header, *at.subheader)]
    (why,) = [h for h in heads if "torch.autograd.grad" in h and "gives" in h]
    stated = re.search(r"\[[^\]]+\]", why).group(0)
    summed = pitfalls.summed_backward("t*k + 2*t*k**2", ("t", "k"), [1, 2], [2, 3])
    assert stated == "[27, 39]" == f"[{int(summed[0])}, {int(summed[1])}]"
    text = " ".join(m.value for m in at.markdown)
    assert f"Computed just now: **{stated}**" in text
    assert "`t = 1, 2` and `k = 2, 3`" in text  # the grid the heading's numbers are for
    assert "9 + 18 = 27 and 13 + 26 = 39" in text
    memory = at.table[0].value
    sizes = [int(n.replace(",", "")) for n in memory.iloc[:, 0]]
    assert sizes == [100, 10_000, 1_000_000]
    assert list(memory.iloc[:, 1]) == ["160 KB", "1.6 GB", "16 TB"]  # 16·N² bytes
    assert [16 * n * n for n in sizes] == [pitfalls.jacobian_bytes(n) for n in sizes]
    assert list(memory.iloc[:, 2]) == ["800 B", "80 KB", "8 MB"]  # 8·N bytes
    kept = pitfalls.jacobian_filter("sin(t*k)", ("t", "k"), [-1, 0, 1], [-1, 0, 1])
    assert f"**{len(kept)} of 9 numbers**" in text
    assert len(kept) < 9


def test_the_guide_agreement_claim_is_what_the_tests_check() -> None:
    """The Guide says the engines agree with SymPy "to 1e-12": the tests' default tolerance."""
    source = (ROOT / "ui" / "guide.py").read_text(encoding="utf-8")
    assert "SymPy's exact derivatives to 1e-12" in " ".join(source.split())
    assert inspect.signature(assert_close).parameters["rel"].default == 1e-12


def test_every_readme_statement_checked_here_is_still_in_the_readme() -> None:
    """Guard against a check drifting from its text: this file's own README quotes exist."""
    source = Path(__file__).read_text(encoding="utf-8")
    assert source.count("_readme_has(") >= 6
