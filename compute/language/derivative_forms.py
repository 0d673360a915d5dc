"""``diff(u, x, y)`` in the expression language: parsed into a :class:`Derivative` node, its order
counted through nesting and definitions, and expanded — once, here — into ordinary definitions.

The expansion differentiates with the same hash-consed graph and registry rules as the symbolic
engine (``compute.language.calculus``) and writes the result back as trees: each operation the
derivative uses more than once becomes a hidden definition (``_s1``; users cannot type a leading
``_``), the derivative itself one more (``_du_dt``), and a value that is one of the user's own
definitions is read by name. So the folded trees every engine and the code export read hold no
``diff`` at all: the symbolic engine differentiates its own graph, the autograd engines nest
their derivatives through the expanded tree, and both are exact. Structural zeros stay exactly 0
(the graph prunes them). The trees as written keep the :class:`Derivative` node, so formulas show
∂u/∂t rather than the expansion.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from compute.errors import PartialsError
from compute.language.calculus import Derivatives, Graph, TooLarge, children
from compute.language.source import original_column
from compute.language.tree import (
    Binary,
    Call,
    Compare,
    Derivative,
    Node,
    Num,
    Ref,
    Symbol,
    Unary,
    walk,
)
from compute.language.tree import children as tree_children
from compute.language.vocabulary import CONSTANTS, FUNCTIONS

if TYPE_CHECKING:
    from compute.language.derivatives import DerivativeRequest
    from compute.language.expression import Expression
    from compute.limits import Limits

DIFF = "diff"
MAX_EXPANSION_OPS = 20_000  # operations the expanded derivatives may need, all diffs together

Site = tuple[int, int]  # (line, column) of a diff( call
Definitions = tuple[tuple[str, Node], ...]


class DiffForms:
    """The parser's side of ``diff``: one per parse, holding the order each definition already
    takes and where each diff was written (for errors)."""

    def __init__(self, builder: Any) -> None:
        self.builder = builder  # compute.language.tree_builder.TreeBuilder (no import: a cycle)
        self.orders: dict[str, tuple[int, Site | None]] = {}  # definition -> its inner order
        self.written: dict[int, tuple[int, Site]] = {}  # id(Derivative as written) -> order, site
        self.folded: dict[int, Site] = {}  # id(Derivative in a folded tree) -> site

    def parse(self, node: ast.Call, depth: int) -> tuple[Node, Node, float | None]:
        """``diff(operand, name, ...)``: (tree as written, folded tree, constant value or None)."""
        b = self.builder
        if node.keywords:
            raise b.error("diff() takes no keyword arguments", node.keywords[0].value)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise b.error("'*' unpacking is not allowed", arg)
        if len(node.args) < 2:
            got = len(node.args)
            raise b.error(
                f"diff() takes an expression and the variables to differentiate by, got {got} "
                f"argument{'' if got == 1 else 's'} — e.g. diff(u, t) or diff(u, x, x)", node)
        first, *variables = node.args
        if isinstance(first, ast.Name):
            self._check_operand_name(first)
        original, folded, value = b._expr(first, depth + 1, allow_compare=False)
        wrt = tuple(self._variable(arg) for arg in variables)
        inner, _ = self.order_of(original)
        total = inner + len(wrt)
        if total > b.limits.max_order:
            counted = f" (counting the {inner} inside it)" if inner else ""
            raise b.error(f"this diff() takes order {total}{counted}, above the limit of "
                          f"{b.limits.max_order}", node)
        site = (node.lineno, original_column(b.maps, node.lineno, node.col_offset))
        written = Derivative(original, wrt)
        self.written[id(written)] = (total, site)
        if value is not None:  # the derivative of a constant
            return written, Num(0.0), 0.0
        derivative = Derivative(folded, wrt)
        self.folded[id(derivative)] = site
        return written, derivative, None

    def _check_operand_name(self, node: ast.Name) -> None:
        b, name = self.builder, node.id
        if name in b.defined or name in CONSTANTS or name in FUNCTIONS or name == DIFF:
            return  # a definition, a constant (its derivative is 0), or the usual function error
        defined = list(b.defined)
        close = difflib.get_close_matches(name, defined, n=1, cutoff=0.6)
        hint = (f" — did you mean '{close[0]}'?" if close else
                f" — defined so far: {', '.join(defined)}" if defined else
                " — define it first, e.g. u = x^2*t on its own line")
        raise b.error(f"'{name}' is not defined on an earlier line — diff() differentiates a "
                      f"defined name or an expression{hint.replace(' — ', '; ', 1)}", node)

    def _variable(self, node: ast.expr) -> str:
        """A name to differentiate by: a grid variable or a parameter (a free name)."""
        b = self.builder
        what = "with respect to a grid variable or parameter"
        if isinstance(node, ast.Constant):
            raise b.error(f"diff() differentiates {what}, not a number ({ast.unparse(node)[:20]})",
                          node)
        if not isinstance(node, ast.Name):
            raise b.error(f"diff() differentiates {what} (a name, e.g. diff(u, x)), not an "
                          "expression", node)
        name = node.id
        if name in CONSTANTS:
            raise b.error(f"diff() differentiates {what}; '{name}' is a constant", node)
        if name in FUNCTIONS or name == DIFF:
            raise b.error(f"diff() differentiates {what}; '{name}' is a function", node)
        if name in b.defined:
            raise b.error(f"'{name}' is a definition (line {b.defined[name]}), not a variable — "
                          f"diff() differentiates {what}", node)
        b._name(node)  # a free name: a grid variable or a parameter
        return name

    def order_of(self, node: Node) -> tuple[int, Site | None]:
        """The most derivatives a tree already takes, through nested diffs and definitions,
        with the diff that takes them."""
        best: tuple[int, Site | None] = (0, None)
        stack: list[tuple[Node, int]] = [(node, 0)]
        while stack:
            n, base = stack.pop()
            found: tuple[int, Site | None] = (0, None)
            if isinstance(n, Ref):
                order, site = self.orders.get(n.name, (0, None))
                found = (base + order, site)
            elif isinstance(n, Derivative):
                order, site = self.written[id(n)]
                found = (base + order, site)
            else:
                stack.extend((c, base) for c in tree_children(n))
            if found[0] > best[0]:
                best = found
        return best

    def define(self, name: str, original: Node) -> None:
        self.orders[name] = self.order_of(original)

    def inner_orders(self, outputs: Sequence[tuple[str, Node]]) -> tuple[tuple[str, int, int, int], ...]:
        """(output, order, line, column) of each output that already takes derivatives."""
        found = []
        for name, node in outputs:
            order, site = self.order_of(node)
            if order and site is not None:
                found.append((name, order, *site))
        return tuple(found)

    def expand(self, definitions: Definitions, outputs: Definitions) -> tuple[Definitions, Definitions]:
        """The folded trees with every diff replaced by its expansion (hidden definitions)."""
        if not self.folded:
            return definitions, outputs
        expander = _Expander(self.folded)
        new: list[tuple[str, Node]] = []
        for name, node in definitions:
            replaced = expander.replace(node, new)
            new.append((name, replaced))
            expander.bind(name, replaced)
        expanded = tuple((name, expander.replace(node, new)) for name, node in outputs)
        return tuple(new), expanded


class _Expander:
    """Differentiates folded trees in one graph and writes each derivative back as definitions."""

    def __init__(self, sites: dict[int, Site]) -> None:
        self.graph = Graph(MAX_EXPANSION_OPS)
        self.derivatives = Derivatives(self.graph)
        self.sites = sites
        self.scope: dict[str, int] = {}  # every definition so far (the user's and hidden) -> id
        self.names: dict[int, str] = {}  # id -> the first definition with that value
        self.count = 0

    def bind(self, name: str, node: Node) -> None:
        try:
            i = self.graph.build(node, self.scope)
        except TooLarge:
            raise PartialsError(f"diff(...) expands to more than {MAX_EXPANSION_OPS:,} "
                                "operations — too large; differentiate a shorter expression") from None
        self.scope[name] = i
        if self.graph.ops[i][0] not in ("const", "var"):  # a number stays a number: a structural 0
            self.names.setdefault(i, name)  # is never read as a definition (z = 0*log(x) is NaN)

    def replace(self, node: Node, out: list[tuple[str, Node]]) -> Node:
        if not any(isinstance(n, Derivative) for n in walk(node)):
            return node
        if isinstance(node, Derivative):
            operand = self.replace(node.operand, out)
            line, column = self.sites[id(node)]
            try:
                i = self.graph.build(operand, self.scope)
                for name in node.wrt:
                    i = self.derivatives.d(i, name)
                base = operand.name if isinstance(operand, Ref) and not operand.name.startswith("_") else "f"
                return self._emit(i, _label(base, node.wrt), out, (line, column))
            except TooLarge:
                raise PartialsError(
                    f"this diff() expands to more than {MAX_EXPANSION_OPS:,} operations — too "
                    "large; differentiate a shorter expression", line=line, column=column) from None
        if isinstance(node, Unary):
            return Unary(node.op, self.replace(node.operand, out))
        if isinstance(node, Binary):
            return Binary(node.op, self.replace(node.left, out), self.replace(node.right, out))
        if isinstance(node, Compare):
            return Compare(node.op, self.replace(node.left, out), self.replace(node.right, out))
        assert isinstance(node, Call)
        return Call(node.func, tuple(self.replace(a, out) for a in node.args))

    def _emit(self, root: int, label: str, out: list[tuple[str, Node]], site: Site) -> Node:
        """The tree of ``root``: operations it uses twice or more become hidden definitions
        (appended to ``out``), the root itself one more; leaves and known values are inlined."""
        ops = self.graph.ops
        leaf = self._leaf(root, site)
        if leaf is not None:
            return leaf
        order: list[int] = []  # the region to write out, children first
        uses: dict[int, int] = {}
        seen: set[int] = set()
        stack = [(root, False)]
        while stack:
            i, done = stack.pop()
            if done:
                order.append(i)
                continue
            if i in seen:
                continue
            seen.add(i)
            stack.append((i, True))
            for c in children(ops[i]):
                uses[c] = uses.get(c, 0) + 1
                if c not in seen and c not in self.names and ops[c][0] not in ("const", "var"):
                    stack.append((c, False))
        trees: dict[int, Node] = {}
        for i in order:
            tree = self._tree(i, trees, site)
            # A comparison is never a definition of its own: it stays inside its where().
            if i == root or (uses.get(i, 0) > 1 and ops[i][0] != "cmp"):
                self.count += 1
                name = label if i == root else f"_s{self.count}"
                while name in self.scope:
                    name = f"{name}_{self.count}"
                out.append((name, tree))
                self.scope[name] = i
                self.names.setdefault(i, name)
                tree = Ref(name)
            trees[i] = tree
        return trees[root]

    def _leaf(self, i: int, site: Site) -> Node | None:
        op = self.graph.ops[i]
        if i in self.names:
            return Ref(self.names[i])
        if op[0] == "const":
            return Num(op[1])
        if op[0] == "var":
            name = op[1]
            if name in self.scope:  # a definition on an earlier line took the free name's place
                raise PartialsError(
                    f"this diff() needs the variable '{name}', but a definition on an earlier line "
                    f"is also called '{name}' — give that definition another name",
                    line=site[0], column=site[1])
            return Symbol(name)
        return None

    def _known(self, i: int, site: Site) -> Node:
        leaf = self._leaf(i, site)
        assert leaf is not None  # outside the region written out: a leaf or a known value
        return leaf

    def _tree(self, i: int, trees: dict[int, Node], site: Site) -> Node:
        op = self.graph.ops[i]
        args = [trees[c] if c in trees else self._known(c, site) for c in children(op)]
        kind = op[0]
        if kind == "neg":
            return Unary("-", args[0])
        if kind in _BINARY:
            return Binary(_BINARY[kind], args[0], args[1])
        if kind == "cmp":
            return Compare(op[1], args[0], args[1])
        if kind == "where":
            return Call("where", tuple(args))
        assert kind == "call"
        return Call(op[1], tuple(args))


_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def _label(base: str, wrt: tuple[str, ...]) -> str:
    """A readable hidden name for the code export: ``_du_dt``, ``_d2u_dx2``, ``_d2f_dxdy``."""
    from compute.language.derivatives import partial_label

    return "_" + partial_label(base, wrt, ascii_only=True).replace("/", "_")


def check_request_order(expression: Expression, request: DerivativeRequest, limits: Limits) -> None:
    """A requested partial of a function that already contains ``diff`` counts those derivatives
    too: ``diff(u, x, x, x)`` asked for ∂²/∂x∂y is order 5, above the limit of 4."""
    if not expression.inner_orders:
        return
    output, inner, line, column = max(expression.inner_orders, key=lambda entry: entry[1])
    room = limits.max_order - inner
    for component in request.components:
        if len(component) > room:
            total = inner + len(component)
            at = 1
            if request.kind == "partial":  # point at the first name past the limit
                pieces = request.text.split(",")
                at = sum(len(p) + 1 for p in pieces[:room])
                at += len(pieces[room]) - len(pieces[room].lstrip()) + 1
            hint = (f"ask for order {room} at most here" if room > 0 else
                    f"{output} already takes the most derivatives allowed: ask for no partials")
            raise PartialsError(
                f"order {total} in all, counting the {inner} that diff() at line {line}, column "
                f"{column} takes in {output}, is above the limit of {limits.max_order}"
                f" — {hint}", column=at)


def check_request_orders(expression: Expression, requests: Sequence[DerivativeRequest],
                         limits: Limits) -> None:
    """:func:`check_request_order` for each request, the error naming the spec it came from."""
    for request in requests:
        try:
            check_request_order(expression, request, limits)
        except PartialsError as exc:
            raise exc.in_field(f"derivative '{request.text[:40]}'") from None


def order_room(expression: Expression, limits: Limits) -> int:
    """The highest order a requested partial of this function may have."""
    return limits.max_order - max((entry[1] for entry in expression.inner_orders), default=0)
