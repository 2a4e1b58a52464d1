"""The AWS Query protocol end to end: an old, Query-speaking boto3 and raw HTTP against `dynaqueue serve`."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

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
HTTP_TIMEOUT_SECONDS = 30
NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"
BODY = 'raw "quotes" & <tags>\r\nand a carriage return\r'


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
        # Nothing that would point the old interpreter at the project's own packages.
        env={name: value for name, value in os.environ.items() if not name.startswith("PYTHON")},
    )
    assert completed.returncode == 0, f"{completed.stderr}\n--- server log ---\n{server.output()}"
    return json.loads(completed.stdout)


def error(exception: str, code: str, status: int, message: str | None = None) -> dict[str, Any]:
    expected: dict[str, Any] = {"exception": exception, "code": code, "type": "Sender", "status": status}
    return expected if message is None else {**expected, "message": message}


def without_message(observed: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in observed.items() if key != "message"}


@pytest.mark.compatibility(
    client="boto3 1.34.50",
    protocol="query",
    actions=[
        "CreateQueue",
        "GetQueueUrl",
        "ListQueues",
        "SendMessage",
        "ReceiveMessage",
        "ChangeMessageVisibility",
        "DeleteMessage",
        "SendMessageBatch",
        "ChangeMessageVisibilityBatch",
        "DeleteMessageBatch",
        "SetQueueAttributes",
        "GetQueueAttributes",
        "TagQueue",
        "ListQueueTags",
        "UntagQueue",
        "PurgeQueue",
        "DeleteQueue",
    ],
)
def test_an_sdk_speaking_query_runs_every_action_against_the_server(
    query_client_python: Path, server: ServerProcess
) -> None:
    name = unique_queue_name("query")

    seen = run_scenario(query_client_python, server, name)

    assert seen["protocol"] == "query"
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

    assert without_message(seen["purge_again"]) == error(
        "PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403
    )
    errors = seen["errors"]
    assert errors["missing_queue"] == error(
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
        400,
        "The specified queue does not exist for this wsdl version.",
    )
    assert without_message(errors["too_many_messages"]) == error("ClientError", "InvalidParameterValue", 400)
    assert without_message(errors["empty_batch"]) == error(
        "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400
    )
    assert without_message(errors["bogus_receipt"]) == error("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404)
    assert without_message(errors["conflicting_create"]) == error("QueueNameExists", "QueueAlreadyExists", 400)
    assert without_message(seen["after_delete"]) == error(
        "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400
    )


# --- raw HTTP --------------------------------------------------------------------------------


def http(
    server: ServerProcess,
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    url = f"{server.endpoint_url}{path}" + (f"?{urlencode(query)}" if query else "")
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as failure:
        with failure:
            return failure.code, dict(failure.headers), failure.read()


def find(body: bytes, path: str) -> str | None:
    return ET.fromstring(body).findtext("/".join(f"{NS}{part}" for part in path.split("/")))


@pytest.fixture
def queue_path(sqs: Any) -> str:
    return urlsplit(sqs.create_queue(QueueName=unique_queue_name("raw"))["QueueUrl"]).path


@pytest.mark.compatibility(client="raw HTTP", protocol="query", actions=["GetQueueUrl"])
def test_a_get_with_a_query_string_is_served(server: ServerProcess, queue_path: str) -> None:
    name = queue_path.rsplit("/", 1)[1]

    status, headers, body = http(server, "GET", "/", query={"Action": "GetQueueUrl", "QueueName": name})

    assert status == 200
    assert headers["Content-Type"] == "text/xml"
    assert headers["x-amzn-RequestId"] == find(body, "ResponseMetadata/RequestId")
    assert find(body, "GetQueueUrlResult/QueueUrl") == f"{server.endpoint_url}{queue_path}"


@pytest.mark.compatibility(client="raw HTTP", protocol="query", actions=["SendMessage", "ReceiveMessage"])
def test_a_post_to_the_queue_url_path_acts_on_that_queue_and_the_body_round_trips(
    server: ServerProcess, queue_path: str
) -> None:
    status, _, sent = http(server, "POST", queue_path, form={"Action": "SendMessage", "MessageBody": BODY})
    assert status == 200
    assert find(sent, "SendMessageResult/MD5OfMessageBody") == hashlib.md5(BODY.encode()).hexdigest()

    status, _, received = http(server, "GET", queue_path, query={"Action": "ReceiveMessage", "WaitTimeSeconds": "5"})

    assert status == 200
    assert b"raw &quot;quotes&quot; &amp; &lt;tags&gt;&#xD;\nand a carriage return&#xD;" in received
    assert find(received, "ReceiveMessageResult/Message/Body") == BODY


def test_a_get_on_a_queue_url_without_an_action_is_an_unknown_operation(server: ServerProcess, queue_path: str) -> None:
    status, _, body = http(server, "GET", queue_path)

    assert (status, body) == (404, b"<UnknownOperationException/>")


@pytest.mark.parametrize(
    ("on_queue", "action", "message"),
    [
        (True, "CreateQueue", "The action CreateQueue is not valid for this endpoint."),
        (False, "FooBar", "The action FooBar is not valid for this endpoint."),
    ],
)
def test_invalid_actions_are_refused_in_the_query_error_envelope(
    server: ServerProcess, queue_path: str, on_queue: bool, action: str, message: str
) -> None:
    status, _, body = http(server, "POST", queue_path if on_queue else "/", form={"Action": action, "QueueName": "x"})

    assert status == 400
    assert ET.fromstring(body).tag == f"{NS}ErrorResponse"
    assert (find(body, "Error/Type"), find(body, "Error/Code"), find(body, "Error/Message")) == (
        "Sender",
        "InvalidAction",
        message,
    )
    assert find(body, "RequestId")
