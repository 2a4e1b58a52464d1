"""The local server as SQS clients see it: boto3 against `dynaqueue serve` in a subprocess."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import ServerProcess, start_server, unique_queue_name

# The embedded store is the local default and must hold hundreds of polls (house style, Decision 4);
# moto serves the AWS code path offline, and every poll costs it table scans, so it gets fewer.
LONG_POLLS = {"embedded": 200, "moto": 20}
LONG_POLL_SECONDS = 5
CONCURRENT_RECEIVERS = 20
MESSAGES_TO_SHARE = 30
THREAD_WAIT_ATTEMPTS = 300
THREAD_WAIT_PAUSE_SECONDS = 0.1


def test_boto3_creates_sends_receives_and_deletes(sqs: Any):
    # Given
    url = sqs.create_queue(QueueName=unique_queue_name("basic"))["QueueUrl"]

    # When
    sent = sqs.send_message(
        QueueUrl=url, MessageBody="hello", MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}}
    )
    received = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])

    # Then
    assert [message["MessageId"] for message in received] == [sent["MessageId"]]
    assert received[0]["Body"] == "hello"
    assert received[0]["MD5OfBody"] == sent["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert received[0]["MessageAttributes"] == {"color": {"DataType": "String", "StringValue": "red"}}
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_a_missing_queue_is_the_error_boto3_knows(sqs: Any):
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as raised:
        sqs.get_queue_url(QueueName=unique_queue_name("missing"))

    error = raised.value.response["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["QueryErrorCode"] == "QueueDoesNotExist"
    assert error["Type"] == "Sender"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert isinstance(raised.value, ClientError)


def test_a_client_error_is_a_client_error_not_a_server_fault(sqs: Any):
    url = sqs.create_queue(QueueName=unique_queue_name("limits"))["QueueUrl"]

    with pytest.raises(ClientError) as raised:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)

    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_queue_urls_point_back_at_the_server(server: ServerProcess, sqs: Any):
    name = unique_queue_name("routed")

    created = sqs.create_queue(QueueName=name)["QueueUrl"]

    assert created == f"{server.endpoint_url}/000000000000/{name}"
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == created
    assert created in sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]


def test_hundreds_of_long_polls_are_held_while_a_send_goes_through(server: ServerProcess):
    # Given: many receivers, each on its own connection, long-polling an empty queue
    long_polls = LONG_POLLS[server.store]
    poller = server.client(max_pool_connections=long_polls + 10)
    url = poller.create_queue(QueueName=unique_queue_name("polls"))["QueueUrl"]
    received: list[list[dict[str, Any]]] = []
    errors: list[Exception] = []
    finished = threading.Semaphore(0)

    def long_poll() -> None:
        try:
            received.append(poller.receive_message(QueueUrl=url, WaitTimeSeconds=LONG_POLL_SECONDS).get("Messages", []))
        except Exception as error:
            errors.append(error)
        finally:
            finished.release()

    threads = [threading.Thread(target=long_poll, daemon=True) for _ in range(long_polls)]
    for thread in threads:
        thread.start()
    # Each poll the server holds occupies one thread of its own.
    _wait_until(lambda: server.thread_count() >= long_polls)

    # When: a send arrives while every poll is held
    sent = server.client().send_message(QueueUrl=url, MessageBody="wake up")
    finished_when_sent = len(received) + len(errors)
    for thread in threads:
        thread.join(timeout=LONG_POLL_SECONDS + 30)

    # Then: the send went through while the polls were still held, and one poll got the message
    assert not errors
    assert finished_when_sent <= 1
    messages = [message for batch in received for message in batch]
    assert [message["MessageId"] for message in messages] == [sent["MessageId"]]
    assert len(received) == long_polls


def test_concurrent_receivers_never_get_the_same_message(server: ServerProcess):
    # Given
    client = server.client(max_pool_connections=CONCURRENT_RECEIVERS + 10)
    url = client.create_queue(QueueName=unique_queue_name("shared"))["QueueUrl"]
    for start in range(0, MESSAGES_TO_SHARE, 10):
        entries = [{"Id": str(index), "MessageBody": f"m{index}"} for index in range(start, start + 10)]
        assert "Failed" not in client.send_message_batch(QueueUrl=url, Entries=entries)
    delivered: list[str] = []

    def drain() -> None:
        while True:
            messages = client.receive_message(
                QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=60, WaitTimeSeconds=1
            ).get("Messages", [])
            if not messages:
                return
            delivered.extend(message["Body"] for message in messages)

    # When
    receivers = [threading.Thread(target=drain, daemon=True) for _ in range(CONCURRENT_RECEIVERS)]
    for receiver in receivers:
        receiver.start()
    for receiver in receivers:
        receiver.join(timeout=60)

    # Then
    assert sorted(delivered) == sorted(f"m{index}" for index in range(MESSAGES_TO_SHARE))


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_ends_the_server_cleanly_and_keeps_its_data(tmp_path: Path, signal_number: int):
    # Given: a message sent to a server on the embedded store, and a keep-alive connection left open
    data_dir = tmp_path / "data"
    server = start_server("embedded", data_dir)
    try:
        sqs = server.client()
        url = sqs.create_queue(QueueName="durable")["QueueUrl"]
        sent = sqs.send_message(QueueUrl=url, MessageBody="kept")
    finally:
        exit_code = server.stop(signal_number)

    # Then: it exits with 0, and a new server on the same data directory still has the message
    assert exit_code == 0, server.output()
    assert "dynaqueue stopped" in server.output()
    assert (data_dir / "dynaqueue.db").stat().st_size > 0
    restarted = start_server("embedded", data_dir)
    try:
        sqs = restarted.client()
        url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
        assert [message["MessageId"] for message in messages] == [sent["MessageId"]]
    finally:
        assert restarted.stop() == 0


def test_a_long_poll_in_flight_does_not_keep_the_server_from_stopping(tmp_path: Path):
    # Given: a 20-second poll held by the server on a connection of its own
    server = start_server("embedded", tmp_path / "data")
    try:
        creator = server.client()
        url = creator.create_queue(QueueName="waiting")["QueueUrl"]
        creator.close()
        # With no connection left, the thread count is the server's own; the poll adds one to it.
        _wait_until(lambda: server.connection_count() == 0)
        threads_before = server.thread_count()
        poller = server.client()
        poll = threading.Thread(
            target=_ignore_errors(lambda: poller.receive_message(QueueUrl=url, WaitTimeSeconds=20)), daemon=True
        )
        poll.start()
        _wait_until(lambda: server.thread_count() > threads_before)
    finally:
        # When: a stop signal arrives
        exit_code = server.stop()

    # Then: the server still ends cleanly
    assert exit_code == 0, server.output()
    # The poll outlives the grace period and is abandoned. (Whether the "waiting" line comes first depends
    # on whether the server had read the poll's request when the signal arrived, not only its connection.)
    assert "1 requests abandoned" in server.output()
    poll.join(timeout=30)


def _ignore_errors(action: Any) -> Any:
    def run() -> None:
        # The server goes away under the poll; that is the point of the test.
        with contextlib.suppress(Exception):
            action()

    return run


def _wait_until(condition: Any) -> None:
    for _ in range(THREAD_WAIT_ATTEMPTS):
        if condition():
            return
        time.sleep(THREAD_WAIT_PAUSE_SECONDS)
    raise AssertionError("condition not reached")
