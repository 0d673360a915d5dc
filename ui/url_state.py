"""The whole view as URL query parameters: readable, hand-editable, versioned.

    ?v=1&f=t*k+%2B+2*t*k**2&var.t=1,+2,+4&var.k=2,+3&wrt=t&wrt=k&plot=surface&show=k

Keys (v=1): ``f`` function · ``mode`` grid|points · ``var.NAME`` grid spec · ``param.NAME``
value · ``range.NAME`` slider range "lo, hi" · ``pts.NAME`` point values "1, 2, 3" · ``wrt``
(repeated) derivative specs · ``dtype`` · ``plot`` kind · ``show`` plotted quantity · ``axes``
plotted variables "x, y" · ``at.NAME`` slice value · ``digits`` · ``anim`` a playing parameter
animation "NAME, FROM, TO, FRAMES" · ``view`` the results view shown, tables|plot|code ·
``inspect.NAME`` a coordinate of the inspected point (present while the inspector is open).

A link is untrusted: this module reads strings with size caps, drops unknown keys and text that
is not valid Unicode, and checks the link-only keys (``digits``, ``anim``) with the same strict
parsers as everything else, noting what it ignored. Every other value then goes through the same
widgets and validation as typed text: nothing here raises anything but ``PartialsError``.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from compute import PartialsError, parse_constant
from compute.engines.sweep import MAX_FRAMES
from compute.language.numbers import parse_count, printable
from compute.limits import DEFAULT_LIMITS

VERSION = "1"
SEED_FUNCTION = "t*k + 2*t*k**2"
SEED_GRIDS = (("t", "1, 2, 4"), ("k", "2, 3"))
PLOT_KINDS = ("surface", "heatmap", "contour", "vectors", "line")
VIEWS = ("tables", "plot", "code")  # the Explorer's results views; only the one shown is drawn
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")
_PREFIXED = ("var", "param", "range", "pts", "at", "inspect")
MAX_KEYS = 200
MAX_VALUE_CHARS = 20_000
# The server's HTTP parser (uvicorn's h11) refuses a request head over 16 KiB that does not
# arrive in one piece: over a network, links much past 15,000 characters fail (README).
LINK_SAFE_CHARS = 15_000
LINK_MAX_POINTS = 200  # rows of a points table a link carries (``pts.NAME``); larger ones stay out
MAX_PARAMETER = 1e300  # parameter values and slider ends: room for a range around them in float64


def check_parameter(value: object) -> float:
    """A parameter's value (typed, from a link or an animation's end): finite and within
    ±MAX_PARAMETER, so its slider's range and step stay finite floats."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise PartialsError(f"'{printable(str(value))}' is not a finite number")
    if abs(value) > MAX_PARAMETER:
        raise PartialsError(f"{value:g} is too large for a parameter — values are limited to "
                            f"±{MAX_PARAMETER:g}")
    return float(value)


@dataclass(frozen=True)
class ViewState:
    function: str = SEED_FUNCTION
    mode: str = "grid"
    grids: tuple[tuple[str, str], ...] = SEED_GRIDS
    params: tuple[tuple[str, str], ...] = ()
    ranges: tuple[tuple[str, str], ...] = ()
    points: tuple[tuple[str, str], ...] = ()
    wrt: tuple[str, ...] = ("t", "k")
    dtype: str = "float64"
    plot: str = "surface"
    show: str = ""
    axes: str = ""
    at: tuple[tuple[str, str], ...] = field(default=())
    digits: str = ""
    anim: str = ""
    view: str = "tables"
    inspect: tuple[tuple[str, str], ...] = ()  # the inspected point, coordinates as typed

    def to_query(self) -> dict[str, str | list[str]]:
        """Query parameters for this view, leaving out what equals the defaults."""
        q: dict[str, str | list[str]] = {"v": VERSION, "f": self.function}
        if self.mode != "grid":
            q["mode"] = self.mode
        for prefix, pairs in (("var", self.grids), ("param", self.params), ("range", self.ranges),
                              ("pts", self.points), ("at", self.at), ("inspect", self.inspect)):
            for name, value in pairs:
                q[f"{prefix}.{name}"] = value
        if self.wrt:
            q["wrt"] = list(self.wrt)
        for key, value, default in (("dtype", self.dtype, "float64"), ("plot", self.plot, "surface"),
                                    ("show", self.show, ""), ("axes", self.axes, ""),
                                    ("digits", self.digits, ""), ("anim", self.anim, ""),
                                    ("view", self.view, "tables")):
            if value != default:
                q[key] = value
        return q

    def query_string(self) -> str:
        return urllib.parse.urlencode(self.to_query(), doseq=True, quote_via=_quote)


def _quote(text: str | bytes, safe: str | bytes = "",  # noqa: ARG001 -- quote_via's signature
           encoding: str | None = None, errors: str | None = None) -> str:
    """Percent-encode, but leave what reads well and is safe in a query value: * , ( ) ^ / :"""
    if isinstance(text, bytes):  # urlencode passes bytes through for bytes values (none here)
        return urllib.parse.quote(text, safe="*,()^/:")
    return urllib.parse.quote(text, safe="*,()^/:", encoding=encoding, errors=errors)


def read_query(params: Mapping[str, Sequence[str]]) -> tuple[ViewState, list[str]]:
    """A view from ``{key: [values]}`` plus notes about what was ignored.

    With no ``f`` in the link, the seed example is shown.
    """
    notes: list[str] = []
    if not params.get("f"):
        return ViewState(), notes
    keys = list(params)[:MAX_KEYS]
    if len(params) > MAX_KEYS:
        notes.append(f"the link has more than {MAX_KEYS} parameters; the rest were ignored")

    def one(key: str, default: str = "") -> str:
        values = params.get(key) or [default]
        value = str(values[-1])
        if len(value) > MAX_VALUE_CHARS:
            notes.append(f"'{printable(key, 40)}' in the link is too long and was ignored")
            return default
        if not _is_text(value):
            notes.append(f"'{printable(key, 40)}' in the link is not valid text and was ignored")
            return default
        return value

    groups: dict[str, list[tuple[str, str]]] = {p: [] for p in _PREFIXED}
    for key in keys:
        prefix, dot, name = key.partition(".")
        if dot and prefix in groups:
            if _NAME.match(name):
                groups[prefix].append((name, one(key)))
            else:
                notes.append(f"'{printable(key, 40)}' in the link is not a valid name and was ignored")
    wrt = tuple(str(w) for w in (params.get("wrt") or [])[:64]
                if len(str(w)) <= MAX_VALUE_CHARS and _is_text(str(w)))
    mode = one("mode", "grid")
    state = ViewState(
        function=one("f"),
        mode=mode if mode in ("grid", "points") else "grid",
        grids=tuple(groups["var"]),
        params=tuple(groups["param"]),
        ranges=tuple(groups["range"]),
        points=tuple(groups["pts"]),
        wrt=wrt,
        dtype="float32" if one("dtype") == "float32" else "float64",
        plot=one("plot", "surface") if one("plot", "surface") in PLOT_KINDS else "surface",
        show=one("show")[:200],
        axes=one("axes")[:200],
        at=tuple(groups["at"]),
        digits=_digits(one("digits"), notes),
        anim=_animation(one("anim"), notes),
        view=one("view", "tables") if one("view", "tables") in VIEWS else "tables",
        inspect=tuple(groups["inspect"]),
    )
    return state, notes


def _is_text(value: str) -> bool:
    """False for lone surrogates (Python can hold them; no page, URL or protobuf can)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _digits(text: str, notes: list[str]) -> str:
    """Significant digits in tables, 3 to 17 (ASCII digits only: ``isdigit`` accepts '²')."""
    if not text:
        return ""
    try:
        return str(parse_count(text, "'digits' in the link", 3, 17))
    except PartialsError as exc:
        notes.append(f"{exc.describe()}; it was ignored")
        return ""


def _animation(text: str, notes: list[str]) -> str:
    """``NAME, FROM, TO, FRAMES`` checked like typed values (a name, two parameter values and a
    whole number of frames), in canonical form, or nothing with a note saying why."""
    if not text:
        return ""
    parts = [p.strip() for p in text.split(",")]
    try:
        if len(text) > 200:
            raise PartialsError("too long")
        if len(parts) != 4:
            raise PartialsError(f"four values are needed, not {len(parts)}")
        name, start, stop, frames = parts
        if not _NAME.match(name):
            raise PartialsError(f"'{printable(name)}' is not a name")
        values = []
        for part in (start, stop):
            try:
                values.append(check_parameter(parse_constant(part, DEFAULT_LIMITS)))
            except PartialsError as exc:
                raise PartialsError(f"'{printable(part)}': {exc.describe()}") from None
        if values[0] == values[1]:
            raise PartialsError("FROM and TO must differ")
        count = parse_count(frames, "FRAMES", 2, MAX_FRAMES)
    except PartialsError as exc:
        notes.append("'anim' in the link should read 'NAME, FROM, TO, FRAMES' "
                     f"({exc.describe()}); "
                     "it was ignored")
        return ""
    return f"{name}, {values[0]!r}, {values[1]!r}, {count}"


def share_url(base: str, state: ViewState) -> str:
    """``base`` is the page's URL; any query it has is replaced by the view's."""
    return link_to(base, state.to_query())


def link_to(base: str, query: Mapping[str, str | list[str]]) -> str:
    """``base`` (a page's URL) with its query replaced by ``query``, encoded as share links are."""
    parts = urllib.parse.urlsplit(base or "http://localhost:8501/")
    text = urllib.parse.urlencode(query, doseq=True, quote_via=_quote)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or "/", text, ""))


def query_lists(query_params) -> dict[str, list[str]]:
    """``{key: [values]}`` from Streamlit's ``st.query_params`` (repeated keys kept)."""
    return {key: query_params.get_all(key) for key in query_params}


def as_lists(query: Mapping[str, str | list[str]]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in query.items()}


def sync_query_params(query_params, state: ViewState) -> dict[str, list[str]]:
    """Write the view into the address bar when it changed (writing does not rerun); returns
    what the address bar now holds, so a later *different* query can be told apart as a link."""
    wanted = state.to_query()
    if as_lists(wanted) != query_lists(query_params):
        query_params.from_dict(wanted)
    return as_lists(wanted)
