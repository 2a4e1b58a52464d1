"""Message-move tasks (DLQ redrive) from boto3 against `dynaqueue serve`, whose own housekeeping moves the messages."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.test_dead_letter import queue_with_dead_letter_queue, receive

# The server runs housekeeping every second by default; a task of a few messages ends within a few runs.
WAIT_ATTEMPTS = 60
WAIT_PAUSE_SECONDS = 0.25
MOVE_TASK_ACTIONS = ["StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask"]
JSON_CLIENT = "boto3 1.44.8"


def arn_of(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def into_dead_letter_queue(sqs: Any, source_url: str, count: int, *, fifo: bool = False) -> list[str]:
    """Send `count` messages, then receive until the receives after maxReceiveCount (1) have moved them all.

    A receive that moves messages may return nothing while others still wait, so the loop watches
    the dead-letter queue's depth, not the receive results.
    """
    ids = []
    for index in range(count):
        extra = {"MessageGroupId": "g", "MessageDeduplicationId": f"d{index}"} if fifo else {}
        ids.append(sqs.send_message(QueueUrl=source_url, MessageBody=f"m{index}", **extra)["MessageId"])
    dead_url = dead_letter_queue_url(sqs, source_url)
    for _ in range(count * 4):
        sqs.receive_message(QueueUrl=source_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        depth = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["ApproximateNumberOfMessages"])
        if int(depth["Attributes"]["ApproximateNumberOfMessages"]) == count:
            return ids
    raise AssertionError(f"not all {count} messages reached the dead-letter queue")


def dead_letter_queue_url(sqs: Any, source_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    dead_arn = json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
    return sqs.get_queue_url(QueueName=dead_arn.rsplit(":", 1)[1])["QueueUrl"]


def latest_task(sqs: Any, dead_arn: str) -> dict[str, Any]:
    return sqs.list_message_move_tasks(SourceArn=dead_arn)["Results"][0]


def wait_for_status(sqs: Any, dead_arn: str, statuses: set[str]) -> dict[str, Any]:
    for _ in range(WAIT_ATTEMPTS):
        task = latest_task(sqs, dead_arn)
        if task["Status"] in statuses:
            return task
        time.sleep(WAIT_PAUSE_SECONDS)
    raise AssertionError(f"the task stayed {task['Status']}")


def receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    for _ in range(10):
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return received
        received += batch
    return received


@pytest.mark.compatibility(client=JSON_CLIENT, protocol="json", actions=MOVE_TASK_ACTIONS)
def test_redrive_moves_dead_letters_back_to_their_source(sqs: Any) -> None:
    source_url, dead_url = queue_with_dead_letter_queue(sqs, max_receive_count=1)
    ids = into_dead_letter_queue(sqs, source_url, 3)
    dead_arn = arn_of(sqs, dead_url)

    handle = sqs.start_message_move_task(SourceArn=dead_arn)["TaskHandle"]
    task = wait_for_status(sqs, dead_arn, {"COMPLETED"})

    assert handle
    assert task["SourceArn"] == dead_arn
    assert (task["ApproximateNumberOfMessagesMoved"], task["ApproximateNumberOfMessagesToMove"]) == (3, 3)
    assert "TaskHandle" not in task and "DestinationArn" not in task
    assert isinstance(task["StartedTimestamp"], int)
    back = receive_all(sqs, source_url)
    assert sorted(message["MessageId"] for message in back) == sorted(ids)
    assert all(message["Attributes"]["ApproximateReceiveCount"] == "1" for message in back)
    assert all("DeadLetterQueueSourceArn" not in message["Attributes"] for message in back)
    assert receive(sqs, dead_url) == []


@pytest.mark.compatibility(client=JSON_CLIENT, protocol="json", actions=MOVE_TASK_ACTIONS)
def test_fifo_redrive_keeps_the_group_order(sqs: Any) -> None:
    source_url, dead_url = queue_with_dead_letter_queue(sqs, fifo=True, max_receive_count=1)
    into_dead_letter_queue(sqs, source_url, 4, fifo=True)
    dead_arn = arn_of(sqs, dead_url)
    assert sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"
    ] == {"ApproximateNumberOfMessages": "4"}

    sqs.start_message_move_task(SourceArn=dead_arn, DestinationArn=arn_of(sqs, source_url))
    task = wait_for_status(sqs, dead_arn, {"COMPLETED"})

    assert task["DestinationArn"] == arn_of(sqs, source_url)
    bodies = []
    for _ in range(8):
        batch = sqs.receive_message(QueueUrl=source_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            break
        for message in batch:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=source_url, ReceiptHandle=message["ReceiptHandle"])
    assert bodies == ["m0", "m1", "m2", "m3"]


@pytest.mark.compatibility(client=JSON_CLIENT, protocol="json", actions=MOVE_TASK_ACTIONS)
def test_cancel_stops_a_running_task(sqs: Any) -> None:
    source_url, dead_url = queue_with_dead_letter_queue(sqs, max_receive_count=1)
    into_dead_letter_queue(sqs, source_url, 30)
    dead_arn = arn_of(sqs, dead_url)

    handle = sqs.start_message_move_task(SourceArn=dead_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    running = latest_task(sqs, dead_arn)
    moved_at_cancel = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    cancelled = wait_for_status(sqs, dead_arn, {"CANCELLED"})

    assert (running["Status"], running["TaskHandle"], running["MaxNumberOfMessagesPerSecond"]) == ("RUNNING", handle, 1)
    assert moved_at_cancel < 30
    assert cancelled["ApproximateNumberOfMessagesMoved"] < 30
    remaining = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert (
        int(remaining["Attributes"]["ApproximateNumberOfMessages"])
        == 30 - cancelled["ApproximateNumberOfMessagesMoved"]
    )
    with pytest.raises(ClientError) as error:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"


def error_of(call: Any, **parameters: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as raised:
        call(**parameters)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


@pytest.mark.compatibility(client=JSON_CLIENT, protocol="json", errors=MOVE_TASK_ACTIONS)
def test_validation_errors(sqs: Any) -> None:
    source_url, dead_url = queue_with_dead_letter_queue(sqs, max_receive_count=1)
    # Enough dead letters that a task at one message per second is still running for the duplicate start.
    into_dead_letter_queue(sqs, source_url, 10)
    source_arn, dead_arn = arn_of(sqs, source_url), arn_of(sqs, dead_url)
    missing_arn = dead_arn + "-missing"

    assert error_of(sqs.start_message_move_task, SourceArn=source_arn) == (
        "InvalidParameterValue",
        400,
        "Source queue must be configured as a Dead Letter Queue.",
    )
    assert error_of(sqs.start_message_move_task, SourceArn=missing_arn) == (
        "ResourceNotFoundException",
        404,
        "The resource that you specified for the SourceArn parameter doesn't exist.",
    )
    assert error_of(sqs.start_message_move_task, SourceArn=dead_arn, DestinationArn=missing_arn)[:2] == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(sqs.start_message_move_task, SourceArn=dead_arn, MaxNumberOfMessagesPerSecond=501)[0] == (
        "InvalidParameterValue"
    )
    sqs.start_message_move_task(SourceArn=dead_arn, MaxNumberOfMessagesPerSecond=1)
    assert error_of(sqs.start_message_move_task, SourceArn=dead_arn)[2] == (
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
    )
    assert error_of(sqs.cancel_message_move_task, TaskHandle="not-a-handle") == (
        "InvalidParameterValue",
        400,
        "Value for parameter TaskHandle is invalid.",
    )
    assert error_of(sqs.list_message_move_tasks, SourceArn=missing_arn)[:2] == ("ResourceNotFoundException", 404)
    assert error_of(sqs.list_message_move_tasks, SourceArn=dead_arn, MaxResults=11)[0] == "InvalidParameterValue"
