"""Moves on DynamoDB under injected crashes and races: nothing is lost, and nothing is moved twice."""

from __future__ import annotations

import base64
import random
import threading
from collections.abc import Callable, Iterator

import boto3
import pytest
from moto import mock_aws

from dynaqueue.domain.model import MessageMove, MoveOutcome, NewMessage, QueueRecord, StoredMessage, VisibilityOutcome
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
    serialize_moto_requests,
)

from .test_dynamo_fifo_faults import Crash, FaultyClient, crash

TABLE = "dynaqueue-move-faults"
REDRIVE = MessageMove(redrive=True, source_arn="arn:aws:sqs:us-east-1:000000000000:dlq")
MOVED_AT = T0 + 1
AFTER_LEASE = T0 + VISIBILITY_TIMEOUT_MS
JOIN_SECONDS = 30.0


@pytest.fixture
def faulty() -> Iterator[FaultyClient]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        DynamoStore.create_table(client, TABLE)
        yield FaultyClient(client)


@pytest.fixture
def store(faulty: FaultyClient) -> DynamoStore:
    return DynamoStore(table_name=TABLE, client=faulty, shards=1)


def _queues(store: DynamoStore, *, fifo: bool) -> tuple[QueueRecord, QueueRecord]:
    record = fifo_queue_record if fifo else queue_record
    dead, _ = store.create_queue(record("dlq.fifo" if fifo else "dlq"))
    target, _ = store.create_queue(record("target.fifo" if fifo else "target"))
    return dead, target


def _send(store: DynamoStore, queue: QueueRecord, *messages: NewMessage) -> list[NewMessage]:
    if queue.fifo:
        put_fifo(store, queue, *messages)
    else:
        put(store, queue, *messages)
    return list(messages)


def _message(queue: QueueRecord, body: str, *, group_id: str = "g1") -> NewMessage:
    return new_fifo_message(body, group_id=group_id) if queue.fifo else new_message(body)


def _large(body_seed: int = 7) -> NewMessage:
    return new_fifo_message(base64.b64encode(random.Random(body_seed).randbytes(48 * 1024)).decode())


def _redrive(store: DynamoStore, dead: QueueRecord, target: QueueRecord, *, limit: int = 10) -> MoveOutcome:
    return store.move_messages(
        dead, REDRIVE, destination=lambda _arn: target, now_ms=MOVED_AT, retention_ms=RETENTION_MS, limit=limit
    )


def _visible(store: DynamoStore, queue: QueueRecord, *, now_ms: int = MOVED_AT) -> int:
    return store.count_messages(queue, now_ms=now_ms, retention_ms=RETENTION_MS).visible


def _receive_all(store: DynamoStore, queue: QueueRecord, *, now_ms: int = MOVED_AT) -> list[StoredMessage]:
    """Every receivable message of the queue, each deleted once received so FIFO groups move on."""
    received: list[StoredMessage] = []
    for _ in range(100):
        batch = (claim_fifo if queue.fifo else claim)(store, queue, now_ms=now_ms, max_count=10)
        if not batch:
            return received
        for message in batch:
            if queue.fifo:
                outcome = store.delete_leased_message(
                    queue, message.message_id, lease_token=message.lease_token, now_ms=now_ms
                )
                assert outcome is VisibilityOutcome.CHANGED
            else:
                assert store.delete_message(queue, message.message_id)
        received += batch
    raise AssertionError("the queue did not drain in 100 receives")


def _crash_at(faulty: FaultyClient, point: str) -> None:
    """Crash a FIFO move at `point`: chunks of the copy, the move transaction, then the source's chunks go."""
    if point == "before the move":
        faulty.before("transact_write_items", crash)
    elif point == "after the move":
        faulty.crash_after("transact_write_items")
    elif point == "before the copy's chunks":
        faulty.before("batch_write_item", crash)
    else:
        faulty.before("batch_write_item", lambda _params: None)
        faulty.before("batch_write_item", crash)


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
def test_a_standard_move_is_one_write_so_a_crash_around_it_leaves_exactly_one_copy(
    store: DynamoStore, faulty: FaultyClient, after: bool
) -> None:
    dead, target = _queues(store, fifo=False)
    [sent] = _send(store, dead, new_message("poison"))

    if after:
        faulty.crash_after("transact_write_items")
    else:
        faulty.before("transact_write_items", crash)
    with pytest.raises(Crash):
        _redrive(store, dead, target)
    retried = _redrive(store, dead, target)

    assert retried.moved == (0 if after else 1)
    assert _receive_all(store, dead) == []
    assert [message.message_id for message in _receive_all(store, target)] == [sent.message_id]


@pytest.mark.parametrize("point", ["before the move", "after the move"])
@pytest.mark.parametrize("make", [lambda: new_fifo_message("poison"), _large], ids=["inline", "chunked"])
def test_a_fifo_move_is_one_transaction_so_a_crash_around_it_loses_nothing_and_duplicates_nothing(
    store: DynamoStore, faulty: FaultyClient, point: str, make: Callable[[], NewMessage]
) -> None:
    dead, target = _queues(store, fifo=True)
    sent = _send(store, dead, make(), new_fifo_message("next"))

    _crash_at(faulty, point)
    with pytest.raises(Crash):
        _redrive(store, dead, target, limit=1)
    assert _visible(store, dead) + _visible(store, target) == 2
    _redrive(store, dead, target, limit=10)

    assert _receive_all(store, dead) == []
    delivered = _receive_all(store, target)
    assert [message.message_id for message in delivered] == [message.message_id for message in sent]
    assert [message.body for message in delivered] == [message.body for message in sent]


@pytest.mark.parametrize("point", ["before the copy's chunks", "before the source's chunks"])
def test_a_chunked_fifo_move_crashing_around_its_chunk_writes_keeps_the_body(
    store: DynamoStore, faulty: FaultyClient, point: str
) -> None:
    dead, target = _queues(store, fifo=True)
    [sent] = _send(store, dead, _large())

    _crash_at(faulty, point)
    with pytest.raises(Crash):
        _redrive(store, dead, target)
    _redrive(store, dead, target)

    assert _receive_all(store, dead) == []
    assert [message.body for message in _receive_all(store, target)] == [sent.body]


def _both_copies(store: DynamoStore, faulty: FaultyClient) -> tuple[QueueRecord, QueueRecord, NewMessage]:
    """A chunked message left in its source and its dead-letter queue by a receive's move crashing in between.

    That move copies first and removes second; the copy's chunks are its own, keyed by the move.
    """
    source, _ = store.create_queue(fifo_queue_record("source.fifo"))
    dead, _ = store.create_queue(fifo_queue_record("source-dlq.fifo"))
    target = dead_letter_target(dead)
    [sent] = _send(store, source, _large())
    claim_fifo(store, source, dead_letter=target)
    faulty.crash_after("transact_write_items")
    with pytest.raises(Crash):
        claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=target)
    assert (_visible(store, source, now_ms=AFTER_LEASE), _visible(store, dead, now_ms=AFTER_LEASE)) == (1, 1)
    return source, dead, sent


def test_a_chunked_fifo_copy_keeps_its_body_when_the_other_copy_is_deleted(
    store: DynamoStore, faulty: FaultyClient
) -> None:
    source, dead, sent = _both_copies(store, faulty)

    [copy] = _receive_all(store, dead, now_ms=AFTER_LEASE)
    [original] = _receive_all(store, source, now_ms=AFTER_LEASE)

    assert copy.body == original.body == sent.body


def test_a_chunked_fifo_copy_keeps_its_body_when_the_source_copy_expires(
    store: DynamoStore, faulty: FaultyClient
) -> None:
    source, dead, sent = _both_copies(store, faulty)

    # The source copy was sent at T0; the dead-letter copy's sent time restarted at the move.
    expired_at = T0 + RETENTION_MS + 1
    assert store.delete_expired_messages(source, now_ms=expired_at, retention_ms=RETENTION_MS, limit=10) == 1

    [copy] = _receive_all(store, dead, now_ms=expired_at)
    assert copy.body == sent.body


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_a_move_racing_another_move_of_the_same_queue_moves_each_message_once(
    store: DynamoStore, faulty: FaultyClient, fifo: bool
) -> None:
    dead, target = _queues(store, fifo=fifo)
    sent = _send(store, dead, *(_message(dead, f"m{index}") for index in range(3)))
    rival = DynamoStore(table_name=TABLE, client=faulty._client, shards=1)
    rival_outcomes: list[MoveOutcome] = []

    # The rival moves everything between this move's reads and its first write.
    faulty.before("transact_write_items", lambda _params: rival_outcomes.append(_redrive(rival, dead, target)))
    outcome = _redrive(store, dead, target)

    assert rival_outcomes[0].moved == len(sent)
    assert outcome.moved == 0
    delivered = _receive_all(store, target)
    assert sorted(message.body for message in delivered) == [message.body for message in sent]


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_concurrent_moves_of_one_queue_move_each_message_once(
    store: DynamoStore, monkeypatch: pytest.MonkeyPatch, fifo: bool
) -> None:
    serialize_moto_requests(monkeypatch)
    dead, target = _queues(store, fifo=fifo)
    sent = _send(store, dead, *(_message(dead, f"m{index}", group_id=f"g{index % 4}") for index in range(24)))
    start = threading.Barrier(3)
    moved: list[int] = []

    def move() -> None:
        start.wait(JOIN_SECONDS)
        for _ in range(len(sent)):
            outcome = _redrive(store, dead, target, limit=5)
            moved.append(outcome.moved)
            if outcome.moved == 0:
                return

    threads = [threading.Thread(target=move, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads)

    assert sum(moved) == len(sent)
    delivered = _receive_all(store, target)
    assert sorted(message.message_id for message in delivered) == sorted(message.message_id for message in sent)
