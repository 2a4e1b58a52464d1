"""The AWS Query protocol end to end over raw HTTP: form posts and GETs against `dynaqueue serve`.

What an SDK speaking Query sees of every action is in `test_action_errors.py`; here is what an SDK cannot send.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.e2e.conftest import ServerProcess, unique_queue_name

HTTP_TIMEOUT_SECONDS = 30
NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"
BODY = 'raw "quotes" & <tags>\r\nand a carriage return\r'
# Stands for the URL of a live queue in the parameters below.
LIVE_QUEUE = "<live queue>"


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


def query_error_case(action: str, parameters: dict[str, str], code: str, message: str) -> Any:
    """One request an SDK would refuse to send, tagged as an error case of its action."""
    return pytest.param(
        action,
        parameters,
        code,
        message,
        id=action,
        marks=pytest.mark.compatibility(client="raw HTTP", protocol="query", errors=[action]),
    )


def missing(action: str, parameters: dict[str, str], parameter: str) -> Any:
    return query_error_case(
        action, parameters, "MissingParameter", f"The request must contain the parameter {parameter}."
    )


def not_an_integer(action: str, parameters: dict[str, str], parameter: str) -> Any:
    return query_error_case(
        action,
        {**parameters, parameter: "ten"},
        "InvalidParameterValue",
        f"Value for parameter {parameter} is invalid. Reason: Must be an integer.",
    )


ON_QUEUE = {"QueueUrl": LIVE_QUEUE}


@pytest.mark.parametrize(
    ("action", "parameters", "code", "message"),
    [
        # Lists and maps absent altogether: SQS names the first member it expected (spec §1.4.6).
        missing("AddPermission", {**ON_QUEUE, "Label": "l", "AWSAccountId.1": "111111111111"}, "ActionName.1"),
        missing("ChangeMessageVisibility", {**ON_QUEUE, "ReceiptHandle": "h"}, "VisibilityTimeout"),
        missing("ChangeMessageVisibilityBatch", ON_QUEUE, "ChangeMessageVisibilityBatchRequestEntry.1.Id"),
        missing("CreateQueue", {}, "QueueName"),
        missing("DeleteMessage", ON_QUEUE, "ReceiptHandle"),
        missing("DeleteMessageBatch", ON_QUEUE, "DeleteMessageBatchRequestEntry.1.Id"),
        missing("DeleteQueue", {}, "QueueUrl"),
        missing("GetQueueAttributes", {}, "QueueUrl"),
        missing("GetQueueUrl", {}, "QueueName"),
        missing("ListDeadLetterSourceQueues", {}, "QueueUrl"),
        missing("ListQueueTags", {}, "QueueUrl"),
        not_an_integer("ListQueues", {}, "MaxResults"),
        missing("PurgeQueue", {}, "QueueUrl"),
        not_an_integer("ReceiveMessage", ON_QUEUE, "MaxNumberOfMessages"),
        missing("RemovePermission", ON_QUEUE, "Label"),
        missing("SendMessage", ON_QUEUE, "MessageBody"),
        missing("SendMessageBatch", ON_QUEUE, "SendMessageBatchRequestEntry.1.Id"),
        missing("SetQueueAttributes", ON_QUEUE, "Attribute.1.Name"),
        missing("TagQueue", ON_QUEUE, "Tag.1.Key"),
        missing("UntagQueue", ON_QUEUE, "TagKey.1"),
    ],
)
def test_a_malformed_request_of_every_action_is_refused_in_the_query_error_envelope(
    server: ServerProcess, queue_path: str, action: str, parameters: dict[str, str], code: str, message: str
) -> None:
    live_queue = f"{server.endpoint_url}{queue_path}"
    form = {"Action": action, "Version": "2012-11-05"}
    form |= {name: live_queue if value == LIVE_QUEUE else value for name, value in parameters.items()}

    status, headers, body = http(server, "POST", "/", form=form)

    assert status == 400
    assert headers["Content-Type"] == "text/xml"
    envelope = ET.fromstring(body)
    assert envelope.tag == f"{NS}ErrorResponse"
    assert (find(body, "Error/Type"), find(body, "Error/Code"), find(body, "Error/Message")) == (
        "Sender",
        code,
        message,
    )
    # SQS's envelope: an empty Detail, and the RequestId beside Error rather than in ResponseMetadata.
    assert find(body, "Error/Detail") == ""
    assert find(body, "RequestId") == headers["x-amzn-RequestId"]
