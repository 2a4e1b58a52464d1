"""The embedded store does bounded work per claim and per wait at any depth: index searches, equal VM steps."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from dynaqueue.domain.model import LeasedReceipt, QueueRecord
from dynaqueue.storage.embedded import EmbeddedStore
from tests.contract.builders import (
    RETENTION_MS,
    T0,
    claim,
    claim_fifo,
    create_fifo_queue,
    create_queue,
    new_fifo_message,
    new_message,
    put_fifo,
)

# Both depths exceed the rows one claim may read (ten to lease plus the expired allowance).
SHALLOW = 1_000
DEEP = 20_000
BATCH = 500
# Groups with a visible head in the FIFO cases; more than one claim may read (ten plus the expired allowance).
READY_GROUPS = 200
_READY_GROUP_KEY = "queue_id=? AND generation=? AND head_visible_at_ms<?"
_GROUP_PAGE_KEY = "queue_id=? AND generation=? AND group_id=? AND sequence>?"


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


def _fill_groups(
    store: EmbeddedStore, queue: QueueRecord, count: int, *, per_group: int = 1, sent_at_ms: int = T0, prefix: str = "g"
) -> None:
    """`count` FIFO messages, `per_group` to a group, groups named `prefix` + a number."""
    messages = [
        new_fifo_message(group_id=f"{prefix}{index // per_group}", sent_at_ms=sent_at_ms) for index in range(count)
    ]
    for start in range(0, count, BATCH):
        put_fifo(store, queue, *messages[start : start + BATCH])


def _steps_at_depths(
    tmp_path: Path,
    fill: Callable[[EmbeddedStore, QueueRecord, int], None],
    measure: Callable[[EmbeddedStore, QueueRecord], object],
    *,
    fifo: bool = False,
) -> dict[int, int]:
    steps = {}
    for depth in (SHALLOW, DEEP):
        store = EmbeddedStore(tmp_path / f"{depth}.db")
        try:
            queue = create_fifo_queue(store) if fifo else create_queue(store)
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


# --- FIFO queues ------------------------------------------------------------------------


def _claim_ten_fifo(store: EmbeddedStore, queue: QueueRecord) -> None:
    assert len(claim_fifo(store, queue, now_ms=T0, max_count=10)) == 10


def test_a_fifo_claim_takes_the_same_steps_at_any_depth_of_its_group(tmp_path: Path) -> None:
    def one_deep_group(store: EmbeddedStore, queue: QueueRecord, depth: int) -> None:
        _fill_groups(store, queue, depth, per_group=depth)

    steps = _steps_at_depths(tmp_path, one_deep_group, _claim_ten_fifo, fifo=True)

    assert steps[DEEP] == steps[SHALLOW]


def test_a_fifo_claim_takes_the_same_steps_whatever_the_number_of_ready_groups(tmp_path: Path) -> None:
    steps = _steps_at_depths(tmp_path, _fill_groups, _claim_ten_fifo, fifo=True)

    assert steps[DEEP] == steps[SHALLOW]


def test_blocked_fifo_groups_and_their_backlogs_cost_a_claim_nothing(tmp_path: Path) -> None:
    def blocked_then_ready(store: EmbeddedStore, queue: QueueRecord, blocked: int) -> None:
        _fill_groups(store, queue, blocked, per_group=4, prefix="blocked")
        while claim_fifo(store, queue, now_ms=T0, max_count=BATCH):
            pass
        _fill_groups(store, queue, READY_GROUPS, prefix="ready")

    steps = _steps_at_depths(tmp_path, blocked_then_ready, _claim_ten_fifo, fifo=True)

    assert steps[DEEP] == steps[SHALLOW]


def test_expired_fifo_heads_cost_a_claim_bounded_work(tmp_path: Path) -> None:
    def expired(store: EmbeddedStore, queue: QueueRecord, count: int) -> None:
        _fill_groups(store, queue, count, per_group=2, sent_at_ms=T0 - RETENTION_MS - 1)

    def claim_nothing(store: EmbeddedStore, queue: QueueRecord) -> None:
        assert claim_fifo(store, queue, now_ms=T0, max_count=10) == []

    steps = _steps_at_depths(tmp_path, expired, claim_nothing, fifo=True)

    assert steps[DEEP] == steps[SHALLOW]


def test_a_fifo_send_takes_the_same_steps_at_any_depth(tmp_path: Path) -> None:
    def send_ten(store: EmbeddedStore, queue: QueueRecord) -> None:
        put_fifo(store, queue, *(new_fifo_message(group_id="g0") for _ in range(10)))

    steps = _steps_at_depths(tmp_path, _fill_groups, send_ten, fifo=True)

    assert steps[DEEP] == steps[SHALLOW]


def test_a_fifo_long_poll_finds_the_next_group_head_in_the_same_steps_at_any_depth(tmp_path: Path) -> None:
    def blocked_groups(store: EmbeddedStore, queue: QueueRecord, count: int) -> None:
        _fill_groups(store, queue, count, per_group=2)
        while claim_fifo(store, queue, now_ms=T0, max_count=BATCH):
            pass

    def wait_for_the_next_head(store: EmbeddedStore, queue: QueueRecord) -> None:
        # The leases ran out long ago on the store's real clock, so the wait returns at once.
        store.wait_for_messages(queue, token=store.availability_token(queue), timeout_seconds=30)

    steps = _steps_at_depths(tmp_path, blocked_groups, wait_for_the_next_head, fifo=True)

    assert steps[DEEP] == steps[SHALLOW]


def test_fifo_queries_search_indexes_and_never_scan(store: EmbeddedStore, tmp_path: Path) -> None:
    queue = create_fifo_queue(store)
    _fill_groups(store, queue, SHALLOW, per_group=10)
    token = store.availability_token(queue)

    def settle(message_id: str, lease_token: str) -> None:
        store.change_visibility(queue, message_id, lease_token=lease_token, visible_at_ms=T0, in_flight_at_ms=T0)
        store.delete_leased_message(queue, message_id, lease_token=lease_token, now_ms=T0)

    def every_fifo_operation() -> None:
        (duplicate,) = claim_fifo(store, queue, now_ms=T0, max_count=1)
        put_fifo(store, queue, new_fifo_message(), new_fifo_message(deduplication_key="k"))
        put_fifo(store, queue, new_fifo_message(deduplication_key="k"))
        leases = [LeasedReceipt(duplicate.message_id, duplicate.lease_token, T0)]
        store.remember_receive_attempt(queue, "attempt", leases, expires_at_ms=T0 + 300_000)
        store.recall_receive_attempt(queue, "attempt", now_ms=T0)
        store.get_leased_messages(queue, leases)
        settle(duplicate.message_id, duplicate.lease_token)
        claimed = claim_fifo(store, queue, now_ms=T0, max_count=10)
        store.delete_message(queue, claimed[0].message_id)
        store.wait_for_messages(queue, token=token, timeout_seconds=30)

    statements = _statements(store._db, every_fifo_operation)

    plans = {sql: _plan(tmp_path / "store.db", sql) for sql in statements}
    steps = {step for plan in plans.values() for step in plan}
    assert f"SEARCH fifo_groups USING COVERING INDEX fifo_groups_ready ({_READY_GROUP_KEY})" in steps
    assert f"SEARCH messages USING INDEX messages_in_group ({_GROUP_PAGE_KEY})" in steps
    # A bounded clean-up deletes by rowid from a LIST SUBQUERY that is itself an index search.
    for sql, plan in plans.items():
        assert all(step.startswith(("SEARCH", "SCALAR SUBQUERY", "LIST SUBQUERY")) for step in plan), (sql, plan)
