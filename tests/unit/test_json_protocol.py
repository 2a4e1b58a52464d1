"""The AWS JSON 1.0 protocol against a fake service: parsing, omission rules and the error envelope."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from dynaqueue.domain.errors import PurgeQueueInProgress, QueueDoesNotExist, ReceiptHandleIsInvalid
from dynaqueue.domain.model import (
    BatchFailure,
    BatchResult,
    MessageAttributeValue,
    ReceiptBatchEntry,
    ReceivedMessage,
    SendResult,
)
from dynaqueue.protocol import json_protocol
from dynaqueue.protocol.exchange import Headers, HttpRequest, Outcome
from tests.unit.fake_queue_service import ACCOUNT_ID, FakeQueueService

BASE_URL = "http://localhost:9324"
QUEUE_URL = f"{BASE_URL}/{ACCOUNT_ID}/orders"


def call(service: FakeQueueService, action: str | None, body: Any = None, *, raw: bytes | None = None) -> Outcome:
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if action is not None:
        headers["X-Amz-Target"] = f"AmazonSQS.{action}"
    request = HttpRequest(
        method="POST",
        path="/",
        headers=Headers(headers),
        body=raw if raw is not None else json.dumps(body if body is not None else {}).encode(),
        base_url=BASE_URL,
        request_id="req-1",
    )
    return json_protocol.handle(request, lambda: service)


def document(outcome: Outcome) -> dict[str, Any]:
    return json.loads(outcome.response.body)


def assert_error(outcome: Outcome, status: int, type_suffix: str, query_code: str, fault: str = "Sender") -> str:
    response = outcome.response
    assert response.status == status
    assert response.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert response.headers["x-amzn-RequestId"] == "req-1"
    assert response.headers["x-amzn-query-error"] == f"{query_code};{fault}"
    body = document(outcome)
    assert body["__type"].split("#")[1] == type_suffix
    return body["message"]


# --- success and omission rules ------------------------------------------------------------


def test_create_queue_answers_a_url_pointing_back_at_the_server_and_passes_lower_case_tags():
    service = FakeQueueService()

    outcome = call(
        service, "CreateQueue", {"QueueName": "orders", "Attributes": {"DelaySeconds": "5"}, "tags": {"a": "b"}}
    )

    assert outcome.response.status == 200
    assert outcome.response.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert document(outcome) == {"QueueUrl": QUEUE_URL}
    assert service.calls == [("create_queue", ("orders", {"DelaySeconds": "5"}, {"a": "b"}))]
    assert (outcome.action, outcome.queue_name) == ("CreateQueue", "orders")


def test_queue_url_is_resolved_to_a_queue_name_for_the_service():
    service = FakeQueueService()

    call(service, "PurgeQueue", {"QueueUrl": QUEUE_URL})

    assert service.calls == [("purge_queue", ("orders",))]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("DeleteQueue", {}),
        ("SetQueueAttributes", {"Attributes": {"VisibilityTimeout": "10"}}),
        ("PurgeQueue", {}),
        ("TagQueue", {"Tags": {"team": "a"}}),
        ("UntagQueue", {"TagKeys": ["team"]}),
        ("DeleteMessage", {"ReceiptHandle": "rh"}),
        ("ChangeMessageVisibility", {"ReceiptHandle": "rh", "VisibilityTimeout": 0}),
    ],
)
def test_actions_without_output_answer_an_empty_object(action: str, body: dict[str, Any]):
    outcome = call(FakeQueueService(), action, {"QueueUrl": QUEUE_URL, **body})

    assert outcome.response.status == 200
    assert document(outcome) == {}


def test_empty_results_omit_their_members():
    service = FakeQueueService()

    assert document(call(service, "ListQueues", {})) == {}
    assert document(call(service, "ReceiveMessage", {"QueueUrl": QUEUE_URL})) == {}
    assert document(call(service, "ListQueueTags", {"QueueUrl": QUEUE_URL})) == {}
    assert document(call(service, "GetQueueAttributes", {"QueueUrl": QUEUE_URL})) == {}


def test_list_queues_renders_urls_and_the_next_token():
    service = FakeQueueService(list_queues=(["a", "b"], "token-2"))

    outcome = call(service, "ListQueues", {"QueueNamePrefix": "a", "MaxResults": 2, "NextToken": "token-1"})

    assert document(outcome) == {
        "QueueUrls": [f"{BASE_URL}/{ACCOUNT_ID}/a", f"{BASE_URL}/{ACCOUNT_ID}/b"],
        "NextToken": "token-2",
    }
    assert service.calls == [("list_queues", ("a", 2, "token-1"))]


def test_send_message_decodes_binary_attributes_and_omits_absent_digests():
    service = FakeQueueService(send_message=SendResult("m-1", "body-md5", md5_of_message_attributes="attr-md5"))
    body = {
        "QueueUrl": QUEUE_URL,
        "MessageBody": "hello",
        "DelaySeconds": 3,
        "MessageAttributes": {
            "color": {"DataType": "String", "StringValue": "red"},
            "blob": {"DataType": "Binary", "BinaryValue": base64.b64encode(b"\x00\xff").decode()},
        },
        "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1"}},
        "MessageGroupId": "g",
    }

    outcome = call(service, "SendMessage", body)

    assert document(outcome) == {
        "MessageId": "m-1",
        "MD5OfMessageBody": "body-md5",
        "MD5OfMessageAttributes": "attr-md5",
    }
    request = service.calls[0][1][1]
    assert request.body == "hello"
    assert request.delay_seconds == 3
    assert request.attributes == {
        "color": MessageAttributeValue("String", string_value="red"),
        "blob": MessageAttributeValue("Binary", binary_value=b"\x00\xff"),
    }
    assert request.system_attributes == {"AWSTraceHeader": MessageAttributeValue("String", string_value="Root=1")}
    assert (request.group_id, request.deduplication_id) == ("g", None)
    assert outcome.message_count == 1


def test_receive_message_asks_for_the_union_of_both_system_attribute_lists():
    service = FakeQueueService()

    call(
        service,
        "ReceiveMessage",
        {
            "QueueUrl": QUEUE_URL,
            "AttributeNames": ["SenderId", "SentTimestamp"],
            "MessageSystemAttributeNames": ["SentTimestamp", "ApproximateReceiveCount"],
            "MessageAttributeNames": ["All"],
            "MaxNumberOfMessages": 10,
            "WaitTimeSeconds": 20,
            "VisibilityTimeout": 0,
        },
    )

    request = service.calls[0][1][1]
    assert request.system_attribute_names == ("SenderId", "SentTimestamp", "ApproximateReceiveCount")
    assert request.message_attribute_names == ("All",)
    assert (request.max_number_of_messages, request.wait_time_seconds, request.visibility_timeout) == (10, 20, 0)


def test_received_messages_carry_only_the_members_they_have():
    plain = ReceivedMessage("m-1", "rh-1", "hello", "md5-1")
    rich = ReceivedMessage(
        "m-2",
        "rh-2",
        "bye",
        "md5-2",
        attributes={"SenderId": "123"},
        message_attributes={"blob": MessageAttributeValue("Binary", binary_value=b"\x01")},
        md5_of_message_attributes="attr-md5",
    )
    service = FakeQueueService(receive_message=[plain, rich])

    outcome = call(service, "ReceiveMessage", {"QueueUrl": QUEUE_URL})

    assert document(outcome) == {
        "Messages": [
            {"MessageId": "m-1", "ReceiptHandle": "rh-1", "MD5OfBody": "md5-1", "Body": "hello"},
            {
                "MessageId": "m-2",
                "ReceiptHandle": "rh-2",
                "MD5OfBody": "md5-2",
                "Body": "bye",
                "Attributes": {"SenderId": "123"},
                "MD5OfMessageAttributes": "attr-md5",
                "MessageAttributes": {"blob": {"DataType": "Binary", "BinaryValue": "AQ=="}},
            },
        ]
    }
    assert outcome.message_count == 2


def test_batch_results_omit_failed_when_nothing_failed():
    service = FakeQueueService(send_message_batch=BatchResult([("a", SendResult("m-1", "md5"))], []))

    outcome = call(service, "SendMessageBatch", {"QueueUrl": QUEUE_URL, "Entries": [{"Id": "a", "MessageBody": "x"}]})

    assert document(outcome) == {"Successful": [{"Id": "a", "MessageId": "m-1", "MD5OfMessageBody": "md5"}]}
    entry = service.calls[0][1][1][0]
    assert (entry.id, entry.request.body) == ("a", "x")


def test_batch_failures_carry_query_style_codes_and_omit_successful_when_none():
    failures = [
        BatchFailure("a", "ReceiptHandleIsInvalid", "bad handle"),
        BatchFailure("b", "QueueDoesNotExist", "gone"),
    ]
    service = FakeQueueService(delete_message_batch=BatchResult([], failures))

    outcome = call(
        service,
        "DeleteMessageBatch",
        {"QueueUrl": QUEUE_URL, "Entries": [{"Id": "a", "ReceiptHandle": "x"}, {"Id": "b", "ReceiptHandle": "y"}]},
    )

    assert document(outcome) == {
        "Failed": [
            {"Id": "a", "SenderFault": True, "Code": "ReceiptHandleIsInvalid", "Message": "bad handle"},
            {"Id": "b", "SenderFault": True, "Code": "AWS.SimpleQueueService.NonExistentQueue", "Message": "gone"},
        ]
    }


def test_change_visibility_batch_entries_may_leave_out_the_timeout():
    service = FakeQueueService(change_message_visibility_batch=BatchResult([("a", None)], []))

    outcome = call(
        service,
        "ChangeMessageVisibilityBatch",
        {
            "QueueUrl": QUEUE_URL,
            "Entries": [{"Id": "a", "ReceiptHandle": "x"}, {"Id": "b", "ReceiptHandle": "y", "VisibilityTimeout": 9}],
        },
    )

    assert document(outcome) == {"Successful": [{"Id": "a"}]}
    assert service.calls[0][1][1] == [ReceiptBatchEntry("a", "x"), ReceiptBatchEntry("b", "y", 9)]


def test_an_empty_or_absent_batch_reaches_the_service_as_an_empty_batch():
    service = FakeQueueService()

    call(service, "SendMessageBatch", {"QueueUrl": QUEUE_URL, "Entries": []})
    call(service, "DeleteMessageBatch", {"QueueUrl": QUEUE_URL})

    assert [arguments[1] for _, arguments in service.calls] == [[], []]


def test_null_members_count_as_absent():
    service = FakeQueueService()

    call(service, "ListQueues", {"QueueNamePrefix": None, "MaxResults": None})

    assert service.calls == [("list_queues", (None, None, None))]


# --- error envelope --------------------------------------------------------------------------


def test_domain_errors_travel_with_their_shape_and_query_code():
    service = FakeQueueService(get_queue_url=QueueDoesNotExist())

    outcome = call(service, "GetQueueUrl", {"QueueName": "missing"})

    message = assert_error(outcome, 400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")
    assert message == "The specified queue does not exist."
    assert document(outcome)["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert outcome.error_code == "QueueDoesNotExist"


def test_errors_keep_the_status_sqs_gives_them():
    service = FakeQueueService(purge_queue=PurgeQueueInProgress("too soon"), delete_message=ReceiptHandleIsInvalid("x"))

    assert_error(
        call(service, "PurgeQueue", {"QueueUrl": QUEUE_URL}),
        403,
        "PurgeQueueInProgress",
        "AWS.SimpleQueueService.PurgeQueueInProgress",
    )
    assert_error(
        call(service, "DeleteMessage", {"QueueUrl": QUEUE_URL, "ReceiptHandle": "x"}),
        404,
        "ReceiptHandleIsInvalid",
        "ReceiptHandleIsInvalid",
    )


@pytest.mark.parametrize("action", ["NoSuchAction", "ListMessageMoveTask", "startMessageMoveTask"])
def test_an_unknown_action_is_an_unknown_operation(action: str):
    outcome = call(FakeQueueService(), action, {})

    message = assert_error(outcome, 400, "UnknownOperationException", "InvalidAction")
    assert message == f"The action {action} is not valid for this endpoint."


def test_a_request_without_a_target_is_an_unknown_operation():
    outcome = call(FakeQueueService(), None, {})

    assert_error(outcome, 400, "UnknownOperationException", "InvalidAction")
    assert outcome.action is None


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"QueueUrl": QUEUE_URL}, "MessageBody"),
        ({"MessageBody": "x"}, "QueueUrl"),
        (
            {"QueueUrl": QUEUE_URL, "MessageBody": "x", "MessageAttributes": {"a": {"StringValue": "v"}}},
            "MessageAttributes.a.DataType",
        ),
    ],
)
def test_missing_required_members_are_named(body: dict[str, Any], parameter: str):
    outcome = call(FakeQueueService(), "SendMessage", body)

    message = assert_error(outcome, 400, "MissingRequiredParameterException", "MissingParameter")
    assert message == f"The request must contain the parameter {parameter}."


def test_a_missing_batch_entry_member_is_named_as_sqs_names_it():
    body = {"QueueUrl": QUEUE_URL, "Entries": [{"Id": "a", "MessageBody": "x"}, {"MessageBody": "y"}]}

    message = assert_error(
        call(FakeQueueService(), "SendMessageBatch", body), 400, "MissingRequiredParameterException", "MissingParameter"
    )

    assert message == "The request must contain the parameter SendMessageBatchRequestEntry.2.Id."


@pytest.mark.parametrize(
    ("action", "member"), [("SetQueueAttributes", "Attributes"), ("TagQueue", "Tags"), ("UntagQueue", "TagKeys")]
)
def test_an_empty_required_map_or_list_is_missing(action: str, member: str):
    empty: Any = [] if member == "TagKeys" else {}

    outcome = call(FakeQueueService(), action, {"QueueUrl": QUEUE_URL, member: empty})

    assert assert_error(outcome, 400, "MissingRequiredParameterException", "MissingParameter").endswith(f" {member}.")


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("SendMessage", {"QueueUrl": 42, "MessageBody": "x"}),
        ("SendMessage", {"QueueUrl": QUEUE_URL, "MessageBody": ["x"]}),
        ("SendMessage", {"QueueUrl": QUEUE_URL, "MessageBody": "x", "DelaySeconds": "5"}),
        ("SendMessage", {"QueueUrl": QUEUE_URL, "MessageBody": "x", "DelaySeconds": True}),
        ("SendMessage", {"QueueUrl": QUEUE_URL, "MessageBody": "x", "DelaySeconds": 1.5}),
        ("SendMessage", {"QueueUrl": QUEUE_URL, "MessageBody": "x", "MessageAttributes": ["a"]}),
        ("SendMessage", {"QueueUrl": QUEUE_URL, "MessageBody": "x", "MessageAttributes": {"a": "b"}}),
        ("SendMessage", {"QueueUrl": QUEUE_URL, "MessageBody": "x", "MessageAttributes": {"a": {"DataType": 1}}}),
        (
            "SendMessage",
            {
                "QueueUrl": QUEUE_URL,
                "MessageBody": "x",
                "MessageAttributes": {"a": {"DataType": "Binary", "BinaryValue": "%%%"}},
            },
        ),
        ("SendMessageBatch", {"QueueUrl": QUEUE_URL, "Entries": {"Id": "a"}}),
        ("SendMessageBatch", {"QueueUrl": QUEUE_URL, "Entries": ["a"]}),
        ("ReceiveMessage", {"QueueUrl": QUEUE_URL, "MaxNumberOfMessages": "10"}),
        ("ReceiveMessage", {"QueueUrl": QUEUE_URL, "AttributeNames": "All"}),
        ("ReceiveMessage", {"QueueUrl": QUEUE_URL, "MessageAttributeNames": [1]}),
        ("CreateQueue", {"QueueName": "q", "Attributes": {"DelaySeconds": 5}}),
        ("CreateQueue", {"QueueName": "q", "tags": ["a"]}),
        ("ChangeMessageVisibility", {"QueueUrl": QUEUE_URL, "ReceiptHandle": "x", "VisibilityTimeout": None}),
    ],
)
def test_members_of_the_wrong_json_type_are_invalid_parameter_values(action: str, body: dict[str, Any]):
    outcome = call(FakeQueueService(), action, body)

    assert outcome.response.status == 400
    assert outcome.response.headers["x-amzn-query-error"] in ("InvalidParameterValue;Sender", "MissingParameter;Sender")


@pytest.mark.parametrize(
    "raw",
    [b"{", b"[1, 2]", b'"text"', b"null", b"\xff\xfe\x00", b"[" * 100_000, b'{"MaxResults": ' + b"9" * 5000 + b"}"],
)
def test_malformed_bodies_are_client_errors_never_server_errors(raw: bytes):
    outcome = call(FakeQueueService(), "ListQueues", raw=raw)

    assert_error(outcome, 400, "InvalidParameterValueException", "InvalidParameterValue")


def test_an_empty_body_is_an_empty_request():
    service = FakeQueueService()

    outcome = call(service, "ListQueues", raw=b"")

    assert outcome.response.status == 200
    assert service.calls == [("list_queues", (None, None, None))]


def test_a_lone_surrogate_echoed_in_a_message_still_makes_valid_utf8_json():
    service = FakeQueueService(send_message=QueueDoesNotExist("Value \ud800 for parameter MessageGroupId is invalid."))

    outcome = call(service, "SendMessage", raw=b'{"QueueUrl": "q", "MessageBody": "x"}')

    outcome.response.body.decode("utf-8")
    assert document(outcome)["message"] == "Value \ud800 for parameter MessageGroupId is invalid."


def test_an_unexpected_exception_is_a_500_that_reveals_nothing():
    service = FakeQueueService(receive_message=RuntimeError("database password is hunter2"))

    outcome = call(service, "ReceiveMessage", {"QueueUrl": QUEUE_URL})

    message = assert_error(outcome, 500, "InternalFailure", "InternalError", fault="Receiver")
    assert "hunter2" not in message
    assert isinstance(outcome.error, RuntimeError)
    assert (outcome.error_code, outcome.queue_name) == ("InternalError", "orders")


def test_a_service_that_cannot_be_built_is_an_internal_error():
    def broken_factory() -> FakeQueueService:
        raise ValueError("DYNAQUEUE_STORE must be one of ...")

    request = HttpRequest("POST", "/", Headers({"X-Amz-Target": "AmazonSQS.ListQueues"}), b"{}", BASE_URL, "req-1")
    outcome = json_protocol.handle(request, broken_factory)

    assert_error(outcome, 500, "InternalFailure", "InternalError", fault="Receiver")


def test_add_and_remove_permission_pass_label_accounts_and_actions():
    service = FakeQueueService()

    added = call(
        service,
        "AddPermission",
        {"QueueUrl": QUEUE_URL, "Label": "l", "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"]},
    )
    removed = call(service, "RemovePermission", {"QueueUrl": QUEUE_URL, "Label": "l"})

    assert (document(added), document(removed)) == ({}, {})
    assert service.calls == [
        ("add_permission", ("orders", "l", ["111111111111"], ["SendMessage"])),
        ("remove_permission", ("orders", "l")),
    ]


def test_add_permission_requires_its_lists():
    outcome = call(FakeQueueService(), "AddPermission", {"QueueUrl": QUEUE_URL, "Label": "l"})

    assert_error(outcome, 400, "MissingRequiredParameterException", "MissingParameter")


def test_dead_letter_sources_are_listed_as_lower_case_queue_urls_even_when_empty():
    paged = FakeQueueService(list_dead_letter_source_queues=(["src"], "next"))
    empty = FakeQueueService()

    assert document(call(paged, "ListDeadLetterSourceQueues", {"QueueUrl": QUEUE_URL, "MaxResults": 1})) == {
        "queueUrls": [f"{BASE_URL}/{ACCOUNT_ID}/src"],
        "NextToken": "next",
    }
    assert document(call(empty, "ListDeadLetterSourceQueues", {"QueueUrl": QUEUE_URL})) == {"queueUrls": []}
    assert paged.calls == [("list_dead_letter_source_queues", ("orders", 1, None))]
