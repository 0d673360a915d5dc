"""A validated function (``Expression``), and the one way to get one: ``parse_expression``.

Nothing here evaluates user text: ``ast.parse`` only builds a syntax tree, which
``compute.language.tree_builder`` walks and rebuilds from a handful of allowed node kinds.
Everything else is an error that says what is wrong and which column it points at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compute.errors import PartialsError
from compute.language.canonical import expression_text
from compute.language.source import check_characters, parse_python, prepare
from compute.language.tree import Node, Ref, walk
from compute.limits import DEFAULT_LIMITS, Limits


@dataclass(frozen=True)
class Expression:
    """A validated function: intermediate definitions, then one or more named outputs.

    ``outputs`` hold the trees as written (for formulas); ``folded_*`` hold the same trees with
    constant subexpressions folded to float64 (for computing).
    """

    text: str
    definitions: tuple[tuple[str, Node], ...]
    outputs: tuple[tuple[str, Node], ...]
    free_names: tuple[str, ...]
    folded_definitions: tuple[tuple[str, Node], ...] = field(repr=False)
    folded_outputs: tuple[tuple[str, Node], ...] = field(repr=False)
    # (output, order, line, column) of each output that already takes derivatives with diff():
    # requested partials count them too (compute.language.derivative_forms.check_request_order).
    inner_orders: tuple[tuple[str, int, int, int], ...] = field(default=(), repr=False)
    # Issue 11: the variables a form declared (f(t, k) = …, def, lambda), in order; the
    # function's name; names that are other names run together ("tk" -> "t*k"), never split;
    # and what was read differently from how it was typed (aliases, prefixes, def, 2t, …).
    variables: tuple[str, ...] = ()
    function_name: str = "f"
    hints: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    rewrites: tuple[str, ...] = field(default=(), repr=False)

    @property
    def canonical(self) -> str:
        """The function in the plain language, as the app shows it back."""
        return expression_text(self)

    @property
    def read_as(self) -> str | None:
        """The canonical text when what was typed used another form (``2t``, ``torch.sin``, a
        def), else None."""
        return self.canonical if self.rewrites else None

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.outputs)

    @property
    def is_vector(self) -> bool:
        return len(self.outputs) > 1

    def __hash__(self) -> int:
        # Equal expressions have equal text, and a str caches its hash: engine caches look an
        # expression up on every call, and hashing the trees each time cost more than a small job.
        return hash(self.text)

    def inlined_size(self) -> int:
        """Node count with every intermediate substituted: what a symbolic engine would face."""
        sizes: dict[str, int] = {}

        def size(node: Node) -> int:
            return sum(sizes[n.name] if isinstance(n, Ref) else 1 for n in walk(node))

        for name, node in self.definitions:
            sizes[name] = size(node)
        return sum(size(node) for _, node in self.outputs)



def parse_expression(text: str, limits: Limits = DEFAULT_LIMITS) -> Expression:
    """Validate and parse a function; raises :class:`PartialsError` for anything else."""
    if not isinstance(text, str):
        raise PartialsError("the function must be text")
    if len(text) > limits.max_expression_chars:
        raise PartialsError(
            f"the function is too long ({len(text)} characters; the limit is "
            f"{limits.max_expression_chars})"
        )
    check_characters(text)
    prepared = prepare(text)
    source, column_maps = prepared.source, prepared.maps
    if not source.strip():
        raise PartialsError("the function is empty — type an expression such as t*k + 2*t*k**2")
    if source.count("\n") + source.count(";") + 1 > limits.max_lines * 2:
        raise PartialsError(f"the function has too many lines (the limit is {limits.max_lines})")
    module = parse_python(source, column_maps)
    from compute.language.tree_builder import TreeBuilder  # it builds Expressions: a cycle at the top

    builder = TreeBuilder(column_maps, limits, header=prepared.header)
    if prepared.implicit:
        builder.rewrites.append("implicit multiplication")
    if "^" in text:  # shown back as '**': Python reads '^' as XOR, so people ask which it is
        builder.rewrites.append("'^' is a power")
    return builder.build(text, module)

