"""Encrypted queues as boto3 sees them from a running `dynaqueue serve`, on both stores."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from typing import Any

import pytest

from tests.e2e.conftest import ServerProcess, unique_queue_name

BODY = "meet at the usual place \u00e9\U0001f600"
ATTRIBUTES = {
    "codename": {"DataType": "String", "StringValue": "nightingale-secret"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01binary-secret"},
}

SSE_CASES = {
    "sse-kms": {"KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "120"},
    "sse-sqs": {"SqsManagedSseEnabled": "true"},
    "default": {},
}


@pytest.mark.parametrize("case", SSE_CASES)
def test_a_message_on_an_encrypted_queue_round_trips(server: ServerProcess, sqs: Any, case: str) -> None:
    queue_url = sqs.create_queue(QueueName=unique_queue_name(case), Attributes=SSE_CASES[case])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["SqsManagedSseEnabled"] == ("false" if case == "sse-kms" else "true")

    sent = sqs.send_message(QueueUrl=queue_url, MessageBody=BODY, MessageAttributes=ATTRIBUTES)
    [received] = sqs.receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]

    assert received["MessageId"] == sent["MessageId"]
    assert received["Body"] == BODY
    assert received["MD5OfBody"] == sent["MD5OfMessageBody"] == hashlib.md5(BODY.encode()).hexdigest()
    assert received["MessageAttributes"] == ATTRIBUTES
    assert received["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=received["ReceiptHandle"])


# Only the embedded store keeps its messages in a file the test can read.
@pytest.mark.parametrize("server", ["embedded"], indirect=True)
def test_the_embedded_file_holds_no_plaintext_and_the_master_key_is_owner_only(server: ServerProcess, sqs: Any) -> None:
    queue_url = sqs.create_queue(QueueName=unique_queue_name("file"), Attributes=SSE_CASES["sse-kms"])["QueueUrl"]
    sent = sqs.send_message(QueueUrl=queue_url, MessageBody=BODY, MessageAttributes=ATTRIBUTES)

    database = sqlite3.connect(f"file:{server.data_dir / 'dynaqueue.db'}?mode=ro", uri=True)
    try:
        [(body, attributes)] = database.execute(
            """
            SELECT message_contents.body, message_contents.attributes
            FROM messages JOIN message_contents ON message_rowid = messages.rowid WHERE message_id = ?
            """,
            (sent["MessageId"],),
        ).fetchall()
    finally:
        database.close()

    assert BODY not in body
    assert "nightingale-secret" not in body + attributes
    assert "binary-secret" not in body + attributes
    master_key = server.data_dir / "master.key"
    assert stat.S_IMODE(master_key.stat().st_mode) == 0o600
