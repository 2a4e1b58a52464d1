"""The message-move-task actions over the AWS Query protocol: form-encoded requests, XML results and errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_dead_letter import queue_with_dead_letter_queue
from tests.e2e.test_move_tasks import MOVE_TASK_ACTIONS, arn_of, into_dead_letter_queue, wait_for_status
from tests.e2e.test_query_protocol import find, http

VERSION = "2012-11-05"


def query(server: ServerProcess, action: str, **parameters: str) -> tuple[int, bytes]:
    status, _, body = http(server, "POST", "/", form={"Action": action, "Version": VERSION, **parameters})
    return status, body


@pytest.mark.compatibility(client="raw HTTP", protocol="query", actions=MOVE_TASK_ACTIONS)
def test_start_list_and_cancel_over_query(server: ServerProcess, sqs: Any) -> None:
    source_url, dead_url = queue_with_dead_letter_queue(sqs, max_receive_count=1)
    into_dead_letter_queue(sqs, source_url, 5)
    dead_arn = arn_of(sqs, dead_url)

    status, started = query(server, "StartMessageMoveTask", SourceArn=dead_arn, MaxNumberOfMessagesPerSecond="1")
    assert status == 200
    handle = find(started, "StartMessageMoveTaskResult/TaskHandle")
    assert handle and json.loads(base64.b64decode(handle))["sourceArn"] == dead_arn

    status, listed = query(server, "ListMessageMoveTasks", SourceArn=dead_arn, MaxResults="10")
    assert status == 200
    assert find(listed, "ListMessageMoveTasksResult/ListMessageMoveTasksResultEntry/SourceArn") == dead_arn
    assert find(listed, "ListMessageMoveTasksResult/ListMessageMoveTasksResultEntry/Status") == "RUNNING"
    assert find(listed, "ListMessageMoveTasksResult/ListMessageMoveTasksResultEntry/TaskHandle") == handle
    assert (
        find(listed, "ListMessageMoveTasksResult/ListMessageMoveTasksResultEntry/MaxNumberOfMessagesPerSecond") == "1"
    )

    status, cancelled = query(server, "CancelMessageMoveTask", TaskHandle=handle)
    assert status == 200
    moved = int(find(cancelled, "CancelMessageMoveTaskResult/ApproximateNumberOfMessagesMoved") or "-1")
    assert 0 <= moved <= 5
    assert wait_for_status(sqs, dead_arn, {"CANCELLED"})["Status"] == "CANCELLED"


@pytest.mark.compatibility(client="raw HTTP", protocol="query", errors=MOVE_TASK_ACTIONS)
@pytest.mark.parametrize(
    ("action", "parameters", "status", "code", "message"),
    [
        (
            "StartMessageMoveTask",
            {"SourceArn": "arn:aws:sqs:us-east-1:000000000000:no-such-queue"},
            404,
            "ResourceNotFoundException",
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        ),
        (
            "CancelMessageMoveTask",
            {"TaskHandle": "nope"},
            400,
            "InvalidParameterValue",
            "Value for parameter TaskHandle is invalid.",
        ),
        ("ListMessageMoveTasks", {}, 400, "MissingParameter", None),
    ],
)
def test_move_task_errors_over_query(
    server: ServerProcess, action: str, parameters: dict[str, str], status: int, code: str, message: str | None
) -> None:
    got_status, body = query(server, action, **parameters)

    assert got_status == status
    assert find(body, "Error/Type") == "Sender"
    assert find(body, "Error/Code") == code
    if message is not None:
        assert find(body, "Error/Message") == message
