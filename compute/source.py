"""User text before it becomes a tree: the character scan, '^' as power, column maps, and
Python's parser with its failures turned into our error."""

from __future__ import annotations

import ast

from .errors import PartialsError


def check_characters(text: str, *, column_offset: int = 0) -> None:
    """Reject anything outside printable ASCII before Python's parser sees it.

    This stops look-alike letters (NFKC would fold 'ｅｘｐ' into 'exp'), invisible characters,
    NUL bytes and lone surrogates, each with its position.
    """
    line, col = 1, 0
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
            continue
        if " " <= ch <= "~" or ch in "\t\r":
            continue
        code = f"U+{ord(ch):04X}"
        shown = f"'{ch}' ({code})" if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else code
        hint = ""
        if ch.isalpha():
            hint = " — use plain ASCII names (e.g. sigma, theta)"
        elif ord(ch) in (0x2212, 0x2013):
            hint = " — use '-' for minus"
        elif ord(ch) in (0xD7, 0x22C5, 0xB7):
            hint = " — use '*' for multiplication"
        raise PartialsError(
            f"character {shown} is not allowed{hint}", column=col + column_offset, line=line
        )


def caret_to_power(text: str) -> tuple[str, list[list[int]]]:
    """Rewrite '^' as '**' (so it binds like a power) and drop each line's indentation (our
    lines have no blocks), keeping a map back to the user's columns."""
    out_lines: list[str] = []
    maps: list[list[int]] = []
    for raw in text.split("\n"):
        chars: list[str] = []
        mapping: list[int] = []
        lead = len(raw) - len(raw.lstrip(" \t"))
        for i, ch in enumerate(raw[lead:], start=lead):
            if ch == "^":
                chars.append("**")
                mapping.extend([i, i])
            else:
                chars.append(ch)
                mapping.append(i)
        mapping.append(len(raw))
        out_lines.append("".join(chars))
        maps.append(mapping)
    return "\n".join(out_lines), maps


def original_column(maps: list[list[int]], line: int, offset: int) -> int:
    """1-based column in the user's text for a 0-based offset in the rewritten line."""
    if 1 <= line <= len(maps):
        mapping = maps[line - 1]
        offset = max(0, min(offset, len(mapping) - 1))
        return mapping[offset] + 1
    return offset + 1


def parse_python(source: str, maps: list[list[int]]) -> ast.Module:
    try:
        return ast.parse(source, mode="exec")
    except SyntaxError as exc:
        message = (exc.msg or "invalid syntax").strip()
        if "too many nested parentheses" in message:
            message = "too many nested parentheses"
        line = exc.lineno or 1
        column = original_column(maps, line, (exc.offset or 1) - 1)
        raise PartialsError(f"syntax error: {message}", column=column, line=line) from None
    except (RecursionError, MemoryError):
        raise PartialsError("the function is nested too deeply to parse") from None
    except ValueError as exc:  # e.g. digit limits on huge integer literals
        raise PartialsError(f"cannot read the function: {exc}") from None
