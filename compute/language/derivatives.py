"""Derivative specs: ``k`` · ``t,k`` · ``k,k,k`` · gradient · hessian · laplacian · jacobian."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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
    check_characters(text)
    stripped = text.strip()
    if not stripped:
        raise PartialsError("the derivative spec is empty — name a variable, e.g. k or t,k")
    lowered = stripped.lower()
    if lowered in BUNDLES:
        return DerivativeRequest(text, lowered, _bundle(lowered, tuple(variables)))
    known = list(variables) + [p for p in parameters if p not in variables]
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
        if name not in known:
            candidates = known + list(BUNDLES)
            close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            listed = ", ".join(known) if known else "none"
            raise PartialsError(
                f"'{name[:40]}' is not a variable or parameter (known: {listed}){hint}",
                column=column,
            )
        names.append(name)
        position += len(piece) + 1
    if len(names) > limits.max_order:
        raise PartialsError(
            f"order {len(names)} is above the limit of {limits.max_order}"
        )
    return DerivativeRequest(text, "partial", (tuple(names),))


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
