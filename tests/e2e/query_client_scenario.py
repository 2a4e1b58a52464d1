"""Every action's success and errors as an SDK sees them: `python query_client_scenario.py ENDPOINT_URL QUEUE`.

Run by an old boto3 that still speaks AWS Query and by the current one (AWS JSON 1.0), so both protocols
are held to the same observations.
"""

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
PARTNER_ACCOUNT = "111111111111"
# One more than the ten entries a batch may hold.
OVERFULL_BATCH = 11
# One more than the seven actions a permission may grant.
EIGHT_ACTIONS = [
    "SendMessage",
    "ReceiveMessage",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "GetQueueAttributes",
    "GetQueueUrl",
    "PurgeQueue",
    "ListQueueTags",
]


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


def policy_labels(sqs: Any, url: str) -> list[str]:
    policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}).get("Policy")
    return [statement["Sid"] for statement in json.loads(policy)["Statement"]] if policy else []


def errors_of_every_action(sqs: Any, url: str, name: str) -> dict[str, dict[str, Any]]:
    """At least one failing call per action, keyed `Action` (or `Action.case` for more), on a live queue `url`."""
    missing_url = f"{url}-missing"
    sqs.add_permission(QueueUrl=url, Label="taken", AWSAccountIds=[PARTNER_ACCOUNT], Actions=["SendMessage"])
    overfull = [{"Id": f"e{index}", "ReceiptHandle": BOGUS_RECEIPT_HANDLE} for index in range(OVERFULL_BATCH)]
    errors = {
        "CreateQueue": error_of(sqs.create_queue, QueueName=name, Attributes={"VisibilityTimeout": "5"}),
        "CreateQueue.bad_name": error_of(sqs.create_queue, QueueName="has space"),
        "GetQueueUrl": error_of(sqs.get_queue_url, QueueName=f"{name}-missing"),
        "ListQueues": error_of(sqs.list_queues, MaxResults=1001),
        "DeleteQueue": error_of(sqs.delete_queue, QueueUrl=missing_url),
        "GetQueueAttributes": error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Foobar"]),
        "SetQueueAttributes": error_of(
            sqs.set_queue_attributes, QueueUrl=url, Attributes={"VisibilityTimeout": "43201"}
        ),
        "TagQueue": error_of(sqs.tag_queue, QueueUrl=url, Tags={}),
        "UntagQueue": error_of(sqs.untag_queue, QueueUrl=missing_url, TagKeys=["team"]),
        "ListQueueTags": error_of(sqs.list_queue_tags, QueueUrl=missing_url),
        "AddPermission": error_of(
            sqs.add_permission, QueueUrl=url, Label="taken", AWSAccountIds=[PARTNER_ACCOUNT], Actions=["SendMessage"]
        ),
        "AddPermission.too_many_actions": error_of(
            sqs.add_permission, QueueUrl=url, Label="wide", AWSAccountIds=[PARTNER_ACCOUNT], Actions=EIGHT_ACTIONS
        ),
        "RemovePermission": error_of(sqs.remove_permission, QueueUrl=url, Label="unknown"),
        "ListDeadLetterSourceQueues": error_of(sqs.list_dead_letter_source_queues, QueueUrl=missing_url),
        "ListDeadLetterSourceQueues.bad_max_results": error_of(
            sqs.list_dead_letter_source_queues, QueueUrl=url, MaxResults=0
        ),
        "SendMessage": error_of(sqs.send_message, QueueUrl=url, MessageBody="bell \x07"),
        "SendMessage.missing_queue": error_of(sqs.send_message, QueueUrl=missing_url, MessageBody="x"),
        "SendMessageBatch": error_of(sqs.send_message_batch, QueueUrl=url, Entries=[]),
        "SendMessageBatch.bad_id": error_of(
            sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "not valid!", "MessageBody": "x"}]
        ),
        "ReceiveMessage": error_of(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11),
        "DeleteMessage": error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle=BOGUS_RECEIPT_HANDLE),
        "DeleteMessageBatch": error_of(
            sqs.delete_message_batch,
            QueueUrl=url,
            Entries=[{"Id": "twice", "ReceiptHandle": BOGUS_RECEIPT_HANDLE}] * 2,
        ),
        "ChangeMessageVisibility": error_of(
            sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=BOGUS_RECEIPT_HANDLE, VisibilityTimeout=10
        ),
        "ChangeMessageVisibilityBatch.empty": error_of(sqs.change_message_visibility_batch, QueueUrl=url, Entries=[]),
        "ChangeMessageVisibilityBatch": error_of(
            sqs.change_message_visibility_batch,
            QueueUrl=url,
            Entries=[{**entry, "VisibilityTimeout": 10} for entry in overfull],
        ),
    }
    sqs.remove_permission(QueueUrl=url, Label="taken")
    return errors


def scenario(endpoint_url: str, name: str) -> dict[str, Any]:
    """Every action once, through the boto3 of the interpreter running this file (so nothing of the project).

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
    seen: dict[str, Any] = {"protocol": sqs.meta.service_model.protocol, "boto3": boto3.__version__}

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

    sqs.add_permission(QueueUrl=url, Label="partners", AWSAccountIds=[PARTNER_ACCOUNT], Actions=["SendMessage"])
    seen["labels_after_adding"] = policy_labels(sqs, url)
    sqs.remove_permission(QueueUrl=url, Label="partners")
    seen["labels_after_removing"] = policy_labels(sqs, url)

    dead_letter_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])["Attributes"]
    redrive = json.dumps({"deadLetterTargetArn": dead_letter_arn["QueueArn"], "maxReceiveCount": 5})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": redrive})
    seen["dead_letter_sources"] = sqs.list_dead_letter_source_queues(QueueUrl=dead_letter_url)["queueUrls"]
    sqs.delete_queue(QueueUrl=dead_letter_url)

    sqs.send_message(QueueUrl=url, MessageBody="to be purged")
    sqs.purge_queue(QueueUrl=url)
    seen["errors"] = errors_of_every_action(sqs, url, name)
    seen["errors"]["PurgeQueue"] = error_of(sqs.purge_queue, QueueUrl=url)

    sqs.delete_queue(QueueUrl=url)
    seen["errors"]["GetQueueUrl.deleted"] = error_of(sqs.get_queue_url, QueueName=name)
    seen["errors"]["CreateQueue.deleted_recently"] = error_of(sqs.create_queue, QueueName=name)
    return seen


if __name__ == "__main__":
    observed = scenario(sys.argv[1], sys.argv[2])
    json.dump(observed, sys.stdout)
