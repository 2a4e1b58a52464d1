"""The message-move-task actions on both wire protocols: members read, results written, absent fields left out."""

from __future__ import annotations

from dynaqueue.domain.move_tasks import MoveTaskView
from tests.unit.fake_queue_service import FakeQueueService
from tests.unit.test_json_protocol import call, document
from tests.unit.test_query_protocol import post, root, text

DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:dlq"
RUNNING = MoveTaskView(
    status="RUNNING",
    source_arn=DLQ_ARN,
    messages_moved=2,
    messages_to_move=5,
    started_at_ms=1_767_225_600_000,
    destination_arn=None,
    max_per_second=3,
    task_handle="handle-1",
    failure_reason=None,
)
FAILED = MoveTaskView(
    status="FAILED",
    source_arn=DLQ_ARN,
    messages_moved=0,
    messages_to_move=1,
    started_at_ms=1_767_225_500_000,
    destination_arn="arn:aws:sqs:us-east-1:123456789012:gone",
    max_per_second=None,
    task_handle=None,
    failure_reason="AWS.SimpleQueueService.NonExistentQueue",
)


def test_json_start_passes_every_member_and_answers_the_handle():
    service = FakeQueueService()

    outcome = call(
        service,
        "StartMessageMoveTask",
        {
            "SourceArn": DLQ_ARN,
            "DestinationArn": "arn:aws:sqs:us-east-1:123456789012:q",
            "MaxNumberOfMessagesPerSecond": 7,
        },
    )

    assert document(outcome) == {"TaskHandle": "handle-1"}
    assert service.calls == [("start_message_move_task", (DLQ_ARN, "arn:aws:sqs:us-east-1:123456789012:q", 7))]


def test_json_list_writes_only_the_fields_a_task_has():
    service = FakeQueueService(list_message_move_tasks=[RUNNING, FAILED])

    outcome = call(service, "ListMessageMoveTasks", {"SourceArn": DLQ_ARN, "MaxResults": 2})

    assert document(outcome) == {
        "Results": [
            {
                "TaskHandle": "handle-1",
                "Status": "RUNNING",
                "SourceArn": DLQ_ARN,
                "MaxNumberOfMessagesPerSecond": 3,
                "ApproximateNumberOfMessagesMoved": 2,
                "ApproximateNumberOfMessagesToMove": 5,
                "StartedTimestamp": 1_767_225_600_000,
            },
            {
                "Status": "FAILED",
                "SourceArn": DLQ_ARN,
                "DestinationArn": "arn:aws:sqs:us-east-1:123456789012:gone",
                "ApproximateNumberOfMessagesMoved": 0,
                "ApproximateNumberOfMessagesToMove": 1,
                "FailureReason": "AWS.SimpleQueueService.NonExistentQueue",
                "StartedTimestamp": 1_767_225_500_000,
            },
        ]
    }


def test_json_cancel_answers_the_count_moved():
    outcome = call(FakeQueueService(cancel_message_move_task=4), "CancelMessageMoveTask", {"TaskHandle": "h"})

    assert document(outcome) == {"ApproximateNumberOfMessagesMoved": 4}


def test_query_list_writes_one_entry_element_per_task():
    service = FakeQueueService(list_message_move_tasks=[RUNNING, FAILED])

    outcome = post(service, {"Action": "ListMessageMoveTasks", "Version": "2012-11-05", "SourceArn": DLQ_ARN})

    assert outcome.response.status == 200
    result = root(outcome)
    entries = result.findall(".//{http://queue.amazonaws.com/doc/2012-11-05/}ListMessageMoveTasksResultEntry")
    assert len(entries) == 2
    assert text(result, "ListMessageMoveTasksResult/ListMessageMoveTasksResultEntry/TaskHandle") == "handle-1"
    assert [text(entry, "Status") for entry in entries] == ["RUNNING", "FAILED"]
    assert service.calls == [("list_message_move_tasks", (DLQ_ARN, None))]


def test_query_start_reads_the_rate_as_an_integer():
    service = FakeQueueService()

    outcome = post(
        service,
        {
            "Action": "StartMessageMoveTask",
            "Version": "2012-11-05",
            "SourceArn": DLQ_ARN,
            "MaxNumberOfMessagesPerSecond": "9",
        },
    )

    assert text(root(outcome), "StartMessageMoveTaskResult/TaskHandle") == "handle-1"
    assert service.calls == [("start_message_move_task", (DLQ_ARN, None, 9))]
