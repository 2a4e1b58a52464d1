"""Long-poll pacing on DynamoDB: wake on this process's own writes, otherwise sleep in jittered, doubling steps."""

from __future__ import annotations

import random
import threading
import time

FIRST_WAIT_SECONDS = 0.05
LONGEST_WAIT_SECONDS = 1.0
# A wait that follows the previous one of the same queue within this gap continues its poll's
# backoff; anything later is a new poll and starts short again.
_SAME_POLL_GAP_SECONDS = 2.0


class PollPacer:
    """Per-queue tokens bumped by writes made through this process, and bounded waits on them.

    DynamoDB cannot notify other processes (other Lambdas), so a wait also ends after one backoff
    step and the caller claims again; consecutive steps of one poll (per thread and queue) double.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._changed = threading.Condition()
        self._tokens: dict[str, int] = {}
        self._local = threading.local()

    def token(self, queue_id: str) -> int:
        with self._changed:
            return self._tokens.get(queue_id, 0)

    def announce(self, queue_id: str) -> None:
        with self._changed:
            self._tokens[queue_id] = self._tokens.get(queue_id, 0) + 1
            self._changed.notify_all()

    def wait(self, queue_id: str, token: int, timeout_seconds: float) -> None:
        if timeout_seconds <= 0:
            return
        step = self._next_step(queue_id)
        pause = min(timeout_seconds, self._rng.uniform(step / 2, step))
        with self._changed:
            woken = self._changed.wait_for(lambda: self._tokens.get(queue_id, 0) != token, timeout=pause)
        self._local.last = None if woken else (queue_id, time.monotonic(), step)

    def _next_step(self, queue_id: str) -> float:
        last = getattr(self._local, "last", None)
        if last is None:
            return FIRST_WAIT_SECONDS
        last_queue_id, ended_at, step = last
        if last_queue_id != queue_id or time.monotonic() - ended_at > _SAME_POLL_GAP_SECONDS:
            return FIRST_WAIT_SECONDS
        return min(step * 2, LONGEST_WAIT_SECONDS)
