"""Dead-letter moves on DynamoDB under injected crashes: a message may end up in both queues, never in neither."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dynaqueue.domain.model import DeadLetterTarget, NewMessage, QueueRecord, VisibilityOutcome
from dynaqueue.storage.dynamo import DynamoStore
from tests.contract.builders import (
    RETENTION_MS,
    T0,
    VISIBILITY_TIMEOUT_MS,
    claim,
    claim_fifo,
    dead_letter_target,
    fifo_queue_record,
    new_fifo_message,
    new_message,
    put,
    put_fifo,
    queue_record,
)

from .test_dynamo_fifo_faults import Crash, FaultyClient, crash

TABLE = "dynaqueue-dead-letter-faults"
AFTER_LEASE = T0 + VISIBILITY_TIMEOUT_MS
LATER = AFTER_LEASE + VISIBILITY_TIMEOUT_MS


@pytest.fixture
def faulty() -> Iterator[FaultyClient]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        DynamoStore.create_table(client, TABLE)
        yield FaultyClient(client)


@pytest.fixture
def store(faulty: FaultyClient) -> DynamoStore:
    return DynamoStore(table_name=TABLE, client=faulty, shards=1)


def _queues(store: DynamoStore, *, fifo: bool) -> tuple[QueueRecord, QueueRecord, DeadLetterTarget]:
    record = fifo_queue_record if fifo else queue_record
    source, _ = store.create_queue(record("source.fifo" if fifo else "source"))
    dead, _ = store.create_queue(record("source-dlq.fifo" if fifo else "source-dlq"))
    return source, dead, dead_letter_target(dead, max_receive_count=1)


def _large_fifo_message() -> NewMessage:
    body = base64.b64encode(random.Random(7).randbytes(48 * 1024)).decode()
    return new_fifo_message(body)


def test_a_standard_move_that_fails_leaves_the_message_in_the_source(store: DynamoStore, faulty: FaultyClient) -> None:
    source, dead, target = _queues(store, fifo=False)
    put(store, source, new_message("poison"))
    claim(store, source, dead_letter=target)

    faulty.before("transact_write_items", crash)
    with pytest.raises(Crash):
        claim(store, source, now_ms=AFTER_LEASE, dead_letter=target)

    assert claim(store, dead, now_ms=AFTER_LEASE) == []
    assert claim(store, source, now_ms=AFTER_LEASE, dead_letter=target) == []
    [moved] = claim(store, dead, now_ms=AFTER_LEASE)
    assert moved.body == "poison"


def test_a_standard_move_is_one_write_so_a_crash_after_it_leaves_one_copy(
    store: DynamoStore, faulty: FaultyClient
) -> None:
    source, dead, target = _queues(store, fifo=False)
    put(store, source, new_message("poison"))
    claim(store, source, dead_letter=target)

    faulty.crash_after("transact_write_items")
    with pytest.raises(Crash):
        claim(store, source, now_ms=AFTER_LEASE, dead_letter=target)

    assert claim(store, source, now_ms=LATER, dead_letter=target) == []
    assert [message.body for message in claim(store, dead, now_ms=LATER)] == ["poison"]


@pytest.mark.parametrize("make_message", [lambda: new_fifo_message("poison"), _large_fifo_message])
def test_a_fifo_crash_between_copy_and_removal_leaves_both_and_the_next_receive_completes_the_move(
    store: DynamoStore, faulty: FaultyClient, make_message: Any
) -> None:
    source, dead, target = _queues(store, fifo=True)
    sent = make_message()
    put_fifo(store, source, sent, new_fifo_message("next"))
    claim_fifo(store, source, max_count=1, dead_letter=target)

    faulty.crash_after("transact_write_items")
    with pytest.raises(Crash):
        claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=target)
    assert _visible(store, dead) == 1
    assert _visible(store, source) == 2

    assert [message.body for message in claim_fifo(store, source, now_ms=LATER, dead_letter=target)] == ["next"]
    assert _visible(store, dead) == 1
    [moved] = claim_fifo(store, dead, now_ms=LATER)
    assert moved.message_id == sent.message_id
    assert moved.body == sent.body
    assert moved.receive_count == 2


def test_a_fifo_move_whose_copy_fails_leaves_the_message_in_the_source(
    store: DynamoStore, faulty: FaultyClient
) -> None:
    source, dead, target = _queues(store, fifo=True)
    put_fifo(store, source, new_fifo_message("poison"))
    claim_fifo(store, source, dead_letter=target)

    faulty.before("transact_write_items", crash)
    with pytest.raises(Crash):
        claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=target)

    assert claim_fifo(store, dead, now_ms=AFTER_LEASE) == []
    assert claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=target) == []
    assert [message.body for message in claim_fifo(store, dead, now_ms=AFTER_LEASE)] == ["poison"]


def _visible(store: DynamoStore, queue: QueueRecord) -> int:
    return store.count_messages(queue, now_ms=AFTER_LEASE, retention_ms=RETENTION_MS).visible


def test_a_large_fifo_message_whose_copy_was_already_settled_is_removed_from_the_source(
    store: DynamoStore, faulty: FaultyClient
) -> None:
    source, dead, target = _queues(store, fifo=True)
    put_fifo(store, source, _large_fifo_message(), new_fifo_message("next"))
    claim_fifo(store, source, max_count=1, dead_letter=target)
    faulty.crash_after("transact_write_items")
    with pytest.raises(Crash):
        claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=target)

    [copy] = claim_fifo(store, dead, now_ms=AFTER_LEASE)
    outcome = store.delete_leased_message(dead, copy.message_id, lease_token=copy.lease_token, now_ms=AFTER_LEASE)
    assert outcome is VisibilityOutcome.CHANGED

    assert [message.body for message in claim_fifo(store, source, now_ms=LATER, dead_letter=target)] == ["next"]
    assert _visible(store, dead) == 0
