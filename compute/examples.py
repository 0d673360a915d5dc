"""Worked examples: each a function, grids, parameters and partials, plus a fact to check.

The gallery page renders this list and a single parametrized test walks it, checking each
stated fact against the engine's numbers (and, where there is one, a closed form).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .engine import PartialsResult, partials_on_grid
from .grid import Grid, make_grid


@dataclass(frozen=True)
class Example:
    slug: str
    title: str
    story: str
    function: str
    grids: tuple[tuple[str, str], ...]
    wrt: tuple[str, ...]
    fact: str
    check: Callable[[PartialsResult], tuple[float, float]] = field(repr=False, compare=False)
    params: tuple[tuple[str, float], ...] = ()
    plot: str = "surface"
    show: str = ""
    axes: str = ""
    at: tuple[tuple[str, float], ...] = ()
    tolerance: float = 1e-12

    def compute(self) -> PartialsResult:
        return partials_on_grid(self.function, make_grid(dict(self.grids)), list(self.wrt),
                                dict(self.params))

    def verify(self) -> tuple[float, float, bool]:
        """(shown, expected, holds): the fact as the engine computes it and as stated."""
        shown, expected = self.check(self.compute())
        scale = max(abs(expected), 1.0)
        return shown, expected, abs(shown - expected) <= self.tolerance * scale


def _at(result: PartialsResult, array: np.ndarray, **coords: float) -> float:
    """The value at the grid point nearest to ``coords``."""
    grid = result.domain
    assert isinstance(grid, Grid)  # the examples are all grids
    index = tuple(int(np.argmin(np.abs(grid.axis(n) - coords[n]))) for n in grid.names)
    return float(array[index])


def _normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


BLACK_SCHOLES = """d1 = (log(S/K) + (r + sigma^2/2)*T) / (sigma*sqrt(T))
d2 = d1 - sigma*sqrt(T)
N1 = (1 + erf(d1/sqrt(2)))/2
N2 = (1 + erf(d2/sqrt(2)))/2
C = S*N1 - K*exp(-r*T)*N2"""

HEAT = "u = exp(-x^2/(4*t)) / sqrt(4*pi*t)"

EXAMPLES: tuple[Example, ...] = (
    Example(
        "original-question", "The original question",
        "torch.autograd.grad sums it down the grid's columns to [63, 91] (9 + 18 + 36, 13 + 26 + 52); "
        "here is the whole matrix.",
        "t*k + 2*t*k**2", (("t", "1, 2, 4"), ("k", "2, 3")), ("k", "t"),
        "∂f/∂k at t = 2, k = 3 is 26 (= t + 4tk); the full matrix is [[9, 13], [18, 26], [36, 52]].",
        lambda r: (_at(r, r.partial("k"), t=2, k=3), 26.0), plot="heatmap", show="f:k",
    ),
    Example(
        "black-scholes", "Black–Scholes call and its Greeks",
        "A call price over spot × volatility; delta, gamma, vega, theta and rho are partials.",
        BLACK_SCHOLES, (("S", "linspace(50, 150, 101)"), ("sigma", "linspace(0.1, 0.5, 41)")),
        ("S", "S,S", "sigma", "T", "r"),
        "At the money (S = K = 100), σ = 0.2, T = 1, r = 0: delta ∂C/∂S = N(d1) = N(0.1) ≈ 0.5398. "
        "Theta is −∂C/∂T.",
        lambda r: (_at(r, r.partial("S"), S=100, sigma=0.2), _normal_cdf(0.1)),
        params=(("K", 100.0), ("T", 1.0), ("r", 0.0)), show="C:S",
    ),
    Example(
        "rosenbrock", "Rosenbrock's valley",
        "The classic optimisation test function, with its gradient and Hessian.",
        "(1 - x)^2 + 100*(y - x^2)^2", (("x", "linspace(-2, 2, 81)"), ("y", "linspace(-1, 3, 81)")),
        ("gradient", "hessian"),
        "At the minimum (1, 1) the gradient is 0 and the Hessian is [[802, −400], [−400, 200]]: "
        "∂²f/∂x² = 802.",
        lambda r: (_at(r, r.partial("x,x"), x=1, y=1), 802.0), plot="contour", show="f:x,x",
    ),
    Example(
        "heat-kernel", "The heat kernel solves the heat equation",
        "u(x, t) spreads heat from a point; its partials satisfy ∂u/∂t = ∂²u/∂x².",
        HEAT, (("x", "linspace(-3, 3, 61)"), ("t", "linspace(0.1, 1, 46)")), ("t", "x,x"),
        "∂u/∂t − ∂²u/∂x² is 0 at every grid point (to about 1e-15).",
        lambda r: (float(np.max(np.abs(r.partial("t", "u") - r.partial("x,x", "u")))), 0.0),
        show="u:t", tolerance=1e-10,
    ),
    Example(
        "ideal-gas", "Ideal gas law",
        "Pressure of one mole of gas over volume × temperature.",
        "P = n*R*T/V", (("V", "linspace(0.01, 0.05, 41)"), ("T", "linspace(250, 400, 31)")), ("V", "T"),
        "At V = 0.025 m³ and T = 300 K: ∂P/∂T = nR/V ≈ 332.6 Pa/K (and ∂P/∂V = −P/V < 0).",
        lambda r: (_at(r, r.partial("T", "P"), V=0.025, T=300), 8.314462618 / 0.025),
        params=(("n", 1.0), ("R", 8.314462618)), plot="heatmap", show="P:V",
    ),
    Example(
        "cobb-douglas", "Cobb–Douglas production",
        "Output from labour L and capital K; the partials are the marginal products.",
        "Y = A * L^alpha * K^(1 - alpha)", (("L", "linspace(1, 100, 100)"), ("K", "linspace(1, 100, 100)")),
        ("L", "K"),
        "Constant returns to scale (Euler): L·∂Y/∂L + K·∂Y/∂K = Y; at L = 50, K = 20 both sides are "
        "≈ 26.33.",
        lambda r: (_at(r, r.coordinate("L") * r.partial("L", "Y") + r.coordinate("K") * r.partial("K", "Y"),
                       L=50, K=20),
                   _at(r, r.value("Y"), L=50, K=20)),
        params=(("A", 1.0), ("alpha", 0.3)), show="Y:L",
    ),
    Example(
        "polar", "Polar to Cartesian",
        "(x, y) = (r cos θ, r sin θ) is vector-valued; its partials form the Jacobian.",
        "x = r*cos(theta); y = r*sin(theta); x, y",
        (("r", "linspace(0.5, 2, 16)"), ("theta", "linspace(0, 2*pi, 37)")), ("jacobian",),
        "The Jacobian determinant ∂x/∂r·∂y/∂θ − ∂x/∂θ·∂y/∂r equals r: 2 at r = 2.",
        lambda r: (_at(r, r.partial("r", "x") * r.partial("theta", "y")
                       - r.partial("theta", "x") * r.partial("r", "y"), r=2, theta=1.0), 2.0),
        plot="heatmap", show="x:theta",
    ),
    Example(
        "gaussian-3d", "A Gaussian in three dimensions",
        "Three grid variables: plot any two and slice the third with a slider.",
        "exp(-(x^2 + y^2 + z^2)/2)",
        (("x", "linspace(-3, 3, 31)"), ("y", "linspace(-3, 3, 31)"), ("z", "linspace(-3, 3, 31)")),
        ("laplacian", "x"),
        "∇²f = (x² + y² + z² − 3)·f: −3 at the centre, 0 on the sphere of radius √3.",
        lambda r: (_at(r, r.laplacian(), x=0, y=0, z=0), -3.0),
        show="f:laplacian", axes="x, y", at=(("z", 0.0),),
    ),
    Example(
        "signs-matter", "Zero and negative derivatives",
        "The popular jac > 0 filter silently drops these; exact partials keep every sign.",
        "sin(t*k)", (("t", "linspace(-2, 2, 41)"), ("k", "linspace(-2, 2, 41)")), ("k", "t"),
        "∂f/∂k = t·cos(tk) is 0 all along t = 0, and negative on 74% of the grid's t < 0 half: at "
        "t = −1, k = 0 it is −1.",
        lambda r: (_at(r, r.partial("k"), t=-1, k=0), -1.0), plot="heatmap", show="f:k",
    ),
)


def example(slug: str) -> Example:
    return next(e for e in EXAMPLES if e.slug == slug)
