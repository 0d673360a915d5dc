"""A cache bounded by bytes, not entries: what a capped process or a shared server can hold.

Entry counts say nothing about memory — one program is kilobytes or tens of MB, one result
kilobytes or gigabytes — so each entry is weighed when stored, the least recently used go first,
and an entry heavier than the whole budget is handed back without being kept. Concurrent callers
asking for the same key wait for one computation instead of each starting their own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    def __init__(self, max_bytes: int, weigh: Callable[[V], int], ttl_seconds: float | None = None) -> None:
        self.max_bytes = max_bytes
        self._weigh = weigh
        self._ttl = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[V, int, float]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Event] = {}

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            return self._get(key)

    def _get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._ttl is not None and time.monotonic() - entry[2] > self._ttl:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, value: V) -> V:
        size = self._weigh(value)
        with self._lock:
            if key in self._entries:
                self._drop(key)
            if size > self.max_bytes:
                return value
            self._entries[key] = (value, size, time.monotonic())
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
        return value

    def _drop(self, key: Hashable) -> None:
        _, size, _ = self._entries.pop(key)
        self._bytes -= size

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value, or ``compute()``'s (stored); an exception is raised, not stored."""
        while True:
            with self._lock:
                value = self._get(key)
                if value is not None:
                    return value
                waiting = self._pending.get(key)
                if waiting is None:
                    done = self._pending[key] = threading.Event()
                    break
            waiting.wait()  # another caller computes it: take theirs (or compute if theirs failed)
        try:
            return self.put(key, compute())
        finally:
            with self._lock:
                del self._pending[key]
            done.set()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
