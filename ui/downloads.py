"""Download buttons with a size budget: a file is built only when clicked, in the format its size
allows, and a result too large for the browser points to the command line, which streams.

Streamlit builds a deferred download on its event loop (every session's connection waits while it
runs) and keeps the bytes in memory while the session lives. CSV costs ~1 µs and ~20 bytes a
number, Parquet ~0.03 µs and 8 bytes (exact float64 either way), so CSV is offered up to ~1 s of
building and Parquet up to 128 MB; past that the page says how to get the file instead.
"""

from __future__ import annotations

import io
import json
import shlex
from collections.abc import Callable, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from compute.views.tables import comment_lines, exact_wide

CSV_MAX_NUMBERS = 1_000_000
PARQUET_MAX_NUMBERS = 16_000_000


def download_format(numbers: int) -> str | None:
    """``csv``, ``parquet``, or None when even Parquet would be too large to build here."""
    if numbers <= CSV_MAX_NUMBERS:
        return "csv"
    if numbers <= PARQUET_MAX_NUMBERS:
        return "parquet"
    return None


METADATA_KEY = b"partials"  # Parquet schema metadata: the provenance as JSON


def parquet_bytes(frame: pd.DataFrame, metadata: dict | None = None) -> bytes:
    """Exact float64 columns; ``metadata`` (what the table was computed from) as JSON under the
    schema metadata key ``partials``: ``json.loads(pyarrow.parquet.read_schema(f).metadata[b"partials"])``."""
    buffer = io.BytesIO()
    table = pa.table({str(name): frame[name].to_numpy() for name in frame.columns})
    if metadata is not None:
        table = table.replace_schema_metadata({METADATA_KEY: json.dumps(metadata).encode("utf-8")})
    pq.write_table(table, buffer)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame, metadata: dict | None = None, *, index: bool = False) -> bytes:
    """The table as CSV, headed by ``# `` comment lines that say what it was computed from
    (``pandas.read_csv(f, comment="#")`` reads it; a wide table adds ``index_col=0``). Numbers are
    written exactly: each reads back as the same float64."""
    head = "".join(line + "\n" for line in comment_lines(metadata)) if metadata else ""
    return (head + frame.to_csv(index=index, lineterminator="\n")).encode("utf-8")


def file_bytes(kind: str, frame: pd.DataFrame, metadata: dict | None = None, *,
               index: bool = False) -> bytes:
    """What a download button serves: ``kind`` is ``csv`` or ``parquet``. ``index``: ``frame`` is
    a wide table (rows: one variable's values, columns: another's), written with a first column
    headed ``t \\ k`` and exact grid values as headers."""
    wide = index and frame.columns.name is not None  # not the note of a dropped result
    if kind == "csv":
        return csv_bytes(exact_wide(frame) if wide else frame, metadata, index=wide)
    return parquet_bytes(exact_wide(frame, text_index=False).reset_index() if wide else frame,
                         metadata)


def download_button(container, label: str, build: Callable[[], pd.DataFrame], *, numbers: int,
                    file_stem: str, key: str, index: bool = False, command: str | None = None,
                    metadata: dict | None = None, **button_args) -> str | None:
    """One button for ``build()``'s table, as CSV or Parquet by size; a disabled button when it is
    too large for either, with the reason (and the command that writes the file) in its tooltip.
    ``metadata`` (see :func:`compute.views.tables.provenance`) heads a CSV as comments and goes into a
    Parquet file's schema metadata. Returns the reason (None when the button works), for the page
    to show in full."""
    kind = download_format(numbers)
    if kind is None:
        why = (f"{numbers:,} numbers are more than this server prepares as a download "
               f"({PARQUET_MAX_NUMBERS:,}).")
        tip = why + (f" The command line streams them to a file:\n\n`{command}`" if command else "")
        container.download_button(label, b"", file_name=f"{file_stem}.csv", key=key, disabled=True,
                                  help=tip, icon=":material/download:", on_click="ignore",
                                  **button_args)
        return why
    data = lambda: file_bytes(kind, build(), metadata, index=index)  # noqa: E731
    if kind == "csv":
        mime, name = "text/csv", f"{file_stem}.csv"
    else:
        label = f"{label} · Parquet" if "Parquet" not in label else label
        mime, name = "application/vnd.apache.parquet", f"{file_stem}.parquet"
    container.download_button(label, data, file_name=name, mime=mime, key=key, on_click="ignore",
                              icon=":material/download:",
                              help=None if kind == "csv" else
                              f"{numbers:,} numbers: Parquet (exact float64, read with "
                              "pandas.read_parquet) — CSV would be too large to build here.",
                              **button_args)
    return None


def cli_command(text: str, variables: Sequence[tuple[str, str]], params: Sequence[tuple[str, float]],
                wrt: Sequence[str], dtype: str = "float64", points_file: str | None = None) -> str:
    """The ``python -m compute`` command that writes the same numbers as CSV, shell-quoted."""
    parts: list[str] = []
    if points_file:
        parts += ["--points", points_file]
    for name, spec in variables:
        parts += ["--var", f"{name}={spec}"]
    for name, value in params:
        parts += ["--param", f"{name}={value!r}"]
    for spec in wrt:
        parts += ["--wrt", spec]
    if dtype != "float64":
        parts += ["--dtype", dtype]
    parts += ["--format", "csv"]
    # A function starting with "-" would read as an option: it goes last, after "--".
    parts = ["python", "-m", "compute", *([*parts, "--", text] if text.startswith("-") else [text, *parts])]
    command = " ".join(shlex.quote(p) for p in parts)
    return command + " > partials.csv"
