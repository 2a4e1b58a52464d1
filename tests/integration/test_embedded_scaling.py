"""The embedded store does bounded work per claim and per wait at any depth: index searches, equal VM steps."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from dynaqueue.domain.model import QueueRecord
from dynaqueue.storage.embedded import EmbeddedStore
from tests.contract.builders import RETENTION_MS, T0, claim, create_queue, new_message

# Both depths exceed the rows one claim may read (ten to lease plus the expired allowance).
SHALLOW = 1_000
DEEP = 20_000
BATCH = 500


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    embedded = EmbeddedStore(tmp_path / "store.db")
    yield embedded
    embedded.close()


def _fill(store: EmbeddedStore, queue: QueueRecord, count: int, *, sent_at_ms: int = T0, delay_ms: int = 0) -> None:
    for size in [BATCH] * (count // BATCH) + [count % BATCH]:
        messages = [new_message(sent_at_ms=sent_at_ms, visible_at_ms=sent_at_ms + delay_ms) for _ in range(size)]
        store.put_messages(queue, messages)


def _vm_steps(store: EmbeddedStore, action: Callable[[], object]) -> int:
    """SQLite virtual-machine steps `action` takes on the store's connection; a scan grows with the rows."""
    steps = 0

    def count_step() -> int:
        nonlocal steps
        steps += 1
        return 0

    # The store's connection is private; what runs on it is the point of this test.
    store._db.set_progress_handler(count_step, 1)
    try:
        action()
    finally:
        store._db.set_progress_handler(None, 1)
    return steps


def _steps_at_depths(
    tmp_path: Path,
    fill: Callable[[EmbeddedStore, QueueRecord, int], None],
    measure: Callable[[EmbeddedStore, QueueRecord], object],
) -> dict[int, int]:
    steps = {}
    for depth in (SHALLOW, DEEP):
        store = EmbeddedStore(tmp_path / f"{depth}.db")
        try:
            queue = create_queue(store)
            fill(store, queue, depth)
            steps[depth] = _vm_steps(store, partial(measure, store, queue))
        finally:
            store.close()
    return steps


def _claim_ten(store: EmbeddedStore, queue: QueueRecord) -> None:
    assert len(claim(store, queue, now_ms=T0, max_count=10)) == 10


def _statements(connection: sqlite3.Connection, action: Callable[[], object]) -> list[str]:
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    try:
        action()
    finally:
        connection.set_trace_callback(None)
    return [sql for sql in statements if sql.split()[0].upper() in {"SELECT", "UPDATE", "DELETE", "INSERT"}]


def _plan(path: Path, sql: str) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]


def test_a_claim_takes_the_same_steps_at_any_backlog_depth(tmp_path: Path) -> None:
    steps = _steps_at_depths(tmp_path, _fill, _claim_ten)

    assert steps[DEEP] == steps[SHALLOW]


def test_messages_in_flight_or_delayed_cost_a_claim_nothing(tmp_path: Path) -> None:
    def hidden_then_visible(store: EmbeddedStore, queue: QueueRecord, hidden: int) -> None:
        _fill(store, queue, hidden, delay_ms=60_000)
        _fill(store, queue, SHALLOW)

    steps = _steps_at_depths(tmp_path, hidden_then_visible, _claim_ten)

    assert steps[DEEP] == steps[SHALLOW]


def test_expired_messages_cost_a_claim_bounded_work(tmp_path: Path) -> None:
    def expired(store: EmbeddedStore, queue: QueueRecord, count: int) -> None:
        _fill(store, queue, count, sent_at_ms=T0 - RETENTION_MS - 1)

    def claim_nothing(store: EmbeddedStore, queue: QueueRecord) -> None:
        assert claim(store, queue, now_ms=T0, max_count=10) == []

    steps = _steps_at_depths(tmp_path, expired, claim_nothing)

    assert steps[DEEP] == steps[SHALLOW]


def test_a_long_poll_finds_the_next_visible_message_in_the_same_steps_at_any_depth(tmp_path: Path) -> None:
    def wait_on_visible(store: EmbeddedStore, queue: QueueRecord) -> None:
        store.wait_for_messages(queue, token=store.availability_token(queue), timeout_seconds=30)

    steps = _steps_at_depths(tmp_path, _fill, wait_on_visible)

    assert steps[DEEP] == steps[SHALLOW]


def test_claim_and_wait_queries_search_indexes_and_never_scan(store: EmbeddedStore, tmp_path: Path) -> None:
    queue = create_queue(store)
    _fill(store, queue, SHALLOW)
    token = store.availability_token(queue)

    claiming = _statements(store._db, lambda: claim(store, queue, now_ms=T0, max_count=10))
    waiting = _statements(store._db, lambda: store.wait_for_messages(queue, token=token, timeout_seconds=30))

    plans = {sql: _plan(tmp_path / "store.db", sql) for sql in claiming + waiting}
    assert "SEARCH messages USING COVERING INDEX messages_ready (queue_id=? AND generation=? AND visible_at_ms<?)" in (
        _plan(tmp_path / "store.db", claiming[0])
    )
    assert "SEARCH messages USING COVERING INDEX messages_ready (queue_id=? AND generation=?)" in (
        _plan(tmp_path / "store.db", waiting[0])
    )
    for sql, plan in plans.items():
        assert all(step.startswith(("SEARCH", "SCALAR SUBQUERY")) for step in plan), (sql, plan)


def test_counting_reads_the_ready_index_alone(store: EmbeddedStore, tmp_path: Path) -> None:
    queue = create_queue(store)
    _fill(store, queue, SHALLOW)

    counting = _statements(
        store._counting_db, lambda: store.count_messages(queue, now_ms=T0, retention_ms=RETENTION_MS)
    )

    (count_plan,) = [_plan(tmp_path / "store.db", sql) for sql in counting]
    assert "SEARCH messages USING COVERING INDEX messages_ready (queue_id=? AND generation=?)" in count_plan
    assert all(step.startswith(("SEARCH", "SCALAR SUBQUERY")) for step in count_plan)
