"""The function registry: everything about each function of the expression language, in one entry.

The entries themselves are in ``compute.registry.catalogue``, one ``entry(...)`` a function; this
module is what an entry is (``Function``), how one is checked (``register``, ``check_and_fold``),
and the tables every consumer reads, built from the entries.

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

``autograd`` says which backward the autograd engines use: ``"native"`` is torch's own derivative
(checked to agree with the rule at ordinary and extreme arguments by tests/test_functions.py),
``"rule"`` wraps the forward in a ``torch.autograd.Function`` whose backward is ``partials``.

An incomplete entry — no rule, a rule naming an unknown function or parameter, a wrong number of
arguments — raises :class:`RegistryError` when the registry is imported, never a ``KeyError`` later.
Importing this module imports neither torch nor SymPy (the parser must stay light).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from compute.language.tree import (
    BINARY_OPS,
    COMPARE_OPS,
    CONSTANTS,
    Binary,
    Call,
    Compare,
    Node,
    Num,
    Symbol,
    Unary,
    walk,
)
from compute.registry.catalogue import ENTRIES
from compute.registry.folding import fold_binary, fold_call


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
"""Every entry, hidden ones too, in catalogue order (filled from ``catalogue.ENTRIES`` below)."""


def _tree(text: str, where: str) -> Node:
    """A rule or definition (text of the catalogue, never user text) as a tree: ``ast.parse`` and a
    whitelist walk, like the expression parser, with constant calls folded at the end."""

    def build(node: ast.expr) -> Node:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return Num(float(node.value))
        if isinstance(node, ast.Name):
            return Num(CONSTANTS[node.id]) if node.id in CONSTANTS else Symbol(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = build(node.operand)
            return Num(-inner.value) if isinstance(inner, Num) else Unary("-", inner)
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY_OPS:
            return Binary(BINARY_OPS[type(node.op)], build(node.left), build(node.right))
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE_OPS:
            return Compare(COMPARE_OPS[type(node.ops[0])], build(node.left), build(node.comparators[0]))
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


for _name, _summary, _facts in ENTRIES:
    register(_name, _summary, registry=REGISTRY, **_facts)
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
    f"{module}.{name}": name for module in ("math", "np", "numpy", "torch") for name in CONSTANTS}
"""Constants as pasted code writes them (``math.pi``, ``np.e``)."""
MODULES = ("torch", "np", "numpy", "math", "scipy", "F", "norm", "stats")
"""First parts of the dotted names above: a dotted name starting with one of them that is not
listed is a function of that library the language does not have."""


def _pasted_tables() -> tuple[dict[str, str], dict[str, str]]:
    aliases: dict[str, str] = {}
    pasted: dict[str, str] = {}
    for fn in FUNCTIONS.values():
        for alias in fn.aliases:
            if alias in REGISTRY or alias in CONSTANTS or alias in OPERATOR_CALLS or alias in aliases:
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
