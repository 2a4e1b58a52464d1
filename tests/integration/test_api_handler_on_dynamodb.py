"""The deployed path offline: the Lambda handler, wired from its environment, on DynamoDB (moto)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dynaqueue import config, wiring
from dynaqueue.handlers.api import lambda_handler
from dynaqueue.local.gateway import LocalLambdaContext
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.encryption import EncryptingStore

ACCOUNT_ID = "123456789012"
HOST = "abc123.execute-api.us-east-1.amazonaws.com"


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the stack provides: a table, a generated receipt secret and the function's environment."""
    with mock_aws():
        DynamoStore.create_table(boto3.client("dynamodb", region_name="us-east-1"), "queues")
        secret_arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="receipt", SecretString="ab" * 32
        )["ARN"]
        environment = {
            config.ENV_STORE: "dynamodb",
            config.ENV_TABLE_NAME: "queues",
            config.ENV_ACCOUNT_ID: ACCOUNT_ID,
            config.ENV_REGION: "us-east-1",
            config.ENV_RECEIPT_SECRET_ARN: secret_arn,
            config.ENV_KMS_KEY_ID: boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"],
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        wiring.configure(None)
        yield
        wiring.configure(None)


def invoke(action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-amz-json-1.0",
            "host": HOST,
            "x-amz-target": f"AmazonSQS.{action}",
            "x-forwarded-proto": "https",
        },
        "requestContext": {"domainName": HOST, "http": {"method": "POST", "path": "/"}, "requestId": "apigw"},
        "body": base64.b64encode(json.dumps(body).encode()).decode(),
        "isBase64Encoded": True,
    }
    result = lambda_handler(event, LocalLambdaContext(region="us-east-1", account_id=ACCOUNT_ID))
    return result["statusCode"], json.loads(result["body"])


def test_a_message_goes_through_the_deployed_handler_and_back(deployed: None):
    status, created = invoke("CreateQueue", {"QueueName": "orders"})
    assert (status, created) == (200, {"QueueUrl": f"https://{HOST}/{ACCOUNT_ID}/orders"})

    status, sent = invoke("SendMessage", {"QueueUrl": created["QueueUrl"], "MessageBody": "hello"})
    assert status == 200

    status, received = invoke("ReceiveMessage", {"QueueUrl": created["QueueUrl"]})
    assert status == 200
    assert [(message["MessageId"], message["Body"]) for message in received["Messages"]] == [
        (sent["MessageId"], "hello")
    ]
    store = wiring.get_service().store
    assert isinstance(store, EncryptingStore) and isinstance(store.inner, DynamoStore)


def test_an_unknown_queue_is_answered_in_sqs_shape(deployed: None):
    status, error = invoke("GetQueueUrl", {"QueueName": "missing"})

    assert status == 400
    assert error["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"


def moved_to_dead_letter_counts(output: str) -> list[float]:
    """The MessagesMovedToDLQ values of the EMF documents the invocations printed."""
    documents = [json.loads(line) for line in output.splitlines() if line.startswith("{") and "_aws" in line]
    values = [document["MessagesMovedToDLQ"] for document in documents if "MessagesMovedToDLQ" in document]
    # EMF holds one value, or a list of the values added in one invocation.
    return [sum(value) if isinstance(value, list) else value for value in values]


def test_a_receive_that_moves_a_message_to_the_dead_letter_queue_publishes_the_move(
    deployed: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    invoke("CreateQueue", {"QueueName": "poison"})
    policy = {"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:poison", "maxReceiveCount": 1}
    _, work = invoke("CreateQueue", {"QueueName": "work", "Attributes": {"RedrivePolicy": json.dumps(policy)}})
    invoke("SendMessage", {"QueueUrl": work["QueueUrl"], "MessageBody": "fails every time"})
    _, first = invoke("ReceiveMessage", {"QueueUrl": work["QueueUrl"], "VisibilityTimeout": 0})
    assert len(first["Messages"]) == 1
    capsys.readouterr()

    _, second = invoke("ReceiveMessage", {"QueueUrl": work["QueueUrl"]})

    assert "Messages" not in second or second["Messages"] == []
    assert moved_to_dead_letter_counts(capsys.readouterr().out) == [1.0]
