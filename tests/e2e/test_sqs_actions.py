"""Every standard-queue action and its errors, as boto3 sees them from a running `dynaqueue serve`."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import unique_queue_name

TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(Error.Code, HTTP status) of a ClientError."""
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def queue(sqs: Any) -> str:
    return sqs.create_queue(QueueName=unique_queue_name("q"))["QueueUrl"]


# --- CreateQueue / GetQueueUrl / ListQueues / DeleteQueue -----------------------------------


def test_create_queue_returns_a_url_on_this_server_and_is_idempotent(sqs: Any, server: Any) -> None:
    name = unique_queue_name("create")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    assert url == f"{server.endpoint_url}/000000000000/{name}"
    assert sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"] == url
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url


def test_create_queue_with_a_conflicting_attribute_fails(sqs: Any) -> None:
    name = unique_queue_name("conflict")
    sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "1"})
    with pytest.raises(sqs.exceptions.QueueNameExists) as raised:
        sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "2"})
    assert error_of(raised) == ("QueueAlreadyExists", 400)


@pytest.mark.parametrize("name", ["has space", "x" * 81, "slash/name", "ends.fifo"])
def test_create_queue_rejects_bad_names(sqs: Any, name: str) -> None:
    with pytest.raises(ClientError) as raised:
        sqs.create_queue(QueueName=name)
    assert error_of(raised) == ("InvalidParameterValue", 400)


@pytest.mark.parametrize(
    ("attributes", "code"),
    [
        ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue"),
        ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"),
        ({"MaximumMessageSize": "1048577"}, "InvalidAttributeValue"),
        ({"DelaySeconds": "abc"}, "InvalidAttributeValue"),
        ({"Foobar": "1"}, "InvalidAttributeName"),
        ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName"),
    ],
)
def test_create_queue_validates_attributes(sqs: Any, attributes: dict[str, str], code: str) -> None:
    with pytest.raises(ClientError) as raised:
        sqs.create_queue(QueueName=unique_queue_name("attrs"), Attributes=attributes)
    assert error_of(raised) == (code, 400)


def test_a_deleted_queue_is_gone_and_its_name_is_blocked_for_a_minute(sqs: Any) -> None:
    name = unique_queue_name("deleted")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as raised:
        sqs.send_message(QueueUrl=url, MessageBody="x")
    assert error_of(raised) == ("AWS.SimpleQueueService.NonExistentQueue", 400)
    with pytest.raises(sqs.exceptions.QueueDeletedRecently) as raised:
        sqs.create_queue(QueueName=name)
    assert error_of(raised) == ("AWS.SimpleQueueService.QueueDeletedRecently", 400)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.delete_queue(QueueUrl=url)


def test_list_queues_filters_by_prefix_and_pages(sqs: Any) -> None:
    prefix = unique_queue_name("list")
    urls = [sqs.create_queue(QueueName=f"{prefix}-{index}")["QueueUrl"] for index in range(3)]
    assert sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == urls
    first = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    assert first["QueueUrls"] == urls[:2]
    second = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=first["NextToken"])
    assert second["QueueUrls"] == urls[2:]
    assert "NextToken" not in second
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=unique_queue_name("none"))
    with pytest.raises(ClientError) as raised:
        sqs.list_queues(MaxResults=1001)
    assert error_of(raised) == ("InvalidParameterValue", 400)


def test_a_queue_url_of_another_account_does_not_resolve(sqs: Any, queue: str) -> None:
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=queue.replace("000000000000", "123456789012"), MessageBody="x")


# --- Get/SetQueueAttributes -----------------------------------------------------------------


def test_get_queue_attributes_all_for_a_fresh_queue(sqs: Any, queue: str) -> None:
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    name = queue.rsplit("/", 1)[1]
    assert attributes["QueueArn"] == f"arn:aws:sqs:us-east-1:000000000000:{name}"
    assert {key: attributes[key] for key in ("DelaySeconds", "MaximumMessageSize", "VisibilityTimeout")} == {
        "DelaySeconds": "0",
        "MaximumMessageSize": "1048576",
        "VisibilityTimeout": "30",
    }
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert abs(int(attributes["CreatedTimestamp"]) - time.time()) < 600
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert "Policy" not in attributes and "FifoQueue" not in attributes
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=queue)


def test_get_queue_attributes_rejects_an_unknown_name(sqs: Any, queue: str) -> None:
    with pytest.raises(ClientError) as raised:
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Foobar"])
    assert error_of(raised) == ("InvalidAttributeName", 400)


def test_set_queue_attributes_changes_and_clears_values(sqs: Any, queue: str) -> None:
    policy = '{"Version":"2012-10-17","Statement":[]}'
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "60", "Policy": policy})
    got = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout", "Policy"])["Attributes"]
    assert got == {"VisibilityTimeout": "60", "Policy": policy}
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": ""})
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    with pytest.raises(ClientError) as raised:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"ReceiveMessageWaitTimeSeconds": "21"})
    assert error_of(raised) == ("InvalidAttributeValue", 400)


def test_a_redrive_policy_needs_an_existing_dead_letter_queue(sqs: Any, queue: str) -> None:
    missing = '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nope","maxReceiveCount":5}'
    with pytest.raises(ClientError) as raised:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedrivePolicy": missing})
    assert error_of(raised) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as raised:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedrivePolicy": "{}"})
    assert error_of(raised) == ("InvalidParameterValue", 400)


# --- PurgeQueue -----------------------------------------------------------------------------


def test_purge_empties_the_queue_once_per_minute(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="x")
    sqs.purge_queue(QueueUrl=queue)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as raised:
        sqs.purge_queue(QueueUrl=queue)
    assert error_of(raised) == ("AWS.SimpleQueueService.PurgeQueueInProgress", 403)


# --- Tags -----------------------------------------------------------------------------------


def test_tags_are_set_at_creation_added_removed_and_listed(sqs: Any) -> None:
    url = sqs.create_queue(QueueName=unique_queue_name("tags"), tags={"team": "a"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev", "Team": "b"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["env", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "Team": "b"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "Team"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)


def test_tag_errors(sqs: Any, queue: str) -> None:
    with pytest.raises(ClientError) as raised:
        sqs.tag_queue(QueueUrl=queue, Tags={f"k{index}": "v" for index in range(51)})
    assert error_of(raised) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as raised:
        sqs.tag_queue(QueueUrl=queue, Tags={})
    assert error_of(raised) == ("MissingParameter", 400)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.list_queue_tags(QueueUrl=queue + "-missing")


# --- SendMessage / ReceiveMessage -----------------------------------------------------------


def test_send_and_receive_with_every_attribute_type(sqs: Any, queue: str) -> None:
    attributes = {
        "Zeta": {"DataType": "String", "StringValue": "héllo"},
        "alpha": {"DataType": "Number.float", "StringValue": "3.14"},
        "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff\x10"},
        "Gif": {"DataType": "Binary.gif", "BinaryValue": b"GIF89a"},
    }
    sent = sqs.send_message(
        QueueUrl=queue,
        MessageBody="Hello, SQS!",
        MessageAttributes=attributes,
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE_HEADER}},
    )
    assert sent["MD5OfMessageBody"] == "982e00ffc10ba49378a8653ca8fecf47"
    assert sent["MD5OfMessageSystemAttributes"] == "5ae4d5d7636402d80f4eb6d213245a88"
    message = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])[
        "Messages"
    ][0]
    assert message["MessageAttributes"] == attributes
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["Attributes"]["AWSTraceHeader"] == TRACE_HEADER
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert set(message["Attributes"]) >= {"SenderId", "SentTimestamp", "ApproximateFirstReceiveTimestamp"}


def test_the_digest_of_the_worked_example(sqs: Any, queue: str) -> None:
    sent = sqs.send_message(
        QueueUrl=queue,
        MessageBody="x",
        MessageAttributes={
            "Zeta": {"DataType": "String", "StringValue": "héllo"},
            "alpha": {"DataType": "Number.float", "StringValue": "3.14"},
            "Blob": {"DataType": "Binary", "BinaryValue": base64.b64decode("AP8Q")},
        },
    )
    assert sent["MD5OfMessageAttributes"] == "600f353b030bf8c264aadd2a6c6da5ed"
    assert "MD5OfMessageSystemAttributes" not in sent


def test_receive_filters_attributes_and_recomputes_the_digest(sqs: Any, queue: str) -> None:
    sqs.send_message(
        QueueUrl=queue,
        MessageBody="x",
        MessageAttributes={
            "General": {"DataType": "String", "StringValue": "Kenobi"},
            "Hello": {"DataType": "String", "StringValue": "There"},
            "Help.Me": {"DataType": "String", "StringValue": "Me"},
        },
    )
    message = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["Hel.*"], AttributeNames=["SentTimestamp"])[
        "Messages"
    ][0]
    assert set(message["MessageAttributes"]) == {"Hello", "Help.Me"}
    assert message["MD5OfMessageAttributes"] == "83fee93c1bcd8b9a5a923ffacdc636c7"
    assert set(message["Attributes"]) == {"SentTimestamp"}


def test_a_message_without_requested_attributes_has_no_attribute_members(sqs: Any, queue: str) -> None:
    sqs.send_message(
        QueueUrl=queue, MessageBody="x", MessageAttributes={"a": {"DataType": "String", "StringValue": "b"}}
    )
    message = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert not {"MessageAttributes", "MD5OfMessageAttributes", "Attributes"} & set(message)


def test_a_one_mebibyte_message_round_trips(sqs: Any, queue: str) -> None:
    body = "é" * (1_048_576 // 2)
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    assert sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"] == body
    with pytest.raises(ClientError) as raised:
        sqs.send_message(QueueUrl=queue, MessageBody=body + "x")
    assert error_of(raised) == ("InvalidParameterValue", 400)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"MessageBody": ""}, "MissingParameter"),
        ({"MessageBody": "bell\x07"}, "InvalidMessageContents"),
        ({"MessageBody": "x", "DelaySeconds": 901}, "InvalidParameterValue"),
        ({"MessageBody": "x", "MessageDeduplicationId": "d"}, "InvalidParameterValue"),
        ({"MessageBody": "x", "MessageGroupId": "has space"}, "InvalidParameterValue"),
        (
            {"MessageBody": "x", "MessageAttributes": {"AWS.x": {"DataType": "String", "StringValue": "v"}}},
            "InvalidParameterValue",
        ),
        (
            {"MessageBody": "x", "MessageAttributes": {"a": {"DataType": "Invalid", "StringValue": "v"}}},
            "InvalidParameterValue",
        ),
        (
            {"MessageBody": "x", "MessageAttributes": {"a": {"DataType": "String", "StringValue": ""}}},
            "InvalidParameterValue",
        ),
        (
            {
                "MessageBody": "x",
                "MessageAttributes": {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
            },
            "InvalidParameterValue",
        ),
    ],
)
def test_send_message_errors(sqs: Any, queue: str, kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as raised:
        sqs.send_message(QueueUrl=queue, **kwargs)
    assert error_of(raised) == (code, 400)


def test_delayed_messages_are_counted_and_arrive_after_the_delay(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=2)
    counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)["Messages"][0]["Body"] == "later"


def test_a_received_message_is_in_flight_until_its_timeout(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="x")
    first = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=2)["Messages"][0]
    counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert counts["Attributes"] == {"ApproximateNumberOfMessagesNotVisible": "1"}
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    again = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10, AttributeNames=["ApproximateReceiveCount"])
    second = again["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"


def test_receive_returns_up_to_max_number_of_messages(sqs: Any, queue: str) -> None:
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(5)])
    assert len(sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=3)["Messages"]) == 3
    assert len(sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]) == 2


@pytest.mark.parametrize(
    "kwargs",
    [{"MaxNumberOfMessages": 11}, {"MaxNumberOfMessages": 0}, {"WaitTimeSeconds": 21}, {"VisibilityTimeout": -1}],
)
def test_receive_message_errors(sqs: Any, queue: str, kwargs: dict[str, int]) -> None:
    with pytest.raises(ClientError) as raised:
        sqs.receive_message(QueueUrl=queue, **kwargs)
    assert error_of(raised) == ("InvalidParameterValue", 400)


def test_a_long_poll_returns_as_soon_as_a_message_is_available(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="ready")
    # MaxNumberOfMessages is an upper bound: SQS does not wait to fill it.
    assert len(sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=20)["Messages"]) == 1


# --- DeleteMessage / ChangeMessageVisibility ------------------------------------------------


def test_delete_is_idempotent_and_rejects_foreign_handles(sqs: Any, queue: str) -> None:
    other = sqs.create_queue(QueueName=unique_queue_name("other"))["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=queue)["Messages"][0]["ReceiptHandle"]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid) as raised:
        sqs.delete_message(QueueUrl=other, ReceiptHandle=handle)
    assert error_of(raised)[0] == "ReceiptHandleIsInvalid"
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=queue, ReceiptHandle="garbage")
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"] == {
        "ApproximateNumberOfMessages": "0"
    }


def test_change_visibility_hides_releases_and_rejects(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=1)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=600)
    time.sleep(1.5)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=0)
    handle = sqs.receive_message(QueueUrl=queue)["Messages"][0]["ReceiptHandle"]
    with pytest.raises(ClientError) as raised:
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=43_201)
    assert error_of(raised) == ("InvalidParameterValue", 400)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)
    with pytest.raises(ClientError) as raised:
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=10)
    assert error_of(raised) == ("InvalidParameterValue", 400)
    assert "Message does not exist" in raised.value.response["Error"]["Message"]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle="garbage", VisibilityTimeout=10)


# --- batches --------------------------------------------------------------------------------


def test_send_batch_reports_successes_and_failures(sqs: Any) -> None:
    url = sqs.create_queue(QueueName=unique_queue_name("batch"), Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "fine", "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}}},
            {"Id": "big", "MessageBody": "x" * 1025},
            {"Id": "bad", "MessageBody": "\x00"},
        ],
    )
    assert [(entry["Id"], entry["MD5OfMessageBody"]) for entry in result["Successful"]] == [
        ("ok", "fff25994ee3941b225ba898fd17d186f")
    ]
    assert "MD5OfMessageAttributes" in result["Successful"][0]
    failed = {entry["Id"]: entry for entry in result["Failed"]}
    assert failed["big"]["Code"] == "InvalidParameterValue" and failed["big"]["SenderFault"] is True
    assert failed["bad"]["Code"] == "InvalidMessageContents"
    everything_ok = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "a"}])
    assert "Failed" not in everything_ok


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (
            [{"Id": str(i), "MessageBody": "x"} for i in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        (
            [{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}],
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        ([{"Id": "not valid!", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        (
            [{"Id": "a", "MessageBody": "x" * 600_000}, {"Id": "b", "MessageBody": "x" * 600_000}],
            "AWS.SimpleQueueService.BatchRequestTooLong",
        ),
    ],
)
def test_send_batch_whole_request_errors(sqs: Any, queue: str, entries: list[dict[str, Any]], code: str) -> None:
    with pytest.raises(ClientError) as raised:
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert error_of(raised) == (code, 400)


def test_delete_and_change_visibility_batches(sqs: Any, queue: str) -> None:
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    handles = [m["ReceiptHandle"] for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]]
    assert len(handles) == 3
    changed = sqs.change_message_visibility_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "a", "ReceiptHandle": handles[0], "VisibilityTimeout": 0},
            {"Id": "b", "ReceiptHandle": "garbage", "VisibilityTimeout": 0},
        ],
    )
    assert [entry["Id"] for entry in changed["Successful"]] == ["a"]
    assert [(entry["Id"], entry["Code"], entry["SenderFault"]) for entry in changed["Failed"]] == [
        ("b", "ReceiptHandleIsInvalid", True)
    ]
    deleted = sqs.delete_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": "x", "ReceiptHandle": handles[1]}, {"Id": "y", "ReceiptHandle": handles[2]}],
    )
    assert sorted(entry["Id"] for entry in deleted["Successful"]) == ["x", "y"]
    assert "Failed" not in deleted
    with pytest.raises(ClientError) as raised:
        sqs.delete_message_batch(QueueUrl=queue, Entries=[])
    assert error_of(raised) == ("AWS.SimpleQueueService.EmptyBatchRequest", 400)
    with pytest.raises(ClientError) as raised:
        sqs.change_message_visibility_batch(
            QueueUrl=queue, Entries=[{"Id": "a", "ReceiptHandle": handles[0]}, {"Id": "a", "ReceiptHandle": handles[0]}]
        )
    assert error_of(raised) == ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400)


# --- permissions and dead-letter sources ----------------------------------------------------


def test_add_and_remove_permission_maintain_the_policy(sqs: Any, queue: str) -> None:
    sqs.add_permission(QueueUrl=queue, Label="partners", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert [(s["Sid"], s["Action"], s["Principal"]) for s in policy["Statement"]] == [
        ("partners", "SQS:SendMessage", {"AWS": "arn:aws:iam::111111111111:root"})
    ]
    with pytest.raises(ClientError) as raised:
        sqs.add_permission(QueueUrl=queue, Label="partners", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
    assert error_of(raised) == ("InvalidParameterValue", 400)
    sqs.remove_permission(QueueUrl=queue, Label="partners")
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])
    with pytest.raises(ClientError) as raised:
        sqs.remove_permission(QueueUrl=queue, Label="partners")
    assert error_of(raised) == ("InvalidParameterValue", 400)


def test_list_dead_letter_source_queues(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName=unique_queue_name("dlq"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})
    source = sqs.create_queue(QueueName=unique_queue_name("src"), Attributes={"RedrivePolicy": policy})["QueueUrl"]
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]
    assert sqs.list_dead_letter_source_queues(QueueUrl=source)["queueUrls"] == []
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.list_dead_letter_source_queues(QueueUrl=dlq + "-missing")
