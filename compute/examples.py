"""Worked examples: each a function, grids, parameters and partials, plus a fact to check.

Each fact is a computed quantity, not only a sentence: a ``Reading`` says what to read — at the
example's inspected point (the point inspector's numbers: gradient, Hessian, Jacobian
determinant, chosen partials) or over its whole grid — and the value the fact states, from a
closed form. The gallery card and the Explorer show the reading beside the fact; a single
parametrized test walks every example and checks every reading.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from compute.engines.engine import PartialsResult, partials_on_grid
from compute.engines.inspect import Inspection, inspect_point, inspection_specs, read_inspection
from compute.language.grid import make_grid


@dataclass(frozen=True)
class Reading:
    """One number that proves the fact: ``read`` takes the Inspection at the example's point
    (scope "point") or the grid's PartialsResult (scope "grid")."""

    label: str
    read: Callable[[Any], float] = field(repr=False, compare=False)
    expected: float  # what the fact states, from a closed form
    scope: str = "point"
    tolerance: float = 1e-12  # relative to max(|expected|, 1)

    def holds(self, shown: float) -> bool:
        return abs(shown - self.expected) <= self.tolerance * max(abs(self.expected), 1.0)


@dataclass(frozen=True)
class Example:
    slug: str
    title: str
    story: str
    function: str
    grids: tuple[tuple[str, str], ...]
    wrt: tuple[str, ...]
    fact: str
    readings: tuple[Reading, ...] = field(repr=False, compare=False)
    inspect: tuple[tuple[str, float], ...] = ()  # the point the Explorer opens the inspector at
    params: tuple[tuple[str, float], ...] = ()
    plot: str = "surface"
    show: str = ""
    axes: str = ""
    at: tuple[tuple[str, float], ...] = ()

    def compute(self) -> PartialsResult:
        return partials_on_grid(self.function, make_grid(dict(self.grids)), list(self.wrt),
                                dict(self.params))

    def inspection_wrt(self) -> tuple[str, ...]:
        """What the inspector asks for at the example's point (as the Explorer does)."""
        return inspection_specs([n for n, _ in self.grids], self.wrt)

    def inspect_here(self) -> Inspection:
        return inspect_point(self.function, dict(self.inspect), dict(self.params), self.wrt)

    def read(self, reading: Reading, result: PartialsResult) -> float:
        """A reading from a job's result: the one-point result of ``inspection_wrt`` at
        ``inspect`` for a point reading, the grid's result for a grid reading."""
        return float(reading.read(read_inspection(result) if reading.scope == "point" else result))

    def verify(self) -> list[tuple[Reading, float, bool]]:
        """(reading, shown, holds) for every reading, computed here by the engine."""
        needs = {r.scope for r in self.readings}
        point = self.inspect_here() if "point" in needs else None
        grid = self.compute() if "grid" in needs else None
        out = []
        for reading in self.readings:
            shown = float(reading.read(point if reading.scope == "point" else grid))
            out.append((reading, shown, reading.holds(shown)))
        return out


def _normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _normal_pdf(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _grid_max(array: np.ndarray) -> float:
    return float(np.max(np.abs(array)))


def _negative_share() -> float:
    """The share of the signs example's t < 0 grid points where t·cos(tk) < 0, by NumPy from the
    closed form (cos(tk) > 0 there), not by the engine."""
    axis = np.linspace(-2, 2, 41)
    t, k = np.meshgrid(axis, axis, indexing="ij")
    return float(np.mean(np.cos(t * k)[t < 0] > 0))


BLACK_SCHOLES = """d1 = (log(S/K) + (r + sigma^2/2)*T) / (sigma*sqrt(T))
d2 = d1 - sigma*sqrt(T)
N1 = (1 + erf(d1/sqrt(2)))/2
N2 = (1 + erf(d2/sqrt(2)))/2
C = S*N1 - K*exp(-r*T)*N2"""

HEAT = """u = exp(-x^2/(4*t)) / sqrt(4*pi*t)
residual = diff(u, t) - diff(u, x, x)
u, residual"""

# Black–Scholes at the money (S = K = 100, σ = 0.2, T = 1, r = 0): d1 = σ√T/2 = 0.1.
_BS_THETA = -100 * _normal_pdf(0.1) * 0.2 / (2 * math.sqrt(1.0))  # −S φ(d1) σ / (2√T), r = 0
_COBB_Y = 50**0.3 * 20**0.7  # A L^α K^(1−α) at L = 50, K = 20

EXAMPLES: tuple[Example, ...] = (
    Example(
        "original-question", "The original question",
        "torch.autograd.grad sums it down the grid's columns to [63, 91] (9 + 18 + 36, 13 + 26 + 52); "
        "here is the whole matrix.",
        "t*k + 2*t*k**2", (("t", "1, 2, 4"), ("k", "2, 3")), ("k", "t"),
        "∂f/∂k at t = 2, k = 3 is 26 (= t + 4tk); the full matrix is [[9, 13], [18, 26], [36, 52]].",
        (Reading("∂f/∂k at t = 2, k = 3", lambda i: i.gradient()["k"], 26.0),
         Reading("∂f/∂k summed over the grid (what backward gives for k = 2)",
                 lambda r: float(r.partial("k")[:, 0].sum()), 63.0, scope="grid")),
        inspect=(("t", 2.0), ("k", 3.0)), plot="heatmap", show="f:k",
    ),
    Example(
        "black-scholes", "Black–Scholes call and its Greeks",
        "A call price over spot × volatility; delta, gamma, vega, theta and rho are partials.",
        BLACK_SCHOLES, (("S", "linspace(50, 150, 101)"), ("sigma", "linspace(0.1, 0.5, 41)")),
        ("S", "S,S", "sigma", "T", "r"),
        "At the money (S = K = 100), σ = 0.2, T = 1, r = 0: delta ∂C/∂S = N(d1) = N(0.1) ≈ 0.5398. "
        "Theta is −∂C/∂T.",
        (Reading("delta ∂C/∂S at S = 100, σ = 0.2", lambda i: i.gradient()["S"], _normal_cdf(0.1)),
         Reading("theta −∂C/∂T there (−S φ(d1) σ / 2√T)", lambda i: -i.quantity("T"), _BS_THETA)),
        inspect=(("S", 100.0), ("sigma", 0.2)), params=(("K", 100.0), ("T", 1.0), ("r", 0.0)),
        show="C:S",
    ),
    Example(
        "rosenbrock", "Rosenbrock's valley",
        "The classic optimisation test function, with its gradient and Hessian.",
        "(1 - x)^2 + 100*(y - x^2)^2", (("x", "linspace(-2, 2, 81)"), ("y", "linspace(-1, 3, 81)")),
        ("gradient", "hessian"),
        "At the minimum (1, 1) the gradient is 0 and the Hessian is [[802, −400], [−400, 200]]: "
        "∂²f/∂x² = 802.",
        (Reading("|∇f| at (1, 1)", lambda i: math.hypot(*i.gradients[0]), 0.0),
         Reading("∂²f/∂x² at (1, 1)", lambda i: i.hessians[0][0][0], 802.0),
         Reading("∂²f/∂x∂y at (1, 1)", lambda i: i.hessians[0][0][1], -400.0),
         Reading("∂²f/∂y² at (1, 1)", lambda i: i.hessians[0][1][1], 200.0),
         Reading("det H at (1, 1)", lambda i: i.hessian_determinant(), 802.0 * 200 - 400.0**2)),
        inspect=(("x", 1.0), ("y", 1.0)), plot="contour", show="f:x,x",
    ),
    Example(
        "heat-kernel", "The heat kernel solves the heat equation",
        "u(x, t) spreads heat from a point; its partials satisfy ∂u/∂t = ∂²u/∂x².",
        HEAT, (("x", "linspace(-3, 3, 61)"), ("t", "linspace(0.1, 1, 46)")), ("t", "x,x"),
        "The residual diff(u, t) − diff(u, x, x), ∂u/∂t − ∂²u/∂x², is 0 at every grid point "
        "(to about 1e-15).",
        (Reading("max |residual| over the grid", lambda r: _grid_max(r.value("residual")), 0.0,
                 scope="grid", tolerance=1e-14),
         Reading("residual at x = 0.5, t = 0.5", lambda i: i.value("residual"), 0.0,
                 tolerance=1e-14)),
        inspect=(("x", 0.5), ("t", 0.5)), show="u:t",
    ),
    Example(
        "ideal-gas", "Ideal gas law",
        "Pressure of one mole of gas over volume × temperature.",
        "P = n*R*T/V", (("V", "linspace(0.01, 0.05, 41)"), ("T", "linspace(250, 400, 31)")), ("V", "T"),
        "At V = 0.025 m³ and T = 300 K: ∂P/∂T = nR/V ≈ 332.6 Pa/K (and ∂P/∂V = −P/V < 0).",
        (Reading("∂P/∂T at V = 0.025, T = 300", lambda i: i.gradient("P")["T"], 8.314462618 / 0.025),
         Reading("∂P/∂V there (−nRT/V²)", lambda i: i.gradient("P")["V"],
                 -8.314462618 * 300 / 0.025**2)),
        inspect=(("V", 0.025), ("T", 300.0)), params=(("n", 1.0), ("R", 8.314462618)),
        plot="heatmap", show="P:V",
    ),
    Example(
        "cobb-douglas", "Cobb–Douglas production",
        "Output from labour L and capital K; the partials are the marginal products.",
        "Y = A * L^alpha * K^(1 - alpha)", (("L", "linspace(1, 100, 100)"), ("K", "linspace(1, 100, 100)")),
        ("L", "K"),
        "Constant returns to scale (Euler): L·∂Y/∂L + K·∂Y/∂K = Y; at L = 50, K = 20 both sides are "
        "≈ 26.33.",
        (Reading("L·∂Y/∂L + K·∂Y/∂K at L = 50, K = 20",
                 lambda i: 50 * i.gradient("Y")["L"] + 20 * i.gradient("Y")["K"], _COBB_Y),),
        inspect=(("L", 50.0), ("K", 20.0)), params=(("A", 1.0), ("alpha", 0.3)), show="Y:L",
    ),
    Example(
        "polar", "Polar to Cartesian",
        "(x, y) = (r cos θ, r sin θ) is vector-valued; its partials form the Jacobian.",
        "x = r*cos(theta); y = r*sin(theta); x, y",
        (("r", "linspace(0.5, 2, 16)"), ("theta", "linspace(0, 2*pi, 37)")), ("jacobian",),
        "The Jacobian determinant ∂x/∂r·∂y/∂θ − ∂x/∂θ·∂y/∂r equals r: 2 at r = 2.",
        (Reading("det J at r = 2, θ = 1", lambda i: i.jacobian_determinant, 2.0),
         Reading("max |det J − r| over the grid", lambda r: _grid_max(
             r.partial("r", "x") * r.partial("theta", "y") - r.partial("theta", "x") * r.partial("r", "y")
             - r.coordinate("r")), 0.0, scope="grid", tolerance=1e-14)),
        inspect=(("r", 2.0), ("theta", 1.0)), plot="heatmap", show="x:theta",
    ),
    Example(
        "gaussian-3d", "A Gaussian in three dimensions",
        "Three grid variables: plot any two and slice the third with a slider.",
        "exp(-(x^2 + y^2 + z^2)/2)",
        (("x", "linspace(-3, 3, 31)"), ("y", "linspace(-3, 3, 31)"), ("z", "linspace(-3, 3, 31)")),
        ("laplacian", "x"),
        "∇²f = (x² + y² + z² − 3)·f: −3 at the centre, 0 on the sphere of radius √3.",
        (Reading("∇²f at the centre (0, 0, 0)", lambda i: i.quantity("laplacian"), -3.0),
         Reading("det H at the centre (H = −I)", lambda i: i.hessian_determinant(), -1.0)),
        inspect=(("x", 0.0), ("y", 0.0), ("z", 0.0)), show="f:laplacian", axes="x, y", at=(("z", 0.0),),
    ),
    Example(
        "signs-matter", "Zero and negative derivatives",
        "The popular jac > 0 filter silently drops these; exact partials keep every sign.",
        "sin(t*k)", (("t", "linspace(-2, 2, 41)"), ("k", "linspace(-2, 2, 41)")), ("k", "t"),
        "∂f/∂k = t·cos(tk) is 0 all along t = 0, and negative on 74% of the grid's t < 0 half: at "
        "t = −1, k = 0 it is −1.",
        (Reading("∂f/∂k at t = −1, k = 0", lambda i: i.gradient()["k"], -1.0),
         Reading("share of t < 0 points with ∂f/∂k < 0",
                 lambda r: float(np.mean(r.partial("k")[r.coordinate("t") < 0] < 0)), _negative_share(),
                 scope="grid")),
        inspect=(("t", -1.0), ("k", 0.0)), plot="heatmap", show="f:k",
    ),
)


def example(slug: str) -> Example:
    return next(e for e in EXAMPLES if e.slug == slug)
