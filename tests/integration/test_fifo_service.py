"""FIFO queue semantics of the service: group order, deduplication, sequence numbers, attempts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from dynaqueue.domain import errors
from dynaqueue.domain.model import ReceiptBatchEntry, ReceiveRequest, SendBatchEntry, SendRequest
from dynaqueue.domain.service import QueueService
from dynaqueue.storage.embedded import EmbeddedStore
from tests.fakes import FakeClock

SECRET = b"0123456789abcdef0123456789abcdef"
QUEUE = "orders.fifo"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(tmp_path: Path, clock: FakeClock) -> Iterator[QueueService]:
    store = EmbeddedStore(tmp_path / "fifo.db", clock=clock)
    service = QueueService(store, clock=clock, account_id="123456789012", region="us-east-1", receipt_secret=SECRET)
    service.create_queue(QUEUE, {"FifoQueue": "true", "VisibilityTimeout": "30"}, {})
    yield service
    store.close()


def send(service: QueueService, body: str, group: str = "g1", dedup: str | None = None, queue: str = QUEUE):
    return service.send_message(queue, SendRequest(body=body, group_id=group, deduplication_id=dedup or body))


def receive(service: QueueService, count: int = 10, **kwargs: object):
    return service.receive_message(QUEUE, ReceiveRequest(max_number_of_messages=count, **kwargs))  # type: ignore[arg-type]


def bodies(messages) -> list[str]:
    return [message.body for message in messages]


def test_a_fifo_queue_needs_the_suffix_and_reports_its_attributes(service: QueueService) -> None:
    with pytest.raises(errors.InvalidParameterValue):
        service.create_queue("orders", {"FifoQueue": "true"}, {})
    attributes = service.get_queue_attributes(QUEUE, ["All"])
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"
    assert attributes["DeduplicationScope"] == "queue"
    assert attributes["FifoThroughputLimit"] == "perQueue"


def test_messages_of_a_group_arrive_in_send_order_with_increasing_sequence_numbers(service: QueueService) -> None:
    sent = [send(service, f"m{i}") for i in range(5)]
    numbers = [int(result.sequence_number) for result in sent]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    assert all(len(result.sequence_number) == 20 for result in sent)
    received = receive(service, system_attribute_names=["All"])
    assert bodies(received) == [f"m{i}" for i in range(5)]
    assert [m.attributes["SequenceNumber"] for m in received] == [r.sequence_number for r in sent]
    assert received[0].attributes["MessageGroupId"] == "g1"
    assert received[0].attributes["MessageDeduplicationId"] == "m0"


def test_a_group_is_blocked_while_its_head_is_in_flight(service: QueueService) -> None:
    send(service, "a1", "a")
    send(service, "a2", "a")
    send(service, "b1", "b")
    first = receive(service, count=1)
    assert bodies(first) == ["a1"]
    # a2 waits behind the in-flight a1; group b is free.
    assert bodies(receive(service)) == ["b1"]
    assert receive(service) == []
    service.delete_message(QUEUE, first[0].receipt_handle)
    assert bodies(receive(service)) == ["a2"]


def test_a_receive_fills_from_one_group_first(service: QueueService) -> None:
    for body in ("a1", "a2", "a3"):
        send(service, body, "a")
    assert bodies(receive(service, count=2)) == ["a1", "a2"]


def test_extending_the_middle_message_keeps_it_and_later_ones_blocked(service: QueueService, clock: FakeClock) -> None:
    for body in ("m1", "m2", "m3"):
        send(service, body)
    received = receive(service)
    service.change_message_visibility(QUEUE, received[1].receipt_handle, 300)
    clock.advance(31)
    assert bodies(receive(service)) == ["m1"]


def test_extending_the_last_message_frees_the_earlier_ones(service: QueueService, clock: FakeClock) -> None:
    for body in ("m1", "m2", "m3"):
        send(service, body)
    received = receive(service)
    service.change_message_visibility(QUEUE, received[2].receipt_handle, 300)
    clock.advance(31)
    assert bodies(receive(service)) == ["m1", "m2"]


def test_releasing_the_head_makes_the_group_receivable_at_once(service: QueueService) -> None:
    for body in ("m1", "m2"):
        send(service, body)
    received = receive(service)
    service.change_message_visibility(QUEUE, received[0].receipt_handle, 0)
    # Only up to the next in-flight message: m2 is still held.
    assert bodies(receive(service)) == ["m1"]


def test_a_duplicate_send_returns_the_original_ids_and_enqueues_nothing(
    service: QueueService, clock: FakeClock
) -> None:
    first = send(service, "x", dedup="d1")
    duplicate = service.send_message(QUEUE, SendRequest(body="other body", group_id="g2", deduplication_id="d1"))
    assert (duplicate.message_id, duplicate.sequence_number) == (first.message_id, first.sequence_number)
    received = receive(service)
    assert bodies(received) == ["x"]
    service.delete_message(QUEUE, received[0].receipt_handle)
    clock.advance(299)
    assert send(service, "x", dedup="d1").message_id == first.message_id
    assert receive(service) == []
    clock.advance(1)
    assert send(service, "x", dedup="d1").message_id != first.message_id
    assert bodies(receive(service)) == ["x"]


def test_content_based_deduplication_hashes_the_body(service: QueueService) -> None:
    service.create_queue("cbd.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"}, {})
    first = service.send_message("cbd.fifo", SendRequest(body="same", group_id="g"))
    again = service.send_message("cbd.fifo", SendRequest(body="same", group_id="g"))
    assert again.message_id == first.message_id
    explicit = service.send_message("cbd.fifo", SendRequest(body="same", group_id="g", deduplication_id="own"))
    assert explicit.message_id != first.message_id
    message = service.receive_message("cbd.fifo", ReceiveRequest(system_attribute_names=["MessageDeduplicationId"]))[0]
    assert message.attributes["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()


def test_message_group_scope_deduplicates_per_group(service: QueueService) -> None:
    service.create_queue(
        "scoped.fifo",
        {"FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"},
        {},
    )
    a = send(service, "x", "a", dedup="d", queue="scoped.fifo")
    b = send(service, "x", "b", dedup="d", queue="scoped.fifo")
    assert a.message_id != b.message_id
    assert send(service, "x", "a", dedup="d", queue="scoped.fifo").message_id == a.message_id


def test_purge_clears_the_deduplication_history(service: QueueService) -> None:
    first = send(service, "x", dedup="d1")
    service.purge_queue(QUEUE)
    assert send(service, "x", dedup="d1").message_id != first.message_id


@pytest.mark.parametrize(
    ("request_", "error", "text"),
    [
        (SendRequest(body="x", deduplication_id="d"), errors.MissingParameter, "MessageGroupId"),
        (SendRequest(body="x", group_id="g"), errors.InvalidParameterValue, "ContentBasedDeduplication"),
        (
            SendRequest(body="x", group_id="g", deduplication_id="d", delay_seconds=2),
            errors.InvalidParameterValue,
            "DelaySeconds",
        ),
        (SendRequest(body="x", group_id="g g", deduplication_id="d"), errors.InvalidParameterValue, "MessageGroupId"),
        (
            SendRequest(body="x", group_id="g", deduplication_id="d" * 129),
            errors.InvalidParameterValue,
            "MessageDeduplicationId",
        ),
    ],
)
def test_fifo_send_errors(service: QueueService, request_: SendRequest, error: type, text: str) -> None:
    with pytest.raises(error, match=text):
        service.send_message(QUEUE, request_)


def test_delay_zero_is_accepted_on_a_fifo_queue(service: QueueService) -> None:
    service.send_message(QUEUE, SendRequest(body="x", group_id="g", deduplication_id="d", delay_seconds=0))
    assert bodies(receive(service)) == ["x"]


def test_a_queue_delay_holds_every_message(service: QueueService, clock: FakeClock) -> None:
    service.set_queue_attributes(QUEUE, {"DelaySeconds": "5"})
    send(service, "late")
    assert receive(service) == []
    clock.advance(5)
    assert bodies(receive(service)) == ["late"]


def test_batch_send_keeps_order_and_fails_whole_for_a_missing_group(service: QueueService) -> None:
    entries = [
        SendBatchEntry(str(i), SendRequest(body=f"m{i}", group_id="g", deduplication_id=str(i))) for i in range(3)
    ]
    result = service.send_message_batch(QUEUE, entries)
    numbers = [int(sent.sequence_number) for _, sent in result.successful]
    assert numbers == sorted(numbers)
    assert bodies(receive(service)) == ["m0", "m1", "m2"]
    with pytest.raises(errors.InvalidParameterValue, match="MessageGroupId"):
        service.send_message_batch(QUEUE, [*entries, SendBatchEntry("x", SendRequest(body="x", deduplication_id="x"))])
    with pytest.raises(errors.InvalidParameterValue, match="ContentBasedDeduplication"):
        service.send_message_batch(QUEUE, [SendBatchEntry("x", SendRequest(body="x", group_id="g"))])


def test_an_expired_fifo_handle_can_no_longer_delete_or_change_visibility(
    service: QueueService, clock: FakeClock
) -> None:
    send(service, "x")
    handle = receive(service)[0].receipt_handle
    clock.advance(31)
    with pytest.raises(errors.InvalidParameterValue, match="The receipt handle has expired"):
        service.delete_message(QUEUE, handle)
    with pytest.raises(errors.InvalidParameterValue, match="The receipt handle has expired"):
        service.change_message_visibility(QUEUE, handle, 10)
    batch = service.delete_message_batch(QUEUE, [ReceiptBatchEntry("a", handle)])
    assert [(failure.id, failure.code) for failure in batch.failed] == [("a", "InvalidParameterValue")]


def test_a_fifo_handle_still_deletes_within_an_extended_lease(service: QueueService, clock: FakeClock) -> None:
    send(service, "x")
    handle = receive(service)[0].receipt_handle
    service.change_message_visibility(QUEUE, handle, 100)
    clock.advance(60)
    service.delete_message(QUEUE, handle)
    clock.advance(100)
    assert receive(service) == []


def test_a_retried_receive_attempt_returns_the_same_messages_and_handles(
    service: QueueService, clock: FakeClock
) -> None:
    send(service, "m1")
    send(service, "m2")
    first = receive(service, count=1, receive_request_attempt_id="attempt-1")
    clock.advance(20)
    retry = receive(service, count=1, receive_request_attempt_id="attempt-1")
    assert [(m.message_id, m.receipt_handle) for m in retry] == [(m.message_id, m.receipt_handle) for m in first]
    # The retry reset the visibility timeout: 20 s later the lease still runs.
    clock.advance(20)
    service.delete_message(QUEUE, retry[0].receipt_handle)
    assert bodies(receive(service, receive_request_attempt_id="attempt-2")) == ["m2"]


def test_counts_include_messages_blocked_behind_in_flight_ones(service: QueueService) -> None:
    for group in ("a", "b", "c"):
        send(service, f"{group}1", group)
        send(service, f"{group}2", group)
    receive(service, count=1)
    receive(service, count=1)
    counts = service.get_queue_attributes(
        QUEUE, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )
    assert counts == {"ApproximateNumberOfMessages": "4", "ApproximateNumberOfMessagesNotVisible": "2"}


def test_fifo_attributes_are_rejected_on_standard_queues_and_vice_versa(service: QueueService) -> None:
    with pytest.raises(errors.InvalidAttributeName):
        service.create_queue("plain", {"ContentBasedDeduplication": "true"}, {})
    with pytest.raises(errors.InvalidAttributeValue):
        service.set_queue_attributes(QUEUE, {"FifoQueue": "false"})
