"""The delivery check, kept by the parent from what every client process reports."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable


class DeliveryTally:
    """Ids received and deleted, counted only up to a cut-off time.

    Times are `time.monotonic()` readings taken by the client processes when a delete returned. On Linux
    that clock (CLOCK_MONOTONIC) is one for the whole machine, so readings from different processes compare.
    A delivery reported late (it sat in the queue to the parent) still counts if it happened before the cut-off.
    """

    def __init__(self, expected: int, *, cutoff: float = math.inf) -> None:
        self.expected = expected
        self.seen: Counter[str] = Counter()
        self.last_delivery: float | None = None
        # Deliveries after the deadline are not counted: they would stretch the measured interval.
        self.cutoff = cutoff

    def close(self, at: float) -> None:
        """Count nothing that happened after `at` (the deadline, or when everything had arrived)."""
        self.cutoff = min(self.cutoff, at)

    def delivered(self, message_ids: Iterable[str], at: float) -> None:
        if at > self.cutoff:
            return
        self.seen.update(message_ids)
        self.last_delivery = at if self.last_delivery is None else max(self.last_delivery, at)

    @property
    def complete(self) -> bool:
        return len(self.seen) >= self.expected

    @property
    def unique(self) -> int:
        return len(self.seen)

    @property
    def duplicates(self) -> int:
        return sum(self.seen.values()) - len(self.seen)

    def missing(self, sent: set[str]) -> int:
        return len(sent - self.seen.keys())
