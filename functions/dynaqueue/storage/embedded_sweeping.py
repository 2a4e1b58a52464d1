"""Deleting the rows of purged generations and deleted queues, a bounded chunk at a time."""

from __future__ import annotations

import sqlite3

SWEEP_CHUNK_ROWS = 200

# Every table whose rows belong to one queue generation.
_GENERATION_TABLES = ("messages", "fifo_groups", "fifo_deduplication", "fifo_receive_attempts")


def abandon_generations(db: sqlite3.Connection, queue_id: str, *, below_generation: int) -> None:
    """Mark every generation of the queue below `below_generation` for sweeping."""
    db.execute(
        "INSERT OR IGNORE INTO abandoned_generations (queue_id, below_generation) VALUES (?, ?)",
        (queue_id, below_generation),
    )


def sweep_chunk(db: sqlite3.Connection) -> bool:
    """Delete up to SWEEP_CHUNK_ROWS rows of abandoned generations; False when nothing was left."""
    return reclaim(db, limit=SWEEP_CHUNK_ROWS) > 0


def reclaim(db: sqlite3.Connection, *, limit: int) -> int:
    """Delete up to `limit` rows of abandoned generations (messages and their FIFO records).

    Returns how many rows went; fewer than `limit` means nothing is left. A mark is dropped once
    its generations are empty, and each pass either drops one or fills the limit, so the work is
    bounded by the limit plus the marks.
    """
    deleted = 0
    while deleted < limit:
        abandoned = db.execute("SELECT queue_id, below_generation FROM abandoned_generations LIMIT 1").fetchone()
        if abandoned is None:
            break
        deleted += _sweep_generations(db, abandoned["queue_id"], abandoned["below_generation"], limit - deleted)
        if deleted < limit:
            db.execute(
                "DELETE FROM abandoned_generations WHERE queue_id = ? AND below_generation = ?",
                (abandoned["queue_id"], abandoned["below_generation"]),
            )
    return deleted


def _sweep_generations(db: sqlite3.Connection, queue_id: str, below_generation: int, room: int) -> int:
    deleted = 0
    for table in _GENERATION_TABLES:
        deleted += db.execute(
            f"""
            DELETE FROM {table} WHERE rowid IN (
                SELECT rowid FROM {table} WHERE queue_id = ? AND generation < ? LIMIT ?
            )
            """,
            (queue_id, below_generation, room - deleted),
        ).rowcount
        if deleted == room:
            break
    return deleted
