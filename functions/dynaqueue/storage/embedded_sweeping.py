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
    """Delete up to SWEEP_CHUNK_ROWS rows of one abandoned generation; False when nothing is left."""
    abandoned = db.execute("SELECT queue_id, below_generation FROM abandoned_generations LIMIT 1").fetchone()
    if abandoned is None:
        return False
    queue_id, below_generation = abandoned["queue_id"], abandoned["below_generation"]
    room = SWEEP_CHUNK_ROWS
    for table in _GENERATION_TABLES:
        room -= db.execute(
            f"""
            DELETE FROM {table} WHERE rowid IN (
                SELECT rowid FROM {table} WHERE queue_id = ? AND generation < ? LIMIT ?
            )
            """,
            (queue_id, below_generation, room),
        ).rowcount
        if room == 0:
            return True
    db.execute(
        "DELETE FROM abandoned_generations WHERE queue_id = ? AND below_generation = ?",
        (queue_id, below_generation),
    )
    return True
