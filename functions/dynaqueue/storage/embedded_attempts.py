"""FIFO receive attempts of the embedded store: what a receive returned, kept for its retries."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from dynaqueue.domain.model import LeasedReceipt
from dynaqueue.storage.embedded_messages import CURRENT_GENERATION

# Attempts a recall may delete once they expired; every remember follows a recall, so the table
# holds about one window of attempts.
EXPIRED_ATTEMPTS_PER_RECALL = 100


def remember_receive_attempt(
    db: sqlite3.Connection, queue_id: str, attempt_id: str, leases: Sequence[LeasedReceipt], *, expires_at_ms: int
) -> None:
    db.execute(
        """
        INSERT INTO fifo_receive_attempts (queue_id, generation, attempt_id, leases, expires_at_ms)
        SELECT :queue_id, generation, :attempt_id, :leases, :expires_at_ms FROM queues WHERE queue_id = :queue_id
        ON CONFLICT (queue_id, generation, attempt_id)
            DO UPDATE SET leases = excluded.leases, expires_at_ms = excluded.expires_at_ms
        """,
        {
            "queue_id": queue_id,
            "attempt_id": attempt_id,
            "leases": json.dumps([[lease.message_id, lease.lease_token, lease.received_at_ms] for lease in leases]),
            "expires_at_ms": expires_at_ms,
        },
    )


def recall_receive_attempt(
    db: sqlite3.Connection, queue_id: str, attempt_id: str, *, now_ms: int
) -> list[LeasedReceipt] | None:
    db.execute(
        f"""
        DELETE FROM fifo_receive_attempts WHERE rowid IN (
            SELECT rowid FROM fifo_receive_attempts
            WHERE queue_id = :queue_id AND generation = {CURRENT_GENERATION} AND expires_at_ms <= :now_ms
            LIMIT :limit
        )
        """,
        {"queue_id": queue_id, "now_ms": now_ms, "limit": EXPIRED_ATTEMPTS_PER_RECALL},
    )
    row = db.execute(
        f"""
        SELECT leases FROM fifo_receive_attempts
        WHERE queue_id = :queue_id AND generation = {CURRENT_GENERATION} AND attempt_id = :attempt_id
            AND expires_at_ms > :now_ms
        """,
        {"queue_id": queue_id, "attempt_id": attempt_id, "now_ms": now_ms},
    ).fetchone()
    if row is None:
        return None
    return [LeasedReceipt(*lease) for lease in json.loads(row["leases"])]
