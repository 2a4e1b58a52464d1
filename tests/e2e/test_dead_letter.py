"""Dead-letter queues as boto3 sees them from a running `dynaqueue serve`, on both stores."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.e2e.conftest import unique_queue_name

ATTRIBUTES = {"colour": {"DataType": "String", "StringValue": "blue"}}


def queue_with_dead_letter_queue(sqs: Any, *, fifo: bool = False, max_receive_count: int = 2) -> tuple[str, str]:
    suffix = ".fifo" if fifo else ""
    fifo_attributes = {"FifoQueue": "true"} if fifo else {}
    dead_url = sqs.create_queue(QueueName=unique_queue_name("dlq") + suffix, Attributes=fifo_attributes)["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": max_receive_count})
    source_url = sqs.create_queue(
        QueueName=unique_queue_name("src") + suffix, Attributes={**fifo_attributes, "RedrivePolicy": policy}
    )["QueueUrl"]
    return source_url, dead_url


def receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    # A zero visibility timeout makes the message receivable again at once, so no test waits for it.
    return sqs.receive_message(
        QueueUrl=url,
        VisibilityTimeout=0,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])


def test_a_message_received_max_times_lands_in_the_dead_letter_queue_with_its_attributes(sqs: Any) -> None:
    source_url, dead_url = queue_with_dead_letter_queue(sqs, max_receive_count=2)
    sent = sqs.send_message(QueueUrl=source_url, MessageBody="poison", MessageAttributes=ATTRIBUTES)

    for _ in range(2):
        assert [message["Body"] for message in receive(sqs, source_url)] == ["poison"]
    assert receive(sqs, source_url) == []

    [moved] = receive(sqs, dead_url)
    source_arn = sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert moved["MessageId"] == sent["MessageId"]
    assert moved["Body"] == "poison"
    assert moved["MD5OfBody"] == hashlib.md5(b"poison").hexdigest()
    assert moved["MessageAttributes"] == ATTRIBUTES
    assert moved["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert moved["Attributes"]["ApproximateReceiveCount"] == "3"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == source_arn


def test_a_fifo_message_moves_and_the_rest_of_its_group_flows(sqs: Any) -> None:
    source_url, dead_url = queue_with_dead_letter_queue(sqs, fifo=True, max_receive_count=1)
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=source_url, MessageBody=body, MessageGroupId="g", MessageDeduplicationId=body)

    assert [message["Body"] for message in receive(sqs, source_url)] == ["first"]
    assert [message["Body"] for message in receive(sqs, source_url)] == ["second"]

    [moved] = receive(sqs, dead_url)
    assert moved["Body"] == "first"
    assert moved["Attributes"]["MessageGroupId"] == "g"
    assert moved["Attributes"]["MessageDeduplicationId"] == "first"
    assert moved["Attributes"]["ApproximateReceiveCount"] == "2"
