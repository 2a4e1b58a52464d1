"""The FIFO group head index: for each non-empty message group, when its first message is visible."""

from __future__ import annotations

import sqlite3

from dynaqueue.storage.embedded_messages import CURRENT_GENERATION

_GROUP_KEY = "queue_id = :queue_id AND generation = :generation AND group_id = :group_id"


def add_message(db: sqlite3.Connection, queue_id: str, generation: int, group_id: str, visible_at_ms: int) -> None:
    """Index a message just appended to its group."""
    # It has the highest sequence number of its group, so it is the head only of an empty group.
    db.execute(
        """
        INSERT INTO fifo_groups (queue_id, generation, group_id, head_visible_at_ms)
        VALUES (?, ?, ?, ?)
        ON CONFLICT DO NOTHING
        """,
        (queue_id, generation, group_id, visible_at_ms),
    )


def refresh_head(db: sqlite3.Connection, queue_id: str, generation: int, group_id: str) -> bool:
    """Re-read the group's first message after a change to the group.

    Returns True when the group became receivable sooner than the index said (a head was
    released, deleted, or made visible earlier), which is when long polls should wake.
    """
    key = {"queue_id": queue_id, "generation": generation, "group_id": group_id}
    indexed = db.execute(f"SELECT head_visible_at_ms FROM fifo_groups WHERE {_GROUP_KEY}", key).fetchone()
    head = db.execute(
        f"SELECT visible_at_ms FROM messages WHERE {_GROUP_KEY} ORDER BY sequence LIMIT 1", key
    ).fetchone()
    if head is None:
        if indexed is not None:
            db.execute(f"DELETE FROM fifo_groups WHERE {_GROUP_KEY}", key)
        return False
    visible_at_ms = head["visible_at_ms"]
    if indexed is None:
        add_message(db, queue_id, generation, group_id, visible_at_ms)
        return True
    if indexed["head_visible_at_ms"] == visible_at_ms:
        return False
    db.execute(
        f"UPDATE fifo_groups SET head_visible_at_ms = :visible_at_ms WHERE {_GROUP_KEY}",
        {**key, "visible_at_ms": visible_at_ms},
    )
    return visible_at_ms < indexed["head_visible_at_ms"]


def ready_groups(db: sqlite3.Connection, queue_id: str, generation: int, *, now_ms: int, limit: int) -> list[str]:
    """Up to `limit` groups whose head is visible at `now_ms`, longest visible first."""
    rows = db.execute(
        """
        SELECT group_id FROM fifo_groups
        WHERE queue_id = ? AND generation = ? AND head_visible_at_ms <= ?
        ORDER BY head_visible_at_ms
        LIMIT ?
        """,
        (queue_id, generation, now_ms, limit),
    ).fetchall()
    return [row["group_id"] for row in rows]


def earliest_head_visible_at(db: sqlite3.Connection, queue_id: str) -> int | None:
    """When the first group of the queue's live generation becomes receivable."""
    return db.execute(
        f"""
        SELECT MIN(head_visible_at_ms) FROM fifo_groups
        WHERE queue_id = :queue_id AND generation = {CURRENT_GENERATION}
        """,
        {"queue_id": queue_id},
    ).fetchone()[0]


def index_generation(db: sqlite3.Connection, queue_id: str, generation: int) -> None:
    """Index every group of a generation whose messages arrived without passing `add_message`."""
    groups = db.execute(
        "SELECT DISTINCT group_id FROM messages WHERE queue_id = ? AND generation = ? AND group_id IS NOT NULL",
        (queue_id, generation),
    ).fetchall()
    for row in groups:
        refresh_head(db, queue_id, generation, row["group_id"])
