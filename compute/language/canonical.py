"""The canonical text of an expression: what the app shows back ("Read as: …") so a user who
typed ``2tk^2``, pasted a ``def`` or ``torch.sin`` learns the plain form. It parses back to the
same trees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compute.language import tree
from compute.language.tree import PRECEDENCE, Binary, Call, Compare, Constant, Node, Num, Ref, Symbol, Unary

if TYPE_CHECKING:
    from compute.language.expression import Expression


def number_text(value: float) -> str:
    """``2``, ``0.5``, ``1e-5`` (not ``1e-05``), ``1e+20`` as ``1e20``."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def node_text(node: Node, parent: int = 0) -> str:
    """One tree as text, with only the parentheses its meaning needs."""
    if isinstance(node, Num):
        text = number_text(node.value)
        return f"({text})" if text.startswith("-") and parent else text
    if isinstance(node, (Constant, Symbol, Ref)):
        return node.name
    if isinstance(node, Unary):
        text = node.op + node_text(node.operand, PRECEDENCE["unary"])
        return f"({text})" if parent >= PRECEDENCE["unary"] else text
    if isinstance(node, Binary):
        level = PRECEDENCE[node.op]
        if node.op == "**":  # right-associative; -x**2 is -(x**2), so a unary base needs ( )
            left, right = node_text(node.left, level + 1), node_text(node.right, PRECEDENCE["unary"])
        else:
            left, right = node_text(node.left, level), node_text(node.right, level + 1)
        text = f"{left} {node.op} {right}" if level == 1 else f"{left}{node.op}{right}"
        return f"({text})" if parent > level or (parent == level and node.op == "**") else text
    if isinstance(node, Compare):
        return f"{node_text(node.left, 1)} {node.op} {node_text(node.right, 1)}"
    if isinstance(node, Call):
        return f"{node.func}({', '.join(node_text(a) for a in node.args)})"
    derivative = getattr(tree, "Derivative", None)
    if derivative is not None and isinstance(node, derivative):
        return f"diff({', '.join([node_text(node.operand), *node.wrt])})"
    raise TypeError(f"cannot print {type(node).__name__}")  # pragma: no cover


def expression_text(expression: Expression) -> str:
    """Definitions, one per line, then the output line: ``f(t, k) = …`` when the variables were
    declared, ``name = …`` for a single output not called f, ``u, v`` for listed outputs."""
    lines = [f"{name} = {node_text(node)}" for name, node in expression.definitions]
    outputs = expression.outputs
    defined = {name for name, _ in expression.definitions}
    if len(outputs) == 1:
        body = node_text(outputs[0][1])
    elif all(isinstance(node, Ref) and node.name == name and name in defined for name, node in outputs):
        body = ", ".join(name for name, _ in outputs)
    else:
        body = ", ".join(node_text(node) for _, node in outputs)
    variables = getattr(expression, "variables", ())
    name = getattr(expression, "function_name", outputs[0][0])
    if variables:
        lines.append(f"{name}({', '.join(variables)}) = {body}")
    elif len(outputs) == 1 and name != "f":
        lines.append(f"{name} = {body}")
    else:
        lines.append(body)
    return "\n".join(lines)
