"""A short-lived cache for configuration read on every order (channels, tax rates).

Configuration changes rarely and is read on every hot request. Each process keeps what it
read for ``TTL_SECONDS``; a change made in this process clears its entry at once, and other
processes see it within the TTL. Nothing that must hold across processes (stock, numbers,
claims) is ever cached: those stay in the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
TTL_SECONDS = 10.0


class ConfigCache:
    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            value: T = found[1]
            return value
        value = load()
        with self._lock:
            self._entries[key] = (now, value)
        return value

    def forget(self, key: Hashable | None = None) -> None:
        """Drop one entry, or everything."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
