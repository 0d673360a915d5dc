"""Formulas as a person reads them: never clipped, whatever their length or the screen's width.

KaTeX's display mode never breaks a line, so a long formula ran past its box and was cut off.
Here a formula is inline math in display style, one ``{\\displaystyle …}`` group per top-level
term: KaTeX breaks inline math after a top-level ``+``, ``−`` or ``=``, so the browser wraps it to
whatever width the box has. A term that is itself too wide first shrinks (down to 75 %), from an
estimate of its width, and past that its box scrolls sideways; the box can take keyboard focus,
so the scroll works without a mouse.
"""

from __future__ import annotations

import html
import re

MIN_SCALE = 0.75  # the smallest a formula is drawn, relative to the text around it
KATEX_EM = 1.21  # KaTeX draws at 1.21 em of the surrounding text

_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def _command(latex: str, i: int) -> re.Match[str]:
    """The command that starts at the backslash ``latex[i]``."""
    match = _COMMAND.match(latex, i)
    if match is None:  # a backslash at the end or before a newline: not SymPy's LaTeX
        raise ValueError(f"no LaTeX command at {i} in {latex!r}")
    return match


def top_level_terms(latex: str) -> list[str]:
    """``a + \\frac{b + c}{d} - e`` → ``["a", "+ \\frac{b + c}{d}", "- e"]``: splits at the ``+``
    and ``-`` that SymPy writes between terms (``" + "``, ``" - "``), outside braces and
    ``\\left … \\right`` pairs."""
    terms: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(latex):
        char = latex[i]
        if char == "\\":
            match = _command(latex, i)
            word = match.group(1)
            if word == "left":
                depth += 1
            elif word == "right":
                depth -= 1
            i = match.end()
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif (depth == 0 and char in "+-" and i > start and latex[i - 1] == " "
              and latex[i + 1:i + 2] == " " and latex[start:i].strip()):
            terms.append(latex[start:i].strip())
            start = i
        i += 1
    terms.append(latex[start:].strip())
    return [t for t in terms if t]


def breakable(lhs: str, rhs: str) -> str:
    """``lhs = rhs`` as inline math in display style that KaTeX may break after ``=`` and after
    each top-level ``+`` / ``-``."""
    parts = [rf"{{\displaystyle {lhs}}} ="]
    for term in top_level_terms(rhs):
        if term[0] in "+-" and term[1:2] == " " and len(parts) > 1:
            parts.append(rf"{term[0]} {{\displaystyle {term[2:]}}}")
        else:
            parts.append(rf"{{\displaystyle {term}}}")
    return " ".join(parts)


# Rough widths, in em of KaTeX's font: enough to choose a size, not to lay out.
_WIDE_COMMANDS = {"partial": 0.6, "infty": 1.0, "cdot": 0.8, "pi": 0.6, "sigma": 0.6}


def estimated_width(latex: str, scale: float = 1.0, nested: bool = False) -> float:
    """An estimate of how wide KaTeX draws ``latex`` (em), for choosing a size."""
    width, i = 0.0, 0
    while i < len(latex):
        char = latex[i]
        if char == "\\":
            match = _command(latex, i)
            word = match.group(1)
            i = match.end()
            if word == "frac":
                top, i = _group(latex, i)
                bottom, i = _group(latex, i)
                inner = scale * (0.75 if nested else 1.0)
                width += max(estimated_width(top, inner, True),
                             estimated_width(bottom, inner, True)) + 0.3 * scale
            elif word == "sqrt":
                body, i = _group(latex, i)
                width += estimated_width(body, scale, nested) + 0.9 * scale
            elif word in ("operatorname", "mathrm", "text", "mathit"):
                body, i = _group(latex, i)
                width += 0.5 * len(body) * scale
            elif word in ("left", "right"):
                if i < len(latex) and latex[i] == "\\":
                    i = _command(latex, i).end()
                elif i < len(latex):
                    i += 1
                width += 0.45 * scale
            elif word in ("displaystyle", "textstyle", ","):
                continue
            elif len(word) > 1 and word not in _WIDE_COMMANDS and word[0].islower() and word in (
                    "log", "sin", "cos", "tan", "exp", "sinh", "cosh", "tanh", "max", "min", "sign",
                    "operatorname", "asin", "acos", "atan", "sec", "csc", "cot"):
                width += (0.5 * len(word) + 0.2) * scale
            else:
                width += _WIDE_COMMANDS.get(word, 0.65) * scale
            continue
        if char in "^_":
            body, i = _group(latex, i + 1)
            width += estimated_width(body, scale * 0.7, True)
            continue
        if char == "{":
            body, i = _group(latex, i)
            width += estimated_width(body, scale, nested)
            continue
        if char in "+-=<>":
            width += (1.3 if nested is False else 0.8) * scale
        elif char in "()[]|,":
            width += 0.4 * scale
        elif not char.isspace():
            width += 0.58 * scale
        i += 1
    return width


def _group(latex: str, i: int) -> tuple[str, int]:
    """The argument starting at ``i`` (a braced group or one character) and the index after it."""
    while i < len(latex) and latex[i] == " ":
        i += 1
    if i >= len(latex):
        return "", i
    if latex[i] != "{":
        if latex[i] == "\\":
            end = _command(latex, i).end()
            return latex[i:end], end
        return latex[i], i + 1
    depth, j = 0, i
    while j < len(latex):
        if latex[j] == "\\":
            j += 2
            continue
        if latex[j] == "{":
            depth += 1
        elif latex[j] == "}":
            depth -= 1
            if depth == 0:
                return latex[i + 1:j], j + 1
        j += 1
    return latex[i + 1:], len(latex)


def widest_piece(lhs: str, rhs: str) -> float:
    """The estimated width (em) of the widest piece KaTeX cannot break: the label, or one term."""
    return max(estimated_width(piece) + 1.3 for piece in [lhs, *top_level_terms(rhs)])


def formula_block(lhs: str, rhs: str, label: str) -> str:
    """Markdown (with HTML) for one formula in its own box: wraps to the box, shrinks down to
    ``MIN_SCALE`` when one term is wider than the box, scrolls past that. ``label`` names it for
    screen readers (KaTeX adds MathML for the formula itself)."""
    width = widest_piece(lhs, rhs) * KATEX_EM + HANGING_EM
    # Font size: as large as fits the box (100cqw: the box's width), between MIN_SCALE and 1 em.
    size = f"max({MIN_SCALE}em, min(1em, calc(100cqw / {width:.2f})))"
    return (f'{_STYLE}<div class="partials-formula" tabindex="0" role="group" '
            f'aria-label="{html.escape(label, quote=True)}">'
            f'<div style="font-size: {size}">\n\n'
            f"${breakable(lhs, rhs)}$\n\n</div></div>")


HANGING_EM = 1.5  # continuation lines of a wrapped formula are indented this much
# Scoped to formula boxes: the box scrolls sideways when it must (and shows its focus); a wrapped
# formula's lines get room between them and a hanging indent, so the continuation reads as one.
_STYLE = ("<style>.partials-formula{overflow-x:auto;overflow-y:hidden;container-type:inline-size;"
          "padding:0.1rem 0.15rem}"
          f".partials-formula>div{{padding-left:{HANGING_EM}em;text-indent:-{HANGING_EM}em}}"
          ".partials-formula .katex{text-indent:0}"
          ".partials-formula .katex .base{margin:0.3em 0}"
          ".partials-formula p{margin:0}</style>")


def definitions_block(blocks: list[str]) -> str:
    """The function's definitions as one set-off block above the formulas that use them."""
    return ('<div class="partials-definitions" role="group" aria-label="Definitions used by the '
            'formulas" style="border-left: 3px solid rgba(128, 128, 128, 0.35); '
            'padding-left: 0.75rem; margin-bottom: 1.25rem">\n\n'
            "Where (the formulas below use these definitions):\n\n"
            + "\n\n".join(blocks) + "\n\n</div>")
