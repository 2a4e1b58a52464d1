"""FIFO on DynamoDB under concurrent producers and consumers: group order kept, nothing leased twice.

moto checks a condition and applies a write in separate steps without a lock, so requests go through
SerializedClient one at a time, as DynamoDB applies each atomically; every race between requests stays.
Each thread has its own store, as each Lambda would.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dynaqueue.domain.model import NewMessage, QueueRecord, VisibilityOutcome
from dynaqueue.local.serialized_client import SerializedClient
from dynaqueue.storage.dynamo import DynamoStore

TABLE = "dynaqueue-fifo-concurrency"
T0 = 1_767_225_600_000
RETENTION_MS = 345_600_000
# Leases never run out during the test: every redelivery would be a bug.
VISIBILITY_MS = 3_600_000
DEDUP_WINDOW_MS = 300_000
GROUPS = ("g0", "g1", "g2", "g3")
ROUNDS = 5
CONSUMERS = 3
JOIN_SECONDS = 60.0
MAX_CLAIMS_PER_CONSUMER = 400
IDLE_WAIT_SECONDS = 0.02


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        client = SerializedClient(boto3.client("dynamodb", region_name="us-east-1"))
        DynamoStore.create_table(client, TABLE)
        yield client


def _store(client: Any) -> DynamoStore:
    return DynamoStore(table_name=TABLE, client=client, shards=2)


def _message(body: str, group_id: str) -> NewMessage:
    return NewMessage(
        message_id=str(uuid.uuid4()),
        body=body,
        attributes={},
        system_attributes={"MessageGroupId": group_id},
        sent_at_ms=T0,
        visible_at_ms=T0,
        group_id=group_id,
        deduplication_key=uuid.uuid4().hex,
    )


def _start(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_concurrent_producers_and_consumers_keep_every_group_in_order_and_lease_each_message_once(
    client: Any,
) -> None:
    record = QueueRecord(
        name="orders.fifo",
        queue_id=uuid.uuid4().hex,
        fifo=True,
        attributes={"FifoQueue": "true"},
        tags={},
        created_at_ms=T0,
        last_modified_at_ms=T0,
    )
    queue, _ = _store(client).create_queue(record)
    total = 2 * len(GROUPS) * ROUNDS
    start_together = threading.Barrier(2 + CONSUMERS)
    book = threading.Lock()
    sequence_of: dict[str, str] = {}
    claimed_ids: list[str] = []
    settled: dict[str, list[str]] = defaultdict(list)
    body_of: dict[str, str] = {}
    held: set[str] = set()
    overlaps: list[str] = []
    failures: list[str] = []

    def send_one_at_a_time() -> None:
        store = _store(client)
        start_together.wait(JOIN_SECONDS)
        for round_number in range(ROUNDS):
            for group_id in GROUPS:
                (result,) = store.put_fifo_messages(
                    queue, [_message(f"single {round_number}", group_id)], now_ms=T0, dedup_window_ms=DEDUP_WINDOW_MS
                )
                with book:
                    sequence_of[result.message_id] = result.sequence_number

    def send_batches_across_groups() -> None:
        store = _store(client)
        start_together.wait(JOIN_SECONDS)
        for round_number in range(ROUNDS):
            batch = [_message(f"batch {round_number}", group_id) for group_id in GROUPS]
            results = store.put_fifo_messages(queue, batch, now_ms=T0, dedup_window_ms=DEDUP_WINDOW_MS)
            with book:
                sequence_of.update((result.message_id, result.sequence_number) for result in results)

    def consume() -> None:
        store = _store(client)
        start_together.wait(JOIN_SECONDS)
        for _ in range(MAX_CLAIMS_PER_CONSUMER):
            with book:
                if len(claimed_ids) == total:
                    return
            token = store.availability_token(queue)
            batch = store.claim_fifo_messages(
                queue, now_ms=T0, max_count=3, visibility_timeout_ms=VISIBILITY_MS, retention_ms=RETENTION_MS
            )
            if not batch:
                store.wait_for_messages(queue, token=token, timeout_seconds=IDLE_WAIT_SECONDS)
                continue
            groups = [message.system_attributes["MessageGroupId"] for message in batch]
            with book:
                claimed_ids.extend(message.message_id for message in batch)
                for group_id in set(groups):
                    if group_id in held:
                        overlaps.append(group_id)
                    held.add(group_id)
            for index, (message, group_id) in enumerate(zip(batch, groups, strict=True)):
                with book:
                    # Booked before the delete: once it lands, another consumer may take the group's next message.
                    settled[group_id].append(message.message_id)
                    body_of[message.message_id] = message.body
                    if group_id not in groups[index + 1 :]:
                        held.discard(group_id)
                outcome = store.delete_leased_message(
                    queue, message.message_id, lease_token=message.lease_token, now_ms=T0
                )
                if outcome is not VisibilityOutcome.CHANGED:
                    failures.append(f"{message.message_id}: {outcome}")

    threads = [_start(send_one_at_a_time), _start(send_batches_across_groups)]
    threads += [_start(consume) for _ in range(CONSUMERS)]
    for thread in threads:
        thread.join(JOIN_SECONDS)

    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert overlaps == []
    assert len(claimed_ids) == len(set(claimed_ids)) == total
    assert set(claimed_ids) == set(sequence_of)
    for group_id in GROUPS:
        delivered = [sequence_of[message_id] for message_id in settled[group_id]]
        assert delivered == sorted(delivered), group_id
        bodies = [body_of[message_id] for message_id in settled[group_id]]
        for producer in ("single", "batch"):
            # Each producer's messages of the group arrive in the order it sent them.
            assert [body for body in bodies if body.startswith(producer)] == [
                f"{producer} {round_number}" for round_number in range(ROUNDS)
            ]
