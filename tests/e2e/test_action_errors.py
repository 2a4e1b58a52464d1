"""Every served action succeeds and fails as SQS does, seen through boto3 on both wire protocols.

One scenario (`query_client_scenario.py`) runs in an old boto3 that speaks AWS Query and in the current boto3
that speaks AWS JSON 1.0, each in an interpreter of its own, against `dynaqueue serve`. Expected errors follow
the master error table and the per-action reference of the SQS specification (codes, HTTP status, messages).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.client_environments import python_environment
from tests.e2e.conftest import ServerProcess, unique_queue_name

REPO_ROOT = Path(__file__).resolve().parents[2]
# Made once and reused across runs; gitignored.
QUERY_CLIENT_VENV = REPO_ROOT / ".venv-query-client"
# botocore spoke Query to SQS up to 1.34.89 (JSON from 1.34.90); dependencies pinned so the client never drifts.
QUERY_CLIENT_REQUIREMENTS = (
    "boto3==1.34.50",
    "botocore==1.34.50",
    "jmespath==1.1.0",
    "python-dateutil==2.9.0.post0",
    "s3transfer==0.10.4",
    "six==1.17.0",
    "urllib3==2.0.7",
)
SCENARIO = Path(__file__).with_name("query_client_scenario.py")
SCENARIO_TIMEOUT_SECONDS = 120

# The 20 actions served today; the message-move tasks are not among them yet.
SERVED_ACTIONS = [
    "CreateQueue",
    "GetQueueUrl",
    "ListQueues",
    "DeleteQueue",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "PurgeQueue",
    "TagQueue",
    "UntagQueue",
    "ListQueueTags",
    "AddPermission",
    "RemovePermission",
    "ListDeadLetterSourceQueues",
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
]
CLIENTS = {"query": "boto3 1.34.50", "json": "boto3 1.44.8"}

# The one message SQS words differently per protocol.
NO_QUEUE = {
    "json": "The specified queue does not exist.",
    "query": "The specified queue does not exist for this wsdl version.",
}
ALLOWED_CHARACTERS = "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]"


@pytest.fixture(scope="session")
def query_client_python() -> Path:
    """The interpreter of a virtual environment holding the Query-era boto3."""
    return python_environment(QUERY_CLIENT_VENV, QUERY_CLIENT_REQUIREMENTS)


def run_scenario(python: Path, server: ServerProcess, name: str) -> dict[str, Any]:
    completed = subprocess.run(
        [str(python), str(SCENARIO), server.endpoint_url, name],
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT_SECONDS,
        # Nothing that would point the interpreter at the project's own packages.
        env={name: value for name, value in os.environ.items() if not name.startswith("PYTHON")},
    )
    assert completed.returncode == 0, f"{completed.stderr}\n--- server log ---\n{server.output()}"
    return json.loads(completed.stdout)


def sender_error(exception: str, code: str, message: str, status: int = 400) -> dict[str, Any]:
    return {"exception": exception, "code": code, "type": "Sender", "message": message, "status": status}


def expected_errors(protocol: str, name: str) -> dict[str, dict[str, Any]]:
    """What the scenario's failing calls must raise; keys are `Action` or `Action.case`."""
    missing_queue = sender_error("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", NO_QUEUE[protocol])
    invalid_receipt = sender_error(
        "ReceiptHandleIsInvalid",
        "ReceiptHandleIsInvalid",
        'The input receipt handle "not-a-receipt-handle" is not a valid receipt handle.',
        404,
    )
    return {
        "CreateQueue": sender_error(
            "QueueNameExists",
            "QueueAlreadyExists",
            "A queue already exists with the same name and a different value for attribute VisibilityTimeout",
        ),
        "CreateQueue.bad_name": sender_error(
            "ClientError",
            "InvalidParameterValue",
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        ),
        "CreateQueue.deleted_recently": sender_error(
            "QueueDeletedRecently",
            "AWS.SimpleQueueService.QueueDeletedRecently",
            "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
        ),
        "GetQueueUrl": missing_queue,
        "GetQueueUrl.deleted": missing_queue,
        "ListQueues": sender_error(
            "ClientError",
            "InvalidParameterValue",
            "Value 1001 for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.",
        ),
        "DeleteQueue": missing_queue,
        "GetQueueAttributes": sender_error("InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute Foobar."),
        # The Query-era model has no InvalidAttributeValue shape, so the old boto3 raises a plain ClientError.
        "SetQueueAttributes": sender_error(
            "ClientError" if protocol == "query" else "InvalidAttributeValue",
            "InvalidAttributeValue",
            "Invalid value for the parameter VisibilityTimeout.",
        ),
        "PurgeQueue": sender_error(
            "PurgeQueueInProgress",
            "AWS.SimpleQueueService.PurgeQueueInProgress",
            f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.",
            403,
        ),
        # An empty map is no parameter at all on Query, where SQS names the first member it expected.
        "TagQueue": sender_error(
            "ClientError",
            "MissingParameter",
            f"The request must contain the parameter {'Tag.1.Key' if protocol == 'query' else 'Tags'}.",
        ),
        "UntagQueue": missing_queue,
        "ListQueueTags": missing_queue,
        "AddPermission": sender_error(
            "ClientError",
            "InvalidParameterValue",
            "Value taken for parameter Label is invalid. Reason: Already exists.",
        ),
        "AddPermission.too_many_actions": sender_error(
            "OverLimit", "OverLimit", "8 Actions were found, maximum allowed is 7.", 403
        ),
        "RemovePermission": sender_error(
            "ClientError",
            "InvalidParameterValue",
            "Value unknown for parameter Label is invalid. Reason: can't find label.",
        ),
        "ListDeadLetterSourceQueues": missing_queue,
        "ListDeadLetterSourceQueues.bad_max_results": sender_error(
            "ClientError",
            "InvalidParameterValue",
            "Value 0 for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.",
        ),
        "SendMessage": sender_error(
            "InvalidMessageContents",
            "InvalidMessageContents",
            f"Invalid binary character '#x7' was found in the message body, the set of allowed characters is "
            f"{ALLOWED_CHARACTERS}.",
        ),
        "SendMessage.missing_queue": missing_queue,
        "SendMessageBatch": sender_error(
            "EmptyBatchRequest",
            "AWS.SimpleQueueService.EmptyBatchRequest",
            "There should be at least one SendMessageBatchRequestEntry in the request.",
        ),
        "SendMessageBatch.bad_id": sender_error(
            "InvalidBatchEntryId",
            "AWS.SimpleQueueService.InvalidBatchEntryId",
            "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
            "It can be at most 80 letters long.",
        ),
        "ReceiveMessage": sender_error(
            "ClientError",
            "InvalidParameterValue",
            "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
        ),
        "DeleteMessage": invalid_receipt,
        "DeleteMessageBatch": sender_error(
            "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id twice repeated."
        ),
        "ChangeMessageVisibility": invalid_receipt,
        "ChangeMessageVisibilityBatch.empty": sender_error(
            "EmptyBatchRequest",
            "AWS.SimpleQueueService.EmptyBatchRequest",
            "There should be at least one ChangeMessageVisibilityBatchRequestEntry in the request.",
        ),
        "ChangeMessageVisibilityBatch": sender_error(
            "TooManyEntriesInBatchRequest",
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            "Maximum number of entries per request are 10. You have sent 11.",
        ),
    }


@pytest.fixture(
    params=[
        pytest.param(
            "query",
            id="query",
            marks=pytest.mark.compatibility(
                client=CLIENTS["query"], protocol="query", actions=SERVED_ACTIONS, errors=SERVED_ACTIONS
            ),
        ),
        pytest.param(
            "json",
            id="json",
            marks=pytest.mark.compatibility(
                client=CLIENTS["json"], protocol="json", actions=SERVED_ACTIONS, errors=SERVED_ACTIONS
            ),
        ),
    ]
)
def protocol(request: pytest.FixtureRequest) -> str:
    return request.param


def client_python(protocol: str, request: pytest.FixtureRequest) -> Path:
    """The old boto3's interpreter for Query; the project's own, with the current boto3, for JSON."""
    return request.getfixturevalue("query_client_python") if protocol == "query" else Path(sys.executable)


def test_an_sdk_runs_every_action_and_sees_every_error_as_sqs_reports_it(
    protocol: str, server: ServerProcess, request: pytest.FixtureRequest
) -> None:
    name = unique_queue_name(protocol)

    seen = run_scenario(client_python(protocol, request), server, name)

    assert (seen["protocol"], f"boto3 {seen['boto3']}") == (protocol, CLIENTS[protocol])
    url = seen["queue_url"]
    assert url == f"{server.endpoint_url}/000000000000/{name}"
    assert seen["get_queue_url"] == url
    assert seen["listed"] == [url]

    assert seen["send_digests_match"] == [True, True]
    assert seen["received_count"] == 1
    assert seen["received_body"] == 'say "hi" & <bye>\r\nsecond line\rend'
    assert seen["body_round_trips"] and seen["attributes_round_trip"]
    assert seen["receive_digests_match"] == [True, True]
    assert {"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"} <= set(
        seen["system_attributes"]
    )
    assert seen["receive_count"] == "1"

    assert seen["send_batch"] == {
        "successful": ["attributed", "plain"],
        "failed": [["invalid", "InvalidMessageContents", True]],
    }
    assert seen["send_batch_digests_match"] == [True, True]
    for settled in ("change_visibility_batch", "delete_batch"):
        assert seen[settled] == {"successful": ["m0", "m1"], "failed": [["bogus", "ReceiptHandleIsInvalid", True]]}

    assert seen["attributes"] == {"VisibilityTimeout": "45", "DelaySeconds": "0"}
    assert {"QueueArn", "ApproximateNumberOfMessages", "CreatedTimestamp"} <= set(seen["all_attribute_names"])
    assert seen["tags_after_tagging"] == {"team": "query", "env": "test"}
    assert seen["tags_after_untagging"] == {}
    assert (seen["labels_after_adding"], seen["labels_after_removing"]) == (["partners"], [])
    assert seen["dead_letter_sources"] == [url]

    assert seen["errors"] == expected_errors(protocol, name)
    # The marker claims an error case for every served action; this holds the claim to what ran.
    assert {case.split(".")[0] for case in seen["errors"]} == set(SERVED_ACTIONS)
