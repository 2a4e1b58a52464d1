"""In-process wake-ups for the embedded store's long polls: one token and condition per queue."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class QueueSignal:
    """The availability token of one queue and the condition its long polls wait on."""

    __slots__ = ("changed", "token")

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.token = 0


class QueueSignals:
    """Availability tokens per queue id; a changed token wakes every long poll of that queue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_queue_id: dict[str, QueueSignal] = {}

    def token(self, queue_id: str) -> int:
        return self._signal(queue_id).token

    @contextmanager
    def waiting(self, queue_id: str) -> Iterator[QueueSignal]:
        signal = self._signal(queue_id)
        with signal.changed:
            yield signal

    def announce(self, queue_id: str) -> None:
        signal = self._signal(queue_id)
        with signal.changed:
            signal.token += 1
            signal.changed.notify_all()

    def retire(self, queue_id: str) -> None:
        """Wake the long polls of a deleted queue and forget it."""
        self.announce(queue_id)
        with self._lock:
            self._by_queue_id.pop(queue_id, None)

    def _signal(self, queue_id: str) -> QueueSignal:
        with self._lock:
            signal = self._by_queue_id.get(queue_id)
            if signal is None:
                signal = self._by_queue_id[queue_id] = QueueSignal()
            return signal
