"""How the server and its compute workers talk: pickles with their arrays sent out of band.

A result holds tens of MB of float64 arrays. Pickle protocol 5 hands each array's memory to us
as a separate buffer, so the worker writes the arrays straight from their own memory and the
server reads them straight into the memory the new arrays will use: no copy of the whole result
inside ``pickle.dumps``/``pickle.loads``, which would hold the GIL (and stall every session's
page) for as long as it takes to copy them. Only our own processes are on either end.
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Callable

_COUNTS = struct.Struct("!QQ")  # pickle length, number of out-of-band buffers


def encode(message: object) -> list[bytes | memoryview]:
    """The frames to write, in order: counts, buffer lengths, pickle, each buffer."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    lengths = struct.pack(f"!{len(raws)}Q", *(raw.nbytes for raw in raws))
    return [_COUNTS.pack(len(data), len(raws)) + lengths, data, *raws]


def decode(read: Callable[[int], bytes | bytearray | None]) -> object | None:
    """The next message, read through ``read(n)`` (exactly n bytes, or None when there are none
    to be had: end of stream, or a deadline passed). Arrays use the memory ``read`` returns:
    writable where that is a bytearray."""
    counts = read(_COUNTS.size)
    if counts is None:
        return None
    length, count = _COUNTS.unpack(counts)
    lengths = read(8 * count) if count else b""
    if lengths is None:
        return None
    data = read(length)
    if data is None:
        return None
    buffers = []
    for size in struct.unpack(f"!{count}Q", lengths):
        buffer = read(size) if size else bytearray()
        if buffer is None:
            return None
        buffers.append(buffer)
    return pickle.loads(data, buffers=buffers)
