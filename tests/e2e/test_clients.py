"""Clients other than one boto3 call at a time: the AWS CLI, many concurrent consumers, a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ServerProcess, start_server, unique_queue_name

CONSUMERS = 12
MESSAGES = 120
CLI_TIMEOUT_SECONDS = 60


def aws_cli(server: ServerProcess, *arguments: str) -> dict[str, Any]:
    """Run `aws --endpoint-url <server> sqs ...` (the CLI installed beside this interpreter), parse its JSON."""
    executable = Path(sys.executable).with_name("aws")
    environment = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    completed = subprocess.run(
        [str(executable), "--endpoint-url", server.endpoint_url, "--output", "json", "sqs", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout) if completed.stdout.strip() else {}


@pytest.mark.compatibility(
    client="AWS CLI 1.46.3",
    protocol="json",
    actions=[
        "CreateQueue",
        "SendMessage",
        "SendMessageBatch",
        "GetQueueAttributes",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteQueue",
    ],
)
def test_the_aws_cli_creates_sends_receives_and_deletes(server: ServerProcess) -> None:
    name = unique_queue_name("cli")
    url = aws_cli(server, "create-queue", "--queue-name", name)["QueueUrl"]
    sent = aws_cli(
        server,
        "send-message",
        "--queue-url",
        url,
        "--message-body",
        "hello from the cli",
        "--message-attributes",
        '{"kind": {"DataType": "String", "StringValue": "greeting"}}',
    )
    assert sent["MD5OfMessageBody"] == "d9753fc9dd33c4c963eaa685be8083bc"
    batch = aws_cli(
        server,
        "send-message-batch",
        "--queue-url",
        url,
        "--entries",
        json.dumps([{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two"}]),
    )
    assert sorted(entry["Id"] for entry in batch["Successful"]) == ["a", "b"]
    attributes = aws_cli(server, "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "3"
    received = aws_cli(
        server,
        "receive-message",
        "--queue-url",
        url,
        "--max-number-of-messages",
        "10",
        "--message-attribute-names",
        "All",
        "--attribute-names",
        "All",
    )["Messages"]
    assert sorted(message["Body"] for message in received) == ["hello from the cli", "one", "two"]
    for message in received:
        aws_cli(server, "delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    assert "Messages" not in aws_cli(server, "receive-message", "--queue-url", url)
    aws_cli(server, "delete-queue", "--queue-url", url)


@pytest.mark.compatibility(
    client="boto3 1.44.8",
    protocol="json",
    actions=["CreateQueue", "SendMessageBatch", "ReceiveMessage", "DeleteMessageBatch", "GetQueueAttributes"],
)
def test_many_consumers_get_every_message_exactly_once_within_the_visibility_timeout(server: ServerProcess) -> None:
    # Given: a backlog in one queue and consumers that delete what they process
    client = server.client(max_pool_connections=CONSUMERS + 4)
    url = client.create_queue(QueueName=unique_queue_name("many"))["QueueUrl"]
    for start in range(0, MESSAGES, 10):
        entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(start, start + 10)]
        assert "Failed" not in client.send_message_batch(QueueUrl=url, Entries=entries)
    deliveries: Counter[str] = Counter()
    lock = threading.Lock()

    def consume() -> None:
        # The visibility timeout outlasts the whole test, so any second delivery is a duplicate.
        while True:
            messages = client.receive_message(
                QueueUrl=url, MaxNumberOfMessages=4, VisibilityTimeout=300, WaitTimeSeconds=1
            ).get("Messages", [])
            if not messages:
                return
            with lock:
                deliveries.update(message["Body"] for message in messages)
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            assert "Failed" not in client.delete_message_batch(QueueUrl=url, Entries=entries)

    # When
    consumers = [threading.Thread(target=consume, daemon=True) for _ in range(CONSUMERS)]
    for consumer in consumers:
        consumer.start()
    for consumer in consumers:
        consumer.join(timeout=120)

    # Then: all delivered, none twice, and the queue is empty
    assert not any(consumer.is_alive() for consumer in consumers)
    assert deliveries == Counter(f"m{i}" for i in range(MESSAGES))
    counts = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


def test_a_restart_keeps_messages_with_attributes_and_receive_counts(tmp_path: Path) -> None:
    # Given: a message received once and released, and one in flight, on a server that is then stopped
    data_dir = tmp_path / "data"
    first = start_server("embedded", data_dir)
    try:
        sqs = first.client()
        url = sqs.create_queue(QueueName="kept", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
        attributes = {
            "n": {"DataType": "Number.int", "StringValue": "7"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x01"},
        }
        sent = sqs.send_message(QueueUrl=url, MessageBody="durable", MessageAttributes=attributes)
        sqs.send_message(QueueUrl=url, MessageBody="in flight")
        both = {m["Body"]: m for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]}
        assert set(both) == {"durable", "in flight"}
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=both["durable"]["ReceiptHandle"], VisibilityTimeout=0)
        in_flight = both["in flight"]
    finally:
        assert first.stop() == 0, first.output()

    # When: a new server opens the same data directory
    second = start_server("embedded", data_dir)
    try:
        sqs = second.client()
        url = sqs.get_queue_url(QueueName="kept")["QueueUrl"]
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
        )["Messages"]
        # Then: the released message comes back with its attributes and its receive count; the
        # in-flight one stays hidden, and its old receipt handle still settles it.
        assert [m["MessageId"] for m in received] == [sent["MessageId"]]
        assert received[0]["MessageAttributes"] == attributes
        assert received[0]["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
        assert received[0]["Attributes"]["ApproximateReceiveCount"] == "2"
        sqs.delete_message(QueueUrl=url, ReceiptHandle=in_flight["ReceiptHandle"])
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
        assert counts["Attributes"] == {"ApproximateNumberOfMessagesNotVisible": "1"}
    finally:
        assert second.stop() == 0, second.output()
