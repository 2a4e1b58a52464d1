"""The Node AWS SDK, with its MD5 checks on, and sqs-consumer, run as real Node processes against the server."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.client_environments import node_modules
from tests.e2e.conftest import ServerProcess, unique_queue_name

NODE_PACKAGE = Path(__file__).with_name("node")
SCENARIO_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="session")
def node() -> str:
    executable = shutil.which("node")
    assert executable, "node is needed for the Node client tests"
    node_modules(NODE_PACKAGE)
    return executable


def run_scenario(node: str, script: str, server: ServerProcess, name: str) -> dict[str, Any]:
    completed = subprocess.run(
        [node, script, server.endpoint_url, name],
        cwd=NODE_PACKAGE,
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, f"{completed.stderr}\n--- server log ---\n{server.output()}"
    return json.loads(completed.stdout)


@pytest.mark.compatibility(
    client="@aws-sdk/client-sqs 3.1175.0",
    protocol="json",
    actions=[
        "CreateQueue",
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "ChangeMessageVisibility",
        "DeleteMessage",
        "GetQueueAttributes",
        "GetQueueUrl",
        "DeleteQueue",
    ],
)
def test_the_node_sdk_verifies_digests_and_runs_a_message_lifecycle(node: str, server: ServerProcess) -> None:
    name = unique_queue_name("node-sdk")

    seen = run_scenario(node, "sdk_scenario.mjs", server, name)

    # The SDK throws on a wrong digest, so a scenario that finished saw correct ones.
    assert seen["md5_verification"]
    assert seen["queue_url"] == f"{server.endpoint_url}/000000000000/{name}"
    assert seen["send_digests"][0] == hashlib.md5(b"hello from node").hexdigest()
    assert seen["send_batch_successful"] == ["attributed", "plain"]
    assert seen["received"] == [
        {"body": "hello from node", "attribute_names": ["Blob", "Count", "Quote"], "receive_count": "1"},
        {"body": "one", "attribute_names": [], "receive_count": "1"},
        {"body": "two", "attribute_names": ["Count"], "receive_count": "1"},
    ]
    assert seen["binary_round_trips"]
    assert len(seen["visible_again"]) == 1
    assert seen["attributes"]["VisibilityTimeout"] == "30"
    assert seen["attributes"]["ApproximateNumberOfMessages"] == "0"
    assert seen["missing_queue_error"] == "QueueDoesNotExist"


@pytest.mark.compatibility(client="sqs-consumer 14.2.8", protocol="json", actions=["ReceiveMessage", "DeleteMessage"])
def test_sqs_consumer_deletes_what_it_handled_and_gets_a_failed_message_again(node: str, server: ServerProcess) -> None:
    seen = run_scenario(node, "consumer_scenario.mjs", server, unique_queue_name("node-consumer"))

    assert sorted(seen["deliveries"]) == [
        ["first", "1"],
        ["refused once", "1"],
        ["refused once", "2"],
        ["third", "1"],
    ]
    assert seen["errors"] == ["Unexpected message handler failure: refused on first delivery"]
    assert seen["counts"] == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
