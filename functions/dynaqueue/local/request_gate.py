"""Counts requests in flight so a stopping server can refuse new ones and let the running ones finish."""

from __future__ import annotations

import threading
import time


class RequestGate:
    """Admits requests until closed; closing waits, within a bound, for the admitted ones to leave."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._in_flight = 0
        self._open = True

    @property
    def in_flight(self) -> int:
        with self._changed:
            return self._in_flight

    def enter(self) -> bool:
        """Admit one request; False once the gate is closed."""
        with self._changed:
            if not self._open:
                return False
            self._in_flight += 1
            return True

    def leave(self) -> None:
        with self._changed:
            self._in_flight -= 1
            self._changed.notify_all()

    def close(self, timeout_seconds: float) -> int:
        """Admit no more, wait up to `timeout_seconds` for the rest; returns how many are still running."""
        deadline = time.monotonic() + timeout_seconds
        with self._changed:
            self._open = False
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return self._in_flight
