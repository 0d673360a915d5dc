"""User text inside Markdown: an error quoting ``__import__`` or ``t*k*2`` must show those
characters, not bold or italics (Streamlit renders messages as Markdown, and ``$`` as LaTeX)."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_\[\]<>#~$|])")


def markdown_safe(text: str) -> str:
    """``text`` with every Markdown-special character escaped: it reads exactly as written."""
    return _SPECIAL.sub(r"\\\1", text)
