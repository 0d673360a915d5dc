"""Constant expressions where numbers are expected: parameter values and grid-spec arguments
(``2*pi``, ``1e-3``, ``linspace(0, 2*pi, 50)``), through the same parser and folding."""

from __future__ import annotations

import ast
import difflib
import math
import re

from compute.errors import PartialsError
from compute.language.expression import parse_expression
from compute.language.source import (
    caret_to_power,
    check_characters,
    implicit_multiplication,
    original_column,
    parse_python,
)
from compute.language.tree import Num, Symbol, walk
from compute.language.tree_builder import TreeBuilder
from compute.language.vocabulary import FUNCTIONS
from compute.limits import DEFAULT_LIMITS, Limits


def parse_constant(text: str, limits: Limits = DEFAULT_LIMITS) -> float:
    """A constant expression (``2*pi``, ``1e-3``) as a finite float; used by grids and params."""
    if not isinstance(text, str):
        raise PartialsError("expected a number")
    if not text.strip():
        raise PartialsError("no value given")
    expression = parse_expression(text, limits)
    source, maps = _calculator_source(text)
    check_number_literals(parse_python(source, maps), source, maps)
    if expression.is_vector:
        raise PartialsError("expected one number, not a list")
    if expression.definitions:
        raise PartialsError("expected a number, not definitions")
    if expression.free_names:
        name = expression.free_names[0]
        raise PartialsError(f"expected a number, but '{name}' is a name")
    node = expression.folded_outputs[0][1]
    if not isinstance(node, Num):  # pragma: no cover - no free names means fully folded
        raise PartialsError("expected a number")
    value = node.value
    if not math.isfinite(value):
        raise PartialsError(f"'{text.strip()}' is not a finite number")
    return value


def parse_number_list(
    text: str, functions: tuple[str, ...], limits: Limits = DEFAULT_LIMITS
) -> tuple[str | None, list[float]]:
    """Read ``f(a, b, c)``, ``a, b, c``, ``[a, b, c]`` or ``a`` where each item is a constant.

    ``f`` must be one of ``functions``. Returns the called name (None for a plain list) and the
    folded values. Used for grid specs, where bounds may be ``2*pi``.
    """
    if not isinstance(text, str):
        raise PartialsError("expected text")
    if len(text) > limits.max_spec_chars:
        raise PartialsError(
            f"too long ({len(text)} characters; the limit is {limits.max_spec_chars})"
        )
    check_characters(text)
    if "\n" in text.strip() or ";" in text:
        raise PartialsError("expected one line of values")
    source, maps = _calculator_source(text.rstrip())
    if not source.strip():
        raise PartialsError("no values given")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        column = original_column(maps, 1, (exc.offset or 1) - 1)
        raise PartialsError(f"syntax error: {(exc.msg or 'invalid syntax').strip()}",
                            column=column) from None
    except (RecursionError, MemoryError):
        raise PartialsError("nested too deeply to parse") from None
    except ValueError as exc:
        raise PartialsError(f"cannot read the values: {exc}") from None
    check_number_literals(tree, source, maps)
    builder = TreeBuilder(maps, limits)
    body = tree.body
    func: str | None = None
    if isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id not in FUNCTIONS:
        func, items = body.func.id, list(body.args)
        if func == "range" and functions:
            raise builder.error("range() counts whole numbers and stops before its end — use "
                                "arange(start, stop, step) (stop left out) or start:step:stop "
                                "(stop included), e.g. arange(0, 10) or 0:1:10", body)
        if func not in functions:
            close = difflib.get_close_matches(func, functions, n=1, cutoff=0.6)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise builder.error(
                f"unknown function '{func[:40]}'{hint} (use values like 1, 2, 4 or "
                f"{'/'.join(functions)})",
                body,
            )
        items = _keyword_arguments(builder, body, func, items)
    elif isinstance(body, (ast.Tuple, ast.List)):
        items = list(body.elts)
    else:
        items = [body]
    if not items:
        raise builder.error("no values given", body)
    values: list[float] = []
    for item in items:
        if isinstance(item, ast.Starred):
            raise builder.error("'*' unpacking is not allowed", item)
        _, folded, value = builder._expr(item, 1, allow_compare=False)
        if value is None:
            name = next((n.name for n in walk(folded) if isinstance(n, Symbol)), "?")
            raise builder.error(f"expected a number, but '{name}' is a name", item)
        if not math.isfinite(value):
            raise builder.error("values must be finite numbers", item)
        values.append(value)
    return func, values


def _calculator_source(text: str) -> tuple[str, list[list[int]]]:
    """'^' as power and implicit multiplication (``2pi``), keeping the column map."""
    source, maps = caret_to_power(text)
    source, maps, _ = implicit_multiplication(source, maps)
    return source, maps


# Keywords NumPy and torch give the grid functions' arguments (start, stop, count or step).
_KEYWORDS = {"start": 0, "stop": 1, "end": 1, "num": 2, "steps": 2, "step": 2}


def _keyword_arguments(builder: TreeBuilder, call: ast.Call, func: str,
                       items: list[ast.expr]) -> list[ast.expr]:
    """``linspace(0, 1, num=5)`` / ``torch.linspace(0, 1, steps=5)`` / ``arange(0, 1, step=0.1)``:
    keywords in their positions; any other keyword is refused, naming the ones understood."""
    slots: list[ast.expr | None] = [*items]
    for keyword in call.keywords:
        position = _KEYWORDS.get(keyword.arg or "")
        wrong = "step" if func != "arange" else "num steps"
        if keyword.arg in wrong.split():
            position = None
        if position is None:
            shown = printable(keyword.arg or "**", 20)
            raise builder.error(f"{func}() does not take the keyword '{shown}=' — write the values "
                                "in order (start, stop, count or step)", keyword.value)
        while len(slots) <= position:
            slots.append(None)
        if slots[position] is not None:
            raise builder.error(f"{func}(): '{keyword.arg}' is given twice", keyword.value)
        slots[position] = keyword.value
    if any(slot is None for slot in slots):
        raise builder.error(f"{func}(): an argument before the keywords is missing", call)
    return [slot for slot in slots if slot is not None]


_LITERAL = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def check_number_literals(tree: ast.AST, source: str, maps: list[list[int]]) -> None:
    """Numbers written in a constant expression are plain decimals (``1000``, ``0.5``, ``1e-3``):
    Python's parser also reads ``1_000``, ``0x10``, ``0o7`` and ``0b1``, which nothing else that
    reads our numbers (a CSV cell, a link, ``parse_number``) accepts."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            written = ast.get_source_segment(source, node) or ""
            if not _LITERAL.match(written):
                line = getattr(node, "lineno", 1)
                raise PartialsError(
                    f"'{printable(written)}' is not a plain decimal number — write numbers like "
                    "1000, 0.5 or 1e-3",
                    column=original_column(maps, line, node.col_offset), line=line,
                )


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_COUNT = re.compile(r"[0-9]{1,9}\Z")
match_decimal = _DECIMAL.match  # the fast test ``parse_number`` starts with (no spaces around)


def parse_number(text: str, what: str) -> float:
    """A plain decimal number (``-1.5e3``, ``.5``): ASCII digits only, finite. Unlike Python's
    ``float`` it refuses ``1_000``, ``nan``, ``inf`` and non-ASCII digits (``１``, ``٣``, ``²``)."""
    stripped = text.strip() if isinstance(text, str) else ""
    if not _DECIMAL.match(stripped):
        raise PartialsError(f"{what}: '{printable(stripped)}' is not a number" if stripped
                            else f"{what}: no number given")
    value = float(stripped)
    if not math.isfinite(value):
        raise PartialsError(f"{what}: '{printable(stripped)}' is too large for float64")
    return value


def parse_count(text: str, what: str, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` written in ASCII digits (``isdigit`` and ``int``
    also take ``²``, ``１`` and ``1_0``)."""
    stripped = text.strip() if isinstance(text, str) else ""
    if not _COUNT.match(stripped):
        raise PartialsError(f"{what} should be a whole number from {low} to {high}, "
                            f"not '{printable(stripped)}'")
    value = int(stripped, 10)
    if not low <= value <= high:
        raise PartialsError(f"{what} should be from {low} to {high}, not {value}")
    return value


def printable(text: str, limit: int = 20) -> str:
    """User text quoted in a message: cut short, invisible characters and lone surrogates as U+XXXX."""
    out = (ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else f"U+{ord(ch):04X}"
           for ch in text[:limit])
    return "".join(out) + ("…" if len(text) > limit else "")
