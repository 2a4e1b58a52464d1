"""FIFO sequence numbers without a queue-wide counter: time-based, unique per process slot, increasing per group."""

from __future__ import annotations

import random
import threading

SEQUENCE_DIGITS = 20
# now_ms (13 digits until the year 2286) x 10^7 leaves 7 digits: a random slot of this process (3 digits)
# and a per-millisecond counter (4 digits), so two Lambdas sending in one millisecond rarely collide.
_PER_MS = 10**7
_PER_SLOT = 10**4
_SLOTS = _PER_MS // _PER_SLOT


def format_sequence(value: int) -> str:
    return f"{value:0{SEQUENCE_DIGITS}d}"


class SequenceNumbers:
    """Issues strictly increasing numbers in this process, each above a floor the caller knows.

    A per-queue counter item would order every send of a queue exactly, and serialize the queue on one
    item. Instead numbers follow the sender's clock: strictly increasing within a group (the group item
    rejects a number not above its last one, and the sender retries above it), increasing within this
    process, and across processes ordered by clock up to their skew.
    """

    def __init__(self, rng: random.Random) -> None:
        self._slot = rng.randrange(_SLOTS)
        self._last = 0
        self._lock = threading.Lock()

    def next(self, now_ms: int, *, above: int = 0) -> int:
        with self._lock:
            self._last = max(self._last + 1, now_ms * _PER_MS + self._slot * _PER_SLOT, above + 1)
            return self._last
