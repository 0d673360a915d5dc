"""The whitelist walk: a Python syntax tree (``ast``) rebuilt as an ``Expression``'s trees.

Only a handful of node kinds are allowed; every other one is an error that names it and points
at its column. Constants fold to float64 as the walk goes (``compute.registry.folding``).
"""

from __future__ import annotations

import ast
import difflib
import math

from compute.errors import PartialsError
from compute.language import forms
from compute.language.derivative_forms import DIFF, DiffForms
from compute.language.expression import Expression
from compute.language.source import Header, original_column
from compute.language.tree import (
    BINARY_OPS,
    COMPARE_OPS,
    Binary,
    Call,
    Compare,
    Constant,
    Node,
    Num,
    Ref,
    Symbol,
    Unary,
)
from compute.language.vocabulary import COMPARISONS, CONSTANTS, FUNCTIONS, RESERVED_NAMES
from compute.limits import Limits
from compute.registry.folding import ConstantOverflow, fold_binary, fold_call

_NOT_ALLOWED = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "indexing with [ ] is not allowed",
    ast.Lambda: "lambda is only allowed as the whole function (lambda t, k: …)",
    ast.IfExp: "'a if c else b' is not allowed — use where(c, a, b)",
    ast.BoolOp: "'and'/'or' are not allowed — nest where(...) instead",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.List: "lists are not allowed in a function",
    ast.Set: "sets are not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.NamedExpr: "':=' is not allowed — define names on their own line: name = expression",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Slice: "slices are not allowed",
}
_OPERATOR_NAMES = {
    ast.FloorDiv: "'//'",
    ast.Mod: "'%'",
    ast.MatMult: "'@'",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
    ast.BitOr: "'|'",
    ast.BitAnd: "'&'",
    ast.BitXor: "'^'",
    ast.Invert: "'~'",
    ast.Not: "'not'",
}



class TreeBuilder:
    """One walk of one function: the names it defines and reads, its size so far, and what was
    read differently from how it was typed."""

    def __init__(self, maps: list[list[int]], limits: Limits, header: Header | None = None) -> None:
        self.maps = maps
        self.header = header  # f(t, k) = … (issue 11)
        self.declared: tuple[str, ...] = ()  # variables a form declared, in order
        self.bare_names: set[str] = set()  # names used as values: such an N(…) is not normcdf
        self.rewrites: list[str] = []
        self.in_def = False  # the lines of a pasted def: locals may shadow functions
        self.limits = limits
        self.nodes = 0
        self.defined: dict[str, int] = {}  # name -> line where defined
        self.free: dict[str, tuple[int, int]] = {}  # name -> first (line, column)
        self.forms = DiffForms(self)  # diff(u, x): parsed, counted and expanded there

    def error(self, message: str, node: ast.AST) -> PartialsError:
        line = getattr(node, "lineno", 1)
        column = original_column(self.maps, line, getattr(node, "col_offset", 0))
        return PartialsError(message, column=column, line=line)

    def build(self, text: str, module: ast.Module) -> Expression:
        self.bare_names = forms.bare_names(module)
        form = forms.unwrap(self, module, self.header)
        statements = form.statements
        self.declared = form.variables
        self.in_def = form.form == "def"
        self.bare_names |= set(form.variables)
        self.rewrites += form.rewrites
        if not statements:
            raise PartialsError(
                "the function is empty — type an expression such as t*k + 2*t*k**2"
            )
        if len(statements) > self.limits.max_lines:
            raise self.error(
                f"too many lines ({len(statements)}; the limit is {self.limits.max_lines})",
                statements[self.limits.max_lines],
            )
        definitions: list[tuple[str, Node, Node]] = []
        for stmt in statements[:-1]:
            if isinstance(stmt, ast.Expr):
                raise self.error(
                    "only the last line is the output — give this line a name "
                    "(name = expression) or remove it",
                    stmt,
                )
            name, value = self._assignment(stmt)
            if isinstance(value, ast.Tuple):
                raise self.error(
                    "comma-separated values are only allowed on the last line", value
                )
            original, folded, _ = self._expr(value, 0, allow_compare=False)
            self.defined[name] = stmt.lineno
            definitions.append((name, original, folded))
            self.forms.define(name, original)

        outputs = self._outputs(statements[-1], form.output_name)
        free_names = self.declared + tuple(
            sorted((n for n in self.free if n not in self.declared), key=lambda n: self.free[n]))
        folded_definitions, folded_outputs = self.forms.expand(
            tuple((n, f) for n, _, f in definitions), tuple((n, f) for n, _, f in outputs))
        return Expression(
            text=text,
            definitions=tuple((n, o) for n, o, _ in definitions),
            outputs=tuple((n, o) for n, o, _ in outputs),
            free_names=free_names,
            folded_definitions=folded_definitions,
            folded_outputs=folded_outputs,
            inner_orders=self.forms.inner_orders([(n, o) for n, o, _ in outputs]),
            variables=self.declared,
            function_name=form.output_name if form.form or len(outputs) > 1 else outputs[0][0],
            hints=forms.concatenation_hints(free_names, {*free_names, *self.defined}),
            rewrites=tuple(dict.fromkeys(self.rewrites)),
        )

    def _assignment(self, stmt: ast.stmt) -> tuple[str, ast.expr]:
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                raise self.error(
                    "a definition is one name, an '=' and an expression (e.g. d1 = x + 1)", stmt
                )
            target = stmt.targets[0]
            name = target.id
            self._check_new_name(name, target)
            return name, stmt.value
        if isinstance(stmt, ast.AugAssign):
            raise self.error("'+=' and similar are not allowed — write name = expression", stmt)
        if isinstance(stmt, ast.AnnAssign):
            raise self.error("annotations are not allowed — write name = expression", stmt)
        raise self.error(
            "only 'name = expression' lines and a final expression are allowed", stmt
        )

    def _check_new_name(self, name: str, node: ast.AST) -> None:
        self._check_identifier(name, node)
        # Inside a pasted def a local may shadow a function (the seed's "gamma = …"; issue 11).
        shadows = self.in_def and name in FUNCTIONS
        if name in RESERVED_NAMES and not shadows:
            kind = "constant" if name in CONSTANTS else "function"
            raise self.error(f"'{name}' is a built-in {kind} and cannot be redefined", node)
        if name in self.declared:
            raise self.error(f"'{name}' is a variable of the function and cannot be redefined — "
                             "use a new name", node)
        if name in self.defined:
            raise self.error(
                f"'{name}' is already defined on line {self.defined[name]}", node
            )
        if name in self.free:
            line, _ = self.free[name]
            raise self.error(
                f"'{name}' is used on line {line} before this definition — define it first",
                node,
            )

    def _check_identifier(self, name: str, node: ast.AST) -> None:
        if name.startswith("_"):
            raise self.error(f"names cannot start with '_' ('{name}')", node)
        if len(name) > 64:
            raise self.error("names are limited to 64 characters", node)

    def _outputs(self, stmt: ast.stmt, single_name: str = "f") -> list[tuple[str, Node, Node]]:
        if isinstance(stmt, ast.Expr):
            value = stmt.value
        else:
            single_name, value = self._assignment(stmt)
        items = list(value.elts) if isinstance(value, ast.Tuple) else [value]
        if not items:
            raise self.error("the output is empty", value)
        if len(items) > self.limits.max_outputs:
            raise self.error(
                f"too many outputs ({len(items)}; the limit is {self.limits.max_outputs})",
                value,
            )
        built = [self._expr(item, 1, allow_compare=False) for item in items]
        if len(items) == 1:
            names = [single_name]
        else:
            if isinstance(stmt, ast.Assign):
                raise self.error(
                    "a vector-valued output cannot be assigned to one name — list the "
                    "outputs on the last line (u, v)",
                    stmt,
                )
            listed = [i.id for i in items if isinstance(i, ast.Name)]
            if len(listed) == len(items) and len(set(listed)) == len(listed):
                names = listed
            else:
                names = [f"f{i + 1}" for i in range(len(items))]
        return [(n, orig, folded) for n, (orig, folded, _) in zip(names, built, strict=True)]

    def _expr(
        self, node: ast.expr, depth: int, *, allow_compare: bool
    ) -> tuple[Node, Node, float | None]:
        """Return (tree as written, folded tree, constant value or None)."""
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self.error(
                f"the function is too large (more than {self.limits.max_nodes} terms)", node
            )
        if depth > self.limits.max_depth:
            raise self.error(
                f"the function is nested too deeply (more than {self.limits.max_depth} levels)",
                node,
            )
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.error(f"{_OPERATOR_NAMES[type(node.op)]} is not allowed", node)
            op = "-" if isinstance(node.op, ast.USub) else "+"
            orig, folded, value = self._expr(node.operand, depth + 1, allow_compare=False)
            if value is not None:
                value = -value if op == "-" else value
                return Unary(op, orig), Num(value), value
            return Unary(op, orig), Unary(op, folded), None
        if isinstance(node, ast.BinOp):
            op_type = type(node.op)
            if op_type not in BINARY_OPS:
                hint = " — use '**' or '^' for powers" if op_type is ast.BitXor else ""
                raise self.error(f"operator {_OPERATOR_NAMES[op_type]} is not allowed{hint}", node)
            op = BINARY_OPS[op_type]
            lo, lf, lv = self._expr(node.left, depth + 1, allow_compare=False)
            ro, rf, rv = self._expr(node.right, depth + 1, allow_compare=False)
            if lv is not None and rv is not None:
                value = self._fold(lambda: fold_binary(op, lv, rv), node)
                return Binary(op, lo, ro), Num(value), value
            return Binary(op, lo, ro), Binary(op, lf, rf), None
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Compare):
            return self._compare(node, depth, allow_compare)
        if isinstance(node, ast.Tuple):
            raise self.error(
                "comma-separated values are only allowed at the top of the last line", node
            )
        if isinstance(node, ast.Attribute):  # math.pi, np.e (issue 11)
            return self._name(ast.copy_location(ast.Name(id=forms.resolve_attribute(self, node)), node))
        message = _NOT_ALLOWED.get(type(node), f"'{type(node).__name__}' is not allowed")
        raise self.error(message, node)

    def _fold(self, compute, node: ast.AST) -> float:
        try:
            return compute()
        except ConstantOverflow:
            raise self.error(
                "constant is too large for float64 (it overflows to infinity)", node
            ) from None

    def _number(self, node: ast.Constant) -> tuple[Node, Node, float]:
        raw = node.value
        if isinstance(raw, bool) or raw is None or raw is Ellipsis:
            raise self.error(f"'{raw}' is not allowed — only numbers", node)
        if isinstance(raw, complex):
            raise self.error("complex numbers are not supported — write 2*j to multiply by a "
                             "variable j", node)
        if isinstance(raw, (str, bytes)):
            raise self.error("strings are not allowed", node)
        if isinstance(raw, int):
            if raw.bit_length() > 1024:
                raise self.error("number is too large for float64", node)
            value = float(raw)
        elif isinstance(raw, float):
            value = raw
        else:  # pragma: no cover - ast produces no other literal kinds
            raise self.error("unsupported literal", node)
        if not math.isfinite(value):
            raise self.error("number is too large for float64", node)
        leaf = Num(value)
        return leaf, leaf, value

    def _name(self, node: ast.Name) -> tuple[Node, Node, float | None]:
        name = node.id
        if name in CONSTANTS:
            value = CONSTANTS[name]
            return Constant(name), Num(value), value
        if name in FUNCTIONS and name not in self.defined:
            raise self.error(f"'{name}' is a function — call it, e.g. {name}(x)", node)
        if name == DIFF:
            raise self.error("'diff' is a function — call it, e.g. diff(u, x)", node)
        self._check_identifier(name, node)
        if name in self.defined:
            return Ref(name), Ref(name), None
        if name not in self.free:
            line = node.lineno
            self.free[name] = (line, original_column(self.maps, line, node.col_offset))
        return Symbol(name), Symbol(name), None

    def _call(self, node: ast.Call, depth: int) -> tuple[Node, Node, float | None]:
        resolved = forms.resolve_call(self, node)  # aliases, torch./np. names, pow(a, b) (issue 11)
        if not isinstance(resolved, ast.Call):
            return self._expr(resolved, depth, allow_compare=False)
        node = resolved
        if not isinstance(node.func, ast.Name):
            raise self.error("only named functions can be called, e.g. sin(x)", node)
        name = node.func.id
        if name == DIFF:
            return self.forms.parse(node, depth)
        if name not in FUNCTIONS:
            if name in self.defined or name in self.free or name in CONSTANTS or name in self.bare_names:
                raise self.error(f"'{name}' is not a function — write {name}*(…) to multiply",
                                 node)
            close = difflib.get_close_matches(name, [*FUNCTIONS, DIFF], n=1, cutoff=0.6)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise self.error(f"unknown function '{name}'{hint}", node)
        info = FUNCTIONS[name]
        if node.keywords:
            raise self.error(f"{name}() takes no keyword arguments", node.keywords[0].value)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error("'*' unpacking is not allowed", arg)
        if not info.min_args <= len(node.args) <= info.max_args:
            raise self.error(
                f"{name}() takes {info.arity_text()}, got {len(node.args)}", node
            )
        built = [
            self._expr(arg, depth + 1, allow_compare=(info.condition and i == 0))
            for i, arg in enumerate(node.args)
        ]
        if info.condition and not isinstance(node.args[0], ast.Compare):
            raise self.error(
                f"{name}() needs a comparison first, e.g. where(x > 0, x, -x)", node.args[0]
            )
        original = Call(name, tuple(b[0] for b in built))
        values = [b[2] for b in built if b[2] is not None]
        if len(values) == len(built):
            value = self._fold(lambda: fold_call(name, values), node)
            return original, Num(value), value
        return original, Call(name, tuple(b[1] for b in built)), None

    def _compare(
        self, node: ast.Compare, depth: int, allow: bool
    ) -> tuple[Node, Node, float | None]:
        if not allow:
            raise self.error(
                "comparisons are only allowed as the first argument of where(...)", node
            )
        if len(node.ops) != 1:
            raise self.error(
                "chained comparisons are not supported — nest where(...) instead", node
            )
        op_type = type(node.ops[0])
        if op_type not in COMPARE_OPS:
            raise self.error(f"only {' '.join(COMPARISONS)} comparisons are allowed", node)
        op = COMPARE_OPS[op_type]
        lo, lf, lv = self._expr(node.left, depth + 1, allow_compare=False)
        ro, rf, rv = self._expr(node.comparators[0], depth + 1, allow_compare=False)
        if lv is not None and rv is not None:
            value = fold_binary(op, lv, rv)
            return Compare(op, lo, ro), Num(value), value
        return Compare(op, lo, ro), Compare(op, lf, rf), None
