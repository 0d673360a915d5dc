"""SymPy functions the registry's entries need that SymPy lacks or gets wrong (``log1p``, ``lgamma``,
``normcdf``): made once, on first use, so that importing the registry imports no SymPy."""

from __future__ import annotations

_SYMPY_CLASSES: dict[str, object] = {}


def _sympy_function(sp, name: str, symbol: str, value, derivative):
    """A SymPy function of one argument (made once, on first use: importing this module imports no
    SymPy) printed as ``symbol``, with ``derivative(sp, x)`` as its derivative and ``value`` its
    numeric value: a SymPy expression ``value(sp, x)``, or the name of an mpmath function."""
    if name not in _SYMPY_CLASSES:

        def fdiff(self, argindex=1):  # noqa: ARG001 -- SymPy's signature; one argument
            return derivative(sp, self.args[0])

        def _eval_evalf(self, prec):
            if not isinstance(value, str):
                return value(sp, self.args[0])._eval_evalf(prec)
            import mpmath

            arg = self.args[0]._eval_evalf(prec)
            if arg is None or not arg.is_Float:
                return None
            with mpmath.workprec(prec):
                out = getattr(mpmath, value)(arg._to_mpmath(prec))
            if isinstance(out, mpmath.mpc):
                return sp.Float(out.real, precision=prec) + sp.I * sp.Float(out.imag, precision=prec)
            return sp.Float(out, precision=prec)

        def _latex(self, printer, exp=None):
            text = symbol % printer._print(self.args[0])
            return rf"\left({text}\right)^{{{printer._print(exp)}}}" if exp is not None else text

        _SYMPY_CLASSES[name] = type(name, (sp.Function,), {
            "fdiff": fdiff, "_eval_evalf": _eval_evalf, "_latex": _latex})
    return _SYMPY_CLASSES[name]


def sympy_normcdf(sp, x):
    """Φ(x), printed as Φ; its value erfc(−x/√2)/2 has no cancellation in the lower tail."""
    cls = _sympy_function(sp, "normcdf", r"\Phi\left(%s\right)",
                          lambda sp, a: sp.erfc(-a / sp.sqrt(2)) / 2,
                          lambda sp, a: sp.exp(-a**2 / 2) / sp.sqrt(2 * sp.pi))
    return cls(x)


def sympy_log1p(sp, x):
    """log(1 + x), printed so, whose value is mpmath's log1p: SymPy's log(1 + x) rounds 1 + x to
    its working precision first (log(1 + 1e-100) came out 0)."""
    cls = _sympy_function(sp, "log1p", r"\log\left(1 + %s\right)", "log1p", lambda _sp, a: 1 / (1 + a))
    return cls(x)


def sympy_lgamma(sp, x):
    """log|Γ(x)| (C's and torch's lgamma), real for real x: SymPy's loggamma is complex where
    Γ < 0, and log(Abs(gamma(x))) differentiates into re/im parts."""
    cls = _sympy_function(sp, "lgamma", r"\log\left|\Gamma\left(%s\right)\right|",
                          lambda sp, a: sp.log(sp.Abs(sp.gamma(a))),
                          lambda sp, a: sp.polygamma(0, a))
    return cls(x)
