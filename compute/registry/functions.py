"""The function registry: everything about each function of the expression language, in one entry.

An entry holds the name and parameters, a one-line summary, constant folding in float64, the torch
forward (a torch callable, or a definition in the expression language over other entries), the
partial derivative with respect to each parameter — written **once**, in the expression language —
and the SymPy constructor used for formulas. Every consumer reads this table:

- the parser (``language.FUNCTIONS``: names, arity) and constant folding (``fold``);
- the torch lowering (``torch`` / ``define``) and, for ``autograd="rule"``, the autograd engines'
  backward, which evaluates ``partials`` with these same functions (so every higher order is the
  rule differentiated again; see ``compute.registry.stable_ops``);
- the symbolic engine, which instantiates ``partials`` in its derivative graph;
- the code export, which prints ``define`` and ``partials`` as torch code;
- the SymPy lowering (``sympy``);
- the forms people type and paste (``compute.language.forms``): an entry's ``aliases`` (``ln``,
  ``arcsin``, ``N``/``Phi``: calls only, and only while the name is not also the user's own) and
  ``pasted`` names (``torch.special.ndtr``, ``np.arcsin``, from ``py=``); ``OPERATOR_CALLS`` holds the
  calls that are operators of the language (``pow(a, b)`` is ``a**b``), ``PASTED_CONSTANTS``
  ``math.pi`` and the like.

Rules are written so their intermediates neither overflow nor underflow where the true value is
representable (asinh' is ``1/hypot(1, x)``, not ``(1 + x^2)^-0.5``, which is 0 past 1.3e154;
atan2's partials are ``x/hypot(x, y)/hypot(x, y)``, not ``x/(x^2 + y^2)``), and so that differentiating
them again for the higher orders cannot cancel either: where the plain product or quotient rule
would (``(1 - x)*(1 + x)`` differentiates to ``(1 + x) - (1 - x)``, all rounding near 0; ``x/hypot``
to ``(1 - (x/h)^2)/h``, 0 at (1e30, 0.7)), a hidden helper with its own rule takes its place
(``one_minus_square``, ``unit``). ``tests/test_functions.py`` sweeps every function, orders 0–3,
|x| from 1e-300 to 1e300, through every engine against SymPy.

``autograd`` says which backward the autograd engines use: ``"native"`` is torch's own derivative
(checked to agree with the rule at ordinary and extreme arguments by tests/test_functions.py),
``"rule"`` wraps the forward in a ``torch.autograd.Function`` whose backward is ``partials``.

An incomplete entry — no rule, a rule naming an unknown function or parameter, a wrong number of
arguments — raises :class:`RegistryError` when this module is imported, never a ``KeyError`` later.
Importing this module imports neither torch nor SymPy (the parser must stay light).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from compute.language.tree import Binary, Call, Compare, Node, Num, Symbol, Unary, walk


class RegistryError(Exception):
    """A function entry is missing a field or names something that does not exist."""


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]  # the arguments as the rules name them
    summary: str
    fold: Callable[..., float]  # float64 constant folding (np.float64 arguments)
    torch: str | None  # a torch callable, e.g. "torch.special.erf" ...
    define: Node | None  # ... or a definition over other entries, e.g. 1/cos(x)
    partials: tuple[Node, ...]  # ∂f/∂param for each parameter, over the parameters
    sympy: Callable[..., object]  # (sympy module, *arguments) -> SymPy expression
    autograd: str  # "native" (torch's derivative) or "rule" (``partials`` as the backward)
    variadic: bool = False  # f(a, b, c) = f(f(a, b), c)
    commutative: bool = False  # f(a, b) = f(b, a): the symbolic engine shares both orders
    condition: bool = False  # the first argument is a comparison (where)
    literal_args: tuple[int, ...] = ()  # always a number in rules: never differentiated
    hidden: bool = False  # used inside rules only, not part of the language
    aliases: tuple[str, ...] = ()  # other names people call it by (ln, arcsin, N, Phi): calls only
    pasted: tuple[str, ...] = ()  # dotted names pasted from torch/NumPy/math/SciPy code
    with_base: bool = False  # name(x, b) means name(x)/name(b): log(x, base) as in math.log
    # Default grids (compute.language.domains): "argument" — real only for a positive argument
    # (log, sqrt); "keeps" — positive exactly where its argument is (tanh, atan), so a need for a
    # positive value passes through to the argument.
    positivity: str = ""

    @property
    def min_args(self) -> int:
        return len(self.params)

    @property
    def max_args(self) -> int:
        return 99 if self.variadic else len(self.params)

    def arity_text(self) -> str:
        if self.min_args == self.max_args:
            n = self.min_args
            return f"{n} argument" + ("" if n == 1 else "s")
        return f"at least {self.min_args} arguments"

    def binding(self, args: Sequence[Any]) -> dict[str, Any]:
        """Parameter name -> argument, for instantiating a rule or a definition."""
        return dict(zip(self.params, args, strict=True))


REGISTRY: dict[str, Function] = {}
_CONSTANTS = {"pi": math.pi, "e": math.e}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def _tree(text: str, where: str) -> Node:
    """A rule or definition (text written here, never user text) as a tree: ``ast.parse`` and a
    whitelist walk, like the expression parser, with constant calls folded at the end."""

    def build(node: ast.expr) -> Node:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return Num(float(node.value))
        if isinstance(node, ast.Name):
            return Num(_CONSTANTS[node.id]) if node.id in _CONSTANTS else Symbol(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = build(node.operand)
            return Num(-inner.value) if isinstance(inner, Num) else Unary("-", inner)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return Binary(_BINOPS[type(node.op)], build(node.left), build(node.right))
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPOPS:
            return Compare(_CMPOPS[type(node.ops[0])], build(node.left), build(node.comparators[0]))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            return Call(node.func.id, tuple(build(a) for a in node.args))
        raise RegistryError(f"{where}: cannot read {ast.unparse(node)!r}")

    try:
        return build(ast.parse(text.replace("^", "**"), mode="eval").body)
    except SyntaxError as exc:
        raise RegistryError(f"{where}: {text!r} is not an expression ({exc.msg})") from None


def register(
    name: str,
    summary: str,
    *,
    params: tuple[str, ...] = ("x",),
    fold: Callable[..., float] | None = None,
    torch: str | None = None,
    define: str | None = None,
    d: tuple[str, ...] | str | None = None,
    sympy: str | Callable[..., object] | None = None,
    autograd: str = "native",
    registry: dict[str, Function] = REGISTRY,
    py: str = "",
    **options,
) -> Function:
    """Add one function. ``d`` is its derivative (one parameter) or its partials (one per
    parameter), in the expression language over ``params``. ``py`` lists where pasted code
    finds it: a module (``torch np math``: the same name there) or a dotted name
    (``np.arcsin``); ``np.`` also covers ``numpy.``."""
    where = f"function '{name}'"
    if py:
        options["pasted"] = _pasted_names(name, py)
    if name in registry:
        raise RegistryError(f"{where} is registered twice")
    if not summary:
        raise RegistryError(f"{where} has no summary")
    if d is None:
        raise RegistryError(f"{where} has no derivative rule (d=...)")
    rules = (d,) if isinstance(d, str) else tuple(d)
    if len(rules) != len(params):
        raise RegistryError(f"{where} has {len(params)} parameters but {len(rules)} partials")
    if fold is None:
        raise RegistryError(f"{where} has no constant folding (fold=...)")
    if (torch is None) == (define is None):
        raise RegistryError(f"{where} needs exactly one of torch=... (a torch callable) or define=...")
    if torch is not None and not torch.startswith("torch."):
        raise RegistryError(f"{where}: torch={torch!r} must name a torch callable")
    if sympy is None:
        raise RegistryError(f"{where} has no SymPy constructor (sympy=...)")
    if options.get("positivity", "") not in ("", "argument", "keeps"):
        raise RegistryError(f"{where}: positivity must be 'argument' or 'keeps'")
    if autograd not in ("native", "rule"):
        raise RegistryError(f"{where}: autograd must be 'native' or 'rule', not {autograd!r}")
    constructor = (lambda sp, *a, _attr=sympy: getattr(sp, _attr)(*a)) if isinstance(sympy, str) else sympy
    entry = Function(
        name=name, params=tuple(params), summary=summary, fold=fold, torch=torch,
        define=None if define is None else _tree(define, f"{where}, define"),
        partials=tuple(_tree(r, f"{where}, partial {i + 1}") for i, r in enumerate(rules)),
        sympy=constructor, autograd=autograd, **options,
    )
    registry[name] = entry
    return entry


_MODULE_PATHS = frozenset({"torch", "np", "math", "torch.special", "scipy.special"})


def _pasted_names(name: str, spec: str) -> tuple[str, ...]:
    names: list[str] = []
    for item in spec.split():
        dotted = f"{item}.{name}" if item in _MODULE_PATHS else item
        names.append(dotted)
        if dotted.startswith("np."):
            names.append("numpy." + dotted[3:])
    return tuple(names)


def check_and_fold(registry: dict[str, Function]) -> None:
    """Every rule and definition names registered functions with the right number of arguments
    and only its own parameters; then constant subtrees (``log(2)``, ``2/sqrt(pi)``) are folded."""
    for fn in list(registry.values()):
        trees = [("define", fn.define)] if fn.define is not None else []
        trees += [(f"partial {i + 1}", t) for i, t in enumerate(fn.partials)]
        for label, tree in trees:
            where = f"function '{fn.name}', {label}"
            for node in walk(tree):
                if isinstance(node, Symbol) and node.name not in fn.params:
                    raise RegistryError(f"{where}: '{node.name}' is not a parameter {fn.params}")
                if isinstance(node, Call):
                    callee = registry.get(node.func)
                    if callee is None:
                        raise RegistryError(f"{where}: unknown function '{node.func}'")
                    if not callee.min_args <= len(node.args) <= callee.max_args:
                        raise RegistryError(f"{where}: {node.func}() takes {callee.arity_text()}")
                    if label == "define" and node.func == fn.name:
                        raise RegistryError(f"{where}: a definition cannot call itself")
        for i in fn.literal_args:
            if fn.partials[i] != Num(0.0):
                raise RegistryError(f"function '{fn.name}': literal parameter {fn.params[i]!r} "
                                    "is never differentiated: its partial must be 0")
        folded = {
            "define": None if fn.define is None else _fold_constants(fn.define),
            "partials": tuple(_fold_constants(t) for t in fn.partials),
        }
        registry[fn.name] = Function(**{**fn.__dict__, **folded})


def _fold_constants(node: Node) -> Node:
    from compute.registry.folding import fold_binary, fold_call

    if isinstance(node, Unary):
        inner = _fold_constants(node.operand)
        return Num(-inner.value) if isinstance(inner, Num) else Unary(node.op, inner)
    if isinstance(node, Binary):
        a, b = _fold_constants(node.left), _fold_constants(node.right)
        if isinstance(a, Num) and isinstance(b, Num):
            return Num(fold_binary(node.op, a.value, b.value))
        return Binary(node.op, a, b)
    if isinstance(node, Compare):
        return Compare(node.op, _fold_constants(node.left), _fold_constants(node.right))
    if isinstance(node, Call):
        args = tuple(_fold_constants(a) for a in node.args)
        nums = [a for a in args if isinstance(a, Num)]
        if len(nums) == len(args):
            return Num(fold_call(node.func, [a.value for a in nums]))
        return Call(node.func, args)
    return node


# -- folding helpers (np.float64 in, float out; over/underflow semantics as in compute.registry.folding) --

_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _sigmoid(x: np.float64) -> np.float64:
    if x >= 0:
        return np.float64(1.0) / (np.float64(1.0) + np.exp(-x))
    z = np.exp(x)
    return z / (np.float64(1.0) + z)


def _sech(x: np.float64) -> np.float64:
    """1/cosh(x) without overflowing cosh: sech(1000) is 0, not an error."""
    e = np.exp(-np.abs(x))
    return np.float64(2.0) * e / (np.float64(1.0) + e * e)


def _gamma_sign(x: float) -> float:
    return 1.0 if x > 0 else 1.0 + 4.0 * math.floor(x / 2.0) - 2.0 * math.floor(x)


def _gamma(x: float) -> float:
    x = float(x)
    if x <= 0 and x == math.floor(x):  # a pole: ±inf like the torch definition
        return _gamma_sign(x) * math.inf
    return math.gamma(x)  # OverflowError past 171.6: a constant too large, like exp(710)


def _lgamma(x: float) -> float:
    x = float(x)
    return math.inf if x <= 0 and x == math.floor(x) else math.lgamma(x)


def _digamma(x: float) -> float:
    """ψ(x) to ~1e-15: reflection for x < 0.5, recurrence up to 10, then the asymptotic series."""
    x = float(x)
    if x <= 0 and x == math.floor(x):
        return math.nan
    if x < 0.5:
        return _digamma(np.float64(1.0 - x)) - math.pi / math.tan(math.pi * x)
    shift = 0.0
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return shift + math.log(x) - 0.5 / x - series


def _zeta(s: np.float64, q: np.float64) -> float:
    """Hurwitz ζ(s, q) for a whole s ≥ 2: only reached from a rule with a constant argument."""
    import torch  # never from user text: the function is not part of the language

    return float(torch.special.zeta(torch.tensor(float(s), dtype=torch.float64),
                                    torch.tensor(float(q), dtype=torch.float64)))


def _where(c, a, b):
    return a if c else b


def _variadic(reduce):
    def fold(*args):
        out = args[0]
        for a in args[1:]:
            out = reduce(out, a)
        return out

    return fold


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


def _sympy_normcdf(sp, x):
    """Φ(x), printed as Φ; its value erfc(−x/√2)/2 has no cancellation in the lower tail."""
    cls = _sympy_function(sp, "normcdf", r"\Phi\left(%s\right)",
                          lambda sp, a: sp.erfc(-a / sp.sqrt(2)) / 2,
                          lambda sp, a: sp.exp(-a**2 / 2) / sp.sqrt(2 * sp.pi))
    return cls(x)


def _sympy_log1p(sp, x):
    """log(1 + x), printed so, whose value is mpmath's log1p: SymPy's log(1 + x) rounds 1 + x to
    its working precision first (log(1 + 1e-100) came out 0)."""
    cls = _sympy_function(sp, "log1p", r"\log\left(1 + %s\right)", "log1p", lambda _sp, a: 1 / (1 + a))
    return cls(x)


def _sympy_lgamma(sp, x):
    """log|Γ(x)| (C's and torch's lgamma), real for real x: SymPy's loggamma is complex where
    Γ < 0, and log(Abs(gamma(x))) differentiates into re/im parts."""
    cls = _sympy_function(sp, "lgamma", r"\log\left|\Gamma\left(%s\right)\right|",
                          lambda sp, a: sp.log(sp.Abs(sp.gamma(a))),
                          lambda sp, a: sp.polygamma(0, a))
    return cls(x)


# -- the entries ---------------------------------------------------------------------------------
# Order is the order of the docs' function list.

register("sin", "sine", fold=np.sin, torch="torch.sin", d="cos(x)", sympy="sin", py="torch np math")
register("cos", "cosine", fold=np.cos, torch="torch.cos", d="-sin(x)", sympy="cos", py="torch np math")
register("tan", "tangent", fold=np.tan, torch="torch.tan", d="1 + tan(x)^2", sympy="tan",
         py="torch np math")
register("sec", "secant, 1/cos(x)", fold=lambda x: np.float64(1.0) / np.cos(x),
         define="1/cos(x)", d="sec(x)*tan(x)", sympy="sec")
register("csc", "cosecant, 1/sin(x)", fold=lambda x: np.float64(1.0) / np.sin(x),
         define="1/sin(x)", d="-csc(x)*cot(x)", sympy="csc")
register("cot", "cotangent, 1/tan(x)", fold=lambda x: np.float64(1.0) / np.tan(x),
         define="1/tan(x)", d="-1 - cot(x)^2", sympy="cot")
register("asin", "inverse sine", fold=np.arcsin, torch="torch.asin",
         d="one_minus_square(x)^-0.5", sympy="asin", autograd="rule", aliases=("arcsin",),
         py="torch math torch.arcsin np.arcsin")
register("acos", "inverse cosine", fold=np.arccos, torch="torch.acos",
         d="-one_minus_square(x)^-0.5", sympy="acos", autograd="rule", aliases=("arccos",),
         py="torch math torch.arccos np.arccos")
register("atan", "inverse tangent",
         positivity="keeps", fold=np.arctan, torch="torch.atan",
         d="(1/hypot(1, x))^2", sympy="atan", autograd="rule", aliases=("arctan",),
         py="torch math torch.arctan np.arctan")
register("atan2", "atan2(y, x): angle of the point (x, y)", params=("y", "x"), fold=np.arctan2,
         torch="torch.atan2", d=("x/hypot(x, y)/hypot(x, y)", "-y/hypot(x, y)/hypot(x, y)"),
         sympy="atan2", autograd="rule", aliases=("arctan2",), py="torch math torch.arctan2 np.arctan2")
register("sinh", "hyperbolic sine",
         positivity="keeps", fold=np.sinh, torch="torch.sinh", d="cosh(x)", sympy="sinh",
         py="torch np math")
register("cosh", "hyperbolic cosine", fold=np.cosh, torch="torch.cosh", d="sinh(x)", sympy="cosh",
         py="torch np math")
register("tanh", "hyperbolic tangent",
         positivity="keeps", fold=np.tanh, torch="torch.tanh", d="sech(x)^2",
         sympy="tanh", autograd="rule", py="torch np math torch.nn.functional.tanh F.tanh")
register("sech", "hyperbolic secant, 1/cosh(x)", fold=_sech, define="1/cosh(x)",
         d="-sech(x)*tanh(x)", sympy="sech", autograd="rule")
register("asinh", "inverse hyperbolic sine",
         positivity="keeps", fold=np.arcsinh, torch="torch.asinh",
         d="1/hypot(1, x)", sympy="asinh", autograd="rule", aliases=("arcsinh",),
         py="torch math torch.arcsinh np.arcsinh")
register("acosh", "inverse hyperbolic cosine", fold=np.arccosh, torch="torch.acosh",
         d="(x - 1)^-0.5*(x + 1)^-0.5", sympy="acosh", autograd="rule", aliases=("arccosh",),
         py="torch math torch.arccosh np.arccosh")
register("atanh", "inverse hyperbolic tangent", fold=np.arctanh, torch="torch.atanh",
         d="1/one_minus_square(x)", sympy="atanh", autograd="rule", aliases=("arctanh",),
         py="torch math torch.arctanh np.arctanh")
register("exp", "exponential", fold=np.exp, torch="torch.exp", d="exp(x)", sympy="exp",
         py="torch np math")
register("exp2", "2 to the power x", fold=np.exp2, torch="torch.exp2", d="exp2(x)*log(2)",
         sympy=lambda sp, x: sp.Integer(2) ** x, py="torch np math torch.special.exp2")
register("expm1", "exp(x) - 1, accurate near 0",
         positivity="keeps", fold=np.expm1, torch="torch.expm1", d="exp(x)",
         sympy=lambda sp, x: sp.exp(x) - 1, autograd="rule", py="torch np math torch.special.expm1")
register("log", "natural logarithm; log(x, b) is the base-b logarithm",
         positivity="argument", fold=np.log,
         torch="torch.log", d="1/x", sympy="log", aliases=("ln",), with_base=True, py="torch np math")
register("log1p", "log(1 + x), accurate near 0", fold=np.log1p, torch="torch.log1p", d="1/(1 + x)",
         sympy=_sympy_log1p, py="torch np math torch.special.log1p")
register("log2", "base-2 logarithm",
         positivity="argument", fold=np.log2, torch="torch.log2", d="1/(x*log(2))",
         sympy=lambda sp, x: sp.log(x, 2), py="torch np math")
register("log10", "base-10 logarithm",
         positivity="argument", fold=np.log10, torch="torch.log10", d="1/(x*log(10))",
         sympy=lambda sp, x: sp.log(x, 10), py="torch np math")
register("logaddexp", "logaddexp(x, y) = log(exp(x) + exp(y)), without overflow",
         params=("x", "y"), commutative=True, fold=np.logaddexp, torch="torch.logaddexp",
         d=("sigmoid(x - y)", "sigmoid(y - x)"), sympy=lambda sp, x, y: sp.log(sp.exp(x) + sp.exp(y)),
         autograd="rule", py="torch np")
register("sqrt", "square root",
         positivity="argument", fold=np.sqrt, torch="torch.sqrt", d="0.5/sqrt(x)", sympy="sqrt",
         py="torch np math")
register("cbrt", "real cube root",
         positivity="keeps", fold=np.cbrt, define="sign(x)*abs(x)^(1/3)", d="abs(x)^(-2/3)/3",
         sympy=lambda sp, x: sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3), autograd="rule",
         py="np math")
register("hypot", "hypot(x, y) = sqrt(x^2 + y^2), without overflow", params=("x", "y"), commutative=True,
         fold=np.hypot, torch="torch.hypot", d=("unit(x, y)", "unit(y, x)"),
         sympy=lambda sp, x, y: sp.sqrt(x**2 + y**2), autograd="rule", py="torch np math")
register("abs", "absolute value", fold=np.abs, torch="torch.abs", d="sign(x)", sympy="Abs",
         aliases=("fabs", "absolute"), py="torch np torch.absolute np.absolute np.fabs math.fabs")
register("sign", "sign: -1, 0 or 1",
         positivity="keeps", fold=np.sign, torch="torch.sign", d="0", sympy="sign",
         py="torch np")
register("erf", "error function",
         positivity="keeps", fold=math.erf, torch="torch.special.erf",
         d="2/sqrt(pi)*exp(-x^2)", sympy="erf", py="torch math torch.special scipy.special")
register("erfc", "complementary error function", fold=math.erfc,
         torch="torch.special.erfc", d="-2/sqrt(pi)*exp(-x^2)", sympy="erfc",
         py="torch math torch.special scipy.special")
# torch.special.ndtr is 1 + erf(x/√2) over 2: 0 at x = -13.7, where Φ is 5e-43.
register("normcdf", "standard normal CDF Φ(x)", fold=lambda x: 0.5 * math.erfc(-float(x) / math.sqrt(2.0)),
         define="erfc(-x/sqrt(2))/2", d="normpdf(x)", sympy=_sympy_normcdf,
         aliases=("N", "Phi", "ncdf", "ndtr"),
         py="torch.special.ndtr scipy.special.ndtr norm.cdf stats.norm.cdf scipy.stats.norm.cdf")
register("normpdf", "standard normal density φ(x) = exp(-x^2/2)/sqrt(2 pi)",
         fold=lambda x: math.exp(-0.5 * float(x) * float(x)) / _SQRT_2PI,
         define="exp(-x*x/2)/sqrt(2*pi)", d="-x_normpdf(x)",
         sympy=lambda sp, x: sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi), autograd="rule",
         py="norm.pdf stats.norm.pdf scipy.stats.norm.pdf")
register("gamma", "gamma function Γ(x)", fold=_gamma,
         define="where(x > 0, 1, 1 + 4*floor(x/2) - 2*floor(x))*exp(lgamma(x))",
         d="gamma(x)*digamma(x)", sympy="gamma", py="math scipy.special")
# torch differentiates digamma with a trigamma 1e-10 off: digamma's rule is ζ(2, x) instead, and
# lgamma is rule-backed so that its second derivative goes through that rule too.
register("lgamma", "log|Γ(x)|", fold=_lgamma, torch="torch.lgamma", d="digamma(x)",
         sympy=_sympy_lgamma, autograd="rule", aliases=("gammaln",),
         py="torch math torch.special.gammaln scipy.special.gammaln")
register("digamma", "digamma function ψ(x) = Γ'(x)/Γ(x)", fold=_digamma,
         torch="torch.special.digamma", d="zeta(2, x)", sympy="digamma", autograd="rule",
         py="torch torch.special scipy.special torch.special.psi scipy.special.psi")
register("min", "smallest of its arguments", params=("x", "y"), commutative=True, variadic=True,
         fold=_variadic(np.minimum), torch="torch.minimum",
         d=("heaviside(y - x)", "heaviside(x - y)"), sympy="Min",
         py="torch.minimum torch.min np.minimum np.fmin")
register("max", "largest of its arguments", params=("x", "y"), commutative=True, variadic=True,
         fold=_variadic(np.maximum), torch="torch.maximum",
         d=("heaviside(x - y)", "heaviside(y - x)"), sympy="Max",
         py="torch.maximum torch.max np.maximum np.fmax")
register("sigmoid", "logistic function 1/(1 + exp(-x))", fold=_sigmoid, torch="torch.sigmoid",
         d="sech(x/2)^2/4", sympy=lambda sp, x: 1 / (1 + sp.exp(-x)), autograd="rule",
         aliases=("expit", "logistic"),
         py="torch torch.special.expit scipy.special.expit torch.nn.functional.sigmoid F.sigmoid")
register("softplus", "log(1 + exp(x))", fold=lambda x: np.logaddexp(np.float64(0.0), x),
         define="logaddexp(x, 0)", d="sigmoid(x)", sympy=lambda sp, x: sp.log(1 + sp.exp(x)),
         autograd="rule", py="torch.nn.functional.softplus F.softplus")
register("where", "where(condition, a, b): a where the condition holds, else b",
         params=("c", "a", "b"), condition=True, fold=_where, torch="torch.where",
         d=("0", "where(c, 1, 0)", "where(c, 0, 1)"),
         sympy=lambda sp, c, a, b: sp.Piecewise((a, c), (b, True)), py="torch np")
# Used inside rules and definitions only.
register("one_minus_square", "1 - x^2, accurate near |x| = 1", fold=lambda x: (1.0 - x) * (1.0 + x),
         define="(1 - x)*(1 + x)", d="-2*x", sympy=lambda _sp, x: 1 - x**2, autograd="rule",
         hidden=True)
register("unit", "x/hypot(x, y): a component of the unit vector", params=("x", "y"),
         fold=lambda x, y: x / np.hypot(x, y), define="x/hypot(x, y)",
         d=("unit(y, x)^2/hypot(x, y)", "-unit(x, y)*unit(y, x)/hypot(x, y)"),
         sympy=lambda sp, x, y: x / sp.sqrt(x**2 + y**2), autograd="rule", hidden=True)
# x·φ(x) as one function: its reverse-mode derivatives never multiply x by x before φ (x² overflows
# at |x| = 1e200, where x³φ(x) is 0).
register("x_normpdf", "x times the standard normal density", fold=lambda x: float(x) * math.exp(
         -0.5 * float(x) * float(x)) / _SQRT_2PI, define="x*normpdf(x)",
         d="normpdf(x) - x*x_normpdf(x)", sympy=lambda sp, x: x * sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi),
         autograd="rule", hidden=True)
# Hurwitz ζ(s, q) = Σ (q + k)^-s, s a literal: torch's underflows its terms for large q (0 at
# q = 1e300, where ζ(2, q) = 1e-300), so there the first terms of its asymptotic series take over.
register("zeta", "Hurwitz zeta function ζ(s, q) (s a constant)", params=("s", "q"), fold=_zeta,
         define="where(q > 1e6, q^(1 - s)/(s - 1)*(1 + (s - 1)/(2*q) + s*(s - 1)/(12*q*q)), "
                "zeta_series(s, q))",
         d=("0", "-s*zeta(s + 1, q)"), sympy="zeta", autograd="rule", literal_args=(0,),
         hidden=True)
register("zeta_series", "Hurwitz zeta function ζ(s, q), summed (s a constant)", params=("s", "q"),
         fold=_zeta, torch="torch.special.zeta", d=("0", "-s*zeta(s + 1, q)"), sympy="zeta",
         autograd="rule", literal_args=(0,), hidden=True)
register("floor", "largest whole number not above x", fold=np.floor, torch="torch.floor", d="0",
         sympy="floor", hidden=True)
register("heaviside", "step function: 0 below 0, 1/2 at 0, 1 above", fold=lambda x: np.heaviside(x, 0.5),
         define="where(x > 0, 1, where(x < 0, 0, 0.5))", d="0", sympy="Heaviside", hidden=True)

check_and_fold(REGISTRY)

FUNCTIONS: dict[str, Function] = {name: fn for name, fn in REGISTRY.items() if not fn.hidden}
"""The functions a user may call, in documentation order."""

# -- names people type or paste (issue 11) ------------------------------------------------------
# Calls that are operators of the language, not functions: ``pow(a, b)`` is ``a**b``. Each maps to
# (operator, number of arguments); "square" is x**2, "neg" is -x.
OPERATOR_CALLS: dict[str, tuple[str, int]] = {
    **{name: ("**", 2) for name in ("pow", "power", "torch.pow", "torch.float_power", "np.power",
                                     "numpy.power", "np.float_power", "numpy.float_power", "math.pow")},
    **{name: ("square", 1) for name in ("square", "torch.square", "np.square", "numpy.square")},
    **{name: ("*", 2) for name in ("torch.mul", "torch.multiply", "np.multiply", "numpy.multiply")},
    **{name: ("+", 2) for name in ("torch.add", "np.add", "numpy.add")},
    **{name: ("-", 2) for name in ("torch.sub", "torch.subtract", "np.subtract", "numpy.subtract")},
    **{name: ("/", 2) for name in ("torch.div", "torch.divide", "torch.true_divide", "np.divide",
                                    "numpy.divide", "np.true_divide", "numpy.true_divide")},
    **{name: ("neg", 1) for name in ("torch.neg", "torch.negative", "np.negative", "numpy.negative")},
}
PASTED_CONSTANTS: dict[str, str] = {
    f"{module}.{name}": name for module in ("math", "np", "numpy", "torch") for name in ("pi", "e")}
"""Constants as pasted code writes them (``math.pi``, ``np.e``)."""
MODULES = ("torch", "np", "numpy", "math", "scipy", "F", "norm", "stats")
"""First parts of the dotted names above: a dotted name starting with one of them that is not
listed is a function of that library the language does not have."""


def _pasted_tables() -> tuple[dict[str, str], dict[str, str]]:
    aliases: dict[str, str] = {}
    pasted: dict[str, str] = {}
    for fn in FUNCTIONS.values():
        for alias in fn.aliases:
            if alias in REGISTRY or alias in _CONSTANTS or alias in OPERATOR_CALLS or alias in aliases:
                raise RegistryError(f"function '{fn.name}': alias '{alias}' is already a name")
            aliases[alias] = fn.name
        for dotted in fn.pasted:
            if dotted in pasted or dotted in OPERATOR_CALLS or dotted.split(".")[0] not in MODULES:
                raise RegistryError(f"function '{fn.name}': '{dotted}' is listed twice or has an "
                                    "unknown module")
            pasted[dotted] = fn.name
    return aliases, pasted


ALIASES, PASTED = _pasted_tables()
"""Alias -> function (``ln`` -> log, ``N`` -> normcdf) and dotted name -> function
(``torch.special.ndtr`` -> normcdf), built from the entries' ``aliases`` and ``pasted``."""


def sympy_call(name: str, *args):
    """The SymPy expression of one call (imports SymPy)."""
    import sympy as sp

    return REGISTRY[name].sympy(sp, *args)
