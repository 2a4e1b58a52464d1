"""Dead-letter queues through the service: moves on receive, what the moved message looks like, who may redrive."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from dynaqueue.domain import errors
from dynaqueue.domain.model import MessageAttributeValue, ReceivedMessage, ReceiveRequest, SendRequest
from dynaqueue.domain.service import QueueService
from tests.fakes import FakeClock
from tests.integration.conftest import ACCOUNT

ATTRIBUTES = {"colour": MessageAttributeValue("String", string_value="blue")}


def arn(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


def redrive_policy(dead_letter_queue: str, max_receive_count: int = 1) -> str:
    return json.dumps(
        {"deadLetterTargetArn": arn(dead_letter_queue), "maxReceiveCount": max_receive_count}, separators=(",", ":")
    )


def receive(service: QueueService, queue: str, **overrides: object) -> list[ReceivedMessage]:
    """Receive with a one-second visibility timeout, asking for every attribute unless told otherwise."""
    request = ReceiveRequest(visibility_timeout=1, system_attribute_names=["All"], message_attribute_names=["All"])
    return service.receive_message(queue, replace(request, **overrides))  # type: ignore[arg-type]


def test_a_message_received_max_times_is_moved_on_the_next_receive(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders-dlq", {}, {})
    service.create_queue("orders", {"RedrivePolicy": redrive_policy("orders-dlq", 2)}, {})
    trace = {"AWSTraceHeader": MessageAttributeValue("String", string_value="Root=1-5759e988-bd862e3fe1be46a994272793")}
    sent = service.send_message("orders", SendRequest("poison", attributes=ATTRIBUTES, system_attributes=trace))

    for _ in range(2):
        assert [message.body for message in receive(service, "orders")] == ["poison"]
        clock.advance(2)
    assert receive(service, "orders") == []

    [moved] = receive(service, "orders-dlq")
    assert moved.message_id == sent.message_id
    assert moved.body == "poison"
    assert moved.md5_of_body == sent.md5_of_message_body
    assert moved.message_attributes == ATTRIBUTES
    assert moved.md5_of_message_attributes == sent.md5_of_message_attributes
    assert moved.attributes["ApproximateReceiveCount"] == "3"
    assert moved.attributes["DeadLetterQueueSourceArn"] == arn("orders")
    assert moved.attributes["AWSTraceHeader"] == trace["AWSTraceHeader"].string_value
    assert moved.attributes["SentTimestamp"] == str(clock.now_ms() - 4000)


def test_the_source_arn_is_returned_only_when_asked_for(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders-dlq", {}, {})
    service.create_queue("orders", {"RedrivePolicy": redrive_policy("orders-dlq")}, {})
    service.send_message("orders", SendRequest("poison"))
    receive(service, "orders")
    clock.advance(2)
    receive(service, "orders")

    [moved] = receive(service, "orders-dlq", system_attribute_names=["DeadLetterQueueSourceArn"])
    assert moved.attributes == {"DeadLetterQueueSourceArn": arn("orders")}


def test_a_fifo_move_unblocks_the_group_and_keeps_group_and_deduplication_ids(
    service: QueueService, clock: FakeClock
) -> None:
    service.create_queue("orders-dlq.fifo", {"FifoQueue": "true"}, {})
    service.create_queue("orders.fifo", {"FifoQueue": "true", "RedrivePolicy": redrive_policy("orders-dlq.fifo")}, {})
    for body in ("first", "second"):
        service.send_message("orders.fifo", SendRequest(body, group_id="g", deduplication_id=body))

    assert [message.body for message in receive(service, "orders.fifo")] == ["first"]
    clock.advance(2)
    assert [message.body for message in receive(service, "orders.fifo")] == ["second"]

    [moved] = receive(service, "orders-dlq.fifo")
    assert moved.body == "first"
    assert moved.attributes["MessageGroupId"] == "g"
    assert moved.attributes["MessageDeduplicationId"] == "first"
    assert moved.attributes["ApproximateReceiveCount"] == "2"
    assert moved.attributes["DeadLetterQueueSourceArn"] == arn("orders.fifo")


def test_a_message_stays_in_the_source_when_the_dead_letter_queue_is_gone(
    service: QueueService, clock: FakeClock
) -> None:
    service.create_queue("orders-dlq", {}, {})
    service.create_queue("orders", {"RedrivePolicy": redrive_policy("orders-dlq")}, {})
    service.send_message("orders", SendRequest("kept"))
    receive(service, "orders")
    service.delete_queue("orders-dlq")
    clock.advance(2)

    [again] = receive(service, "orders")
    assert again.body == "kept"
    assert again.attributes["ApproximateReceiveCount"] == "2"


def test_a_long_poll_on_the_dead_letter_queue_is_answered_by_a_move(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders-dlq", {}, {})
    service.create_queue("orders", {"RedrivePolicy": redrive_policy("orders-dlq")}, {})
    service.send_message("orders", SendRequest("poison"))
    receive(service, "orders")
    clock.advance(2)
    receive(service, "orders")

    assert [message.body for message in receive(service, "orders-dlq", wait_time_seconds=1)] == ["poison"]


# --- RedriveAllowPolicy -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allow_policy", "allowed"),
    [
        ({"redrivePermission": "allowAll"}, True),
        ({"redrivePermission": "denyAll"}, False),
        ({"redrivePermission": "byQueue", "sourceQueueArns": [arn("orders")]}, True),
        ({"redrivePermission": "byQueue", "sourceQueueArns": [arn("others")]}, False),
    ],
)
def test_the_dead_letter_queue_decides_which_sources_may_use_it(
    service: QueueService, allow_policy: dict[str, object], allowed: bool
) -> None:
    service.create_queue("orders-dlq", {"RedriveAllowPolicy": json.dumps(allow_policy)}, {})
    service.create_queue("orders", {}, {})
    policy = redrive_policy("orders-dlq")

    if allowed:
        service.set_queue_attributes("orders", {"RedrivePolicy": policy})
        return
    with pytest.raises(errors.InvalidParameterValue) as raised:
        service.set_queue_attributes("orders", {"RedrivePolicy": policy})
    assert raised.value.message == (
        f"Value {policy} for parameter RedrivePolicy is invalid. "
        f"Reason: Queue {arn('orders')} is not allowed to use {arn('orders-dlq')} as a dead-letter queue."
    )


def test_create_queue_enforces_the_redrive_allow_policy_too(service: QueueService) -> None:
    service.create_queue("orders-dlq", {"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})}, {})

    with pytest.raises(errors.InvalidParameterValue):
        service.create_queue("orders", {"RedrivePolicy": redrive_policy("orders-dlq")}, {})
    assert service.list_queues("orders", None, None)[0] == ["orders-dlq"]
