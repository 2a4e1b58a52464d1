"""AWS JSON 1.0 requests an SDK would refuse to send, over raw HTTP against `dynaqueue serve`.

boto3 checks required members and member types before sending, so these errors are only reachable by hand;
what boto3 sees of every action is in `test_action_errors.py`.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import ServerProcess, unique_queue_name

HTTP_TIMEOUT_SECONDS = 30
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
# Stands for the URL of a live queue in the request bodies below.
LIVE_QUEUE = "<live queue>"
ON_QUEUE = {"QueueUrl": LIVE_QUEUE}
# The generic errors SQS shares with every AWS JSON service come from the Coral namespace (spec §1.3.3).
MISSING_PARAMETER = ("com.amazon.coral.service#MissingRequiredParameterException", "MissingParameter")
INVALID_PARAMETER = ("com.amazon.coral.service#InvalidParameterValueException", "InvalidParameterValue")


def post(server: ServerProcess, target: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """One JSON 1.0 request on a connection of its own, closed after."""
    connection = http.client.HTTPConnection(urlsplit(server.endpoint_url).netloc, timeout=HTTP_TIMEOUT_SECONDS)
    headers = {"X-Amz-Target": target, "Content-Type": JSON_CONTENT_TYPE}
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.headers), response.read()
    finally:
        connection.close()


@pytest.fixture
def live_queue(sqs: Any) -> str:
    return sqs.create_queue(QueueName=unique_queue_name("raw-json"))["QueueUrl"]


def json_error_case(action: str, members: dict[str, Any], error: tuple[str, str], message: str) -> Any:
    """One request boto3 would refuse to send, tagged as an error case of its action."""
    return pytest.param(
        action,
        members,
        error,
        message,
        id=action,
        marks=pytest.mark.compatibility(client="raw HTTP", protocol="json", errors=[action]),
    )


def missing(action: str, members: dict[str, Any], member: str) -> Any:
    return json_error_case(action, members, MISSING_PARAMETER, f"The request must contain the parameter {member}.")


def mistyped(action: str, members: dict[str, Any], member: str, value: Any, reason: str) -> Any:
    return json_error_case(
        action,
        {**members, member: value},
        INVALID_PARAMETER,
        f"Value for parameter {member} is invalid. Reason: {reason}",
    )


@pytest.mark.parametrize(
    ("action", "members", "error", "message"),
    [
        missing("AddPermission", {**ON_QUEUE, "Label": "l", "AWSAccountIds": ["111111111111"]}, "Actions"),
        missing("ChangeMessageVisibility", {**ON_QUEUE, "ReceiptHandle": "h"}, "VisibilityTimeout"),
        missing(
            "ChangeMessageVisibilityBatch",
            {**ON_QUEUE, "Entries": [{"Id": "a", "VisibilityTimeout": 1}]},
            "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle",
        ),
        missing("CreateQueue", {}, "QueueName"),
        missing("DeleteMessage", ON_QUEUE, "ReceiptHandle"),
        missing(
            "DeleteMessageBatch",
            {**ON_QUEUE, "Entries": [{"Id": "a"}]},
            "DeleteMessageBatchRequestEntry.1.ReceiptHandle",
        ),
        missing("DeleteQueue", {}, "QueueUrl"),
        mistyped("GetQueueAttributes", ON_QUEUE, "AttributeNames", "All", "Must be a list."),
        missing("GetQueueUrl", {}, "QueueName"),
        missing("ListDeadLetterSourceQueues", {}, "QueueUrl"),
        missing("ListQueueTags", {}, "QueueUrl"),
        mistyped("ListQueues", {}, "MaxResults", "ten", "Must be an integer."),
        missing("PurgeQueue", {}, "QueueUrl"),
        mistyped("ReceiveMessage", ON_QUEUE, "MaxNumberOfMessages", "ten", "Must be an integer."),
        missing("RemovePermission", ON_QUEUE, "Label"),
        mistyped("SendMessage", ON_QUEUE, "MessageBody", 5, "Must be a string."),
        missing(
            "SendMessageBatch", {**ON_QUEUE, "Entries": [{"Id": "a"}]}, "SendMessageBatchRequestEntry.1.MessageBody"
        ),
        missing("SetQueueAttributes", ON_QUEUE, "Attributes"),
        mistyped("TagQueue", ON_QUEUE, "Tags", ["team"], "Must be a map."),
        missing("UntagQueue", ON_QUEUE, "TagKeys"),
    ],
)
def test_a_malformed_request_of_every_action_is_refused_in_the_json_error_envelope(
    server: ServerProcess,
    live_queue: str,
    action: str,
    members: dict[str, Any],
    error: tuple[str, str],
    message: str,
) -> None:
    body = {name: live_queue if value == LIVE_QUEUE else value for name, value in members.items()}

    status, headers, answer = post(server, f"AmazonSQS.{action}", json.dumps(body).encode())

    type_name, query_code = error
    assert status == 400
    assert headers["Content-Type"] == JSON_CONTENT_TYPE
    assert json.loads(answer) == {"__type": type_name, "message": message}
    # The query-compatibility header is what SDKs take Error.Code and Error.Type from.
    assert headers["x-amzn-query-error"] == f"{query_code};Sender"
    assert headers["x-amzn-RequestId"]


@pytest.mark.parametrize(
    ("target", "body", "error", "message"),
    [
        (
            "AmazonSQS.FooBar",
            b"{}",
            ("com.amazon.coral.service#UnknownOperationException", "InvalidAction"),
            "The action FooBar is not valid for this endpoint.",
        ),
        ("AmazonSQS.ListQueues", b"not json", INVALID_PARAMETER, "The request body is not valid JSON."),
        ("AmazonSQS.ListQueues", b"[]", INVALID_PARAMETER, "The request body must be a JSON object."),
    ],
)
def test_a_request_no_action_can_read_is_refused_in_the_json_error_envelope(
    server: ServerProcess, target: str, body: bytes, error: tuple[str, str], message: str
) -> None:
    status, headers, answer = post(server, target, body)

    type_name, query_code = error
    assert (status, json.loads(answer)) == (400, {"__type": type_name, "message": message})
    assert headers["x-amzn-query-error"] == f"{query_code};Sender"
