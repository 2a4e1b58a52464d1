"""FIFO queues as boto3 sees them from a running `dynaqueue serve`, on both stores."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import ServerProcess, unique_queue_name

PRODUCERS = 3
CONSUMERS = 4
GROUPS = 6
MESSAGES_PER_PRODUCER_AND_GROUP = 4
CONSUMER_ROUNDS = 400


def fifo_queue(sqs: Any, **attributes: str) -> str:
    return sqs.create_queue(QueueName=unique_queue_name("f") + ".fifo", Attributes={"FifoQueue": "true", **attributes})[
        "QueueUrl"
    ]


def test_send_and_receive_keep_group_order_and_report_sequence_numbers(sqs: Any) -> None:
    url = fifo_queue(sqs)
    sent = [
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}")
        for i in range(3)
    ]
    numbers = [int(result["SequenceNumber"]) for result in sent]
    assert numbers == sorted(numbers)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])[
        "Messages"
    ]
    assert [m["Body"] for m in received] == ["m0", "m1", "m2"]
    assert [m["Attributes"]["SequenceNumber"] for m in received] == [r["SequenceNumber"] for r in sent]
    assert received[0]["Attributes"]["MessageGroupId"] == "g"
    assert received[0]["Attributes"]["MessageDeduplicationId"] == "d0"


def test_a_group_waits_for_its_in_flight_head(sqs: Any) -> None:
    url = fifo_queue(sqs)
    for body in ("a1", "a2"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="a", MessageDeduplicationId=body)
    head = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert head["Body"] == "a1"
    sqs.send_message(QueueUrl=url, MessageBody="b1", MessageGroupId="b", MessageDeduplicationId="b1")
    # a2 waits behind the in-flight a1; group b is free.
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["b1"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=head["ReceiptHandle"])
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["a2"]


def test_a_duplicate_send_answers_with_the_original_message(sqs: Any) -> None:
    url = fifo_queue(sqs, ContentBasedDeduplication="true")
    first = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    again = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    assert (again["MessageId"], again["SequenceNumber"]) == (first["MessageId"], first["SequenceNumber"])
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 1


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"MessageDeduplicationId": "d"}, "MissingParameter"),
        ({"MessageGroupId": "g"}, "InvalidParameterValue"),
        ({"MessageGroupId": "g", "MessageDeduplicationId": "d", "DelaySeconds": 5}, "InvalidParameterValue"),
    ],
)
def test_fifo_send_errors(sqs: Any, kwargs: dict[str, Any], code: str) -> None:
    url = fifo_queue(sqs)
    with pytest.raises(ClientError) as raised:
        sqs.send_message(QueueUrl=url, MessageBody="x", **kwargs)
    assert raised.value.response["Error"]["Code"] == code


def test_an_expired_fifo_receipt_cannot_delete(sqs: Any) -> None:
    url = fifo_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="x")
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["ReceiptHandle"]
    with pytest.raises(ClientError) as raised:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "The receipt handle has expired" in raised.value.response["Error"]["Message"]


def test_a_retried_receive_attempt_gets_the_same_handles(sqs: Any) -> None:
    url = fifo_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="x")
    first = sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="try-1")["Messages"]
    retry = sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="try-1")["Messages"]
    assert [m["ReceiptHandle"] for m in retry] == [m["ReceiptHandle"] for m in first]


def test_producers_and_consumers_over_many_groups_keep_every_group_in_order(server: ServerProcess) -> None:
    # Given: producers sending into many groups concurrently, each message sent twice (a retry
    # with the same deduplication id), and consumers receiving and deleting concurrently.
    client = server.client(max_pool_connections=PRODUCERS + CONSUMERS + 4)
    url = fifo_queue(client)
    sent_order: dict[str, list[str]] = defaultdict(list)
    processed: dict[str, list[str]] = defaultdict(list)
    lock = threading.Lock()
    producing = threading.Event()
    errors: list[BaseException] = []

    def produce(producer: int) -> None:
        try:
            for index in range(MESSAGES_PER_PRODUCER_AND_GROUP):
                for group in range(GROUPS):
                    body = f"p{producer}-g{group}-{index}"
                    # Holding the lock across the send makes the recorded order the send order.
                    with lock:
                        for _ in range(2):
                            client.send_message(
                                QueueUrl=url, MessageBody=body, MessageGroupId=f"g{group}", MessageDeduplicationId=body
                            )
                        sent_order[f"g{group}"].append(body)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    def consume() -> None:
        try:
            for _ in range(CONSUMER_ROUNDS):
                messages = client.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=3,
                    VisibilityTimeout=60,
                    WaitTimeSeconds=1,
                    MessageSystemAttributeNames=["MessageGroupId"],
                ).get("Messages", [])
                if not messages and not producing.is_set():
                    return
                with lock:
                    for message in messages:
                        processed[message["Attributes"]["MessageGroupId"]].append(message["Body"])
                for message in messages:
                    client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    # When
    producing.set()
    producers = [threading.Thread(target=produce, args=(p,), daemon=True) for p in range(PRODUCERS)]
    consumers = [threading.Thread(target=consume, daemon=True) for _ in range(CONSUMERS)]
    for thread in producers + consumers:
        thread.start()
    for thread in producers:
        thread.join(timeout=180)
    producing.clear()
    for thread in consumers:
        thread.join(timeout=180)

    # Then: nothing lost, nothing enqueued twice, every group processed in send order
    assert not errors, errors
    assert not any(thread.is_alive() for thread in producers + consumers)
    assert dict(processed) == dict(sent_order)
