"""Expression trees printed as torch code: the printer ``torch_snippet`` writes its functions with.

A registry function is called as torch's own where torch's derivative is the registry's;
otherwise the code defines it (``helper_code``): a definition as a ``def``, a rule-backed
function as ``stable(forward, partials...)``, printed from the same rules the engines use.
``where``'s branches read their names through ``only_where``, the engine's cut of the gradient.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from compute.language.tree import (
    PRECEDENCE,
    Binary,
    Call,
    Compare,
    Constant,
    Node,
    Num,
    Ref,
    Symbol,
    Unary,
    reads,
)
from compute.registry.functions import REGISTRY

_STABLE_FACTORY = '''def stable(forward, *partials):
    """forward's value with these partials as its derivative (torch's own loses digits or
    overflows in its intermediates here): compute/registry/catalogue.py's rules, printed."""
    class Function(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(*args):
            return forward(*args)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad):
            args = ctx.saved_tensors
            return tuple(grad * partial(*args) if needed else None
                         for partial, needed in zip(partials, ctx.needs_input_grad))

    return Function.apply
'''
_ONLY_WHERE = '''def only_where(cond, value):
    """value, its gradient cut where cond is false: where()'s branch not taken cannot turn its
    infinite derivative into 0*inf = nan."""
    return torch.where(cond, value, value.detach())
'''


def number_code(value: float) -> str:
    """A float as Python source that reads back the same float (``math.inf``, ``math.nan``)."""
    if math.isnan(value):
        return "math.nan"
    if value in (float("inf"), float("-inf")):
        return "math.inf" if value > 0 else "-math.inf"
    return repr(float(value))


class TorchPrinter:
    """Trees as torch expressions over ``names``; remembers the registry functions it called by
    name (``helpers``) and whether it used ``only_where``, for ``helper_code``."""

    def __init__(self, names: Mapping[str, str], definitions: Mapping[str, Node] | None = None,
                 *, mask: bool = True) -> None:
        self.names = names
        self.definitions = definitions or {}  # intermediates, recomputed inside where's branches
        self.mask = mask  # cut the gradient of where's branches (not in a forward without one)
        self.helpers: set[str] = set()  # registry functions printed by name (defined in the code)
        self.only_where = False

    def code(self, node: Node, parent: int = 0) -> str:
        if isinstance(node, Num):
            text = number_code(node.value)
            return f"({text})" if text.startswith("-") and parent else text
        if isinstance(node, Constant):
            return "math.pi" if node.name == "pi" else "math.e"
        if isinstance(node, (Symbol, Ref)):
            return self.names[node.name]
        if isinstance(node, Unary):
            inner = self.code(node.operand, PRECEDENCE["unary"])
            text = f"-{inner}" if node.op == "-" else inner
            return f"({text})" if parent >= PRECEDENCE["unary"] else text
        if isinstance(node, Binary):
            level = PRECEDENCE[node.op]
            if node.op == "**":  # right-associative
                left, right = self.code(node.left, level + 1), self.code(node.right, level)
            else:
                left, right = self.code(node.left, level), self.code(node.right, level + 1)
            text = f"{left} {node.op} {right}" if level == 1 else f"{left}{node.op}{right}"
            return f"({text})" if parent > level or (parent == level and node.op == "**") else text
        if isinstance(node, Compare):
            return f"{self.code(node.left, 1)} {node.op} {self.code(node.right, 1)}"
        if isinstance(node, Call):
            fn = REGISTRY[node.func]
            if fn.condition:
                return self._where(node)
            args = [self.code(a) for a in node.args]
            if len(args) > 1:  # torch's binary functions and the helpers take tensors
                args = [f"torch.as_tensor({a})" if _is_constant(n) else a
                        for a, n in zip(args, node.args, strict=True)]
            name = self.callable(fn.name)
            out = f"{name}({', '.join(args[:2])})"
            for a in args[2:]:  # variadic: a chain of binary calls
                out = f"{name}({out}, {a})"
            return out
        raise TypeError(node)  # pragma: no cover

    def callable(self, name: str) -> str:
        """How the code calls a registry function: torch's own, or a helper it defines."""
        fn = REGISTRY[name]
        if fn.torch is not None and fn.autograd == "native":
            return fn.torch
        self.helpers.add(name)
        return name

    def _where(self, node: Call) -> str:
        """torch.where, each branch reading its free names through only_where and its
        intermediates recomputed from those: the same cut of the gradient as the engine's
        (compute/engines/torch_lowering.py)."""
        condition, first, second = node.args
        cond = self.code(condition)
        if isinstance(condition, Num):
            cond = f"torch.tensor({bool(condition.value)})"
        branches = []
        for branch, test in ((first, cond), (second, f"~({cond})")):
            printer = self._cut(branch, test) if self.mask else self
            text = printer.code(branch)
            self.helpers |= printer.helpers
            self.only_where = self.only_where or printer.only_where
            branches.append(f"torch.as_tensor({text})" if _is_constant(branch) else text)
        return f"torch.where({cond}, {branches[0]}, {branches[1]})"

    def _cut(self, branch: Node, test: str) -> TorchPrinter:
        leaves, intermediates = reads(branch, self.definitions)
        names = {**self.names, **{n: f"only_where({test}, {self.names[n]})" for n in leaves}}
        printer = TorchPrinter(names, self.definitions)
        for name, tree in self.definitions.items():  # in definition order
            if name in intermediates:
                names[name] = f"({printer.code(tree)})"
        printer.only_where = bool(leaves)
        return printer


def helper_code(printer: TorchPrinter) -> list[str]:
    """The definitions of every registry function the code calls by name, and of those their
    definitions and rules call, in registry order: a definition as a def, a rule-backed
    function as stable(forward, partials...)."""
    done: dict[str, str] = {}
    todo = list(printer.helpers)
    while todo:
        name = todo.pop()
        if name in done:
            continue
        fn = REGISTRY[name]
        params = ["arg"] if len(fn.params) == 1 else [f"arg{i + 1}" for i in range(len(fn.params))]
        inner = TorchPrinter(dict(zip(fn.params, params, strict=True)))
        signature = ", ".join(params)
        forward = None
        if fn.define is not None:  # a rule-backed forward runs without a gradient: no cuts
            definition = TorchPrinter(inner.names, mask=fn.autograd == "native")
            forward = definition.code(fn.define)
            inner.helpers |= definition.helpers
            inner.only_where = inner.only_where or definition.only_where
        if fn.autograd == "native":
            done[name] = f"def {name}({signature}):\n    return {forward}\n"
        else:
            partials = ", ".join(f"lambda {signature}: {inner.code(rule)}" for rule in fn.partials)
            head = fn.torch if forward is None else f"lambda {signature}: {forward}"
            done[name] = f"{name} = stable({head}, {partials})"
        printer.only_where = printer.only_where or inner.only_where
        todo += sorted(inner.helpers - set(done))
    code = []
    if any(REGISTRY[n].autograd == "rule" for n in done):
        code.append(_STABLE_FACTORY)
    if printer.only_where:
        code.append(_ONLY_WHERE)
    stable = [done[n] for n in REGISTRY if n in done and REGISTRY[n].autograd == "rule"]
    if stable:
        code += [*stable, ""]
    code += [done[n] for n in REGISTRY if n in done and REGISTRY[n].autograd == "native"]
    return code


def _is_constant(node: Node) -> bool:
    return isinstance(node, (Num, Constant)) or (
        isinstance(node, Unary) and isinstance(node.operand, (Num, Constant))
    )
