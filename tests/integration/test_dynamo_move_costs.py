"""DynamoDB calls and request units of moves, expiry, reclamation and task bookkeeping (1 KB JSON bodies, moto)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from dynaqueue.domain.model import MessageMove, MoveTaskStatus, QueueRecord
from dynaqueue.storage.capacity import CapacityMeter
from dynaqueue.storage.dynamo import DynamoStore
from tests.contract.builders import (
    RETENTION_MS,
    T0,
    fifo_queue_record,
    move_task,
    new_fifo_message,
    new_message,
    put,
    put_fifo,
    queue_record,
)

from .test_dynamo_costs import FirstShardRandom, one_kilobyte_json

TABLE = "dynaqueue-move-costs"
REDRIVE = MessageMove(redrive=True, source_arn="arn:aws:sqs:us-east-1:000000000000:dlq")
AFTER_EXPIRY = T0 + RETENTION_MS + 1


@pytest.fixture
def store(client: Any) -> DynamoStore:
    return DynamoStore(table_name=TABLE, client=client, shards=1, rng=FirstShardRandom(7))


def _queues(store: DynamoStore, *, fifo: bool) -> tuple[QueueRecord, QueueRecord]:
    record = fifo_queue_record if fifo else queue_record
    dead, _ = store.create_queue(record("dlq.fifo" if fifo else "dlq"))
    target, _ = store.create_queue(record("target.fifo" if fifo else "target"))
    return dead, target


def _redrive(store: DynamoStore, dead: QueueRecord, target: QueueRecord, *, limit: int = 10) -> int:
    outcome = store.move_messages(
        dead, REDRIVE, destination=lambda _arn: target, now_ms=T0 + 1, retention_ms=RETENTION_MS, limit=limit
    )
    return outcome.moved


def test_a_standard_move_costs_one_index_read_one_item_read_and_one_transaction(
    client: Any, store: DynamoStore
) -> None:
    dead, target = _queues(store, fifo=False)
    put(store, dead, new_message(one_kilobyte_json()))

    with CapacityMeter(client) as meter:
        assert _redrive(store, dead, target) == 1

    _, read, move = meter.calls
    assert meter.operations == ["Query", "GetItem", "TransactWriteItems"]
    # The GetItem reads DeadLetterQueueSourceArn, which the ready index does not project.
    assert read.read_units == 0.5
    assert (move.table_write_units, move.index_write_units) == (4, 2)
    assert (meter.write_units, meter.read_units) == (6, 1.0)


def test_a_fifo_move_of_a_groups_only_message_is_one_transaction_of_14_write_units(
    client: Any, store: DynamoStore
) -> None:
    dead, target = _queues(store, fifo=True)
    put_fifo(store, dead, new_fifo_message(one_kilobyte_json()))

    with CapacityMeter(client) as meter:
        assert _redrive(store, dead, target) == 1

    assert meter.operations == ["Query", "Query", "TransactWriteItems"]
    _, _, move = meter.calls
    # Billed twice each: the copy's message item (2), its deduplication entry, the destination's group and queue
    # check (1 each), the source's message item (2) and group (1). Index: the group leaves one, enters the other.
    assert (move.table_write_units, move.index_write_units) == (12, 2)
    assert (meter.write_units, meter.read_units) == (14, 1.5)


def test_a_fifo_move_of_ten_messages_of_one_group_is_one_transaction(client: Any, store: DynamoStore) -> None:
    dead, target = _queues(store, fifo=True)
    put_fifo(store, dead, *(new_fifo_message(one_kilobyte_json(seed)) for seed in range(10)))

    with CapacityMeter(client) as meter:
        assert _redrive(store, dead, target) == 10

    assert meter.operations == ["Query", "Query", "TransactWriteItems"]
    _, _, move = meter.calls
    # Per message 6: its copy and deduplication entry (4), its source item (2); once 6: both groups, the check.
    assert (move.table_write_units, move.index_write_units) == (66, 2)
    assert (meter.write_units, meter.read_units) == (68, 2.5)


def test_each_expired_standard_message_costs_one_delete_of_2_write_units(client: Any, store: DynamoStore) -> None:
    queue, _ = _queues(store, fifo=False)
    put(store, queue, *(new_message(one_kilobyte_json(seed)) for seed in range(10)))

    with CapacityMeter(client) as meter:
        assert store.delete_expired_messages(queue, now_ms=AFTER_EXPIRY, retention_ms=RETENTION_MS, limit=100) == 10

    assert meter.operations == ["Query", *["DeleteItem"] * 10, "Query"]
    assert all((call.table_write_units, call.index_write_units) == (1, 1) for call in meter.calls[1:-1])
    # One index page of the visible range, one of the hidden range.
    assert (meter.write_units, meter.read_units) == (20, 1.0)


def test_expired_fifo_messages_of_one_group_leave_in_one_transaction(client: Any, store: DynamoStore) -> None:
    queue, _ = _queues(store, fifo=True)
    put_fifo(store, queue, *(new_fifo_message(one_kilobyte_json(seed)) for seed in range(10)))

    with CapacityMeter(client) as meter:
        assert store.delete_expired_messages(queue, now_ms=AFTER_EXPIRY, retention_ms=RETENTION_MS, limit=100) == 10

    assert meter.operations == ["Query", "Query", "TransactWriteItems"]
    _, _, removal = meter.calls
    assert (removal.table_write_units, removal.index_write_units) == (22, 1)
    assert (meter.write_units, meter.read_units) == (23, 2.5)


def test_task_bookkeeping_costs(client: Any, store: DynamoStore) -> None:
    queue, _ = _queues(store, fifo=False)
    task = move_task(queue)

    with CapacityMeter(client) as start:
        assert store.start_move_task(task)
    with CapacityMeter(client) as progress:
        assert store.save_move_task(replace(task, revision=1, messages_moved=5))
    with CapacityMeter(client) as active:
        assert len(store.active_move_tasks(10)) == 1
    with CapacityMeter(client) as finish:
        assert store.save_move_task(replace(task, revision=2, messages_moved=10, status=MoveTaskStatus.COMPLETED))
    with CapacityMeter(client) as lease:
        assert store.acquire_lease("housekeeping", holder="run-1", now_ms=T0, expires_at_ms=T0 + 60_000)

    # Start and finish write the task and its queue's slot in one transaction (2 items, billed twice).
    assert (start.operations, start.write_units) == (["TransactWriteItems"], 4)
    assert (progress.operations, progress.write_units) == (["PutItem"], 1)
    assert (active.operations, active.read_units) == (["Query", "GetItem"], 2.0)
    assert (finish.operations, finish.write_units) == (["TransactWriteItems"], 4)
    assert (lease.operations, lease.write_units) == (["PutItem"], 1)


def test_purge_and_delete_queue_write_their_reclamation_marker(client: Any, store: DynamoStore) -> None:
    queue, _ = _queues(store, fifo=False)

    with CapacityMeter(client) as purge:
        store.purge_queue(queue.name, now_ms=T0, min_interval_ms=60_000)
    with CapacityMeter(client) as delete:
        store.delete_queue(queue.name, now_ms=T0)

    assert (purge.operations, purge.write_units) == (["UpdateItem", "PutItem"], 2)
    # The queue item deleted, the deletion remembered and the marker put: 3 items, billed twice.
    assert (delete.operations, delete.write_units, delete.read_units) == (["GetItem", "TransactWriteItems"], 6, 1.0)


def test_each_reclaimed_standard_message_costs_one_delete_of_2_write_units(client: Any, store: DynamoStore) -> None:
    queue, _ = _queues(store, fifo=False)
    put(store, queue, *(new_message(one_kilobyte_json(seed)) for seed in range(10)))
    store.purge_queue(queue.name, now_ms=T0, min_interval_ms=60_000)

    with CapacityMeter(client) as meter:
        assert store.reclaim_abandoned_messages(limit=100) == 10
    with CapacityMeter(client) as last:
        assert store.reclaim_abandoned_messages(limit=100) == 0

    assert meter.operations == ["Query", "Query", *["DeleteItem"] * 10]
    assert (meter.write_units, meter.read_units) == (20, 1.5)
    # The next call finds the shard empty and forgets the marker.
    assert (last.operations, last.write_units, last.read_units) == (["Query", "Query", "DeleteItem"], 1, 1.5)
