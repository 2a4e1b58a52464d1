"""Moving messages between queues outside a receive: into a dead-letter queue, or redriven out of one.

A move re-homes the row in place inside one transaction, so a message is in exactly one queue at
every commit. Destinations are looked up by the caller between transactions (the lookup may read
the store), so a pass stops at the first message bound for a queue it has not been told about.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field

from dynaqueue.domain.model import MessageMove, QueueRecord
from dynaqueue.storage import embedded_groups as groups
from dynaqueue.storage.embedded_fifo import SEQUENCES_PER_MS
from dynaqueue.storage.embedded_messages import EXPIRED_ROWS_PER_CLAIM

# Destinations looked up so far, by the DeadLetterQueueSourceArn they were looked up for.
Destinations = Mapping[str | None, QueueRecord | None]

_DEAD_LETTER_SOURCE = "json_extract(system_attributes, '$.DeadLetterQueueSourceArn')"

# Candidates of a standard queue in visibility order. Received messages have their own partial index,
# so a move into a dead-letter queue never walks a backlog of messages nobody has received.
_STANDARD_CANDIDATES = """
SELECT rowid, group_id, {dead_letter_source} AS dead_letter_source FROM messages WHERE rowid IN (
    SELECT rowid FROM messages INDEXED BY {index}
    WHERE queue_id = :queue_id AND generation = :generation AND visible_at_ms <= :now_ms
        AND sent_at_ms >= :oldest_sent_at_ms {received}
    ORDER BY visible_at_ms
    LIMIT :limit
)
"""

_GROUP_PAGE = f"""
SELECT rowid, group_id, sequence, sent_at_ms, visible_at_ms, receive_count,
    {_DEAD_LETTER_SOURCE} AS dead_letter_source
FROM messages
WHERE queue_id = :queue_id AND generation = :generation AND group_id = :group_id AND sequence > :after
ORDER BY sequence
LIMIT :limit
"""

# OR IGNORE: a destination that already holds the message id holds this very message (a copy), and
# the source row is then dropped instead.
_MOVE = """
UPDATE OR IGNORE messages
SET queue_id = :target_queue_id,
    generation = :target_generation,
    visible_at_ms = :now_ms,
    lease_token = NULL,
    system_attributes = CASE WHEN :redrive
        THEN json_remove(system_attributes, '$.DeadLetterQueueSourceArn')
        ELSE json_set(system_attributes, '$.DeadLetterQueueSourceArn', :source_arn) END,
    receive_count = CASE WHEN :redrive THEN 0 ELSE receive_count END,
    first_received_at_ms = CASE WHEN :redrive THEN NULL ELSE first_received_at_ms END,
    group_id = CASE WHEN :sequence IS NULL THEN NULL ELSE group_id END,
    sequence = :sequence,
    sent_at_ms = COALESCE(:restarted_at_ms, sent_at_ms)
WHERE rowid = :rowid
"""


class Stop(enum.Enum):
    """Why a pass ended before its limit with messages left to move."""

    UNRESOLVED = "unresolved"
    MISSING = "missing"


@dataclass(slots=True)
class MovePass:
    """What one pass did, and where it stopped.

    `stop_arn` is the DeadLetterQueueSourceArn of the message it stopped at: to look up
    (UNRESOLVED) or whose destination does not exist (MISSING).
    """

    moved: int = 0
    changed_queue_ids: set[str] = field(default_factory=set)
    stop: Stop | None = None
    stop_arn: str | None = None


def move_messages(
    db: sqlite3.Connection,
    queue: QueueRecord,
    move: MessageMove,
    destinations: Destinations,
    *,
    now_ms: int,
    retention_ms: int,
    limit: int,
) -> MovePass:
    """Move up to `limit` visible messages of the queue's live generation, in one transaction."""
    source = db.execute("SELECT generation FROM queues WHERE queue_id = ?", (queue.queue_id,)).fetchone()
    mover = _Mover(db, move, destinations, now_ms=now_ms, oldest_sent_at_ms=now_ms - retention_ms, limit=limit)
    if source is None or limit <= 0:
        return mover.result
    key = {"queue_id": queue.queue_id, "generation": source["generation"]}
    if queue.fifo:
        _move_from_groups(db, key, mover)
    else:
        _move_standard(db, key, mover)
    return mover.result


def _move_standard(db: sqlite3.Connection, key: dict[str, object], mover: _Mover) -> None:
    over_received_only = not mover.move.redrive and mover.move.min_receive_count > 0
    query = _STANDARD_CANDIDATES.format(
        dead_letter_source=_DEAD_LETTER_SOURCE,
        index="messages_received" if over_received_only else "messages_ready",
        received="AND receive_count > 0 AND receive_count >= :min_receive_count" if over_received_only else "",
    )
    rows = db.execute(
        query,
        {
            **key,
            "now_ms": mover.now_ms,
            "oldest_sent_at_ms": mover.oldest_sent_at_ms,
            "min_receive_count": mover.move.min_receive_count,
            "limit": mover.remaining,
        },
    ).fetchall()
    for row in rows:
        if not mover.offer(row):
            return


def _move_from_groups(db: sqlite3.Connection, key: dict[str, object], mover: _Mover) -> None:
    """Move from the visible head run of each ready group, in sequence order, as a claim would take them."""
    queue_id, generation = str(key["queue_id"]), int(str(key["generation"]))
    ready = groups.ready_groups(
        db, queue_id, generation, now_ms=mover.now_ms, limit=mover.remaining + EXPIRED_ROWS_PER_CLAIM
    )
    for group_id in ready:
        if mover.done:
            return
        _move_head_run(db, {**key, "group_id": group_id}, mover)
        if groups.refresh_head(db, queue_id, generation, group_id):
            mover.result.changed_queue_ids.add(queue_id)


def _move_head_run(db: sqlite3.Connection, group_key: dict[str, object], mover: _Mover) -> None:
    after = 0
    while not mover.done:
        page_size = mover.remaining
        page = db.execute(_GROUP_PAGE, {**group_key, "after": after, "limit": page_size}).fetchall()
        for row in page:
            after = row["sequence"]
            if row["visible_at_ms"] > mover.now_ms:
                return
            if row["sent_at_ms"] < mover.oldest_sent_at_ms:
                if not mover.drop_expired(row):
                    return
                continue
            if not mover.wants(row) or not mover.offer(row) or mover.done:
                return
        if len(page) < page_size:
            return


class _Mover:
    """One pass's moves: where each message goes, the limit, and the allowance of expired rows dropped."""

    def __init__(
        self,
        db: sqlite3.Connection,
        move: MessageMove,
        destinations: Destinations,
        *,
        now_ms: int,
        oldest_sent_at_ms: int,
        limit: int,
    ) -> None:
        self.move = move
        self.now_ms = now_ms
        self.oldest_sent_at_ms = oldest_sent_at_ms
        self.result = MovePass()
        self._db = db
        self._destinations = destinations
        self._limit = limit
        self._expired_left = EXPIRED_ROWS_PER_CLAIM
        self._generations: dict[str, int | None] = {}

    @property
    def remaining(self) -> int:
        return self._limit - self.result.moved

    @property
    def done(self) -> bool:
        return self.remaining <= 0 or self.result.stop is not None

    def wants(self, row: sqlite3.Row) -> bool:
        """Whether the message may move at all: redriven messages always, others once received enough."""
        return self.move.redrive or row["receive_count"] >= self.move.min_receive_count

    def drop_expired(self, row: sqlite3.Row) -> bool:
        """Delete an expired message met in a group's head run; False once the allowance is spent."""
        if self._expired_left == 0:
            return False
        self._db.execute("DELETE FROM messages WHERE rowid = ?", (row["rowid"],))
        self._expired_left -= 1
        return True

    def offer(self, row: sqlite3.Row) -> bool:
        """Move the message if its destination is known and exists; False when the pass must stop at it."""
        dead_letter_source = row["dead_letter_source"]
        if dead_letter_source not in self._destinations:
            return self._stop(Stop.UNRESOLVED, dead_letter_source)
        destination = self._destinations[dead_letter_source]
        generation = None if destination is None else self._live_generation(destination.queue_id)
        if destination is None or generation is None:
            return self._stop(Stop.MISSING, dead_letter_source)
        self._move(row, destination, generation)
        return True

    def _stop(self, stop: Stop, dead_letter_source: str | None) -> bool:
        self.result.stop, self.result.stop_arn = stop, dead_letter_source
        return False

    def _live_generation(self, queue_id: str) -> int | None:
        if queue_id not in self._generations:
            row = self._db.execute("SELECT generation FROM queues WHERE queue_id = ?", (queue_id,)).fetchone()
            self._generations[queue_id] = None if row is None else row["generation"]
        return self._generations[queue_id]

    def _move(self, row: sqlite3.Row, destination: QueueRecord, generation: int) -> None:
        # A FIFO message joins the end of its group at the destination; its retention restarts there.
        sequence = self._next_sequence(destination.queue_id) if destination.fifo else None
        moved = self._db.execute(
            _MOVE,
            {
                "rowid": row["rowid"],
                "target_queue_id": destination.queue_id,
                "target_generation": generation,
                "now_ms": self.now_ms,
                "redrive": self.move.redrive,
                "source_arn": self.move.source_arn,
                "sequence": sequence,
                "restarted_at_ms": None if sequence is None else self.now_ms,
            },
        ).rowcount
        if not moved:
            self._db.execute("DELETE FROM messages WHERE rowid = ?", (row["rowid"],))
        elif sequence is not None:
            groups.add_message(self._db, destination.queue_id, generation, row["group_id"], self.now_ms)
        self.result.moved += 1
        self.result.changed_queue_ids.add(destination.queue_id)

    def _next_sequence(self, queue_id: str) -> int:
        last_sequence = self._db.execute("SELECT last_sequence FROM queues WHERE queue_id = ?", (queue_id,)).fetchone()
        sequence = max(last_sequence["last_sequence"] + 1, self.now_ms * SEQUENCES_PER_MS)
        self._db.execute("UPDATE queues SET last_sequence = ? WHERE queue_id = ?", (sequence, queue_id))
        return sequence
