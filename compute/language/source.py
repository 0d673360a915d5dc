"""User text before it becomes a tree: the character scan, '^' as power, column maps, and
Python's parser with its failures turned into our error."""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass

from compute.errors import PartialsError


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
    lines have no blocks; a pasted ``def`` keeps the indentation below its common part),
    keeping a map back to the user's columns."""
    out_lines: list[str] = []
    maps: list[list[int]] = []
    raw_lines = text.split("\n")
    # A pasted def keeps its blocks: only the indentation every line shares goes.
    shared = _common_indent(raw_lines) if has_blocks(text) else None
    for raw in raw_lines:
        chars: list[str] = []
        mapping: list[int] = []
        lead = len(raw) - len(raw.lstrip(" \t"))
        if shared is not None and raw.strip():
            lead = min(lead, shared)
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
        offset = (exc.offset or 1) - 1
        pair = _side_by_side(source, line, offset)
        if pair is not None:  # "t k": Python says "invalid syntax. Perhaps you forgot a comma?"
            left, right, offset = pair
            message = f"'{left} {right}' — two terms side by side; write {left}*{right} for a product"
        column = original_column(maps, line, offset)
        raise PartialsError(f"syntax error: {message}", column=column, line=line) from None
    except (RecursionError, MemoryError):
        raise PartialsError("the function is nested too deeply to parse") from None
    except ValueError as exc:  # e.g. digit limits on huge integer literals
        raise PartialsError(f"cannot read the function: {exc}") from None


def _side_by_side(source: str, line: int, offset: int) -> tuple[str, str, int] | None:
    """The two terms that stand side by side with only spaces between them (``t k``, ``2 x``,
    ``(a) b``), at or before the error's offset on its line: (left, right, right's offset)."""
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return None
    found = None
    for match in _JUXTAPOSED.finditer(lines[line - 1]):
        if match.start(2) > offset + 1:
            break
        if not (keyword.iskeyword(match.group(1)) or keyword.iskeyword(match.group(2))):
            found = (match.group(1), match.group(2), match.start(2))
    return found


_JUXTAPOSED = re.compile(r"([A-Za-z_][A-Za-z_0-9]*|[0-9][0-9.]*|\))[ \t]+([A-Za-z_][A-Za-z_0-9]*|\()")


# --- issue 11: forms people paste and type --------------------------------------------------------

_BLOCK_LINE = re.compile(r"[ \t]*(?:@|(?:def|class|if|elif|else|for|while|with|try|except|finally|"
                         r"async|match)\b.*:[ \t\r]*(?:#.*)?\Z)")


def has_blocks(text: str) -> bool:
    """True when the text has Python block statements (a pasted ``def``): then indentation means
    something, and only the indentation all lines share is removed."""
    return any(_BLOCK_LINE.match(line) for line in text.split("\n"))


def _common_indent(lines: list[str]) -> int:
    """Length of the whitespace prefix every non-blank line shares."""
    prefixes = [line[: len(line) - len(line.lstrip(" \t"))] for line in lines if line.strip()]
    if not prefixes:
        return 0
    shortest = min(prefixes, key=len)
    for i, ch in enumerate(shortest):
        if any(p[i] != ch for p in prefixes):
            return i
    return len(shortest)


@dataclass(frozen=True)
class Header:
    """``f(t, k) = …``: the output's name and the declared variables with their (line, column)."""

    name: str
    variables: tuple[tuple[str, int, int], ...]
    line: int
    column: int


_HEADER = re.compile(r"(?P<lead>^[ \t]*|;[ \t]*)(?P<name>[A-Za-z_]\w*)[ \t]*\((?P<args>[^()=]*)\)"
                     r"[ \t]*=(?!=)")
_ARG = re.compile(r"[ \t]*([A-Za-z_]\w*)[ \t]*\Z")


def function_header(source: str, maps: list[list[int]]) -> tuple[str, Header | None]:
    """Find ``name(a, b) = expression`` (Python reads it as an assignment to a call) and blank
    out ``(a, b)`` so it reads ``name       = expression``: every column stays where it was.
    The header's columns are the user's (through ``maps``)."""
    header: Header | None = None
    lines = source.split("\n")
    for number, line in enumerate(lines, start=1):
        for match in _HEADER.finditer(line):
            if keyword.iskeyword(match["name"]):
                continue
            where = original_column(maps, number, match.start("name"))
            if header is not None:
                raise PartialsError("only one line may define the function as name(variables) = …",
                                    column=where, line=number)
            variables: list[tuple[str, int, int]] = []
            offset = match.start("args")
            pieces = match["args"].split(",")
            if pieces[-1].strip() == "" and len(pieces) > 1:
                pieces = pieces[:-1]  # f(t, k,) like a Python signature
            for piece in pieces:
                arg = _ARG.match(piece)
                column = original_column(maps, number, offset + len(piece) - len(piece.lstrip()))
                if arg is None:
                    shown = piece.strip() or "nothing"
                    raise PartialsError(
                        f"{match['name']}(…) = … lists the variables by name: '{shown[:40]}' is not "
                        f"a name — e.g. {match['name']}(t, k) = t*k", column=column, line=number)
                variables.append((arg[1], number, column))
                offset += len(piece) + 1
            header = Header(match["name"], tuple(variables), number, where)
            start, stop = match.start("args") - 1, match.end("args") + 1
            lines[number - 1] = line[:start] + " " * (stop - start) + line[stop:]
    return "\n".join(lines), header


_NUMBER = re.compile(r"0[xXoObB][0-9A-Fa-f_]*|(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)"
                     r"(?:[eE][+-]?[0-9][0-9_]*)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING_START = re.compile(r"[rRbBuUfF]{0,2}('''|\"\"\"|'|\")")


def implicit_multiplication(source: str, maps: list[list[int]]) -> tuple[str, list[list[int]], int]:
    """Insert the '*' a calculator would: after a number before a name or '(' (``2t``, ``2 pi``,
    ``3(x+1)``), and after ')' before a name or '(' (``(a+b)(a-b)``). Never between two names or
    inside one: names stay multi-letter. A token-level rewrite (strings and comments are skipped)
    that keeps the column map; returns the new source, its maps and how many '*' it inserted.

    ``2j`` stays a (refused) complex literal and ``0x10`` a hexadecimal one, as Python reads them."""
    out_lines: list[str] = []
    out_maps: list[list[int]] = []
    inserted = 0
    quote: str | None = None  # inside a string that continues on the next line
    for line, mapping in zip(source.split("\n"), maps, strict=True):
        scan = _LineScan(line, mapping, quote)
        quote = scan.run()
        inserted += scan.inserted
        out_lines.append("".join(scan.chars))
        out_maps.append([*scan.new_map, mapping[-1] if mapping else 0])
    return "\n".join(out_lines), out_maps, inserted


class _LineScan:
    """One line of ``implicit_multiplication``: tokens copied with their columns, '*' inserted."""

    def __init__(self, line: str, mapping: list[int], quote: str | None) -> None:
        self.line, self.mapping, self.quote = line, mapping, quote
        self.chars: list[str] = []
        self.new_map: list[int] = []
        self.inserted = 0
        self.i = 0

    def copy(self, stop: int) -> None:
        self.chars.append(self.line[self.i:stop])
        self.new_map.extend(self.mapping[self.i:stop])
        self.i = stop

    def run(self) -> str | None:
        """Scan the line; return the quote of a string still open at its end (triple quotes)."""
        line = self.line
        previous = ""  # the last token: "num", ")", "name", "kw" or "" (anything else)
        while self.i < len(line):
            i = self.i
            if self.quote is not None:  # skip to the end of the string
                end = line.find(self.quote, i)
                if end < 0:
                    self.copy(len(line))
                    break
                self.copy(end + len(self.quote))
                self.quote, previous = None, ""
                continue
            ch = line[i]
            if ch in " \t":
                self.copy(i + 1)
                continue
            if ch == "#":
                self.copy(len(line))
                break
            word = _WORD.match(line, i)
            string = _STRING_START.match(line, i)
            if string is not None and (word is None or word.end() == string.start(1)):
                self.quote = string[1]
                self.copy(string.end())
                continue
            number = None if word else _NUMBER.match(line, i)
            starts = (word is not None and not keyword.iskeyword(word[0])) or ch == "("
            if starts and previous in ("num", ")"):
                self.chars.append("*")
                self.new_map.append(self.mapping[i])
                self.inserted += 1
            if word is not None:
                self.copy(word.end())
                previous = "kw" if keyword.iskeyword(word[0]) else "name"
            elif number is not None:
                stop = number.end()
                if line[stop:stop + 1] in ("j", "J") and not _WORD.match(line, stop + 1):
                    stop += 1  # Python's complex literal: refused later with its own message
                self.copy(stop)
                previous = "" if number[0][:2].lower() in ("0x", "0o", "0b") else "num"
            else:
                self.copy(i + 1)
                previous = ")" if ch == ")" else ""
        return self.quote if self.quote in ("'''", '"""') else None


@dataclass(frozen=True)
class Prepared:
    """User text ready for Python's parser, with the map back to the user's columns."""

    source: str
    maps: list[list[int]]
    header: Header | None
    implicit: int  # how many '*' implicit multiplication inserted


def prepare(text: str) -> Prepared:
    """'^' as power, the ``f(t, k) =`` header, then implicit multiplication: every rewrite
    keeps the column map, so errors point at what the user typed."""
    source, maps = caret_to_power(text)
    source, header = function_header(source, maps)
    source, maps, inserted = implicit_multiplication(source, maps)
    return Prepared(source, maps, header, inserted)
