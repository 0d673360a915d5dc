"""The worker transport: messages, with their arrays sent out of band, come back equal."""

from __future__ import annotations

import io

import numpy as np
import pytest

from compute.service.wire import decode, encode


def _through_a_stream(message: object) -> object:
    stream = io.BytesIO()
    for frame in encode(message):
        stream.write(frame)
    stream.seek(0)

    def read(n: int) -> bytearray | None:  # as the server reads: into fresh, writable memory
        data = bytearray(n)
        return data if stream.readinto(data) == n else None

    return decode(read)


def test_arrays_travel_out_of_band_and_come_back_equal_and_writable() -> None:
    grid = np.arange(12.0).reshape(3, 4)
    message = ("ok", {"f": grid, "strided": grid[:, ::2], "empty": np.zeros((0, 3)),
                      "fortran": np.asfortranarray(grid), "ints": np.arange(5, dtype=np.int32),
                      "text": "∂f/∂x"})
    frames = encode(message)
    assert len(frames) == 2 + 4  # counts, pickle, then one buffer per contiguous array
    status, payload = _through_a_stream(message)
    assert status == "ok"
    assert payload["text"] == "∂f/∂x"
    for name in ("f", "strided", "empty", "fortran", "ints"):
        assert payload[name].dtype == message[1][name].dtype
        np.testing.assert_array_equal(payload[name], message[1][name])
    payload["f"][0, 0] = -1.0  # the server may scale or mask results in place
    assert payload["f"][0, 0] == -1.0


@pytest.mark.parametrize("cut", [0, 5, 16, 40, -1])  # -1: all but the last byte
def test_a_stream_that_ends_early_gives_none(cut: int) -> None:
    frames = b"".join(bytes(f) for f in encode(np.ones(1000)))
    stream = io.BytesIO(frames[:cut])

    def read(n: int) -> bytes | None:
        data = stream.read(n)
        return data if len(data) == n else None

    assert decode(read) is None
