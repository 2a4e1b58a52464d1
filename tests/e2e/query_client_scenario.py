"""What an SDK still speaking AWS Query sees of a server: `python query_client_scenario.py ENDPOINT_URL QUEUE`."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

BODY = 'say "hi" & <bye>\r\nsecond line\rend'
ATTRIBUTES = {
    "Quote": {"DataType": "String", "StringValue": 'a "quoted"\r\nvalue & <more>'},
    "Count": {"DataType": "Number", "StringValue": "42"},
    "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff\r\n"},
}
BOGUS_RECEIPT_HANDLE = "not-a-receipt-handle"
RECEIVE_ATTEMPTS = 5


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode()).hexdigest()


def md5_of_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """The SDKs' digest: per name in UTF-8 byte order, length-prefixed name, type, transport byte and value."""
    digest = hashlib.md5()
    for name in sorted(attributes, key=lambda key: key.encode()):
        attribute = attributes[name]
        binary = attribute["DataType"].startswith("Binary")
        value = attribute["BinaryValue"] if binary else attribute["StringValue"].encode()
        for part in (name.encode(), attribute["DataType"].encode()):
            digest.update(len(part).to_bytes(4, "big") + part)
        digest.update(b"\x02" if binary else b"\x01")
        digest.update(len(value).to_bytes(4, "big") + value)
    return digest.hexdigest()


def error_of(call: Callable[..., Any], **parameters: Any) -> dict[str, Any]:
    """How a failing call surfaced: exception class, code, type, message and HTTP status."""
    try:
        call(**parameters)
    except ClientError as error:
        return {
            "exception": type(error).__name__,
            "code": error.response["Error"]["Code"],
            "type": error.response["Error"].get("Type"),
            "message": error.response["Error"].get("Message"),
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    return {"exception": None}


def receive_all(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for _ in range(RECEIVE_ATTEMPTS):
        messages += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if len(messages) >= count:
            break
    return messages


def batch_outcome(response: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "successful": sorted(entry["Id"] for entry in response.get("Successful", [])),
        "failed": sorted((entry["Id"], entry["Code"], entry["SenderFault"]) for entry in response.get("Failed", [])),
    }


def scenario(endpoint_url: str, name: str) -> dict[str, Any]:
    """Every action once, through an old boto3 in a virtual environment of its own (so nothing of the project).

    Digests are checked here, as SDKs check them; what was seen is returned for the test to assert on.
    """
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )
    seen: dict[str, Any] = {"protocol": sqs.meta.service_model.protocol}

    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30"}, tags={"team": "query"})["QueueUrl"]
    seen["queue_url"] = url
    seen["get_queue_url"] = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    seen["listed"] = sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])

    sent = sqs.send_message(QueueUrl=url, MessageBody=BODY, MessageAttributes=ATTRIBUTES)
    seen["send_digests_match"] = [
        sent["MD5OfMessageBody"] == md5_of_body(BODY),
        sent["MD5OfMessageAttributes"] == md5_of_attributes(ATTRIBUTES),
    ]
    received = sqs.receive_message(
        QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=5
    )["Messages"]
    message = received[0]
    seen["received_count"] = len(received)
    seen["body_round_trips"] = message["Body"] == BODY
    seen["received_body"] = message["Body"]
    seen["attributes_round_trip"] = message["MessageAttributes"] == ATTRIBUTES
    seen["receive_digests_match"] = [
        message["MD5OfBody"] == md5_of_body(message["Body"]),
        message["MD5OfMessageAttributes"] == md5_of_attributes(message["MessageAttributes"]),
    ]
    seen["system_attributes"] = sorted(message["Attributes"])
    seen["receive_count"] = message["Attributes"]["ApproximateReceiveCount"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=10)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    batch = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "plain", "MessageBody": "one"},
            {"Id": "attributed", "MessageBody": "two", "MessageAttributes": {"Count": ATTRIBUTES["Count"]}},
            {"Id": "invalid", "MessageBody": "bad \x01 character"},
        ],
    )
    seen["send_batch"] = batch_outcome(batch)
    seen["send_batch_digests_match"] = [
        entry["MD5OfMessageBody"] == md5_of_body({"plain": "one", "attributed": "two"}[entry["Id"]])
        for entry in batch["Successful"]
    ]
    handles = [message["ReceiptHandle"] for message in receive_all(sqs, url, 2)]
    entries = [{"Id": f"m{index}", "ReceiptHandle": handle} for index, handle in enumerate(handles)]
    bogus = {"Id": "bogus", "ReceiptHandle": BOGUS_RECEIPT_HANDLE}
    seen["change_visibility_batch"] = batch_outcome(
        sqs.change_message_visibility_batch(
            QueueUrl=url, Entries=[{**entry, "VisibilityTimeout": 20} for entry in [*entries, bogus]]
        )
    )
    seen["delete_batch"] = batch_outcome(sqs.delete_message_batch(QueueUrl=url, Entries=[*entries, bogus]))

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "45", "DelaySeconds": "0"})
    seen["attributes"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds"])[
        "Attributes"
    ]
    seen["all_attribute_names"] = sorted(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])

    sqs.tag_queue(QueueUrl=url, Tags={"env": "test"})
    seen["tags_after_tagging"] = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "env"])
    seen["tags_after_untagging"] = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})

    sqs.send_message(QueueUrl=url, MessageBody="to be purged")
    sqs.purge_queue(QueueUrl=url)
    seen["purge_again"] = error_of(sqs.purge_queue, QueueUrl=url)

    seen["errors"] = {
        "missing_queue": error_of(sqs.get_queue_url, QueueName=f"{name}-missing"),
        "too_many_messages": error_of(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11),
        "empty_batch": error_of(sqs.send_message_batch, QueueUrl=url, Entries=[]),
        "bogus_receipt": error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle=BOGUS_RECEIPT_HANDLE),
        "conflicting_create": error_of(sqs.create_queue, QueueName=name, Attributes={"VisibilityTimeout": "5"}),
    }
    sqs.delete_queue(QueueUrl=url)
    seen["after_delete"] = error_of(sqs.get_queue_url, QueueName=name)
    return seen


if __name__ == "__main__":
    observed = scenario(sys.argv[1], sys.argv[2])
    json.dump(observed, sys.stdout)
