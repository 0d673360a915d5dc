"""A parameter slider's range arithmetic (pure): the range a value starts with, how a range grows
to hold a value typed outside it, and which range texts make a working slider."""

from __future__ import annotations

import math

from compute import PartialsError
from compute.language.numbers import parse_number_list

from .compute_cache import APP_LIMITS
from .url_state import MAX_PARAMETER


def default_range(value: float, positive: bool = False) -> str:
    """The slider range a parameter starts with: ``value ± max(1, |value|)``, cut at
    ±MAX_PARAMETER (where parameters stay), so it is finite and ``slider_range`` accepts it. A
    positive value of a name that must stay positive (``positive_names``) starts on
    ``value/100 … 2·value + value/100``: steps of value/100 that never reach 0."""
    value = min(max(value, -MAX_PARAMETER), MAX_PARAMETER) if math.isfinite(value) else 0.0
    if positive and 1e-280 < value < MAX_PARAMETER / 3:
        return f"{shortest(value / 100)}, {shortest(2 * value + value / 100)}"
    width = max(1.0, abs(value))
    lo, hi = max(value - width, -MAX_PARAMETER), min(value + width, MAX_PARAMETER)
    return f"{lo:g}, {hi:g}"


RANGE_RULE = ("Slider range: low, high. A value typed outside it widens the range to take in "
              "value ± |value| (at least ± 1), keeping a range that is above 0 above 0; a range "
              "that leaves the value out moves the value to its nearest end.")


def widened_range(lo: float, hi: float, value: float) -> tuple[float, float]:
    """``(lo, hi)`` grown to hold ``value`` with room around it (RANGE_RULE): each end that
    ``value ± max(1, |value|)`` passes moves there, except that a range wholly above 0 (below 0)
    stays so for a value on the same side, its end moving to value/2. Ends stay within
    ±MAX_PARAMETER; a value already inside leaves the range alone."""
    if lo <= value <= hi:
        return lo, hi
    width = max(1.0, abs(value))
    low, high = max(value - width, -MAX_PARAMETER), min(value + width, MAX_PARAMETER)
    if lo > 0 and value > 0:
        low = value / 2
    if hi < 0 and value < 0:
        high = value / 2
    return min(lo, low), max(hi, high)


SLIDER_STEPS = 200


def slider_range(text: str, value: float) -> tuple[float, float, float]:
    """``(low, high, step)`` of a parameter's slider from its range text ``low, high``, widened
    to hold ``value`` (only as a fallback: ``variable_inputs`` rewrites the text first, so the
    range box shows what the slider does). Raises ``PartialsError`` only."""
    lo, hi = range_ends(text)
    lo, hi = min(lo, value), max(hi, value)  # only widens: the width stays representable
    return lo, hi, (hi - lo) / SLIDER_STEPS


def range_ends(text: str) -> tuple[float, float]:
    """The ends of a range text ``low, high`` that makes a working slider. Ends within
    ±MAX_PARAMETER keep the width finite; a width of at least 1e-12 of the ends' size (and
    1e-290) keeps 200 steps distinct, normal floats (``0, 5e-324`` would make the step 0).
    Raises ``PartialsError`` only."""
    _, ends = parse_number_list(text, (), APP_LIMITS)
    if len(ends) != 2:
        raise PartialsError("write the range as low, high")
    lo, hi = ends
    if not lo < hi:
        raise PartialsError("the range needs low < high")
    for end in (lo, hi):
        if abs(end) > MAX_PARAMETER:
            raise PartialsError(f"{shortest(end)} is too large for a slider — keep the range within "
                                f"±{MAX_PARAMETER:g}")
    if hi - lo < 1e-290 or hi - lo < 1e-12 * max(abs(lo), abs(hi)):
        raise PartialsError(f"the range {shortest(lo)} to {shortest(hi)} is too narrow for a slider — "
                            "its width must be at least 1e-12 of its ends' size")
    return lo, hi


def shortest(value: float) -> str:
    """The shorter of ``:g`` and ``repr`` that reads back as ``value`` (5e-324, not 4.94066e-324)."""
    short = f"{value:g}"
    return short if float(short) == value and len(short) <= len(repr(value)) else repr(value)


def working_range(text: str) -> tuple[float, float] | None:
    """A range text's ends when it makes a working slider, else None (its error is shown)."""
    try:
        return range_ends(text)
    except PartialsError:
        return None



def tidy_slider_value(value: float, step: float) -> float:
    """The shortest decimal within a millionth of a step of ``value``: a slider steps in binary
    floating point (0.95 arrives as 0.9499999999999998), and the box should show 0.95."""
    for digits in range(1, 18):
        short = float(f"{value:.{digits}g}")
        if abs(short - value) <= abs(step) * 1e-6:
            return short
    return value
