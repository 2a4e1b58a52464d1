"""Housekeeping statements of the embedded store: expiry by age, the oldest message, leases and cursors."""

from __future__ import annotations

import sqlite3

from dynaqueue.storage import embedded_groups as groups
from dynaqueue.storage.embedded_messages import CURRENT_GENERATION

_EXPIRED = f"""
SELECT rowid, generation, group_id FROM messages INDEXED BY messages_by_age
WHERE queue_id = :queue_id AND generation = {CURRENT_GENERATION} AND sent_at_ms < :oldest_sent_at_ms
ORDER BY sent_at_ms
LIMIT :limit
"""

_OLDEST_SENT_AT = f"""
SELECT MIN(sent_at_ms) FROM messages INDEXED BY messages_by_age
WHERE queue_id = :queue_id AND generation = {CURRENT_GENERATION} AND sent_at_ms >= :oldest_sent_at_ms
"""

# Taken when free, expired, or already the caller's (which extends it).
_ACQUIRE_LEASE = """
INSERT INTO leases (name, holder, expires_at_ms) VALUES (:name, :holder, :expires_at_ms)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
WHERE leases.holder = excluded.holder OR leases.expires_at_ms <= :now_ms
"""


def delete_expired_messages(
    db: sqlite3.Connection, queue_id: str, *, now_ms: int, retention_ms: int, limit: int
) -> tuple[int, bool]:
    """How many expired messages were deleted, oldest first, and whether a FIFO group was released by it."""
    expired = db.execute(
        _EXPIRED, {"queue_id": queue_id, "oldest_sent_at_ms": now_ms - retention_ms, "limit": limit}
    ).fetchall()
    db.executemany("DELETE FROM messages WHERE rowid = ?", [(row["rowid"],) for row in expired])
    touched_groups = {(row["generation"], row["group_id"]) for row in expired if row["group_id"] is not None}
    released = False
    for generation, group_id in touched_groups:
        released = groups.refresh_head(db, queue_id, generation, group_id) or released
    return len(expired), released


def oldest_message_sent_at(db: sqlite3.Connection, queue_id: str, *, now_ms: int, retention_ms: int) -> int | None:
    return db.execute(_OLDEST_SENT_AT, {"queue_id": queue_id, "oldest_sent_at_ms": now_ms - retention_ms}).fetchone()[0]


def acquire_lease(db: sqlite3.Connection, name: str, *, holder: str, now_ms: int, expires_at_ms: int) -> bool:
    taken = db.execute(
        _ACQUIRE_LEASE, {"name": name, "holder": holder, "now_ms": now_ms, "expires_at_ms": expires_at_ms}
    ).rowcount
    return taken == 1


def release_lease(db: sqlite3.Connection, name: str, *, holder: str) -> None:
    db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))


def load_cursor(db: sqlite3.Connection, name: str) -> str | None:
    row = db.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
    return None if row is None else row["value"]


def save_cursor(db: sqlite3.Connection, name: str, value: str | None) -> None:
    if value is None:
        db.execute("DELETE FROM cursors WHERE name = ?", (name,))
        return
    db.execute(
        "INSERT INTO cursors (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (name, value),
    )
