"""The catalogue: one entry per function of the expression language, every fact of it in that entry.

An ``entry(name, summary, ...)`` holds the keywords that ``compute.registry.functions.register``
reads and checks (a missing fact is a ``RegistryError`` at import): ``params``; ``fold``, the
float64 constant folding; ``torch=`` (a torch callable) or ``define=`` (a definition over other
entries); ``d=``, the derivative, or one partial per parameter, written once in the expression
language; ``sympy=``; ``autograd=`` (``"rule"``: ``d`` is the backward); ``positivity``,
``aliases``, ``py=`` (where pasted code finds it) and the flags of ``Function``.

Rules are written so their intermediates neither overflow nor underflow where the true value is
representable (asinh' is ``1/hypot(1, x)``, not ``(1 + x^2)^-0.5``, which is 0 past 1.3e154;
atan2's partials are ``x/hypot(x, y)/hypot(x, y)``, not ``x/(x^2 + y^2)``), and so that differentiating
them again for the higher orders cannot cancel either: where the plain product or quotient rule
would (``(1 - x)*(1 + x)`` differentiates to ``(1 + x) - (1 - x)``, all rounding near 0; ``x/hypot``
to ``(1 - (x/h)^2)/h``, 0 at (1e30, 0.7)), a hidden helper with its own rule takes its place
(``one_minus_square``, ``unit``). ``tests/test_functions.py`` sweeps every function, orders 0–3,
|x| from 1e-300 to 1e300, through every engine against SymPy.

Order is the order of the docs' function list; the hidden entries at the end are used inside
rules and definitions only. Importing this module imports neither torch nor SymPy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from compute.registry.folding import (
    fold_digamma,
    fold_gamma,
    fold_lgamma,
    fold_sech,
    fold_sigmoid,
    fold_variadic,
    fold_where,
    fold_zeta,
)
from compute.registry.sympy_forms import sympy_lgamma, sympy_log1p, sympy_normcdf

ENTRIES: list[tuple[str, str, dict[str, Any]]] = []
"""(name, summary, facts) of every function, in order; ``compute.registry.functions`` registers them."""


def entry(name: str, summary: str, **facts: Any) -> None:
    """One function, all of it: checked when ``compute.registry.functions`` registers it."""
    ENTRIES.append((name, summary, facts))


_SQRT_2PI = math.sqrt(2.0 * math.pi)


entry("sin", "sine", fold=np.sin, torch="torch.sin", d="cos(x)", sympy="sin", py="torch np math")
entry("cos", "cosine", fold=np.cos, torch="torch.cos", d="-sin(x)", sympy="cos", py="torch np math")
entry("tan", "tangent", fold=np.tan, torch="torch.tan", d="1 + tan(x)^2", sympy="tan",
      py="torch np math")
entry("sec", "secant, 1/cos(x)", fold=lambda x: np.float64(1.0) / np.cos(x),
      define="1/cos(x)", d="sec(x)*tan(x)", sympy="sec")
entry("csc", "cosecant, 1/sin(x)", fold=lambda x: np.float64(1.0) / np.sin(x),
      define="1/sin(x)", d="-csc(x)*cot(x)", sympy="csc")
entry("cot", "cotangent, 1/tan(x)", fold=lambda x: np.float64(1.0) / np.tan(x),
      define="1/tan(x)", d="-1 - cot(x)^2", sympy="cot")
entry("asin", "inverse sine", fold=np.arcsin, torch="torch.asin",
      d="one_minus_square(x)^-0.5", sympy="asin", autograd="rule", aliases=("arcsin",),
      py="torch math torch.arcsin np.arcsin")
entry("acos", "inverse cosine", fold=np.arccos, torch="torch.acos",
      d="-one_minus_square(x)^-0.5", sympy="acos", autograd="rule", aliases=("arccos",),
      py="torch math torch.arccos np.arccos")
entry("atan", "inverse tangent",
      positivity="keeps", fold=np.arctan, torch="torch.atan",
      d="(1/hypot(1, x))^2", sympy="atan", autograd="rule", aliases=("arctan",),
      py="torch math torch.arctan np.arctan")
entry("atan2", "atan2(y, x): angle of the point (x, y)", params=("y", "x"), fold=np.arctan2,
      torch="torch.atan2", d=("x/hypot(x, y)/hypot(x, y)", "-y/hypot(x, y)/hypot(x, y)"),
      sympy="atan2", autograd="rule", aliases=("arctan2",), py="torch math torch.arctan2 np.arctan2")
entry("sinh", "hyperbolic sine",
      positivity="keeps", fold=np.sinh, torch="torch.sinh", d="cosh(x)", sympy="sinh",
      py="torch np math")
entry("cosh", "hyperbolic cosine", fold=np.cosh, torch="torch.cosh", d="sinh(x)", sympy="cosh",
      py="torch np math")
entry("tanh", "hyperbolic tangent",
      positivity="keeps", fold=np.tanh, torch="torch.tanh", d="sech(x)^2",
      sympy="tanh", autograd="rule", py="torch np math torch.nn.functional.tanh F.tanh")
entry("sech", "hyperbolic secant, 1/cosh(x)", fold=fold_sech, define="1/cosh(x)",
      d="-sech(x)*tanh(x)", sympy="sech", autograd="rule")
entry("asinh", "inverse hyperbolic sine",
      positivity="keeps", fold=np.arcsinh, torch="torch.asinh",
      d="1/hypot(1, x)", sympy="asinh", autograd="rule", aliases=("arcsinh",),
      py="torch math torch.arcsinh np.arcsinh")
entry("acosh", "inverse hyperbolic cosine", fold=np.arccosh, torch="torch.acosh",
      d="(x - 1)^-0.5*(x + 1)^-0.5", sympy="acosh", autograd="rule", aliases=("arccosh",),
      py="torch math torch.arccosh np.arccosh")
entry("atanh", "inverse hyperbolic tangent", fold=np.arctanh, torch="torch.atanh",
      d="1/one_minus_square(x)", sympy="atanh", autograd="rule", aliases=("arctanh",),
      py="torch math torch.arctanh np.arctanh")
entry("exp", "exponential", fold=np.exp, torch="torch.exp", d="exp(x)", sympy="exp",
      py="torch np math")
entry("exp2", "2 to the power x", fold=np.exp2, torch="torch.exp2", d="exp2(x)*log(2)",
      sympy=lambda sp, x: sp.Integer(2) ** x, py="torch np math torch.special.exp2")
entry("expm1", "exp(x) - 1, accurate near 0",
      positivity="keeps", fold=np.expm1, torch="torch.expm1", d="exp(x)",
      sympy=lambda sp, x: sp.exp(x) - 1, autograd="rule", py="torch np math torch.special.expm1")
entry("log", "natural logarithm; log(x, b) is the base-b logarithm",
      positivity="argument", fold=np.log,
      torch="torch.log", d="1/x", sympy="log", aliases=("ln",), with_base=True, py="torch np math")
entry("log1p", "log(1 + x), accurate near 0", fold=np.log1p, torch="torch.log1p", d="1/(1 + x)",
      sympy=sympy_log1p, py="torch np math torch.special.log1p")
entry("log2", "base-2 logarithm",
      positivity="argument", fold=np.log2, torch="torch.log2", d="1/(x*log(2))",
      sympy=lambda sp, x: sp.log(x, 2), py="torch np math")
entry("log10", "base-10 logarithm",
      positivity="argument", fold=np.log10, torch="torch.log10", d="1/(x*log(10))",
      sympy=lambda sp, x: sp.log(x, 10), py="torch np math")
entry("logaddexp", "logaddexp(x, y) = log(exp(x) + exp(y)), without overflow",
      params=("x", "y"), commutative=True, fold=np.logaddexp, torch="torch.logaddexp",
      d=("sigmoid(x - y)", "sigmoid(y - x)"), sympy=lambda sp, x, y: sp.log(sp.exp(x) + sp.exp(y)),
      autograd="rule", py="torch np")
entry("sqrt", "square root",
      positivity="argument", fold=np.sqrt, torch="torch.sqrt", d="0.5/sqrt(x)", sympy="sqrt",
      py="torch np math")
entry("cbrt", "real cube root",
      positivity="keeps", fold=np.cbrt, define="sign(x)*abs(x)^(1/3)", d="abs(x)^(-2/3)/3",
      sympy=lambda sp, x: sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3), autograd="rule",
      py="np math")
entry("hypot", "hypot(x, y) = sqrt(x^2 + y^2), without overflow", params=("x", "y"), commutative=True,
      fold=np.hypot, torch="torch.hypot", d=("unit(x, y)", "unit(y, x)"),
      sympy=lambda sp, x, y: sp.sqrt(x**2 + y**2), autograd="rule", py="torch np math")
entry("abs", "absolute value", fold=np.abs, torch="torch.abs", d="sign(x)", sympy="Abs",
      aliases=("fabs", "absolute"), py="torch np torch.absolute np.absolute np.fabs math.fabs")
entry("sign", "sign: -1, 0 or 1",
      positivity="keeps", fold=np.sign, torch="torch.sign", d="0", sympy="sign",
      py="torch np")
entry("erf", "error function",
      positivity="keeps", fold=math.erf, torch="torch.special.erf",
      d="2/sqrt(pi)*exp(-x^2)", sympy="erf", py="torch math torch.special scipy.special")
entry("erfc", "complementary error function", fold=math.erfc,
      torch="torch.special.erfc", d="-2/sqrt(pi)*exp(-x^2)", sympy="erfc",
      py="torch math torch.special scipy.special")
# torch.special.ndtr is 1 + erf(x/√2) over 2: 0 at x = -13.7, where Φ is 5e-43.
entry("normcdf", "standard normal CDF Φ(x)", fold=lambda x: 0.5 * math.erfc(-float(x) / math.sqrt(2.0)),
      define="erfc(-x/sqrt(2))/2", d="normpdf(x)", sympy=sympy_normcdf,
      aliases=("N", "Phi", "ncdf", "ndtr"),
      py="torch.special.ndtr scipy.special.ndtr norm.cdf stats.norm.cdf scipy.stats.norm.cdf")
entry("normpdf", "standard normal density φ(x) = exp(-x^2/2)/sqrt(2 pi)",
      fold=lambda x: math.exp(-0.5 * float(x) * float(x)) / _SQRT_2PI,
      define="exp(-x*x/2)/sqrt(2*pi)", d="-x_normpdf(x)",
      sympy=lambda sp, x: sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi), autograd="rule",
      py="norm.pdf stats.norm.pdf scipy.stats.norm.pdf")
entry("gamma", "gamma function Γ(x)", fold=fold_gamma,
      define="where(x > 0, 1, 1 + 4*floor(x/2) - 2*floor(x))*exp(lgamma(x))",
      d="gamma(x)*digamma(x)", sympy="gamma", py="math scipy.special")
# torch differentiates digamma with a trigamma 1e-10 off: digamma's rule is ζ(2, x) instead, and
# lgamma is rule-backed so that its second derivative goes through that rule too.
entry("lgamma", "log|Γ(x)|", fold=fold_lgamma, torch="torch.lgamma", d="digamma(x)",
      sympy=sympy_lgamma, autograd="rule", aliases=("gammaln",),
      py="torch math torch.special.gammaln scipy.special.gammaln")
entry("digamma", "digamma function ψ(x) = Γ'(x)/Γ(x)", fold=fold_digamma,
      torch="torch.special.digamma", d="zeta(2, x)", sympy="digamma", autograd="rule",
      py="torch torch.special scipy.special torch.special.psi scipy.special.psi")
entry("min", "smallest of its arguments", params=("x", "y"), commutative=True, variadic=True,
      fold=fold_variadic(np.minimum), torch="torch.minimum",
      d=("heaviside(y - x)", "heaviside(x - y)"), sympy="Min",
      py="torch.minimum torch.min np.minimum np.fmin")
entry("max", "largest of its arguments", params=("x", "y"), commutative=True, variadic=True,
      fold=fold_variadic(np.maximum), torch="torch.maximum",
      d=("heaviside(x - y)", "heaviside(y - x)"), sympy="Max",
      py="torch.maximum torch.max np.maximum np.fmax")
entry("sigmoid", "logistic function 1/(1 + exp(-x))", fold=fold_sigmoid, torch="torch.sigmoid",
      d="sech(x/2)^2/4", sympy=lambda sp, x: 1 / (1 + sp.exp(-x)), autograd="rule",
      aliases=("expit", "logistic"),
      py="torch torch.special.expit scipy.special.expit torch.nn.functional.sigmoid F.sigmoid")
entry("softplus", "log(1 + exp(x))", fold=lambda x: np.logaddexp(np.float64(0.0), x),
      define="logaddexp(x, 0)", d="sigmoid(x)", sympy=lambda sp, x: sp.log(1 + sp.exp(x)),
      autograd="rule", py="torch.nn.functional.softplus F.softplus")
entry("where", "where(condition, a, b): a where the condition holds, else b",
      params=("c", "a", "b"), condition=True, fold=fold_where, torch="torch.where",
      d=("0", "where(c, 1, 0)", "where(c, 0, 1)"),
      sympy=lambda sp, c, a, b: sp.Piecewise((a, c), (b, True)), py="torch np")
# Used inside rules and definitions only.
entry("one_minus_square", "1 - x^2, accurate near |x| = 1", fold=lambda x: (1.0 - x) * (1.0 + x),
      define="(1 - x)*(1 + x)", d="-2*x", sympy=lambda _sp, x: 1 - x**2, autograd="rule",
      hidden=True)
entry("unit", "x/hypot(x, y): a component of the unit vector", params=("x", "y"),
      fold=lambda x, y: x / np.hypot(x, y), define="x/hypot(x, y)",
      d=("unit(y, x)^2/hypot(x, y)", "-unit(x, y)*unit(y, x)/hypot(x, y)"),
      sympy=lambda sp, x, y: x / sp.sqrt(x**2 + y**2), autograd="rule", hidden=True)
# x·φ(x) as one function: its reverse-mode derivatives never multiply x by x before φ (x² overflows
# at |x| = 1e200, where x³φ(x) is 0).
entry("x_normpdf", "x times the standard normal density", fold=lambda x: float(x) * math.exp(
      -0.5 * float(x) * float(x)) / _SQRT_2PI, define="x*normpdf(x)",
      d="normpdf(x) - x*x_normpdf(x)", sympy=lambda sp, x: x * sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi),
      autograd="rule", hidden=True)
# Hurwitz ζ(s, q) = Σ (q + k)^-s, s a literal: torch's underflows its terms for large q (0 at
# q = 1e300, where ζ(2, q) = 1e-300), so there the first terms of its asymptotic series take over.
entry("zeta", "Hurwitz zeta function ζ(s, q) (s a constant)", params=("s", "q"), fold=fold_zeta,
      define="where(q > 1e6, q^(1 - s)/(s - 1)*(1 + (s - 1)/(2*q) + s*(s - 1)/(12*q*q)), "
             "zeta_series(s, q))",
      d=("0", "-s*zeta(s + 1, q)"), sympy="zeta", autograd="rule", literal_args=(0,),
      hidden=True)
entry("zeta_series", "Hurwitz zeta function ζ(s, q), summed (s a constant)", params=("s", "q"),
      fold=fold_zeta, torch="torch.special.zeta", d=("0", "-s*zeta(s + 1, q)"), sympy="zeta",
      autograd="rule", literal_args=(0,), hidden=True)
entry("floor", "largest whole number not above x", fold=np.floor, torch="torch.floor", d="0",
      sympy="floor", hidden=True)
entry("heaviside", "step function: 0 below 0, 1/2 at 0, 1 above", fold=lambda x: np.heaviside(x, 0.5),
      define="where(x > 0, 1, where(x < 0, 0, 0.5))", d="0", sympy="Heaviside", hidden=True)
