"""The forms people paste and type, read into the plain language (issue 11).

- ``f(t, k) = expression`` (found in the text by ``source.function_header``), a pasted
  ``def f(t, k): … return …`` and ``lambda t, k: …`` fix the variables' order and the output's
  name; their bodies are the same ``name = expression`` lines and final expression as always.
- Calls people write: aliases (``ln``, ``arcsin``, ``N``/``Phi``), module prefixes
  (``torch.sin``, ``np.exp``, ``torch.special.ndtr``), operators as calls (``torch.pow(a, b)``)
  and ``log(x, base)``, all from the registry (``compute.registry.functions``).

Everything here rewrites Python's syntax tree before the whitelist walk builds ours; nothing is
evaluated. Anything else is an error that says what is not supported and why.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compute.errors import PartialsError
from compute.language.source import Header, original_column
from compute.language.tree import BINARY_OPS
from compute.language.vocabulary import CONSTANTS, FUNCTIONS, RESERVED_NAMES
from compute.registry.functions import ALIASES, MODULES, OPERATOR_CALLS, PASTED, PASTED_CONSTANTS

if TYPE_CHECKING:
    from compute.language.tree_builder import TreeBuilder

_AST_OPS = {op: node for node, op in BINARY_OPS.items()}  # "**" -> ast.Pow: pow(a, b) is a**b
_LOOP = ("loops are not allowed", "the function is computed on the whole grid at once")
_READS = "a function reads only its arguments, parameters and its own lines"
_STATEMENT_WORDS: dict[type, tuple[str, str]] = {
    ast.Import: ("'import' is not needed", "torch., np. and math. names work without it"),
    ast.ImportFrom: ("'import' is not needed", "torch., np. and math. names work without it"),
    ast.While: _LOOP, ast.For: _LOOP, ast.AsyncFor: _LOOP,
    ast.If: ("'if' statements are not allowed", "use where(condition, a, b)"),
    ast.Global: ("'global' is not allowed", _READS),
    ast.Nonlocal: ("'nonlocal' is not allowed", _READS),
    ast.ClassDef: ("'class' is not allowed", ""),
    ast.With: ("'with' is not allowed", ""), ast.AsyncWith: ("'with' is not allowed", ""),
    ast.Try: ("'try' is not allowed", ""), ast.Raise: ("'raise' is not allowed", ""),
    ast.Assert: ("'assert' is not allowed", ""), ast.Delete: ("'del' is not allowed", ""),
    ast.Pass: ("'pass' is not allowed", ""), ast.Break: ("'break' is not allowed", ""),
    ast.Continue: ("'continue' is not allowed", ""),
}
_TOP = "only 'name = expression' lines and a final expression are allowed"
_DEF_BODY = "a def holds only name = expression lines and one return"
MAX_DOTTED_PARTS = 4  # torch.nn.functional.softplus


@dataclass
class Unwrapped:
    """The statements to read as plain lines, and what the form declared."""

    statements: list[ast.stmt]
    output_name: str = "f"
    variables: tuple[str, ...] = ()
    form: str = ""  # "def", "lambda", "header" or "" (plain lines)
    rewrites: list[str] = field(default_factory=list)


def statement_error(stmt: ast.stmt, inside_def: bool) -> str | None:
    """The message for a statement kind that no form allows, or None."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ("a def inside a def is not allowed — write its lines in the outer function"
                if inside_def else None)
    words = _STATEMENT_WORDS.get(type(stmt))
    if words is None and type(stmt).__name__ == "Match":
        words = ("'match' is not allowed", "use where(condition, a, b)")
    if words is None:
        return None
    what, why = words
    return f"{what} — {_DEF_BODY if inside_def else _TOP}" + (f"; {why}" if why else "")


def unwrap(builder: TreeBuilder, module: ast.Module, header: Header | None) -> Unwrapped:
    """Recognise a def, a lambda or a ``name(vars) =`` last line; plain lines pass through."""
    body = list(module.body)
    for stmt in body:
        message = statement_error(stmt, inside_def=False)
        if message is not None:
            raise builder.error(message, stmt)
    defs = [s for s in body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if defs:
        if header is not None:
            raise builder.error("use either def or name(variables) = …, not both", defs[0])
        other = next((s for s in body if s is not defs[0]), None)
        if other is not None:
            raise builder.error("a pasted def must be the whole function — move this line "
                                "inside it or remove it", other)
        return _def(builder, defs[0])
    if not body:
        return Unwrapped(body)
    last = body[-1]
    if header is not None:
        return _header(builder, body, header)
    value = last.value if isinstance(last, (ast.Expr, ast.Assign)) else None
    if isinstance(value, ast.Lambda):
        name = "f"
        if isinstance(last, ast.Assign):
            if len(last.targets) != 1 or not isinstance(last.targets[0], ast.Name):
                raise builder.error("write name = lambda …: …", last)
            name = last.targets[0].id
            _check_output_name(builder, name, last.targets[0])
        variables = _arguments(builder, value.args, "lambda", value)
        if isinstance(value.body, ast.Lambda):
            raise builder.error("a lambda must return an expression, not another lambda",
                                value.body)
        result = _located(ast.Expr(value=value.body), value.body)
        return Unwrapped([*body[:-1], result], name, variables, "lambda",
                         ["a lambda is read as its expression"])
    return Unwrapped(body)


def _header(builder: TreeBuilder, body: list[ast.stmt], header: Header) -> Unwrapped:
    last = body[-1]
    at_header = [s for s in body if s.lineno == header.line
                 and original_column(builder.maps, s.lineno, s.col_offset) == header.column]
    if isinstance(last, ast.Assign) and len(last.targets) != 1 and at_header == [last]:
        raise builder.error(f"write {header.name}(…) = expression, with one '='", last)
    if not at_header or at_header[0] is not last or not isinstance(last, ast.Assign):
        where = at_header[0] if at_header else last
        raise builder.error(f"{header.name}({', '.join(v for v, _, _ in header.variables)}) = … "
                            "defines the function: it must be the last line", where)
    _check_output_name(builder, header.name, last.targets[0])
    names: list[str] = []
    for name, line, column in header.variables:
        try:
            _check_variable(builder, name, names, last, header.name)
        except PartialsError as exc:  # at the variable, in the user's columns
            raise PartialsError(exc.message, column=column, line=line) from None
        names.append(name)
    result = _located(ast.Expr(value=last.value), last.value)
    return Unwrapped([*body[:-1], result], header.name, tuple(names), "header")


def _def(builder: TreeBuilder, fn: ast.stmt) -> Unwrapped:
    assert isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
    if isinstance(fn, ast.AsyncFunctionDef):
        raise builder.error("'async def' is not allowed — paste a plain def", fn)
    if fn.decorator_list:
        raise builder.error("decorators (@…) are not allowed — paste the def without them",
                            fn.decorator_list[0])
    _check_output_name(builder, fn.name, fn)
    variables = _arguments(builder, fn.args, f"def {fn.name}", fn)
    if fn.returns is not None:
        check_annotation(builder, fn.returns)
    statements = list(fn.body)
    if (statements and isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant)
            and isinstance(statements[0].value.value, str)):
        statements = statements[1:]  # the docstring
    lines: list[ast.stmt] = []
    for i, stmt in enumerate(statements):
        message = statement_error(stmt, inside_def=True)
        if message is not None:
            raise builder.error(message, stmt)
        if isinstance(stmt, ast.Return):
            if i != len(statements) - 1:
                raise builder.error("only one return, on the last line of the def", statements[i + 1])
            if stmt.value is None:
                raise builder.error("return needs a value: return expression", stmt)
            if isinstance(stmt.value, ast.Lambda):
                raise builder.error("a def must return an expression, not a lambda", stmt.value)
            lines.append(_located(ast.Expr(value=stmt.value), stmt.value))
            return Unwrapped(lines, fn.name, variables, "def",
                             [f"def {fn.name}(…) is read as its lines"])
        line = stmt
        if isinstance(stmt, ast.AnnAssign):
            check_annotation(builder, stmt.annotation)
            if stmt.value is None or not isinstance(stmt.target, ast.Name):
                raise builder.error("write name: type = expression, or just name = expression", stmt)
            line = _located(ast.Assign(targets=[stmt.target], value=stmt.value), stmt)
        if isinstance(line, ast.Expr):
            raise builder.error("a line of a def must be name = expression; the result is "
                                "return expression", line)
        lines.append(line)
    raise builder.error(f"def {fn.name}(…) has no return — end it with return expression", fn)


def _arguments(builder: TreeBuilder, args: ast.arguments, what: str, owner: ast.AST) -> tuple[str, ...]:
    """The plain positional arguments of a def or lambda; defaults, *args, keyword-only
    arguments and **kwargs are refused (every argument is a grid variable or a parameter)."""
    if args.vararg is not None:
        raise builder.error(f"{what}: *{args.vararg.arg} is not allowed — name each variable",
                            args.vararg)
    if args.kwarg is not None:
        raise builder.error(f"{what}: **{args.kwarg.arg} is not allowed — name each variable",
                            args.kwarg)
    if args.kwonlyargs:
        raise builder.error(f"{what}: keyword-only arguments are not allowed", args.kwonlyargs[0])
    defaults = [d for d in [*args.defaults, *args.kw_defaults] if d is not None]
    if defaults:
        raise builder.error(f"{what}: default values are not allowed — every argument is a grid "
                            "variable or a parameter; give its values in the app", defaults[0])
    if not [*args.posonlyargs, *args.args]:
        raise builder.error(f"{what} needs its variables, e.g. lambda t, k: t*k or def f(t, k):",
                            owner)
    names: list[str] = []
    for arg in [*args.posonlyargs, *args.args]:
        if arg.annotation is not None:
            check_annotation(builder, arg.annotation)
        _check_variable(builder, arg.arg, names, arg, what)
        names.append(arg.arg)
    return tuple(names)


def _check_variable(builder: TreeBuilder, name: str, seen: list[str], node: ast.AST, what: str) -> None:
    builder._check_identifier(name, node)
    if name in RESERVED_NAMES:
        kind = "constant" if name in CONSTANTS else "function"
        raise builder.error(f"'{name}' is a built-in {kind} and cannot be a variable of {what}", node)
    if name in seen:
        raise builder.error(f"'{name}' is listed twice in {what}", node)


def _check_output_name(builder: TreeBuilder, name: str, node: ast.AST) -> None:
    builder._check_identifier(name, node)
    if name in RESERVED_NAMES:
        raise builder.error(f"'{name}' is a built-in name — call the function something else, "
                            "e.g. f", node)


def check_annotation(builder: TreeBuilder, node: ast.expr) -> None:
    """Type hints are skipped, so they may only name a type (``torch.Tensor``, ``float``,
    ``'Tensor'``): a hint that calls or indexes something is refused."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
        return
    if isinstance(node, (ast.Name, ast.Attribute)):
        dotted_name(builder, node)
        return
    raise builder.error("a type hint may only name a type (torch.Tensor, float)", node)


def dotted_name(builder: TreeBuilder, node: ast.expr, *, call: bool = False) -> str:
    """``torch.special.ndtr`` from its attribute chain; the chain must be plain names, none
    starting with '_' (``torch.__dict__``), at most MAX_DOTTED_PARTS long."""
    parts: list[str] = []
    current = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
        if len(parts) > MAX_DOTTED_PARTS:
            raise builder.error("this attribute chain is too long — only module prefixes such as "
                                "torch.sin or np.exp are understood", node)
    if not isinstance(current, ast.Name):
        if call:
            raise builder.error("only named functions can be called, e.g. sin(x) or torch.sin(x)",
                                node)
        raise builder.error("attribute access ('.') is only for module prefixes such as torch.sin "
                            "or np.exp", node)
    parts.append(current.id)
    if current.id not in MODULES:
        return ".".join(reversed(parts))  # not a module: the caller says what is wrong
    for part in parts:
        if part.startswith("_"):
            raise builder.error(f"names cannot start with '_' ('{part[:40]}')", node)
    return ".".join(reversed(parts))


def resolve_call(builder: TreeBuilder, node: ast.Call) -> ast.expr:
    """The call in the language's own words: an alias or a pasted name becomes the registry's
    name, an operator call (``pow(a, b)``) the operator, ``log(x, b)`` ``log(x)/log(b)``.
    Other calls come back unchanged (the builder reports unknown functions)."""
    func = node.func
    if isinstance(func, ast.Attribute):
        dotted = dotted_name(builder, func, call=True)
        target = PASTED.get(dotted)
        if target is None and dotted not in OPERATOR_CALLS:
            raise _not_supported(builder, dotted, node)
        builder.rewrites.append(f"{dotted} is {target or OPERATOR_CALLS[dotted][0]}")
    elif isinstance(func, ast.Name):
        dotted = target = func.id
        if dotted in FUNCTIONS and dotted in builder.defined:  # a def's local shadows it
            raise builder.error(f"'{dotted}' is defined on line {builder.defined[dotted]}, so "
                                f"{dotted}(…) is not the function — rename that line", node)
        if dotted in ALIASES or dotted in OPERATOR_CALLS:
            _check_alias_free(builder, dotted, node)
            target = ALIASES.get(dotted)
            builder.rewrites.append(f"{dotted}(…) is {target or OPERATOR_CALLS[dotted][0]}")
    else:
        return node
    if dotted in OPERATOR_CALLS:
        return _operator(builder, node, dotted)
    assert target is not None
    call = _located(ast.Call(func=_located(ast.Name(id=target, ctx=ast.Load()), func),
                             args=node.args, keywords=node.keywords), node)
    info = FUNCTIONS.get(target)
    if info is not None and info.with_base and len(node.args) == 2 and not node.keywords:
        x, base = node.args
        builder.rewrites.append(f"{target}(x, b) is {target}(x)/{target}(b)")
        top = _located(ast.Call(func=call.func, args=[x], keywords=[]), node)
        bottom = _located(ast.Call(func=call.func, args=[base], keywords=[]), base)
        return _located(ast.BinOp(left=top, op=ast.Div(), right=bottom), node)
    return call


def _check_alias_free(builder: TreeBuilder, name: str, node: ast.Call) -> None:
    """An alias means the function only where the name is not also the user's own."""
    meaning = ALIASES.get(name) or OPERATOR_CALLS[name][0]
    if name in builder.defined:
        raise builder.error(f"'{name}' is defined on line {builder.defined[name]}, so {name}(…) "
                            f"is not {meaning}(…) — write {name}*(…) to multiply", node)
    if name in builder.bare_names:
        raise builder.error(f"'{name}' is also a variable here, so {name}(…) is ambiguous — "
                            f"write {meaning}(…) for the function or {name}*(…) to multiply", node)


def _operator(builder: TreeBuilder, node: ast.Call, dotted: str) -> ast.expr:
    op, arity = OPERATOR_CALLS[dotted]
    if node.keywords:
        raise builder.error(f"{dotted}() takes no keyword arguments", node.keywords[0].value)
    if len(node.args) != arity or any(isinstance(a, ast.Starred) for a in node.args):
        raise builder.error(f"{dotted}() takes {arity} argument{'s' if arity > 1 else ''}, "
                            f"got {len(node.args)}", node)
    if op == "neg":
        return _located(ast.UnaryOp(op=ast.USub(), operand=node.args[0]), node)
    if op == "square":
        two = _located(ast.Constant(value=2), node)
        return _located(ast.BinOp(left=node.args[0], op=ast.Pow(), right=two), node)
    return _located(ast.BinOp(left=node.args[0], op=_AST_OPS[op](), right=node.args[1]), node)


def _not_supported(builder: TreeBuilder, dotted: str, node: ast.AST):
    root = dotted.partition(".")[0]
    last = dotted.rsplit(".", 1)[-1]
    if root not in MODULES:
        if isinstance(node, ast.Call) and (last in FUNCTIONS or last in ALIASES or last in OPERATOR_CALLS):
            more = ", …" if node.args else ""
            return builder.error(f"method calls such as {dotted[:60]}(…) are not supported — write "
                                 f"{ALIASES.get(last, last)}({root}{more})", node)
        return builder.error("attribute access ('.') is only for module prefixes such as torch.sin "
                             "or np.exp", node)
    close = difflib.get_close_matches(dotted, [*PASTED, *OPERATOR_CALLS], n=1, cutoff=0.75)
    hint = f" — did you mean {close[0]}?" if close else ""
    return builder.error(f"{dotted[:60]} is not supported: only the mathematical functions of the "
                         f"language (sin, exp, normcdf, …; see the Syntax reference) can be written "
                         f"with a {root}. prefix{hint}", node)


def resolve_attribute(builder: TreeBuilder, node: ast.Attribute) -> str:
    """A dotted name used as a value: ``math.pi`` is pi; anything else is an error."""
    dotted = dotted_name(builder, node)
    if dotted in PASTED_CONSTANTS:
        builder.rewrites.append(f"{dotted} is {PASTED_CONSTANTS[dotted]}")
        return PASTED_CONSTANTS[dotted]
    if dotted in PASTED or dotted in OPERATOR_CALLS:
        raise builder.error(f"'{dotted}' is a function — call it, e.g. {dotted}(x)", node)
    raise _not_supported(builder, dotted, node)


def bare_names(module: ast.Module) -> set[str]:
    """Names used as values anywhere (not as the function of a call), and def/lambda arguments:
    an alias such as N is the normal CDF only when N is not also one of these."""
    called = {id(n.func) for n in ast.walk(module) if isinstance(n, ast.Call)}
    names = {n.id for n in ast.walk(module) if isinstance(n, ast.Name) and id(n) not in called}
    names |= {n.arg for n in ast.walk(module) if isinstance(n, ast.arg)}
    return names


def concatenation_hints(free: tuple[str, ...], known: set[str]) -> tuple[tuple[str, str], ...]:
    """(name, "t*k") for each free name that is other known names run together (``tk`` beside
    t and k): names are never split, so this is only ever a hint."""
    from compute.language.domains import _split  # domains imports the expression module

    hints = []
    for name in free:
        others = sorted((k for k in known if k != name), key=lambda k: (-len(k), k))
        parts = _split(name, others)
        if parts is not None and len(parts) >= 2:
            hints.append((name, "*".join(parts)))
    return tuple(hints)


def _located(new, old: ast.AST):
    return ast.copy_location(new, old)
