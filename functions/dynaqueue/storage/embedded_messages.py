"""Standard-queue message statements of the embedded store, and the lease both queue types share."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence

from dynaqueue.domain.model import DeadLetterTarget, MessageCounts, NewMessage, StoredMessage
from dynaqueue.storage.embedded_codec import encode_message_attributes, encode_strings, stored_message

# Rows a claim may look at beyond the ones it leases: expired messages met at the head are deleted
# on the way, and this bound keeps one claim's work independent of how many have expired.
EXPIRED_ROWS_PER_CLAIM = 100

CURRENT_GENERATION = "(SELECT generation FROM queues WHERE queue_id = :queue_id)"

_CLAIM_CANDIDATES = f"""
SELECT rowid, sent_at_ms, receive_count FROM messages
WHERE queue_id = :queue_id AND generation = {CURRENT_GENERATION} AND visible_at_ms <= :now_ms
ORDER BY visible_at_ms
LIMIT :limit
"""

_LEASE = """
UPDATE messages
SET visible_at_ms = :visible_at_ms,
    receive_count = receive_count + 1,
    first_received_at_ms = COALESCE(first_received_at_ms, :now_ms),
    lease_token = :lease_token
WHERE rowid = :rowid
RETURNING message_id, system_attributes, sent_at_ms, receive_count, first_received_at_ms, lease_token, sequence
"""

_CONTENT = "SELECT body, attributes FROM message_contents WHERE message_rowid = ?"

# A move re-homes the row in place, so the message is in exactly one queue at every commit.
_MOVE = """
UPDATE messages
SET queue_id = :target_queue_id,
    generation = :target_generation,
    visible_at_ms = :now_ms,
    lease_token = NULL,
    system_attributes = json_set(system_attributes, '$.DeadLetterQueueSourceArn', :source_arn),
    sequence = :sequence,
    sent_at_ms = COALESCE(:restarted_at_ms, sent_at_ms)
WHERE rowid = :rowid
"""

# Pinned to the ready index, which holds every column counted: the age index would match the
# retention bound too, but reading rows through it is far slower.
_COUNT = f"""
SELECT
    COALESCE(SUM(visible_at_ms <= :now_ms), 0),
    COALESCE(SUM(visible_at_ms > :now_ms AND receive_count > 0), 0),
    COALESCE(SUM(visible_at_ms > :now_ms AND receive_count = 0), 0)
FROM messages INDEXED BY messages_ready
WHERE queue_id = :queue_id AND generation = {CURRENT_GENERATION} AND sent_at_ms >= :oldest_sent_at_ms
"""

_EARLIEST_VISIBLE_AT = f"""
SELECT MIN(visible_at_ms) FROM messages WHERE queue_id = :queue_id AND generation = {CURRENT_GENERATION}
"""


def put_messages(db: sqlite3.Connection, queue_id: str, messages: Sequence[NewMessage]) -> None:
    # Messages join the stored generation, not the caller's: a record read before a purge
    # must not send messages into the purged generation.
    db.executemany(
        """
        INSERT INTO messages (queue_id, generation, message_id, body, attributes, system_attributes,
            sent_at_ms, visible_at_ms, receive_count)
        SELECT :queue_id, generation, :message_id, '', '', :system_attributes, :sent_at_ms, :visible_at_ms, 0
        FROM queues WHERE queue_id = :queue_id
        """,
        [
            {
                "queue_id": queue_id,
                "message_id": message.message_id,
                "system_attributes": encode_strings(message.system_attributes),
                "sent_at_ms": message.sent_at_ms,
                "visible_at_ms": message.visible_at_ms,
            }
            for message in messages
        ],
    )
    # The rows just written (none if the queue is gone), found by their unique message ids.
    placeholders = ",".join("?" * len(messages))
    rowids = dict(
        db.execute(
            f"SELECT message_id, rowid FROM messages WHERE queue_id = ? AND message_id IN ({placeholders})",
            [queue_id, *(message.message_id for message in messages)],
        ).fetchall()
    )
    put_contents(db, [(rowids[m.message_id], m) for m in messages if m.message_id in rowids])


def put_contents(db: sqlite3.Connection, rows: Sequence[tuple[int, NewMessage]]) -> None:
    """Store the body and user attributes of messages whose rows are written, by their rowids."""
    db.executemany(
        "INSERT INTO message_contents (message_rowid, body, attributes) VALUES (?, ?, ?)",
        [(rowid, message.body, encode_message_attributes(message.attributes)) for rowid, message in rows],
    )


def claim_messages(
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
    oldest_sent_at_ms = now_ms - retention_ms
    candidates = db.execute(
        _CLAIM_CANDIDATES,
        {"queue_id": queue_id, "now_ms": now_ms, "limit": max_count + EXPIRED_ROWS_PER_CLAIM},
    ).fetchall()
    expired = [(row["rowid"],) for row in candidates if row["sent_at_ms"] < oldest_sent_at_ms]
    db.executemany("DELETE FROM messages WHERE rowid = ?", expired)
    live = [row for row in candidates if row["sent_at_ms"] >= oldest_sent_at_ms]
    target_generation = None if dead_letter is None else dead_letter_generation(db, dead_letter)
    moved = 0
    if dead_letter is not None and target_generation is not None:
        for row in live:
            if row["receive_count"] >= dead_letter.max_receive_count:
                move_to_dead_letter(db, row["rowid"], dead_letter, target_generation, now_ms=now_ms)
                moved += 1
        live = [row for row in live if row["receive_count"] < dead_letter.max_receive_count]
    leased = [
        lease_message(db, row["rowid"], now_ms=now_ms, visibility_timeout_ms=visibility_timeout_ms)
        for row in live[:max_count]
    ]
    return leased, moved


def dead_letter_generation(db: sqlite3.Connection, dead_letter: DeadLetterTarget) -> int | None:
    """The live generation of the dead-letter queue, or None when it was deleted (nothing may move there)."""
    row = db.execute("SELECT generation FROM queues WHERE queue_id = ?", (dead_letter.queue.queue_id,)).fetchone()
    return None if row is None else row["generation"]


def move_to_dead_letter(
    db: sqlite3.Connection,
    rowid: int,
    dead_letter: DeadLetterTarget,
    target_generation: int,
    *,
    now_ms: int,
    sequence: int | None = None,
) -> None:
    """Move one message, receive count and all, into the dead-letter queue, visible there at once.

    A FIFO message gets its `sequence` in the dead-letter queue and its sent time restarts.
    """
    db.execute(
        _MOVE,
        {
            "rowid": rowid,
            "target_queue_id": dead_letter.queue.queue_id,
            "target_generation": target_generation,
            "now_ms": now_ms,
            "source_arn": dead_letter.source_arn,
            "sequence": sequence,
            "restarted_at_ms": None if sequence is None else now_ms,
        },
    )


def lease_message(db: sqlite3.Connection, rowid: int, *, now_ms: int, visibility_timeout_ms: int) -> StoredMessage:
    """Lease one message: hidden until the timeout ends, counted as received, under a fresh token."""
    leased = db.execute(
        _LEASE,
        {
            "rowid": rowid,
            "now_ms": now_ms,
            "visible_at_ms": now_ms + visibility_timeout_ms,
            "lease_token": uuid.uuid4().hex,
        },
    ).fetchone()
    return stored_message(leased, db.execute(_CONTENT, (rowid,)).fetchone())


def count_messages(db: sqlite3.Connection, queue_id: str, *, now_ms: int, retention_ms: int) -> MessageCounts:
    visible, in_flight, delayed = db.execute(
        _COUNT, {"queue_id": queue_id, "now_ms": now_ms, "oldest_sent_at_ms": now_ms - retention_ms}
    ).fetchone()
    return MessageCounts(visible=visible, in_flight=in_flight, delayed=delayed)


def earliest_visible_at(db: sqlite3.Connection, queue_id: str) -> int | None:
    return db.execute(_EARLIEST_VISIBLE_AT, {"queue_id": queue_id}).fetchone()[0]


def live_message(db: sqlite3.Connection, queue_id: str, message_id: str) -> sqlite3.Row | None:
    """Where a message of the queue's live generation is and its lease state, or None."""
    return db.execute(
        f"""
        SELECT rowid, generation, group_id, lease_token, visible_at_ms FROM messages
        WHERE queue_id = :queue_id AND message_id = :message_id AND generation = {CURRENT_GENERATION}
        """,
        {"queue_id": queue_id, "message_id": message_id},
    ).fetchone()
