"""The CLI's writers for a grid or points result: JSON, CSV, a table and a summary.

JSON and CSV are written block by block, so what they cost beyond the result arrays is a few MB
whatever the grid (a whole JSON document as nested lists took ~32 bytes a number).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from compute.errors import ResourceLimitError
from compute.language.derivatives import column_keys

if TYPE_CHECKING:
    from compute.engines.engine import PartialsResult

# Output is written this many numbers at a time.
BLOCK_NUMBERS = 1 << 16
TABLE_MAX_NUMBERS = 100_000  # --format table is for reading: bigger results go to csv or summary

Block = Callable[[int, int], np.ndarray]  # flat (C-order) values start:stop of one quantity


def table_too_big(numbers: int) -> ResourceLimitError:
    return ResourceLimitError(
        f"--format table is for small results ({numbers:,} numbers; it prints at most "
        f"{TABLE_MAX_NUMBERS:,}) — use --format csv or --format summary"
    )


def _flat(array: np.ndarray) -> Block:
    flat = array.reshape(-1)
    return lambda start, stop: flat[start:stop]


def _laplacian(result: PartialsResult, output: str) -> Block:
    """Blocks of ``result.laplacian(output)`` (the same sum, in the same order) without the
    whole-grid temporaries."""
    parts = [_flat(result.partial((name, name), output)) for name in result.domain.names]
    if len(parts) == 1:
        return parts[0]
    return lambda start, stop: np.sum([part(start, stop) for part in parts], axis=0)


def _columns(result: PartialsResult) -> Iterator[tuple[str, tuple[str, ...] | str, str, str, Block]]:
    """``tables.result_columns`` with lazy values: (output, wrt, label, ascii label, blocks)."""
    for output, wrt, label, ascii_label in column_keys(result):
        if wrt == ():
            block = _flat(result.value(output))
        elif wrt == "laplacian":
            block = _laplacian(result, output)
        else:
            block = _flat(result.partial(wrt, output))
        yield output, wrt, label, ascii_label, block


def _quantity(result: PartialsResult, request, output: str) -> Block | dict[str, Block]:
    """What a request asks for (``result.quantity``), as blocks."""
    if request.kind == "partial":
        return _flat(result.partial(request.components[0], output))
    if request.kind == "laplacian":
        return _laplacian(result, output)
    return {",".join(c): _flat(result.partial(c, output)) for c in request.components}


def _json_lists(block: np.ndarray) -> tuple[list, int]:
    """Nested lists with non-finite numbers as None (JSON null), and how many there were."""
    finite = np.isfinite(block)
    bad = block.size - int(np.count_nonzero(finite))
    if not bad:
        return block.astype(np.float64).tolist(), 0
    obj = block.astype(np.float64).astype(object)
    obj[~finite] = None
    return obj.tolist(), bad


def _write_nested(write: Callable[[str], object], shape: tuple[int, ...], block: Block,
                  offset: int = 0) -> int:
    """Write values ``offset``… as nested JSON arrays of ``shape``, the same text as
    ``json.dumps`` of the whole nested list, at most BLOCK_NUMBERS numbers at a time.
    Returns the count of non-finite numbers written."""
    size = math.prod(shape)
    if size <= BLOCK_NUMBERS:
        lists, bad = _json_lists(block(offset, offset + size).reshape(shape))
        write(json.dumps(lists, allow_nan=False))
        return bad
    inner = math.prod(shape[1:])
    bad = 0
    write("[")
    if inner <= BLOCK_NUMBERS:  # whole rows at a time
        rows = BLOCK_NUMBERS // inner
        for first in range(0, shape[0], rows):
            count = min(rows, shape[0] - first)
            start = offset + first * inner
            lists, n = _json_lists(block(start, start + count * inner).reshape((count, *shape[1:])))
            bad += n
            if first:
                write(", ")
            write(json.dumps(lists, allow_nan=False)[1:-1])
    else:  # a row is itself too big: each row in parts
        for row in range(shape[0]):
            if row:
                write(", ")
            bad += _write_nested(write, shape[1:], block, offset + row * inner)
    write("]")
    return bad


def _write_object(write: Callable[[str], object], items: Sequence[tuple[str, Callable[[], object]]]):
    """``{"key": …, …}`` where each item writes its own value and returns its non-finite count;
    returns ``{key: count}`` (a dict, so a repeated key behaves as in ``json.dumps``)."""
    counts: dict[str, object] = {}
    write("{")
    for i, (key, write_value) in enumerate(items):
        write(("" if i == 0 else ", ") + json.dumps(key) + ": ")
        counts[key] = write_value()
    write("}")
    return counts


def write_json(result: PartialsResult, write: Callable[[str], object]) -> None:
    """The JSON document of PRODUCT.md, byte for byte what ``json.dump`` of the nested lists gave,
    written block by block: nothing is built whole but the result arrays themselves."""
    domain = result.domain
    shape = domain.shape

    def nested(block: Block, of: tuple[int, ...] = shape) -> Callable[[], int]:
        return lambda: _write_nested(write, of, block)

    def partials(output: str) -> Callable[[], dict]:
        items: list[tuple[str, Any]] = []
        for text, request in {r.text: r for r in result.requests}.items():
            quantity = _quantity(result, request, output)
            if isinstance(quantity, dict):
                items.append((text, lambda q=quantity: _write_object(
                    write, [(k, nested(v)) for k, v in q.items()])))
            else:
                items.append((text, nested(quantity)))
        return lambda: _write_object(write, items)

    axes = domain.axes if hasattr(domain, "axes") else domain.columns
    write('{"expression": ' + json.dumps(result.expression.text) + ', "variables": ')
    _write_object(write, [(name, nested(_flat(values), values.shape)) for name, values in axes])
    write(', "params": ' + json.dumps(result.params, allow_nan=False) + ', "value": ')
    outputs = result.outputs
    if len(outputs) == 1:
        counts: dict[str, Any] = {"value": _write_nested(write, shape, _flat(result.value()))}
        write(', "partials": ')
        counts.update(partials(outputs[0])())
    else:
        values = _write_object(write, [(o, nested(_flat(result.value(o)))) for o in outputs])
        write(', "partials": ')
        found = _write_object(write, [(o, partials(o)) for o in outputs])
        counts = {o: {"value": values[o], **found[o]} for o in outputs}
    write(', "nonfinite": ' + json.dumps(counts) + "}\n")


def write_csv(result: PartialsResult, stream) -> None:
    """``tables.tidy_table(result, ascii_labels=True).to_csv(index=False)``, a block of rows at
    a time."""
    import pandas as pd

    domain = result.domain
    columns: dict[str, Block] = {}
    for _, _, _, ascii_label, block in _columns(result):
        label = ascii_label
        while label in columns or label in domain.names:  # a variable may share an output's name
            label += "'"
        columns[label] = block
    rows = max(1, BLOCK_NUMBERS // (len(domain.names) + len(columns)))
    for start in range(0, domain.size, rows):
        stop = min(start + rows, domain.size)
        data = dict(domain.coordinates(start, stop))
        data.update((label, block(start, stop)) for label, block in columns.items())
        pd.DataFrame(data).to_csv(stream, index=False, header=start == 0)


def to_table(result: PartialsResult) -> str:
    from compute.views.tables import result_columns, tidy_table, wide_table

    columns = list(result_columns(result))
    numbers = result.domain.size * len(columns)
    if numbers > TABLE_MAX_NUMBERS:
        raise table_too_big(numbers)
    if hasattr(result.domain, "axes") and len(result.domain.names) == 2:
        blocks = [f"{c.label}\n{wide_table(result, c).to_string()}" for c in columns]
        return "\n\n".join(blocks)
    return tidy_table(result).to_string(index=False)


def _kernel_note(result: PartialsResult) -> str:
    return " (fused kernel)" if result.fused_blocks else ""


def to_summary(result: PartialsResult, seconds: float) -> str:
    domain = result.domain
    kind = "grid" if hasattr(domain, "axes") else "points"
    shape = " × ".join(str(n) for n in domain.shape)
    lines = [
        f"expression: {result.expression.text}",
        f"{kind}: {', '.join(domain.names)}  shape {shape} = {domain.size:,} points",
        f"dtype: {result.dtype}  method: {result.method}{_kernel_note(result)}  device: {result.device}",
        f"{'quantity':<16} {'min':>14} {'max':>14} {'non-finite':>11} {'seconds':>9}",
    ]
    step = BLOCK_NUMBERS * 16
    for output, wrt, label, _, block in _columns(result):
        low = high = None
        bad = 0
        for start in range(0, domain.size, step):
            values = block(start, min(start + step, domain.size))
            finite = values[np.isfinite(values)]
            bad += values.size - finite.size
            if finite.size:
                low = finite.min() if low is None else min(low, finite.min())
                high = finite.max() if high is None else max(high, finite.max())
        lo = "—" if low is None else f"{low:.6g}"
        hi = "—" if high is None else f"{high:.6g}"
        secs = 0.0 if wrt == "laplacian" else result.seconds_for(output, wrt)
        lines.append(f"{label:<16} {lo:>14} {hi:>14} {bad:>11,} {secs:>9.4f}")
    lines.append(f"total seconds: {seconds:.3f}")
    return "\n".join(lines)


def write_result(result: PartialsResult, fmt: str, seconds: float) -> None:
    """The result on stdout in ``--format`` ``fmt``."""
    if fmt == "json":
        write_json(result, sys.stdout.write)
    elif fmt == "csv":
        write_csv(result, sys.stdout)
    elif fmt == "table":
        print(to_table(result))
    else:
        print(to_summary(result, seconds))
