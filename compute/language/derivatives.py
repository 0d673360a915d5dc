"""Derivative specs: ``k`` · ``t,k`` · ``k,k,k`` · gradient · hessian · laplacian · jacobian."""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compute.errors import PartialsError
from compute.language.source import check_characters
from compute.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from compute.engines.engine import PartialsResult
    from compute.language.expression import Expression

BUNDLES = ("gradient", "hessian", "laplacian", "jacobian")
# How the engine differentiates; "auto" picks "symbolic" unless the derivative graph grows too
# large, then "batched-grad". "vmap" (torch.func) is the general reference path.
METHODS = ("auto", "symbolic", "batched-grad", "vmap")
DEVICES = ("auto", "cpu", "cuda")  # auto: CUDA when torch sees a GPU
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class DerivativeRequest:
    """One ``--wrt`` entry: the text as given (its key in results) and the partials it needs.

    ``components`` are multi-indices, each a tuple of variable names in differentiation order.
    """

    text: str
    kind: str  # "partial" or one of BUNDLES
    components: tuple[tuple[str, ...], ...]
    form: str = field(default="", compare=False)  # how it was typed, when not "t,k" (issue 11)

    @property
    def canonical(self) -> str:
        """The spec in the plain form: ``t,k`` for a partial, the bundle's name otherwise."""
        return ",".join(self.components[0]) if self.kind == "partial" else self.kind

    @property
    def read_as(self) -> str | None:
        """The canonical spec when it was typed in another form (``tk``, ``∂²f/∂t∂k``)."""
        return self.canonical if self.form else None

    @property
    def max_order(self) -> int:
        return max((len(c) for c in self.components), default=0)


def parse_derivative_spec(
    text: str,
    variables: Sequence[str],
    parameters: Sequence[str] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> DerivativeRequest:
    """Validate a spec against the names in play.

    Partials may be taken with respect to grid variables or parameters (theta, rho); bundles
    cover the grid variables only.
    """
    if not isinstance(text, str):
        raise PartialsError("a derivative spec must be text")
    if len(text) > limits.max_spec_chars:
        raise PartialsError(f"the derivative spec is too long ({len(text)} characters)")
    check_characters(text.translate(_MATH_AS_ASCII))  # ∂ and superscripts are allowed here
    stripped = text.strip()
    if not stripped:
        raise PartialsError("the derivative spec is empty — name a variable, e.g. k or t,k")
    lowered = stripped.lower()
    if lowered in BUNDLES:
        return DerivativeRequest(text, lowered, _bundle(lowered, tuple(variables)))
    known = list(variables) + [p for p in parameters if p not in variables]
    names, form = _spec_names(text, known)
    if len(names) > limits.max_order:
        raise PartialsError(
            f"order {len(names)} is above the limit of {limits.max_order}"
        )
    return DerivativeRequest(text, "partial", (tuple(names),), form)


SPEC_FORMS = ("t,k", "t k", "tk", "∂²f/∂t∂k", "d2f/dtdk", "f_tk")
"""Every way to write ∂²f/∂t∂k (the Syntax reference lists them)."""
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_MATH_AS_ASCII = str.maketrans({"∂": "d", **{c: "0" for c in _SUPERSCRIPT_DIGITS}})
_FROM_SUPERSCRIPT = str.maketrans(_SUPERSCRIPT_DIGITS, "0123456789")
_LEIBNIZ = re.compile(r"\s*(?P<d>[∂d])\s*(?:\^?\s*(?P<order>[0-9]+|[⁰-⁹²³¹]+))?\s*"
                      r"(?P<out>[A-Za-z][A-Za-z0-9_]*)?\s*/(?P<below>.*)\Z", re.S)
_SUBSCRIPT = re.compile(r"\s*(?P<out>[A-Za-z][A-Za-z0-9]*)_(?P<open>\{?)(?P<sub>[A-Za-z0-9_,]+)"
                        r"(?P<close>\}?)\s*\Z")
_MAX_PARSES = 2  # enough to tell "one reading" from "ambiguous"


def _spec_names(text: str, known: list[str]) -> tuple[list[str], str]:
    """The names one partial differentiates by, in order, and the form it was written in ("" for
    the canonical ``t,k``). Names are never guessed: a run-together ``tk`` or a subscript
    ``f_tk`` is read only when exactly one split into known names exists."""
    stripped = text.strip()
    # t,k is read as written when it may not be a subscript, or when every piece is a name:
    # variables f_v and w make "f_v,w" those two, not f's subscript "v,w".
    if "," in text and "/" not in text and (
            not _SUBSCRIPT.match(text) or all(p.strip() in known for p in text.split(","))):
        return _comma_names(text, known), ""
    if stripped in known:
        return [stripped], ""
    leibniz = _LEIBNIZ.match(text)
    if leibniz is not None:
        return _leibniz_names(leibniz, known), "Leibniz"
    subscript = _SUBSCRIPT.match(text)
    if subscript is not None and (subscript["open"] == "{") == (subscript["close"] == "}"):
        sub = subscript["sub"]
        if "," in sub:
            return _comma_names(" " * subscript.start("sub") + sub, known), "subscript"
        parts = [p for p in sub.split("_") if p]
        names = [n for part in parts for n in _one_split(part, known, subscript.start("sub"))]
        return names, "subscript"
    words = [(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
    if len(words) > 1:
        for start, word in words:
            _check_known(word, known, start + 1)
        return [w for _, w in words], "spaces"
    start = len(text) - len(text.lstrip())
    return _one_split(stripped, known, start), "run together"


def _comma_names(text: str, known: list[str]) -> list[str]:
    names: list[str] = []
    position = len(text) - len(text.lstrip())
    for piece in text.split(","):
        name = piece.strip()
        column = position + (len(piece) - len(piece.lstrip())) + 1
        if not name:
            raise PartialsError(
                "empty name in the derivative spec — separate names with commas, e.g. t,k",
                column=column,
            )
        _check_known(name, known, column)
        names.append(name)
        position += len(piece) + 1
    return names


def _check_known(name: str, known: list[str], column: int) -> None:
    if name in known:
        return
    candidates = known + list(BUNDLES)
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    hint = f" — did you mean '{close[0]}'?" if close else ""
    listed = ", ".join(known) if known else "none"
    raise PartialsError(
        f"'{name[:40]}' is not a variable or parameter (known: {listed}){hint}", column=column
    )


def _one_split(word: str, known: list[str], start: int) -> list[str]:
    """A known name, or known names run together (``tk``) when exactly one split exists."""
    if word in known:
        return [word]
    parses = _splits(word, 0, known, powers=False)
    if len(parses) == 1:
        return parses[0]
    if len(parses) > 1:
        shown = " or ".join(_cut(",".join(p)) for p in parses)
        raise PartialsError(f"'{word[:40]}' can be read as {shown} — separate the names with "
                            "commas", column=start + 1)
    _check_known(word, known, start + 1)
    return [word]  # pragma: no cover - _check_known raised


def _leibniz_names(match: re.Match[str], known: list[str]) -> list[str]:
    """``∂²f/∂t∂k``, ``d2f/dt dk``, ``∂^3 f/∂k^3``, ``df/dk``: the names below the line, in
    order; the order written on top (if any) must match."""
    below = match["below"]
    offset = match.start("below")
    parses = _splits(below, 0, known, powers=True, separators=True)
    if not parses:
        raise PartialsError(f"cannot read '{below.strip()[:40]}' as ∂ or d before each variable "
                            f"(known: {', '.join(known) or 'none'}) — e.g. ∂²f/∂t∂k or d2f/dtdk",
                            column=offset + len(below) - len(below.lstrip()) + 1)
    if len(parses) > 1:
        shown = " or ".join(_cut(",".join(p)) for p in parses)
        raise PartialsError(f"'{below.strip()[:40]}' can be read as {shown} — write t,k instead",
                            column=offset + 1)
    names = parses[0]
    if match["order"] is not None:
        order = int(match["order"].translate(_FROM_SUPERSCRIPT))
        if order != len(names):
            raise PartialsError(f"the order on top ({order}) is not the number of "
                                f"differentiations below ({len(names)})",
                                column=match.start("order") + 1)
    return names


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


_POWER = re.compile(r"\s*\^?\s*([0-9]+)|([⁰-⁹²³¹]+)")


def _splits(text: str, start: int, known: list[str], *, powers: bool,
            separators: bool = False) -> list[list[str]]:
    """Every reading (at most _MAX_PARSES) of ``text[start:]`` as known names in a row; with
    ``separators`` each name follows ∂ or d; with ``powers`` it may carry ``^2``, ``2`` or ``²``.
    Bottom-up over positions (no recursion, whatever the length)."""
    names = sorted(set(known), key=len, reverse=True)
    n = len(text)
    readings: list[list[list[str]]] = [[] for _ in range(n + 1)]
    readings[n] = [[]]
    for i in range(n - 1, start - 1, -1):
        if text[i] in " \t":
            readings[i] = readings[i + 1]
            continue
        j = i
        if separators:
            if text[i] not in "∂d":
                continue
            j = i + 1
            while j < n and text[j] in " \t":
                j += 1
        out: list[list[str]] = []
        for name in names:
            if len(out) >= _MAX_PARSES or not text.startswith(name, j):
                continue
            end = j + len(name)
            options = [(end, 1)]
            power = _POWER.match(text, end) if powers else None
            if power is not None:
                options.append((power.end(), int((power[1] or power[2]).translate(_FROM_SUPERSCRIPT))))
            for stop, times in options:
                for rest in readings[stop] if times <= 16 else []:
                    reading = [name] * times + rest
                    if reading not in out and len(out) < _MAX_PARSES:
                        out.append(reading)
        readings[i] = out
    return [p for p in readings[start] if p]


def _bundle(kind: str, variables: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    if kind in ("gradient", "jacobian"):
        return tuple((v,) for v in variables)
    if kind == "laplacian":
        return tuple((v, v) for v in variables)
    return tuple(itertools.combinations_with_replacement(variables, 2))


def partial_label(output: str, wrt: Sequence[str], *, ascii_only: bool = False) -> str:
    """``∂²f/∂t∂k``, ``∂³f/∂k³`` (or ``d2f/dtdk``, ``d3f/dk3`` for ASCII)."""
    if not wrt:
        return output
    order = len(wrt)
    groups = [(name, len(list(run))) for name, run in itertools.groupby(wrt)]
    if ascii_only:
        top = f"d{order if order > 1 else ''}{output}"
        bottom = "".join(f"d{n}{p if p > 1 else ''}" for n, p in groups)
        return f"{top}/{bottom}"
    sup = str(order).translate(_SUPERSCRIPTS) if order > 1 else ""
    bottom = "".join(f"∂{n}{str(p).translate(_SUPERSCRIPTS) if p > 1 else ''}" for n, p in groups)
    return f"∂{sup}{output}/{bottom}"


def column_keys(result: PartialsResult) -> Iterator[tuple[str, tuple[str, ...] | str, str, str]]:
    """(output, wrt, label, ascii label) of each output's value, then each requested partial, in
    request order, without repeats — what ``tables.result_columns`` holds, without the values."""
    for output in result.outputs:
        yield output, (), output, output
        seen: set[object] = set()
        for request in result.requests:
            if request.kind == "laplacian":
                if "laplacian" not in seen:
                    seen.add("laplacian")
                    yield output, "laplacian", f"∇²{output}", f"laplacian({output})"
                continue
            for wrt in request.components:
                key = tuple(sorted(wrt))
                if key in seen:
                    continue
                seen.add(key)
                yield output, wrt, partial_label(output, wrt), partial_label(output, wrt, ascii_only=True)


def parse_request(
    text: str, variables: tuple[str, ...], parameters: tuple[str, ...], limits: Limits,
    function: Expression | None = None,
) -> DerivativeRequest:
    """A spec validated for a domain and parameters, the error naming the spec it came from.
    With the ``function``, the derivatives its own ``diff(...)`` takes count toward the order."""
    try:
        request = parse_derivative_spec(text, variables, parameters, limits)
        if function is not None:
            from compute.language.derivative_forms import check_request_order

            check_request_order(function, request, limits)
        return request
    except PartialsError as exc:
        raise exc.in_field(f"derivative '{str(text)[:40]}'") from None
