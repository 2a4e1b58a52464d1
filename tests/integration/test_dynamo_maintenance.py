"""Housekeeping storage on DynamoDB: what expiry and reclamation leave in the table, task slots, repeated moves."""

from __future__ import annotations

import base64
import random
from dataclasses import replace
from typing import Any

import pytest

from dynaqueue.domain.model import MessageMove, MoveTaskStatus, NewMessage, PurgeOutcome, QueueRecord
from dynaqueue.storage.capacity import CapacityMeter
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.tables import (
    ABANDONED_PARTITION,
    ACTIVE_TASKS_PARTITION,
    DEDUPLICATION_PREFIX,
    HASH_KEY,
    MESSAGE_ID,
    RANGE_KEY,
)
from tests.contract.builders import (
    RETENTION_MS,
    T0,
    VISIBILITY_TIMEOUT_MS,
    claim,
    claim_fifo,
    dead_letter_target,
    fifo_queue_record,
    move_task,
    new_fifo_message,
    new_message,
    put,
    put_fifo,
    queue_record,
)

TABLE = "dynaqueue-maintenance"
AFTER_EXPIRY = T0 + RETENTION_MS + 1
MAX_RECLAIM_CALLS = 50


@pytest.fixture
def store(client: Any) -> DynamoStore:
    return DynamoStore(table_name=TABLE, client=client, shards=2)


def _large_body(seed: int) -> str:
    return base64.b64encode(random.Random(seed).randbytes(48 * 1024)).decode()


def _messages(fifo: bool, count: int, *, large: int = 0) -> list[NewMessage]:
    bodies = [_large_body(index) if index < large else f"m{index}" for index in range(count)]
    if fifo:
        return [new_fifo_message(body, group_id=f"g{index % 3}") for index, body in enumerate(bodies)]
    return [new_message(body) for body in bodies]


def _send(store: DynamoStore, queue: QueueRecord, messages: list[NewMessage]) -> None:
    if queue.fifo:
        put_fifo(store, queue, *messages)
    else:
        put(store, queue, *messages)


def _queue(store: DynamoStore, name: str, *, fifo: bool) -> QueueRecord:
    record, _ = store.create_queue(fifo_queue_record(f"{name}.fifo") if fifo else queue_record(name))
    return record


def _items(client: Any) -> list[dict[str, Any]]:
    return client.scan(TableName=TABLE)["Items"]


def _items_of(client: Any, messages: list[NewMessage]) -> list[dict[str, Any]]:
    """Every item that holds part of these messages: heads, FIFO message items and chunks (own or moved).

    Deduplication entries are left out: they name a message but hold none of it, and TTL ends them with
    their window.
    """
    ids = {message.message_id for message in messages}
    return [
        item
        for item in _items(client)
        if not item[HASH_KEY]["S"].startswith(DEDUPLICATION_PREFIX)
        and (item[HASH_KEY]["S"].split("#")[0] in ids or item.get(MESSAGE_ID, {}).get("S") in ids)
    ]


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_expiry_deletes_message_items_and_their_chunks(client: Any, store: DynamoStore, fifo: bool) -> None:
    queue = _queue(store, "orders", fifo=fifo)
    messages = _messages(fifo, 5, large=2)
    _send(store, queue, messages)
    assert _items_of(client, messages)

    deleted = store.delete_expired_messages(queue, now_ms=AFTER_EXPIRY, retention_ms=RETENTION_MS, limit=10)

    assert deleted == 5
    assert _items_of(client, messages) == []


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_reclaim_deletes_every_item_of_a_purged_generation_and_then_its_marker(
    client: Any, store: DynamoStore, fifo: bool
) -> None:
    queue = _queue(store, "orders", fifo=fifo)
    purged = _messages(fifo, 7, large=2)
    _send(store, queue, purged)
    assert store.purge_queue(queue.name, now_ms=T0, min_interval_ms=60_000) is PurgeOutcome.PURGED
    current = store.get_queue(queue.name)
    assert current is not None
    kept = _messages(fifo, 2)
    _send(store, current, kept)
    assert _markers(client) == [f"{queue.queue_id}#0"]

    reclaimed = [store.reclaim_abandoned_messages(limit=3) for _ in range(6)]

    assert sum(reclaimed) == 7
    assert all(count <= 3 for count in reclaimed)
    assert reclaimed[-1] == 0
    assert _items_of(client, purged) == []
    assert _generation_items(client, queue.queue_id, 0) == []
    assert _markers(client) == []
    assert len(_items_of(client, kept)) == 2


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_delete_queue_marks_its_last_generation_for_reclamation(client: Any, store: DynamoStore, fifo: bool) -> None:
    queue = _queue(store, "orders", fifo=fifo)
    assert store.purge_queue(queue.name, now_ms=T0, min_interval_ms=60_000) is PurgeOutcome.PURGED
    current = store.get_queue(queue.name)
    assert current is not None
    messages = _messages(fifo, 4, large=1)
    _send(store, current, messages)

    assert store.delete_queue(queue.name, now_ms=T0)

    assert sorted(_markers(client)) == [f"{queue.queue_id}#0", f"{queue.queue_id}#1"]
    for _ in range(MAX_RECLAIM_CALLS):
        if store.reclaim_abandoned_messages(limit=10) == 0 and not _markers(client):
            break
    assert _items_of(client, messages) == []
    assert _markers(client) == []


def test_a_fifo_message_moved_to_its_dead_letter_queue_again_after_a_redrive_is_stored_again(
    store: DynamoStore,
) -> None:
    source = _queue(store, "source", fifo=True)
    dead = _queue(store, "source-dlq", fifo=True)
    target = dead_letter_target(dead)
    [sent] = [new_fifo_message("poison")]
    put_fifo(store, source, sent)
    first_move_at = T0 + VISIBILITY_TIMEOUT_MS

    claim_fifo(store, source, dead_letter=target)
    assert claim_fifo(store, source, now_ms=first_move_at, dead_letter=target) == []
    redrive = MessageMove(redrive=True, source_arn=target.source_arn)
    outcome = store.move_messages(
        dead, redrive, destination=lambda _arn: source, now_ms=first_move_at, retention_ms=RETENTION_MS, limit=10
    )
    assert outcome.moved == 1
    # Within the day a move's deduplication entry lasts: a second move is a new move, not a repeat.
    second_move_at = first_move_at + VISIBILITY_TIMEOUT_MS
    claim_fifo(store, source, now_ms=first_move_at, dead_letter=target)
    assert claim_fifo(store, source, now_ms=second_move_at, dead_letter=target) == []

    [moved_again] = claim_fifo(store, dead, now_ms=second_move_at)
    assert moved_again.message_id == sent.message_id


def test_standard_redrive_resets_the_receive_count_and_into_dead_letter_keeps_it(store: DynamoStore) -> None:
    source = _queue(store, "source", fifo=False)
    dead = _queue(store, "source-dlq", fifo=False)
    put(store, source, new_message("poison"))
    claim(store, source)
    into = MessageMove(redrive=False, source_arn="arn:aws:sqs:us-east-1:000000000000:source", min_receive_count=1)
    moved_at = T0 + VISIBILITY_TIMEOUT_MS

    assert (
        store.move_messages(
            source, into, destination=lambda _arn: dead, now_ms=moved_at, retention_ms=RETENTION_MS, limit=10
        ).moved
        == 1
    )
    [in_dead] = claim(store, dead, now_ms=moved_at)
    assert (in_dead.receive_count, in_dead.system_attributes["DeadLetterQueueSourceArn"]) == (2, into.source_arn)

    redriven_at = moved_at + VISIBILITY_TIMEOUT_MS
    redrive = MessageMove(redrive=True, source_arn="arn:aws:sqs:us-east-1:000000000000:source-dlq")
    arns: list[str | None] = []

    def back(arn: str | None) -> QueueRecord:
        arns.append(arn)
        return source

    assert (
        store.move_messages(
            dead, redrive, destination=back, now_ms=redriven_at, retention_ms=RETENTION_MS, limit=10
        ).moved
        == 1
    )
    assert arns == [into.source_arn]
    [back_home] = claim(store, source, now_ms=redriven_at)
    assert back_home.receive_count == 1
    assert "DeadLetterQueueSourceArn" not in back_home.system_attributes


def test_active_tasks_are_read_from_the_slot_partition_without_a_scan(client: Any, store: DynamoStore) -> None:
    queues = [_queue(store, f"dlq-{index}", fifo=False) for index in range(3)]
    for queue in queues:
        assert store.start_move_task(move_task(queue))

    with CapacityMeter(client) as meter:
        active = store.active_move_tasks(10)

    assert {task.source_queue_id for task in active} == {queue.queue_id for queue in queues}
    assert meter.operations == ["Query", "GetItem", "GetItem", "GetItem"]
    assert len(_slots(client)) == 3


def test_a_late_save_of_a_finished_task_keeps_the_slot_of_the_task_that_followed(
    client: Any, store: DynamoStore
) -> None:
    queue = _queue(store, "dlq", fifo=False)
    first = move_task(queue)
    assert store.start_move_task(first)
    assert store.save_move_task(replace(first, status=MoveTaskStatus.CANCELLED, revision=1))
    second = move_task(queue, started_at_ms=T0 + 1)
    assert store.start_move_task(second)

    # A housekeeping run records the last moves of the first task after it ended.
    assert store.save_move_task(replace(first, status=MoveTaskStatus.CANCELLED, revision=2, messages_moved=3))

    stored = store.get_move_task(queue.queue_id, first.task_id)
    assert stored is not None
    assert (stored.messages_moved, stored.revision) == (3, 2)
    assert [task.task_id for task in store.active_move_tasks(10)] == [second.task_id]
    assert not store.start_move_task(move_task(queue, started_at_ms=T0 + 2))


def test_deleting_a_queues_tasks_frees_its_slot(client: Any, store: DynamoStore) -> None:
    queue = _queue(store, "dlq", fifo=False)
    assert store.start_move_task(move_task(queue))

    store.delete_move_tasks(queue.queue_id)

    assert store.list_move_tasks(queue.queue_id, 10) == []
    assert _slots(client) == []
    assert store.start_move_task(move_task(queue))


def _generation_items(client: Any, queue_id: str, generation: int) -> list[dict[str, Any]]:
    """Message heads indexed in the generation and FIFO group partitions of it (groups and their messages)."""
    prefix = f"{queue_id}#{generation}#"
    return [
        item
        for item in _items(client)
        if item[HASH_KEY]["S"].startswith(f"f#{prefix}") or item.get("g1p", {}).get("S", "").startswith(prefix)
    ]


def _markers(client: Any) -> list[str]:
    return [item[RANGE_KEY]["S"] for item in _items(client) if item[HASH_KEY]["S"] == ABANDONED_PARTITION]


def _slots(client: Any) -> list[str]:
    return [item[RANGE_KEY]["S"] for item in _items(client) if item[HASH_KEY]["S"] == ACTIVE_TASKS_PARTITION]
