"""Housekeeping in the embedded store does bounded work at any backlog depth: equal SQLite steps."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path

from dynaqueue.domain.model import MessageMove, QueueRecord
from dynaqueue.storage.embedded import EmbeddedStore
from tests.contract.builders import (
    RETENTION_MS,
    T0,
    VISIBILITY_TIMEOUT_MS,
    claim,
    create_fifo_queue,
    create_queue,
    move_messages,
    new_fifo_message,
    new_message,
    put_fifo,
    queue_arn,
    to_queue,
)

SHALLOW = 1_000
DEEP = 10_000
BATCH = 500
AFTER_LEASE = T0 + VISIBILITY_TIMEOUT_MS
EXPIRED_AT_MS = T0 - RETENTION_MS - 1

Fill = Callable[[EmbeddedStore, QueueRecord, int], None]
Measure = Callable[[EmbeddedStore, QueueRecord, QueueRecord], object]


def _fill(store: EmbeddedStore, queue: QueueRecord, count: int, *, sent_at_ms: int = T0) -> None:
    for size in [BATCH] * (count // BATCH) + [count % BATCH]:
        store.put_messages(queue, [new_message(sent_at_ms=sent_at_ms) for _ in range(size)])


def _steps(store: EmbeddedStore, action: Callable[[], object]) -> int:
    """SQLite virtual-machine steps `action` takes on both of the store's connections."""
    steps = 0

    def count_step() -> int:
        nonlocal steps
        steps += 1
        return 0

    # The connections are private; what runs on them is the point of this test.
    connections: list[sqlite3.Connection] = [store._db, store._counting_db]
    for connection in connections:
        connection.set_progress_handler(count_step, 1)
    try:
        action()
    finally:
        for connection in connections:
            connection.set_progress_handler(None, 1)
    return steps


def _steps_at_depths(tmp_path: Path, fill: Fill, measure: Measure, *, fifo: bool = False) -> dict[int, int]:
    steps = {}
    for depth in (SHALLOW, DEEP):
        store = EmbeddedStore(tmp_path / f"{depth}.db", sweep_in_background=False)
        try:
            make = create_fifo_queue if fifo else create_queue
            queue, other = make(store, "q.fifo" if fifo else "q"), make(store, "other.fifo" if fifo else "other")
            fill(store, queue, depth)
            steps[depth] = _steps(store, partial(measure, store, queue, other))
        finally:
            store.close()
    return steps


def test_a_dead_letter_move_skips_any_backlog_of_messages_nobody_received(tmp_path: Path) -> None:
    def received_then_backlog(store: EmbeddedStore, queue: QueueRecord, backlog: int) -> None:
        _fill(store, queue, 10)
        assert len(claim(store, queue, max_count=10)) == 10
        _fill(store, queue, backlog)

    def move_ten(store: EmbeddedStore, queue: QueueRecord, dead: QueueRecord) -> None:
        move = MessageMove(redrive=False, source_arn=queue_arn(queue), min_receive_count=1)
        assert move_messages(store, queue, move, to_queue(dead), now_ms=AFTER_LEASE).moved == 10

    steps = _steps_at_depths(tmp_path, received_then_backlog, move_ten)

    assert steps[DEEP] == steps[SHALLOW]


def test_a_redrive_takes_the_same_steps_at_any_depth(tmp_path: Path) -> None:
    def move_ten(store: EmbeddedStore, queue: QueueRecord, target: QueueRecord) -> None:
        redrive = MessageMove(redrive=True, source_arn=queue_arn(queue))
        assert move_messages(store, queue, redrive, to_queue(target), limit=10).moved == 10

    steps = _steps_at_depths(tmp_path, _fill, move_ten)

    assert steps[DEEP] == steps[SHALLOW]


def test_a_fifo_redrive_takes_the_same_steps_at_any_number_of_groups(tmp_path: Path) -> None:
    def groups(store: EmbeddedStore, queue: QueueRecord, count: int) -> None:
        for start in range(0, count, BATCH):
            put_fifo(store, queue, *(new_fifo_message(group_id=f"g{index}") for index in range(start, start + BATCH)))

    def move_ten(store: EmbeddedStore, queue: QueueRecord, target: QueueRecord) -> None:
        redrive = MessageMove(redrive=True, source_arn=queue_arn(queue))
        assert move_messages(store, queue, redrive, to_queue(target), limit=10).moved == 10

    steps = _steps_at_depths(tmp_path, groups, move_ten, fifo=True)

    assert steps[DEEP] == steps[SHALLOW]


def test_expiry_takes_the_same_steps_at_any_number_of_expired_messages(tmp_path: Path) -> None:
    def expired_and_fresh(store: EmbeddedStore, queue: QueueRecord, count: int) -> None:
        _fill(store, queue, count, sent_at_ms=EXPIRED_AT_MS)
        _fill(store, queue, count)

    def expire_ten(store: EmbeddedStore, queue: QueueRecord, _other: QueueRecord) -> None:
        assert store.delete_expired_messages(queue, now_ms=T0, retention_ms=RETENTION_MS, limit=10) == 10

    steps = _steps_at_depths(tmp_path, expired_and_fresh, expire_ten)

    assert steps[DEEP] == steps[SHALLOW]


def test_the_oldest_message_is_found_in_the_same_steps_at_any_depth(tmp_path: Path) -> None:
    def expired_and_fresh(store: EmbeddedStore, queue: QueueRecord, count: int) -> None:
        _fill(store, queue, count, sent_at_ms=EXPIRED_AT_MS)
        _fill(store, queue, count)

    def oldest(store: EmbeddedStore, queue: QueueRecord, _other: QueueRecord) -> None:
        assert store.oldest_message_sent_at(queue, now_ms=T0, retention_ms=RETENTION_MS) == T0

    steps = _steps_at_depths(tmp_path, expired_and_fresh, oldest)

    assert steps[DEEP] == steps[SHALLOW]
