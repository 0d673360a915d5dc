"""A runnable, self-contained torch.func snippet that reproduces a computation.

The code is printed from the validated tree, never copied from user text, so nothing a user typed
reaches the snippet except names that already passed the identifier check.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Mapping, Sequence

import numpy as np

from .derivatives import partial_label
from .expression import Expression
from .grid import AxisSpec, Grid, Points
from .tree import Binary, Call, Compare, Constant, Node, Num, Ref, Symbol, Unary

_TORCH_CALL = {
    "sin": "torch.sin", "cos": "torch.cos", "tan": "torch.tan", "atan": "torch.atan",
    "atan2": "torch.atan2", "sinh": "torch.sinh", "cosh": "torch.cosh", "asinh": "torch.asinh",
    "exp": "torch.exp", "log": "torch.log", "log1p": "torch.log1p",
    "log2": "torch.log2", "log10": "torch.log10", "sqrt": "torch.sqrt", "abs": "torch.abs",
    "sign": "torch.sign", "erf": "torch.special.erf", "erfc": "torch.special.erfc",
    "min": "torch.minimum", "max": "torch.maximum", "where": "torch.where",
}
_STABLE_FACTORY = '''def stable(forward, derivative):
    """forward's value with an accurate derivative (torch's loses digits where it saturates)."""
    class Function(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x):
            return forward(x)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * derivative(x)

    return Function.apply
'''
_STABLE = {  # the same definitions as compute/stable_ops.py
    "sigmoid": "sigmoid = stable(torch.sigmoid, lambda x: sigmoid(x) * sigmoid(-x))",
    "sech": "sech = stable(lambda x: torch.cosh(x).reciprocal(), lambda x: -sech(x) * tanh(x))",
    "tanh": "tanh = stable(torch.tanh, lambda x: sech(x) * sech(x))",
    "softplus": "softplus = stable(lambda x: torch.logaddexp(x, torch.zeros_like(x)), "
                "lambda x: sigmoid(x))",
    "atanh": "atanh = stable(torch.atanh, lambda x: ((1 - x) * (1 + x)).reciprocal())",
    "asin": "asin = stable(torch.asin, lambda x: ((1 - x) * (1 + x)).rsqrt())",
    "acos": "acos = stable(torch.acos, lambda x: -((1 - x) * (1 + x)).rsqrt())",
    "acosh": "acosh = stable(torch.acosh, lambda x: (x - 1).rsqrt() * (x + 1).rsqrt())",
    "expm1": "expm1 = stable(torch.expm1, torch.exp)",
}
_HELPERS = {
    "cbrt": "def cbrt(x):\n    return torch.sign(x) * torch.abs(x).pow(1.0 / 3.0)\n",
    **_STABLE,
}
_TAKEN = {"torch", "math", "grad", "vmap", "cbrt", "point", "points", "shape", "T", "stable",
          *_STABLE}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "unary": 3, "**": 4}


def _safe(name: str) -> str:
    """User names can shadow what the snippet imports; give those a trailing underscore."""
    return f"{name}_" if name in _TAKEN or keyword.iskeyword(name) or name.startswith("d_") else name


def _num(value: float) -> str:
    if math.isnan(value):
        return "math.nan"
    if value in (float("inf"), float("-inf")):
        return "math.inf" if value > 0 else "-math.inf"
    return repr(float(value))


class _Printer:
    def __init__(self) -> None:
        self.helpers: set[str] = set()

    def code(self, node: Node, parent: int = 0) -> str:
        if isinstance(node, Num):
            text = _num(node.value)
            return f"({text})" if text.startswith("-") and parent else text
        if isinstance(node, Constant):
            return "math.pi" if node.name == "pi" else "math.e"
        if isinstance(node, (Symbol, Ref)):
            return _safe(node.name)
        if isinstance(node, Unary):
            inner = self.code(node.operand, _PRECEDENCE["unary"])
            text = f"-{inner}" if node.op == "-" else inner
            return f"({text})" if parent >= _PRECEDENCE["unary"] else text
        if isinstance(node, Binary):
            level = _PRECEDENCE[node.op]
            if node.op == "**":  # right-associative
                left, right = self.code(node.left, level + 1), self.code(node.right, level)
            else:
                left, right = self.code(node.left, level), self.code(node.right, level + 1)
            text = f"{left} {node.op} {right}" if level == 1 else f"{left}{node.op}{right}"
            return f"({text})" if parent > level or (parent == level and node.op == "**") else text
        if isinstance(node, Compare):
            return f"{self.code(node.left, 1)} {node.op} {self.code(node.right, 1)}"
        if isinstance(node, Call):
            args = [self.code(a) for a in node.args]
            if node.func in _HELPERS:
                self.helpers.add(node.func)
                return f"{node.func}({args[0]})"
            if node.func in ("min", "max", "atan2", "where"):
                first = 1 if node.func == "where" else 0
                args[first:] = [f"torch.as_tensor({a})" if _is_constant(n) else a
                                for a, n in zip(args[first:], node.args[first:], strict=True)]
            if node.func in ("min", "max") and len(args) > 2:
                out = args[0]
                for a in args[1:]:
                    out = f"{_TORCH_CALL[node.func]}({out}, {a})"
                return out
            return f"{_TORCH_CALL[node.func]}({', '.join(args)})"
        raise TypeError(node)  # pragma: no cover


def _is_constant(node: Node) -> bool:
    return isinstance(node, (Num, Constant)) or (
        isinstance(node, Unary) and isinstance(node.operand, (Num, Constant))
    )


def _axis_code(name: str, values: np.ndarray, spec: AxisSpec | None) -> str:
    if spec is not None and spec.kind == "arange" and spec.size > 12:
        a, _, step = spec.args
        return f"{name} = {_num(a)} + {_num(step)} * torch.arange({spec.size})"
    if spec is not None and spec.kind == "linspace" and spec.size > 12:
        a, b, n = spec.args
        return (f"{name} = {_num(a)} + ({_num(b)} - {_num(a)}) * torch.arange({int(n)}) / {int(n) - 1}\n"
                f"{name}[-1] = {_num(b)}")
    return f"{name} = torch.tensor([{', '.join(_num(v) for v in values)}])"


def torch_snippet(
    expression: Expression,
    domain: Grid | Points,
    params: Mapping[str, float],
    partials: Sequence[tuple[str, ...]],
    axis_specs: Mapping[str, AxisSpec] | None = None,
) -> str:
    """Python source that recomputes f and each partial with torch.func and prints them."""
    printer = _Printer()
    names = list(domain.names)
    args = names + [p for p in params if p not in names]
    lines_fn: list[str] = []
    for name, node in expression.folded_definitions:
        lines_fn.append(f"    {_safe(name)} = {printer.code(node)}")
    bodies = {}
    for out_name, node in expression.folded_outputs:
        body = printer.code(node)
        if isinstance(node, Num):  # a constant still needs one value per point
            body = f"torch.as_tensor({body}) + 0.0 * {_safe(args[0])}"
        bodies[out_name] = body
    signature = ", ".join(_safe(a) for a in args)

    out: list[str] = [
        "# Reproduces Partials' numbers with torch.func: vmap over points of nested grad.",
        "import math",
        "",
        "import torch",
        "from torch.func import grad, vmap",
        "",
        "torch.set_default_dtype(torch.float64)",
        "",
    ]
    used = set(printer.helpers)
    for helper, needs in (("softplus", {"sigmoid"}), ("tanh", {"sech"}), ("sech", {"tanh"})):
        if helper in printer.helpers:
            used |= needs
    stable = [h for h in _STABLE if h in used]
    if stable:
        out += [_STABLE_FACTORY, *[_STABLE[h] for h in stable], ""]
    out += [_HELPERS[h] for h in sorted(printer.helpers) if h not in _STABLE]
    for output, body in bodies.items():
        fn = f"f_{_safe(output)}" if expression.is_vector else "f"
        out += [f"def {fn}({signature}):", *lines_fn, f"    return {body}", "", ""]
    out[-1:] = []
    if isinstance(domain, Grid):
        out.append("# grid axes (the first varies slowest)")
        for name, values in domain.axes:
            out.append(_axis_code(_safe(name), values, (axis_specs or {}).get(name)))
        axes = ", ".join(_safe(n) for n in names)
        out.append(f"points = torch.meshgrid({axes}, indexing=\"ij\")")
        out.append("shape = points[0].shape")
        out.append("points = [p.flatten() for p in points]")
    else:
        out.append("# scattered points, one tensor per variable")
        for name, values in domain.columns:
            out.append(_axis_code(_safe(name), values, None))
        out.append(f"points = [{', '.join(_safe(n) for n in names)}]")
        out.append("shape = points[0].shape")
    for name in args[len(names):]:
        out.append(f"points.append(torch.full_like(points[0], {_num(params[name])}))  # parameter {name}")
    out.append("")
    for output in bodies:
        fn = f"f_{_safe(output)}" if expression.is_vector else "f"
        out.append(f"print({output!r}, vmap({fn})(*points).reshape(shape).tolist())")
        for wrt in partials:
            derivative = fn
            for name in reversed(wrt):
                derivative = f"grad({derivative}, argnums={args.index(name)})"
            label = partial_label(output, wrt, ascii_only=True)
            out.append(f"print({label!r}, vmap({derivative})(*points).reshape(shape).tolist())")
    return "\n".join(out) + "\n"
