"""The AWS Query protocol against a fake service: flattened parameters, XML envelopes, escaping and errors."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynaqueue import wiring
from dynaqueue.domain.errors import (
    InvalidParameterValue,
    PurgeQueueInProgress,
    QueueDoesNotExist,
    ReceiptHandleIsInvalid,
)
from dynaqueue.domain.model import (
    BatchFailure,
    BatchResult,
    MessageAttributeValue,
    ReceiptBatchEntry,
    ReceivedMessage,
    ReceiveRequest,
    SendBatchEntry,
    SendRequest,
    SendResult,
)
from dynaqueue.handlers.api import lambda_handler
from dynaqueue.handlers.http_api import request_from_event
from dynaqueue.local.gateway import LocalLambdaContext
from dynaqueue.protocol import dispatch
from dynaqueue.protocol.exchange import Headers, HttpRequest, Outcome
from dynaqueue.protocol.json_actions import ACTIONS
from tests.unit.fake_queue_service import ACCOUNT_ID, FakeQueueService

BASE_URL = "http://localhost:9324"
QUEUE_PATH = f"/{ACCOUNT_ID}/orders"
QUEUE_URL = f"{BASE_URL}{QUEUE_PATH}"
NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def post(
    service: FakeQueueService,
    parameters: dict[str, str] | list[tuple[str, str]] | None = None,
    *,
    raw: bytes | None = None,
    path: str = "/",
    query_string: str = "",
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> Outcome:
    body = raw if raw is not None else urlencode(parameters or {}).encode()
    request = HttpRequest(
        method=method,
        path=path,
        headers=Headers(headers if headers is not None else {"Content-Type": FORM}),
        body=body,
        base_url=BASE_URL,
        request_id="req-1",
        query_string=query_string,
    )
    return dispatch.handle(request, lambda: service)


def get(service: FakeQueueService, parameters: dict[str, str], *, path: str = "/") -> Outcome:
    return post(service, raw=b"", path=path, query_string=urlencode(parameters), headers={}, method="GET")


def root(outcome: Outcome) -> ET.Element:
    return ET.fromstring(outcome.response.body)


def result(outcome: Outcome, action: str) -> ET.Element:
    response = outcome.response
    assert response.status == 200, response.body
    element = root(outcome)
    assert element.tag == f"{NS}{action}Response"
    found = element.find(f"{NS}{action}Result")
    assert found is not None
    return found


def text(element: ET.Element, path: str) -> str | None:
    return element.findtext("/".join(f"{NS}{part}" for part in path.split("/")))


def assert_error(outcome: Outcome, status: int, code: str, fault: str = "Sender") -> str:
    response = outcome.response
    assert response.status == status
    assert response.headers["Content-Type"] == "text/xml"
    assert response.headers["x-amzn-RequestId"] == "req-1"
    error_response = root(outcome)
    assert error_response.tag == f"{NS}ErrorResponse"
    assert text(error_response, "Error/Type") == fault
    assert text(error_response, "Error/Code") == code
    detail = error_response.find(f"{NS}Error/{NS}Detail")
    assert detail is not None and len(detail) == 0 and not detail.text
    assert text(error_response, "RequestId") == "req-1"
    return text(error_response, "Error/Message") or ""


# --- request parameters --------------------------------------------------------------------


def test_flattened_maps_are_read_in_index_order_however_sparse_with_blank_values_kept():
    service = FakeQueueService()

    outcome = post(
        service,
        [
            ("Action", "CreateQueue"),
            ("Version", "2012-11-05"),
            ("QueueName", "orders"),
            ("Attribute.10.Name", "VisibilityTimeout"),
            ("Attribute.10.Value", "60"),
            ("Attribute.2.Name", "Policy"),
            ("Attribute.2.Value", ""),
            ("Tag.3.Key", "team"),
            ("Tag.3.Value", "a b"),
        ],
    )

    assert text(result(outcome, "CreateQueue"), "QueueUrl") == QUEUE_URL
    assert service.calls == [("create_queue", ("orders", {"Policy": "", "VisibilityTimeout": "60"}, {"team": "a b"}))]
    assert list(service.calls[0][1][1]) == ["Policy", "VisibilityTimeout"]


def test_a_get_query_string_is_a_request_too_and_plus_is_a_space():
    service = FakeQueueService()

    outcome = post(service, raw=b"", query_string="Action=ListQueues&QueueNamePrefix=a+b%2Bc", headers={}, method="GET")

    assert outcome.response.status == 200
    assert service.calls == [("list_queues", ("a b+c", None, None))]


def test_a_form_body_wins_over_the_query_string():
    service = FakeQueueService()

    post(service, {"Action": "GetQueueUrl", "QueueName": "from-body"}, query_string="QueueName=from-query")

    assert service.calls == [("get_queue_url", ("from-body", None))]


def test_unknown_parameters_such_as_legacy_signing_ones_are_ignored():
    service = FakeQueueService()

    outcome = post(
        service,
        {
            "Action": "PurgeQueue",
            "QueueUrl": QUEUE_URL,
            "Expires": "2030-01-01T00:00:00Z",
            "Timestamp": "2026-01-01T00:00:00Z",
            "SignatureVersion": "2",
            "X-Amz-Signature": "abc",
            "Attribute.01.Name": "leading zero is no index",
            "Whatever.1.Deep.2.Deeper.3.Deepest.4": "x",
        },
    )

    assert outcome.response.status == 200
    assert service.calls == [("purge_queue", ("orders",))]


def test_tags_are_also_accepted_as_tags_n_and_tag_keys_as_tag_key_n():
    service = FakeQueueService()

    post(service, {"Action": "TagQueue", "QueueUrl": QUEUE_URL, "Tags.1.Key": "a", "Tags.1.Value": "1"})
    post(service, {"Action": "UntagQueue", "QueueUrl": QUEUE_URL, "TagKey.2": "b", "TagKey.1": "a"})

    assert service.calls == [("tag_queue", ("orders", {"a": "1"})), ("untag_queue", ("orders", ["a", "b"]))]


def test_receive_reads_attribute_names_for_both_system_attribute_lists_and_integers():
    service = FakeQueueService()

    post(
        service,
        {
            "Action": "ReceiveMessage",
            "QueueUrl": QUEUE_URL,
            "AttributeName.2": "SentTimestamp",
            "AttributeName.1": "All",
            "MessageAttributeName.1": "Color",
            "MaxNumberOfMessages": "10",
            "VisibilityTimeout": "0",
            "WaitTimeSeconds": "-1",
            "ReceiveRequestAttemptId": "attempt",
        },
    )

    assert service.calls == [
        (
            "receive_message",
            (
                "orders",
                ReceiveRequest(
                    max_number_of_messages=10,
                    visibility_timeout=0,
                    wait_time_seconds=-1,
                    system_attribute_names=("All", "SentTimestamp"),
                    message_attribute_names=("Color",),
                    receive_request_attempt_id="attempt",
                ),
            ),
        )
    ]


def test_send_reads_message_and_system_attributes_with_base64_binary_values():
    service = FakeQueueService()

    post(
        service,
        {
            "Action": "SendMessage",
            "QueueUrl": QUEUE_URL,
            "MessageBody": "hello",
            "DelaySeconds": "5",
            "MessageAttribute.1.Name": "Color",
            "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.1.Value.StringValue": "",
            "MessageAttribute.3.Name": "Blob",
            "MessageAttribute.3.Value.DataType": "Binary",
            "MessageAttribute.3.Value.BinaryValue": base64.b64encode(b"\x00\xff").decode(),
            "MessageSystemAttribute.1.Name": "AWSTraceHeader",
            "MessageSystemAttribute.1.Value.DataType": "String",
            "MessageSystemAttribute.1.Value.StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793",
            "MessageGroupId": "g",
            "MessageDeduplicationId": "d",
        },
    )

    assert service.calls == [
        (
            "send_message",
            (
                "orders",
                SendRequest(
                    body="hello",
                    delay_seconds=5,
                    attributes={
                        "Color": MessageAttributeValue("String", string_value=""),
                        "Blob": MessageAttributeValue("Binary", binary_value=b"\x00\xff"),
                    },
                    system_attributes={
                        "AWSTraceHeader": MessageAttributeValue(
                            "String", string_value="Root=1-5759e988-bd862e3fe1be46a994272793"
                        )
                    },
                    deduplication_id="d",
                    group_id="g",
                ),
            ),
        )
    ]


def test_batch_entries_are_read_in_index_order_with_their_nested_attributes():
    service = FakeQueueService()

    post(
        service,
        {
            "Action": "SendMessageBatch",
            "QueueUrl": QUEUE_URL,
            "SendMessageBatchRequestEntry.7.Id": "second",
            "SendMessageBatchRequestEntry.7.MessageBody": "two",
            "SendMessageBatchRequestEntry.7.MessageAttribute.2.Name": "n",
            "SendMessageBatchRequestEntry.7.MessageAttribute.2.Value.DataType": "Number",
            "SendMessageBatchRequestEntry.7.MessageAttribute.2.Value.StringValue": "1",
            "SendMessageBatchRequestEntry.2.Id": "first",
            "SendMessageBatchRequestEntry.2.MessageBody": "one",
            "SendMessageBatchRequestEntry.2.DelaySeconds": "3",
        },
    )

    assert service.calls == [
        (
            "send_message_batch",
            (
                "orders",
                [
                    SendBatchEntry("first", SendRequest(body="one", delay_seconds=3)),
                    SendBatchEntry(
                        "second",
                        SendRequest(body="two", attributes={"n": MessageAttributeValue("Number", string_value="1")}),
                    ),
                ],
            ),
        )
    ]


def test_receipt_batches_are_read_and_the_visibility_timeout_may_be_left_out():
    service = FakeQueueService()

    post(
        service,
        {
            "Action": "ChangeMessageVisibilityBatch",
            "QueueUrl": QUEUE_URL,
            "ChangeMessageVisibilityBatchRequestEntry.1.Id": "a",
            "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle": "h1",
            "ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout": "30",
            "ChangeMessageVisibilityBatchRequestEntry.2.Id": "b",
            "ChangeMessageVisibilityBatchRequestEntry.2.ReceiptHandle": "h2",
        },
    )
    post(
        service,
        {
            "Action": "DeleteMessageBatch",
            "QueueUrl": QUEUE_URL,
            "DeleteMessageBatchRequestEntry.1.Id": "a",
            "DeleteMessageBatchRequestEntry.1.ReceiptHandle": "h1",
        },
    )

    assert service.calls == [
        (
            "change_message_visibility_batch",
            ("orders", [ReceiptBatchEntry("a", "h1", 30), ReceiptBatchEntry("b", "h2")]),
        ),
        ("delete_message_batch", ("orders", [ReceiptBatchEntry("a", "h1")])),
    ]


@pytest.mark.parametrize("action", ["SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch"], ids=str)
def test_an_absent_batch_names_the_first_entry_id_and_an_empty_one_is_an_empty_batch(action: str):
    service = FakeQueueService()

    message = assert_error(post(service, {"Action": action, "QueueUrl": QUEUE_URL}), 400, "MissingParameter")
    post(service, {"Action": action, "QueueUrl": QUEUE_URL, "Entries": ""})

    assert message == f"The request must contain the parameter {action}RequestEntry.1.Id."
    assert len(service.calls) == 1
    assert service.calls[0][1][1] == []


@pytest.mark.parametrize(
    ("parameters", "parameter"),
    [
        ({"Action": "SendMessage", "QueueUrl": QUEUE_URL}, "MessageBody"),
        ({"Action": "DeleteMessage"}, "QueueUrl"),
        ({"Action": "CreateQueue", "Attribute.4.Value": "5"}, "QueueName"),
        ({"Action": "CreateQueue", "QueueName": "q", "Attribute.4.Value": "5"}, "Attribute.4.Name"),
        ({"Action": "CreateQueue", "QueueName": "q", "Tag.1.Key": "k"}, "Tag.1.Value"),
        ({"Action": "SetQueueAttributes", "QueueUrl": QUEUE_URL}, "Attribute.1.Name"),
        ({"Action": "TagQueue", "QueueUrl": QUEUE_URL}, "Tag.1.Key"),
        ({"Action": "UntagQueue", "QueueUrl": QUEUE_URL}, "TagKey.1"),
        ({"Action": "ChangeMessageVisibility", "QueueUrl": QUEUE_URL, "ReceiptHandle": "h"}, "VisibilityTimeout"),
        (
            {"Action": "SendMessage", "QueueUrl": QUEUE_URL, "MessageBody": "b", "MessageAttribute.2.Name": "n"},
            "MessageAttribute.2.Value.DataType",
        ),
        (
            {"Action": "DeleteMessageBatch", "QueueUrl": QUEUE_URL, "DeleteMessageBatchRequestEntry.3.Id": "a"},
            "DeleteMessageBatchRequestEntry.3.ReceiptHandle",
        ),
    ],
)
def test_missing_parameters_are_named_as_the_client_sends_them(parameters: dict[str, str], parameter: str):
    service = FakeQueueService()

    message = assert_error(post(service, parameters), 400, "MissingParameter")

    assert message == f"The request must contain the parameter {parameter}."
    assert service.calls == []


@pytest.mark.parametrize("value", ["abc", "1.5", " 5", "5 ", "+5", "0x10", "1_0", "\u0663", "", "9" * 5000])
def test_integers_are_parsed_strictly(value: str):
    service = FakeQueueService()

    message = assert_error(
        post(service, {"Action": "ReceiveMessage", "QueueUrl": QUEUE_URL, "MaxNumberOfMessages": value}),
        400,
        "InvalidParameterValue",
    )

    assert message == "Value for parameter MaxNumberOfMessages is invalid. Reason: Must be an integer."
    assert service.calls == []


def test_a_binary_attribute_that_is_not_base64_is_an_invalid_parameter_value():
    parameters = {
        "Action": "SendMessage",
        "QueueUrl": QUEUE_URL,
        "MessageBody": "b",
        "MessageAttribute.1.Name": "Blob",
        "MessageAttribute.1.Value.DataType": "Binary",
        "MessageAttribute.1.Value.BinaryValue": "not base64!",
    }

    message = assert_error(post(FakeQueueService(), parameters), 400, "InvalidParameterValue")

    assert "MessageAttribute.1.Value.BinaryValue" in message


@pytest.mark.parametrize(
    ("raw", "query_string"),
    [
        (b"Action=ListQueues&QueueNamePrefix=\xff", ""),
        (b"Action=ListQueues&QueueNamePrefix=%ff", ""),
        (b"", "Action=%C3"),
    ],
    ids=["raw-bytes", "percent-encoded-body", "percent-encoded-query"],
)
def test_parameters_that_are_not_utf8_are_a_client_error(raw: bytes, query_string: str):
    service = FakeQueueService()

    message = assert_error(post(service, raw=raw, query_string=query_string), 400, "InvalidParameterValue")

    assert "UTF-8" in message
    assert service.calls == []


# --- queue URL paths and actions ------------------------------------------------------------


def test_a_request_sent_to_a_queue_url_acts_on_that_queue():
    service = FakeQueueService()

    post(service, {"Action": "PurgeQueue"}, path=QUEUE_PATH)
    get(service, {"Action": "DeleteQueue"}, path=f"/{ACCOUNT_ID}/other")

    assert service.calls == [("purge_queue", ("orders",)), ("delete_queue", ("other",))]


def test_an_explicit_queue_url_wins_over_the_path():
    service = FakeQueueService()

    post(service, {"Action": "PurgeQueue", "QueueUrl": f"{BASE_URL}/{ACCOUNT_ID}/explicit"}, path=QUEUE_PATH)

    assert service.calls == [("purge_queue", ("explicit",))]


def test_get_queue_url_sent_to_one_queue_may_ask_for_another():
    service = FakeQueueService()

    outcome = post(service, {"Action": "GetQueueUrl", "QueueName": "other"}, path=QUEUE_PATH)

    assert text(result(outcome, "GetQueueUrl"), "QueueUrl") == f"{BASE_URL}/{ACCOUNT_ID}/other"


@pytest.mark.parametrize("action", ["CreateQueue", "ListQueues"])
def test_queue_independent_actions_are_not_valid_on_a_queue_url(action: str):
    service = FakeQueueService()

    message = assert_error(post(service, {"Action": action, "QueueName": "q"}, path=QUEUE_PATH), 400, "InvalidAction")

    assert message == f"The action {action} is not valid for this endpoint."
    assert service.calls == []


def test_an_unknown_action_is_an_invalid_action():
    message = assert_error(post(FakeQueueService(), {"Action": "FooBar"}), 400, "InvalidAction")

    assert message == "The action FooBar is not valid for this endpoint."


@pytest.mark.parametrize("parameters", [{}, {"Action": ""}, {"QueueUrl": QUEUE_URL}])
def test_a_request_naming_no_action_is_an_unknown_operation(parameters: dict[str, str]):
    outcome = get(FakeQueueService(), parameters, path=QUEUE_PATH)

    assert outcome.response.status == 404
    assert outcome.response.body == b"<UnknownOperationException/>"
    assert outcome.response.headers["x-amzn-RequestId"] == "req-1"


@pytest.mark.parametrize(
    "headers",
    [{"X-Amz-Target": "AmazonSQS.ListQueues"}, {"Content-Type": "application/x-amz-json-1.0; charset=utf-8"}],
    ids=["target", "content-type"],
)
def test_json_requests_are_told_apart_by_target_or_content_type(headers: dict[str, str]):
    outcome = post(FakeQueueService(), raw=b"{}", headers=headers, query_string="Action=ListQueues")

    assert outcome.response.headers["Content-Type"] == "application/x-amz-json-1.0"


def test_every_json_action_is_served_over_query_too():
    service = FakeQueueService()

    for action in ACTIONS:
        response = post(service, {"Action": action}).response
        assert b"InvalidAction" not in response.body, action


# --- responses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "parameters"),
    [
        ("DeleteQueue", {}),
        ("PurgeQueue", {}),
        ("SetQueueAttributes", {"Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "1"}),
        ("TagQueue", {"Tag.1.Key": "k", "Tag.1.Value": "v"}),
        ("UntagQueue", {"TagKey.1": "k"}),
        ("DeleteMessage", {"ReceiptHandle": "h"}),
        ("ChangeMessageVisibility", {"ReceiptHandle": "h", "VisibilityTimeout": "5"}),
    ],
)
def test_actions_without_output_answer_only_response_metadata(action: str, parameters: dict[str, str]):
    outcome = post(FakeQueueService(), {"Action": action, "QueueUrl": QUEUE_URL, **parameters})

    response = outcome.response
    assert response.status == 200
    assert response.headers == {"Content-Type": "text/xml", "x-amzn-RequestId": "req-1"}
    assert response.body.startswith(b'<?xml version="1.0"?>')
    element = root(outcome)
    assert element.tag == f"{NS}{action}Response"
    assert [child.tag for child in element] == [f"{NS}ResponseMetadata"]
    assert text(element, "ResponseMetadata/RequestId") == "req-1"


def test_empty_results_are_empty_result_elements():
    service = FakeQueueService()

    receive = post(service, {"Action": "ReceiveMessage", "QueueUrl": QUEUE_URL})
    listing = post(service, {"Action": "ListQueues"})
    tags = post(service, {"Action": "ListQueueTags", "QueueUrl": QUEUE_URL})

    assert b"<ReceiveMessageResult/>" in receive.response.body
    assert b"<ListQueuesResult/>" in listing.response.body
    assert b"<ListQueueTagsResult/>" in tags.response.body


def test_lists_and_maps_are_flattened_under_their_model_element_names():
    service = FakeQueueService(
        list_queues=(["a", "b"], "token"),
        get_queue_attributes={"DelaySeconds": "0", "VisibilityTimeout": "30"},
        list_queue_tags={"team": "x"},
    )

    queues = result(post(service, {"Action": "ListQueues"}), "ListQueues")
    attributes = result(post(service, {"Action": "GetQueueAttributes", "QueueUrl": QUEUE_URL}), "GetQueueAttributes")
    tags = result(post(service, {"Action": "ListQueueTags", "QueueUrl": QUEUE_URL}), "ListQueueTags")

    assert [(child.tag, child.text) for child in queues] == [
        (f"{NS}QueueUrl", f"{BASE_URL}/{ACCOUNT_ID}/a"),
        (f"{NS}QueueUrl", f"{BASE_URL}/{ACCOUNT_ID}/b"),
        (f"{NS}NextToken", "token"),
    ]
    assert [(text(entry, "Name"), text(entry, "Value")) for entry in attributes.findall(f"{NS}Attribute")] == [
        ("DelaySeconds", "0"),
        ("VisibilityTimeout", "30"),
    ]
    assert [(text(entry, "Key"), text(entry, "Value")) for entry in tags.findall(f"{NS}Tag")] == [("team", "x")]


def test_received_messages_carry_attributes_and_only_the_members_they_have():
    message = ReceivedMessage(
        message_id="m1",
        receipt_handle="h1",
        body="hello",
        md5_of_body="md5",
        attributes={"SentTimestamp": "1"},
        message_attributes={
            "Color": MessageAttributeValue("String", string_value="red"),
            "Blob": MessageAttributeValue("Binary", binary_value=b"\x00\x01"),
        },
        md5_of_message_attributes="md5-attrs",
    )
    bare = ReceivedMessage(message_id="m2", receipt_handle="h2", body="", md5_of_body="md5-empty")
    service = FakeQueueService(receive_message=[message, bare])

    outcome = post(service, {"Action": "ReceiveMessage", "QueueUrl": QUEUE_URL})

    first, second = result(outcome, "ReceiveMessage").findall(f"{NS}Message")
    assert [child.tag.removeprefix(NS) for child in first] == [
        "MessageId",
        "ReceiptHandle",
        "MD5OfBody",
        "Body",
        "Attribute",
        "MD5OfMessageAttributes",
        "MessageAttribute",
        "MessageAttribute",
    ]
    assert (text(first, "Attribute/Name"), text(first, "Attribute/Value")) == ("SentTimestamp", "1")
    color, blob = first.findall(f"{NS}MessageAttribute")
    assert (text(color, "Name"), text(color, "Value/DataType"), text(color, "Value/StringValue")) == (
        "Color",
        "String",
        "red",
    )
    assert text(blob, "Value/BinaryValue") == "AAE="
    assert [child.tag.removeprefix(NS) for child in second] == ["MessageId", "ReceiptHandle", "MD5OfBody", "Body"]
    assert outcome.message_count == 2


@pytest.mark.parametrize(
    ("action", "service_method", "entry"),
    [
        ("SendMessageBatch", "send_message_batch", "SendMessageBatchResultEntry"),
        ("DeleteMessageBatch", "delete_message_batch", "DeleteMessageBatchResultEntry"),
        ("ChangeMessageVisibilityBatch", "change_message_visibility_batch", "ChangeMessageVisibilityBatchResultEntry"),
    ],
)
def test_batch_results_name_their_entries_after_the_action(action: str, service_method: str, entry: str):
    succeeded = SendResult("m1", "md5") if action == "SendMessageBatch" else None
    failures = [
        BatchFailure("b", "ReceiptHandleIsInvalid", 'The receipt handle "x" is not valid.'),
        BatchFailure("c", "InternalError", "retry", sender_fault=False),
    ]
    service = FakeQueueService(**{service_method: BatchResult([("a", succeeded)], failures)})

    outcome = post(service, {"Action": action, "QueueUrl": QUEUE_URL, "Entries": ""})

    found = result(outcome, action)
    assert [text(success, "Id") for success in found.findall(f"{NS}{entry}")] == ["a"]
    assert [
        (text(failure, "Id"), text(failure, "SenderFault"), text(failure, "Code"), text(failure, "Message"))
        for failure in found.findall(f"{NS}BatchResultErrorEntry")
    ] == [
        ("b", "true", "ReceiptHandleIsInvalid", 'The receipt handle "x" is not valid.'),
        ("c", "false", "InternalError", "retry"),
    ]


def test_quotes_and_carriage_returns_are_escaped_as_sqs_does_and_survive_an_xml_parser():
    body = 'say "hi" & <bye>\r\nnext\rline\n\ttab'
    service = FakeQueueService(
        receive_message=[ReceivedMessage(message_id="m", receipt_handle="h", body=body, md5_of_body="md5")]
    )

    outcome = post(service, {"Action": "ReceiveMessage", "QueueUrl": QUEUE_URL})

    raw = outcome.response.body
    assert b"say &quot;hi&quot; &amp; &lt;bye&gt;&#xD;\nnext&#xD;line\n\ttab" in raw
    assert b"\r" not in raw
    assert text(result(outcome, "ReceiveMessage"), "Message/Body") == body


def test_a_form_body_round_trips_quotes_ampersands_and_carriage_returns_into_the_service():
    service = FakeQueueService()
    body = 'a "b" & c < d\r\ne + f = g'

    post(service, {"Action": "SendMessage", "QueueUrl": QUEUE_URL, "MessageBody": body})

    assert service.calls[0][1][1].body == body


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (
            PurgeQueueInProgress("Only one PurgeQueue operation on orders is allowed every 60 seconds."),
            403,
            "AWS.SimpleQueueService.PurgeQueueInProgress",
        ),
        (
            ReceiptHandleIsInvalid('The input receipt handle "x" is not a valid receipt handle.'),
            404,
            "ReceiptHandleIsInvalid",
        ),
    ],
)
def test_errors_carry_the_query_code_and_status_of_the_shared_table(error: Exception, status: int, code: str):
    service = FakeQueueService(purge_queue=error)

    message = assert_error(post(service, {"Action": "PurgeQueue", "QueueUrl": QUEUE_URL}), status, code)

    assert message == str(error)


def test_a_missing_queue_is_worded_as_sqs_words_it_over_query():
    outcome = post(FakeQueueService(get_queue_url=QueueDoesNotExist()), {"Action": "GetQueueUrl", "QueueName": "x"})

    message = assert_error(outcome, 400, "AWS.SimpleQueueService.NonExistentQueue")

    assert message == "The specified queue does not exist for this wsdl version."
    assert (outcome.action, outcome.error_code) == ("GetQueueUrl", "QueueDoesNotExist")


def test_an_unexpected_exception_is_a_500_that_reveals_nothing():
    outcome = post(
        FakeQueueService(purge_queue=RuntimeError("secret detail")), {"Action": "PurgeQueue", "QueueUrl": QUEUE_URL}
    )

    message = assert_error(outcome, 500, "InternalError", fault="Receiver")

    assert "secret" not in message
    assert outcome.queue_name == "orders"


def test_characters_xml_cannot_carry_are_replaced_in_echoed_messages():
    service = FakeQueueService(purge_queue=InvalidParameterValue("bad \x01 value \ud800"))

    message = assert_error(post(service, {"Action": "PurgeQueue", "QueueUrl": QUEUE_URL}), 400, "InvalidParameterValue")

    assert message == "bad \ufffd value \ufffd"


_NAMES = st.sampled_from(
    [
        "Action",
        "QueueUrl",
        "QueueName",
        "MessageBody",
        "DelaySeconds",
        "MaxNumberOfMessages",
        "VisibilityTimeout",
        "ReceiptHandle",
        "Entries",
        "Attribute.1.Name",
        "Attribute.1.Value",
        "AttributeName.1",
        "Tag.1.Key",
        "TagKey.1",
        "MessageAttribute.1.Name",
        "MessageAttribute.1.Value.DataType",
        "MessageAttribute.1.Value.BinaryValue",
        "SendMessageBatchRequestEntry.1.Id",
        "SendMessageBatchRequestEntry.2.MessageBody",
        "DeleteMessageBatchRequestEntry.1.ReceiptHandle",
        "ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout",
    ]
)
_PARAMETERS = st.lists(
    st.tuples(_NAMES | st.text(max_size=20), st.sampled_from([*ACTIONS, "FooBar"]) | st.text(max_size=20)),
    max_size=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parameters=_PARAMETERS, path=st.sampled_from(["/", QUEUE_PATH, "/x", "//"]))
def test_random_forms_never_cause_a_server_error_and_always_answer_xml(parameters: list[tuple[str, str]], path: str):
    outcome = post(FakeQueueService(), raw=urlencode(parameters, errors="surrogatepass").encode(), path=path)

    assert outcome.response.status < 500
    ET.fromstring(outcome.response.body)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=200), query_string=st.text(max_size=50))
def test_random_bytes_never_cause_a_server_error(raw: bytes, query_string: str):
    outcome = post(FakeQueueService(), raw=raw, query_string=query_string)

    assert outcome.response.status < 500


# --- through the Lambda handler ---------------------------------------------------------------


@pytest.fixture
def configured_service() -> Iterator[FakeQueueService]:
    fake = FakeQueueService(get_queue_attributes={"DelaySeconds": "0"})
    wiring.configure(fake)  # type: ignore[arg-type]
    yield fake
    wiring.configure(None)


def test_the_handler_serves_a_query_get_sent_to_a_queue_url(configured_service: FakeQueueService):
    service = configured_service
    event: dict[str, Any] = {
        "version": "2.0",
        "rawPath": QUEUE_PATH,
        "rawQueryString": "Action=GetQueueAttributes&AttributeName.1=All",
        "headers": {"host": "sqs.example.com", "x-forwarded-proto": "https"},
        "requestContext": {"domainName": "sqs.example.com", "http": {"method": "GET", "path": QUEUE_PATH}},
        "isBase64Encoded": False,
    }

    assert request_from_event(event, "r").query_string == event["rawQueryString"]
    response = lambda_handler(event, LocalLambdaContext(region="us-east-1", account_id=ACCOUNT_ID, aws_request_id="lr"))

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/xml"
    assert "<Name>DelaySeconds</Name><Value>0</Value>" in response["body"]
    assert service.calls == [("get_queue_attributes", ("orders", ["All"]))]
