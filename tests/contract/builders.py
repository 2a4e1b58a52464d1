"""Queue and message records for the storage contract, with readable defaults."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from dynaqueue.domain.model import (
    DeadLetterTarget,
    FifoPutResult,
    MessageAttributeValue,
    MessageMove,
    MoveOutcome,
    MoveTask,
    MoveTaskStatus,
    NewMessage,
    QueueRecord,
    StoredMessage,
)
from dynaqueue.domain.ports import QueueStore

T0 = 1_767_225_600_000
RETENTION_MS = 345_600_000
VISIBILITY_TIMEOUT_MS = 30_000
DEDUP_WINDOW_MS = 300_000

STANDARD_ATTRIBUTES = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": str(RETENTION_MS // 1000),
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": str(VISIBILITY_TIMEOUT_MS // 1000),
    "SqsManagedSseEnabled": "true",
}

FIFO_ATTRIBUTES = {
    **STANDARD_ATTRIBUTES,
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}


def queue_record(name: str = "orders", *, tags: Mapping[str, str] | None = None) -> QueueRecord:
    return QueueRecord(
        name=name,
        queue_id=uuid.uuid4().hex,
        fifo=False,
        attributes=dict(STANDARD_ATTRIBUTES),
        tags=dict(tags or {}),
        created_at_ms=T0,
        last_modified_at_ms=T0,
    )


def fifo_queue_record(name: str = "orders.fifo") -> QueueRecord:
    return QueueRecord(
        name=name,
        queue_id=uuid.uuid4().hex,
        fifo=True,
        attributes=dict(FIFO_ATTRIBUTES),
        tags={},
        created_at_ms=T0,
        last_modified_at_ms=T0,
    )


def create_queue(store: QueueStore, name: str = "orders") -> QueueRecord:
    record, created = store.create_queue(queue_record(name))
    assert created
    return record


def create_fifo_queue(store: QueueStore, name: str = "orders.fifo") -> QueueRecord:
    record, created = store.create_queue(fifo_queue_record(name))
    assert created
    return record


def new_message(
    body: str = "hello",
    *,
    sent_at_ms: int = T0,
    visible_at_ms: int | None = None,
    attributes: Mapping[str, MessageAttributeValue] | None = None,
    system_attributes: Mapping[str, str] | None = None,
) -> NewMessage:
    return NewMessage(
        message_id=str(uuid.uuid4()),
        body=body,
        attributes=dict(attributes or {}),
        system_attributes=dict(system_attributes or {}),
        sent_at_ms=sent_at_ms,
        visible_at_ms=sent_at_ms if visible_at_ms is None else visible_at_ms,
    )


def new_fifo_message(
    body: str = "hello",
    *,
    group_id: str = "g1",
    deduplication_key: str | None = None,
    sent_at_ms: int = T0,
    visible_at_ms: int | None = None,
    system_attributes: Mapping[str, str] | None = None,
) -> NewMessage:
    """A FIFO message; without a deduplication key it gets a unique one, so it is never a duplicate."""
    return NewMessage(
        message_id=str(uuid.uuid4()),
        body=body,
        attributes={},
        system_attributes=dict(system_attributes or {}),
        sent_at_ms=sent_at_ms,
        visible_at_ms=sent_at_ms if visible_at_ms is None else visible_at_ms,
        group_id=group_id,
        deduplication_key=deduplication_key or uuid.uuid4().hex,
    )


def put(store: QueueStore, queue: QueueRecord, *messages: NewMessage) -> list[NewMessage]:
    store.put_messages(queue, messages)
    return list(messages)


def claim(
    store: QueueStore,
    queue: QueueRecord,
    *,
    now_ms: int = T0,
    max_count: int = 10,
    visibility_timeout_ms: int = VISIBILITY_TIMEOUT_MS,
    retention_ms: int = RETENTION_MS,
    dead_letter: DeadLetterTarget | None = None,
) -> list[StoredMessage]:
    return store.claim_messages(
        queue,
        now_ms=now_ms,
        max_count=max_count,
        visibility_timeout_ms=visibility_timeout_ms,
        retention_ms=retention_ms,
        dead_letter=dead_letter,
    )


def put_fifo(
    store: QueueStore,
    queue: QueueRecord,
    *messages: NewMessage,
    now_ms: int = T0,
    dedup_window_ms: int = DEDUP_WINDOW_MS,
) -> list[FifoPutResult]:
    return store.put_fifo_messages(queue, messages, now_ms=now_ms, dedup_window_ms=dedup_window_ms)


def claim_fifo(
    store: QueueStore,
    queue: QueueRecord,
    *,
    now_ms: int = T0,
    max_count: int = 10,
    visibility_timeout_ms: int = VISIBILITY_TIMEOUT_MS,
    retention_ms: int = RETENTION_MS,
    dead_letter: DeadLetterTarget | None = None,
) -> list[StoredMessage]:
    return store.claim_fifo_messages(
        queue,
        now_ms=now_ms,
        max_count=max_count,
        visibility_timeout_ms=visibility_timeout_ms,
        retention_ms=retention_ms,
        dead_letter=dead_letter,
    )


def bodies(messages: list[StoredMessage]) -> list[str]:
    return [message.body for message in messages]


def ids(messages: list[StoredMessage] | list[NewMessage]) -> set[str]:
    return {message.message_id for message in messages}


def dead_letter_target(queue: QueueRecord, *, max_receive_count: int = 1) -> DeadLetterTarget:
    return DeadLetterTarget(
        queue=queue, max_receive_count=max_receive_count, source_arn="arn:aws:sqs:us-east-1:000000000000:source"
    )


def queue_arn(queue: QueueRecord) -> str:
    return f"arn:aws:sqs:us-east-1:000000000000:{queue.name}"


Destination = Callable[[str | None], QueueRecord | None]


def to_queue(queue: QueueRecord | None) -> Destination:
    """Every message goes to `queue` (a dead-letter move, or a redrive with DestinationArn)."""
    return lambda _dead_letter_source_arn: queue


def back_to_sources(*queues: QueueRecord) -> Destination:
    """Each message returns to the queue named by its DeadLetterQueueSourceArn, if it is one of `queues`."""
    by_arn = {queue_arn(queue): queue for queue in queues}
    return lambda dead_letter_source_arn: by_arn.get(dead_letter_source_arn or "")


def move_messages(
    store: QueueStore,
    queue: QueueRecord,
    move: MessageMove,
    destination: Destination,
    *,
    now_ms: int = T0,
    retention_ms: int = RETENTION_MS,
    limit: int = 10,
) -> MoveOutcome:
    return store.move_messages(
        queue, move, destination=destination, now_ms=now_ms, retention_ms=retention_ms, limit=limit
    )


def move_task(
    queue: QueueRecord,
    *,
    task_id: str | None = None,
    started_at_ms: int = T0,
    status: MoveTaskStatus = MoveTaskStatus.RUNNING,
) -> MoveTask:
    return MoveTask(
        task_id=task_id or str(uuid.uuid4()),
        source_queue_id=queue.queue_id,
        source_arn=queue_arn(queue),
        status=status,
        started_at_ms=started_at_ms,
        messages_to_move=10,
        progressed_at_ms=started_at_ms,
    )


def serialize_moto_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto apply each request atomically, as DynamoDB does, for tests that race threads.

    Threads racing inside moto can both pass one item's condition; one request at a time keeps
    every race between requests, which is what a store has to survive.
    """
    process_request = BotocoreStubber.process_request
    one_at_a_time = threading.Lock()

    def atomic_process_request(self: BotocoreStubber, request: object) -> object:
        with one_at_a_time:
            return process_request(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", atomic_process_request)
