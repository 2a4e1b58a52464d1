"""Message-move tasks in the embedded store: one active task per source queue, saved by revision."""

from __future__ import annotations

import sqlite3

from dynaqueue.domain.model import MoveTask, MoveTaskStatus

_COLUMNS = (
    "source_queue_id",
    "task_id",
    "source_arn",
    "status",
    "started_at_ms",
    "messages_to_move",
    "destination_arn",
    "max_per_second",
    "messages_moved",
    "failure_reason",
    "progressed_at_ms",
    "revision",
)

# The same condition as the partial index move_tasks_one_active, so the query can read that index.
_ACTIVE = "status IN ('RUNNING', 'CANCELLING')"

# OR IGNORE: the partial unique index refuses a second active task of a queue (and the key a reused id).
_INSERT = f"""
INSERT OR IGNORE INTO move_tasks ({", ".join(_COLUMNS)})
VALUES ({", ".join(f":{column}" for column in _COLUMNS)})
"""

# OR IGNORE again: re-activating a finished task while another one is active changes nothing.
_SAVE = f"""
UPDATE OR IGNORE move_tasks
SET {", ".join(f"{column} = :{column}" for column in _COLUMNS[2:])}
WHERE source_queue_id = :source_queue_id AND task_id = :task_id AND revision = :revision - 1
"""


def start_move_task(db: sqlite3.Connection, task: MoveTask) -> bool:
    return db.execute(_INSERT, _columns(task)).rowcount == 1


def save_move_task(db: sqlite3.Connection, task: MoveTask) -> bool:
    return db.execute(_SAVE, _columns(task)).rowcount == 1


def get_move_task(db: sqlite3.Connection, source_queue_id: str, task_id: str) -> MoveTask | None:
    row = db.execute(
        "SELECT * FROM move_tasks WHERE source_queue_id = ? AND task_id = ?", (source_queue_id, task_id)
    ).fetchone()
    return None if row is None else _task(row)


def list_move_tasks(db: sqlite3.Connection, source_queue_id: str, limit: int) -> list[MoveTask]:
    rows = db.execute(
        """
        SELECT * FROM move_tasks WHERE source_queue_id = ?
        ORDER BY started_at_ms DESC, task_id DESC
        LIMIT ?
        """,
        (source_queue_id, limit),
    ).fetchall()
    return [_task(row) for row in rows]


def active_move_tasks(db: sqlite3.Connection, limit: int) -> list[MoveTask]:
    rows = db.execute(f"SELECT * FROM move_tasks WHERE {_ACTIVE} LIMIT ?", (limit,)).fetchall()
    return [_task(row) for row in rows]


def delete_move_tasks(db: sqlite3.Connection, source_queue_id: str) -> None:
    db.execute("DELETE FROM move_tasks WHERE source_queue_id = ?", (source_queue_id,))


def _columns(task: MoveTask) -> dict[str, object]:
    return {
        "source_queue_id": task.source_queue_id,
        "task_id": task.task_id,
        "source_arn": task.source_arn,
        "status": task.status.value,
        "started_at_ms": task.started_at_ms,
        "messages_to_move": task.messages_to_move,
        "destination_arn": task.destination_arn,
        "max_per_second": task.max_per_second,
        "messages_moved": task.messages_moved,
        "failure_reason": task.failure_reason,
        "progressed_at_ms": task.progressed_at_ms,
        "revision": task.revision,
    }


def _task(row: sqlite3.Row) -> MoveTask:
    return MoveTask(
        task_id=row["task_id"],
        source_queue_id=row["source_queue_id"],
        source_arn=row["source_arn"],
        status=MoveTaskStatus(row["status"]),
        started_at_ms=row["started_at_ms"],
        messages_to_move=row["messages_to_move"],
        destination_arn=row["destination_arn"],
        max_per_second=row["max_per_second"],
        messages_moved=row["messages_moved"],
        failure_reason=row["failure_reason"],
        progressed_at_ms=row["progressed_at_ms"],
        revision=row["revision"],
    )
