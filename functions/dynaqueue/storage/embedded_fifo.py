"""FIFO message statements of the embedded store: deduplicated sends, group-ordered claims, leased deletes."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from dynaqueue.domain.errors import QueueDoesNotExist
from dynaqueue.domain.model import (
    DeadLetterTarget,
    FifoPutResult,
    LeasedReceipt,
    NewMessage,
    StoredMessage,
    VisibilityOutcome,
)
from dynaqueue.storage import embedded_groups as groups
from dynaqueue.storage.embedded_codec import encode_strings, sequence_number, stored_message
from dynaqueue.storage.embedded_messages import (
    CURRENT_GENERATION,
    EXPIRED_ROWS_PER_CLAIM,
    dead_letter_generation,
    lease_message,
    live_message,
    move_to_dead_letter,
    put_contents,
)

# Sequence numbers are the send instant in ms followed by six counter digits: large, time-ordered
# and non-consecutive like SQS's, and still increasing when the clock steps back or a millisecond
# sees more sends than the counter digits hold.
SEQUENCES_PER_MS = 1_000_000

# Deduplication records a send may delete once their window is over; more than one batch adds, so
# the table holds about one window of sends.
EXPIRED_RECORDS_PER_PUT = 100

_GROUP_PAGE = """
SELECT rowid, sequence, sent_at_ms, visible_at_ms, receive_count, group_id FROM messages
WHERE queue_id = :queue_id AND generation = :generation AND group_id = :group_id AND sequence > :after
ORDER BY sequence
LIMIT :limit
"""

_LEASED_MESSAGE = f"""
SELECT message_id, message_contents.body, message_contents.attributes, system_attributes, sent_at_ms,
    receive_count, first_received_at_ms, lease_token, sequence
FROM messages JOIN message_contents ON message_rowid = messages.rowid
WHERE queue_id = :queue_id AND message_id = :message_id AND generation = {CURRENT_GENERATION}
    AND lease_token = :lease_token
"""


def put_fifo_messages(
    db: sqlite3.Connection, queue_id: str, messages: Sequence[NewMessage], *, now_ms: int, dedup_window_ms: int
) -> list[FifoPutResult]:
    queue = db.execute("SELECT generation, last_sequence FROM queues WHERE queue_id = ?", (queue_id,)).fetchone()
    if queue is None:
        raise QueueDoesNotExist()
    generation, last_sequence = queue["generation"], queue["last_sequence"]
    oldest_accepted_at_ms = now_ms - dedup_window_ms
    _forget_expired_sends(db, queue_id, generation, oldest_accepted_at_ms=oldest_accepted_at_ms)
    results = []
    for message in messages:
        original = db.execute(
            """
            SELECT message_id, sequence, accepted_at_ms FROM fifo_deduplication
            WHERE queue_id = ? AND generation = ? AND deduplication_key = ?
            """,
            (queue_id, generation, message.deduplication_key),
        ).fetchone()
        if original is not None and original["accepted_at_ms"] > oldest_accepted_at_ms:
            results.append(FifoPutResult(original["message_id"], sequence_number(original["sequence"]), True))
            continue
        last_sequence = max(last_sequence + 1, now_ms * SEQUENCES_PER_MS)
        _insert_message(db, queue_id, generation, message, last_sequence)
        db.execute(
            """
            INSERT INTO fifo_deduplication (queue_id, generation, deduplication_key, message_id, sequence,
                accepted_at_ms)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (queue_id, generation, deduplication_key) DO UPDATE SET message_id = excluded.message_id,
                sequence = excluded.sequence, accepted_at_ms = excluded.accepted_at_ms
            """,
            (queue_id, generation, message.deduplication_key, message.message_id, last_sequence, now_ms),
        )
        groups.add_message(db, queue_id, generation, message.group_id, message.visible_at_ms)
        results.append(FifoPutResult(message.message_id, sequence_number(last_sequence), False))
    db.execute("UPDATE queues SET last_sequence = ? WHERE queue_id = ?", (last_sequence, queue_id))
    return results


def claim_fifo_messages(
    db: sqlite3.Connection,
    queue_id: str,
    *,
    now_ms: int,
    max_count: int,
    visibility_timeout_ms: int,
    retention_ms: int,
    dead_letter: DeadLetterTarget | None = None,
) -> tuple[list[StoredMessage], int]:
    """The leased messages, and how many were moved to the dead-letter queue instead."""
    queue = db.execute("SELECT generation FROM queues WHERE queue_id = ?", (queue_id,)).fetchone()
    if queue is None:
        return [], 0
    claim = _GroupClaim(
        db,
        queue_id,
        queue["generation"],
        now_ms=now_ms,
        visibility_timeout_ms=visibility_timeout_ms,
        oldest_sent_at_ms=now_ms - retention_ms,
        dead_letter=dead_letter,
    )
    # Every ready group yields a message unless its head expired, and expired rows are bounded too.
    ready = groups.ready_groups(
        db, queue_id, queue["generation"], now_ms=now_ms, limit=max_count + EXPIRED_ROWS_PER_CLAIM
    )
    for group_id in ready:
        if len(claim.claimed) == max_count:
            break
        claim.take_head_run(group_id, max_count - len(claim.claimed))
        groups.refresh_head(db, queue_id, queue["generation"], group_id)
    return claim.claimed, claim.moved


def delete_leased_message(
    db: sqlite3.Connection, queue_id: str, message_id: str, *, lease_token: str, now_ms: int
) -> tuple[VisibilityOutcome, bool]:
    """The outcome, and whether the delete released the message's group to receivers."""
    row = live_message(db, queue_id, message_id)
    if row is None:
        return VisibilityOutcome.GONE, False
    if row["lease_token"] != lease_token or row["visible_at_ms"] <= now_ms:
        return VisibilityOutcome.STALE, False
    db.execute("DELETE FROM messages WHERE rowid = ?", (row["rowid"],))
    released = row["group_id"] is not None and groups.refresh_head(db, queue_id, row["generation"], row["group_id"])
    return VisibilityOutcome.CHANGED, released


def get_leased_messages(db: sqlite3.Connection, queue_id: str, leases: Sequence[LeasedReceipt]) -> list[StoredMessage]:
    rows = (
        db.execute(
            _LEASED_MESSAGE,
            {"queue_id": queue_id, "message_id": lease.message_id, "lease_token": lease.lease_token},
        ).fetchone()
        for lease in leases
    )
    return [stored_message(row, row) for row in rows if row is not None]


def keep_sends_racing_a_purge(db: sqlite3.Connection, queue_id: str, generation: int, *, purged_at_ms: int) -> None:
    """Carry the FIFO state of messages moved into the new `generation` by a purge at `purged_at_ms`."""
    db.execute(
        """
        UPDATE fifo_deduplication SET generation = :generation
        WHERE queue_id = :queue_id AND generation = :generation - 1 AND accepted_at_ms > :purged_at_ms
        """,
        {"queue_id": queue_id, "generation": generation, "purged_at_ms": purged_at_ms},
    )
    groups.index_generation(db, queue_id, generation)


class _GroupClaim:
    """One claim's leases, taken group by group from the head, and its allowance of expired or moved rows."""

    def __init__(
        self,
        db: sqlite3.Connection,
        queue_id: str,
        generation: int,
        *,
        now_ms: int,
        visibility_timeout_ms: int,
        oldest_sent_at_ms: int,
        dead_letter: DeadLetterTarget | None,
    ) -> None:
        self.claimed: list[StoredMessage] = []
        self.moved = 0
        self._db = db
        target_generation = None if dead_letter is None else dead_letter_generation(db, dead_letter)
        # Where over-received messages go: nowhere without a policy or once the dead-letter queue is gone.
        self._target = None if dead_letter is None or target_generation is None else (dead_letter, target_generation)
        self._group_key = {"queue_id": queue_id, "generation": generation}
        self._now_ms = now_ms
        self._visibility_timeout_ms = visibility_timeout_ms
        self._oldest_sent_at_ms = oldest_sent_at_ms
        self._expired_left = EXPIRED_ROWS_PER_CLAIM

    def take_head_run(self, group_id: str, wanted: int) -> None:
        """Lease up to `wanted` messages of the group's head run, deleting expired ones met on the way."""
        after = 0
        while wanted > 0:
            page_size = wanted
            page = self._db.execute(
                _GROUP_PAGE, {**self._group_key, "group_id": group_id, "after": after, "limit": page_size}
            ).fetchall()
            for row in page:
                after = row["sequence"]
                if row["visible_at_ms"] > self._now_ms:
                    return
                if self._target is not None and self._over_received(row, self._target[0]):
                    if self._expired_left == 0:
                        return
                    self._move(row, *self._target)
                    self._expired_left -= 1
                elif row["sent_at_ms"] >= self._oldest_sent_at_ms:
                    self.claimed.append(
                        lease_message(
                            self._db,
                            row["rowid"],
                            now_ms=self._now_ms,
                            visibility_timeout_ms=self._visibility_timeout_ms,
                        )
                    )
                    wanted -= 1
                elif self._expired_left > 0:
                    self._db.execute("DELETE FROM messages WHERE rowid = ?", (row["rowid"],))
                    self._expired_left -= 1
                else:
                    return
            if len(page) < page_size:
                return

    def _over_received(self, row: sqlite3.Row, dead_letter: DeadLetterTarget) -> bool:
        return row["sent_at_ms"] >= self._oldest_sent_at_ms and row["receive_count"] >= dead_letter.max_receive_count

    def _move(self, row: sqlite3.Row, dead_letter: DeadLetterTarget, target_generation: int) -> None:
        """Append the message to its group in the dead-letter queue; its source group moves on past it."""
        target_queue_id = dead_letter.queue.queue_id
        last_sequence = self._db.execute(
            "SELECT last_sequence FROM queues WHERE queue_id = ?", (target_queue_id,)
        ).fetchone()["last_sequence"]
        sequence = max(last_sequence + 1, self._now_ms * SEQUENCES_PER_MS)
        self._db.execute("UPDATE queues SET last_sequence = ? WHERE queue_id = ?", (sequence, target_queue_id))
        move_to_dead_letter(
            self._db, row["rowid"], dead_letter, target_generation, now_ms=self._now_ms, sequence=sequence
        )
        groups.add_message(self._db, target_queue_id, target_generation, row["group_id"], self._now_ms)
        self.moved += 1


def _insert_message(db: sqlite3.Connection, queue_id: str, generation: int, message: NewMessage, sequence: int) -> None:
    inserted = db.execute(
        """
        INSERT INTO messages (queue_id, generation, message_id, body, attributes, system_attributes,
            sent_at_ms, visible_at_ms, receive_count, group_id, sequence)
        VALUES (:queue_id, :generation, :message_id, '', '', :system_attributes,
            :sent_at_ms, :visible_at_ms, 0, :group_id, :sequence)
        """,
        {
            "queue_id": queue_id,
            "generation": generation,
            "message_id": message.message_id,
            "system_attributes": encode_strings(message.system_attributes),
            "sent_at_ms": message.sent_at_ms,
            "visible_at_ms": message.visible_at_ms,
            "group_id": message.group_id,
            "sequence": sequence,
        },
    )
    put_contents(db, [(inserted.lastrowid, message)])


def _forget_expired_sends(
    db: sqlite3.Connection, queue_id: str, generation: int, *, oldest_accepted_at_ms: int
) -> None:
    db.execute(
        """
        DELETE FROM fifo_deduplication WHERE rowid IN (
            SELECT rowid FROM fifo_deduplication
            WHERE queue_id = ? AND generation = ? AND accepted_at_ms <= ?
            LIMIT ?
        )
        """,
        (queue_id, generation, oldest_accepted_at_ms, EXPIRED_RECORDS_PER_PUT),
    )
