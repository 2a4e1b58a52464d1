"""Test doubles for the domain's own ports."""

from __future__ import annotations

import threading
import time


class FakeClock:
    """A wall clock that moves only when told to.

    Monotonic time keeps running in real time (plus every advance), so a long poll under a
    fake clock still ends when its wait runs out.
    """

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:
        self._now_ms = start_ms
        self._advanced_seconds = 0.0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._now_ms

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._advanced_seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now_ms += int(seconds * 1000)
            self._advanced_seconds += seconds
