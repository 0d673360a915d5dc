"""Defaults a user would choose for a new function: which free names need positive values, which
start as grid variables, and which new names look like typos of known ones.

Pure functions over the parsed tree (no evaluation of user text, no Streamlit).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from compute.language.expression import Expression
from compute.language.tree import Binary, Call, Compare, Constant, Node, Num, Ref, Symbol, Unary
from compute.registry.functions import REGISTRY


def positive_names(expression: Expression) -> set[str]:
    """Free names that should default to positive values: names inside the argument of
    log/log2/log10/sqrt, a division's denominator, a negative or fractional power's base, or a
    power with a non-constant exponent (``x**y``).

    A need for a positive value travels down through ``*``, ``/``, ``+``, ``min``/``max``,
    ``where``'s branches and the first term of a difference (``log(S - K)`` needs S), and through
    names defined on earlier lines (``d = sigma*sqrt(T)`` then ``1/d``); it stops at what is
    positive anyway (``x**2``, ``exp``, numbers). A sufficient rule, not a proof: ``log(x - 1)``
    still needs x > 1.
    """
    definitions = dict(expression.folded_definitions)
    found: set[str] = set()
    pending: list[tuple[Node, bool]] = [(node, False) for _, node in expression.folded_outputs]
    pending += [(node, False) for _, node in expression.folded_definitions]
    seen: set[tuple[int, bool]] = set()  # (id of node, needs positive): each visited once
    while pending:
        node, positive = pending.pop()
        if (id(node), positive) in seen:
            continue
        seen.add((id(node), positive))
        if isinstance(node, Symbol):
            if positive:
                found.add(node.name)
        elif isinstance(node, Ref):
            if positive and node.name in definitions:
                pending.append((definitions[node.name], True))
        elif isinstance(node, (Num, Constant)):
            pass
        elif isinstance(node, Unary):
            pending.append((node.operand, positive and node.op == "+"))
        elif isinstance(node, Binary):
            pending.extend(_binary(node, positive))
        elif isinstance(node, Call):
            pending.extend(_call(node, positive))
        elif isinstance(node, Compare):
            pending.extend([(node.left, False), (node.right, False)])
    return found


def _binary(node: Binary, positive: bool) -> list[tuple[Node, bool]]:
    if node.op == "/":
        return [(node.left, positive), (node.right, True)]
    if node.op in ("*", "+"):
        return [(node.left, positive), (node.right, positive)]
    if node.op == "-":
        return [(node.left, positive), (node.right, False)]
    # A power: x**2 is never negative; x**-1 divides by x; x**0.5 and x**y need x > 0.
    exponent = node.right.value if isinstance(node.right, Num) else None
    if exponent is not None and exponent.is_integer() and exponent >= 0:
        return [(node.left, positive and exponent % 2 == 1), (node.right, False)]
    return [(node.left, True), (node.right, False)]


def _call(node: Call, positive: bool) -> list[tuple[Node, bool]]:
    positivity = REGISTRY[node.func].positivity if node.func in REGISTRY else ""
    if positivity == "argument":
        return [(node.args[0], True)]
    if node.func in ("min", "max"):
        return [(arg, positive) for arg in node.args]
    if node.func == "where":
        return [(node.args[0], False), (node.args[1], positive), (node.args[2], positive)]
    if positivity == "keeps":
        return [(arg, positive) for arg in node.args]
    return [(arg, False) for arg in node.args]  # sin, exp, …: positive or not, whatever goes in


# --- which names start as grid variables ---------------------------------------------------------

VARIABLE_LETTERS = ("x", "y", "z", "t")
GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "eps", "zeta", "eta", "theta", "iota", "kappa",
    "lam", "lambda_", "lmbda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega",
})
CONSTANT_LIKE = frozenset({"r", "T"}) | GREEK
GRID_RULE = ("New names become grid variables until two are: first x, y, z, t (also x1, y_2, …), "
             "then other names in order of appearance, and last names that usually stand for "
             "constants (Greek-letter names such as sigma or mu, and r, T); the rest start as "
             "values. Names under log, sqrt, a division or a fractional power start on a positive "
             "grid.")


def grid_preference(name: str) -> int:
    """0 for the usual variable names, 1 for other names, 2 for names that usually denote
    constants: new names with the lowest preference (then order of appearance) become grids."""
    stem = name.rstrip("0123456789").rstrip("_")
    if stem in VARIABLE_LETTERS:
        return 0
    if name in CONSTANT_LIKE or stem in GREEK:
        return 2
    return 1


def default_grid_names(names: tuple[str, ...], known: dict[str, str], slots: int = 2) -> set[str]:
    """Which of ``names`` are grid variables by default: ``known`` maps names whose role the
    user already chose (or a link gave) to "grid" or "parameter"; new names fill the grid slots
    left (``slots`` minus the known grids) by ``grid_preference``, then order of appearance."""
    grids = {n for n in names if known.get(n) == "grid"}
    new = [n for n in names if n not in known]
    free = max(0, slots - len(grids))
    ranked = sorted(new, key=lambda n: (grid_preference(n), names.index(n)))
    return grids | set(ranked[:free])


# --- new names that look like typos ----------------------------------------------------------------


def typo_hints(name: str, known: Iterable[str], new: Iterable[str] = ()) -> list[str]:
    """What a new name may have meant, when it looks like a typo of known names: a product of
    two or more of them written without '*' (``tk`` when t and k exist: "t*k"), then the
    closest spelling (``yy`` when y exists: "y", "y*y"). Empty when it looks deliberate.

    A spelling is never suggested from ``new`` (names the same edit introduced: of ``sigma`` and
    ``sigm`` typed together, neither is known to be the typo), nor a name that is itself other
    known names run together (after ``tk`` became ``t*k``, t is not a typo of tk)."""
    known = set(known)
    fresh = set(new)
    others = sorted({k for k in known if k != name}, key=lambda k: (-len(k), k))
    targets = [k for k in others if k not in fresh and not _run_together(k, known)]
    hints = difflib.get_close_matches(name, targets, n=1, cutoff=0.6)
    product = _split(name, others)
    if product is not None and len(product) >= 2:
        if len(set(product)) > 1:  # t*k, not t: a product of different names is the likely intent
            hints = []
        hints.append("*".join(product))
    return hints


def _run_together(name: str, known: set[str]) -> bool:
    parts = _split(name, sorted(known - {name}, key=lambda k: (-len(k), k)))
    return parts is not None and len(parts) >= 2


def _split(name: str, known: list[str]) -> list[str] | None:
    """``name`` as a concatenation of known names (longest first), or None."""
    best: dict[int, list[str]] = {0: []}
    for start in range(len(name)):
        if start not in best:
            continue
        for part in known:
            end = start + len(part)
            if name.startswith(part, start) and end not in best:
                best[end] = [*best[start], part]
    return best.get(len(name))
