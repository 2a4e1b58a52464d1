"""The Lambda handler and its API Gateway HTTP API (payload 2.0) event translation."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from dynaqueue import wiring
from dynaqueue.domain.errors import QueueDoesNotExist
from dynaqueue.handlers import reporting
from dynaqueue.handlers.api import lambda_handler
from dynaqueue.handlers.http_api import request_from_event, result_from_response
from dynaqueue.local.gateway import LocalLambdaContext
from dynaqueue.observability import logger
from dynaqueue.protocol.exchange import HttpResponse
from tests.unit.fake_queue_service import ACCOUNT_ID, FakeQueueService


def http_api_event(
    body: bytes, *, headers: dict[str, str] | None = None, base64_encoded: bool = True
) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-amz-json-1.0",
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "x-forwarded-proto": "https",
            **(headers or {}),
        },
        "requestContext": {
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "http": {"method": "POST", "path": "/"},
            "requestId": "apigw-1",
        },
        "body": base64.b64encode(body).decode() if base64_encoded else body.decode(),
        "isBase64Encoded": base64_encoded,
    }


@pytest.fixture
def service() -> Iterator[FakeQueueService]:
    fake = FakeQueueService()
    wiring.configure(fake)  # type: ignore[arg-type]
    yield fake
    wiring.configure(None)


def test_a_base64_body_is_decoded_and_headers_read_case_insensitively():
    event = http_api_event(b'{"QueueName": "q"}', headers={"x-amz-target": "AmazonSQS.GetQueueUrl"})

    request = request_from_event(event, request_id="r-1")

    assert request.body == b'{"QueueName": "q"}'
    assert request.headers["X-Amz-Target"] == "AmazonSQS.GetQueueUrl"
    assert (request.method, request.path, request.request_id) == ("POST", "/", "r-1")


def test_a_text_body_is_taken_as_utf8():
    request = request_from_event(http_api_event('{"a": "é"}'.encode(), base64_encoded=False), request_id="r")

    assert request.body == '{"a": "é"}'.encode()


@pytest.mark.parametrize(
    ("headers", "domain_name", "base_url"),
    [
        ({"host": "sqs.example.com", "x-forwarded-proto": "https"}, "api.example.com", "https://sqs.example.com"),
        ({"host": "127.0.0.1:9324", "x-forwarded-proto": "http"}, "127.0.0.1", "http://127.0.0.1:9324"),
        ({}, "abc.execute-api.us-east-1.amazonaws.com", "https://abc.execute-api.us-east-1.amazonaws.com"),
    ],
)
def test_the_base_url_is_where_the_client_reached_us(headers: dict[str, str], domain_name: str, base_url: str):
    event = {"headers": headers, "requestContext": {"domainName": domain_name}, "body": "{}"}

    assert request_from_event(event, request_id="r").base_url == base_url


def test_a_response_becomes_a_payload_2_result():
    result = result_from_response(
        HttpResponse(400, {"Content-Type": "application/x-amz-json-1.0"}, b'{"a":"\xc3\xa9"}')
    )

    assert result == {
        "statusCode": 400,
        "headers": {"Content-Type": "application/x-amz-json-1.0"},
        "body": '{"a":"é"}',
        "isBase64Encoded": False,
    }


def test_the_handler_answers_through_the_service_with_urls_of_the_api(service: FakeQueueService):
    event = http_api_event(b'{"QueueName": "orders"}', headers={"x-amz-target": "AmazonSQS.CreateQueue"})

    result = lambda_handler(event, LocalLambdaContext(region="us-east-1", account_id=ACCOUNT_ID, aws_request_id="lr-1"))

    assert result["statusCode"] == 200
    assert result["headers"]["x-amzn-RequestId"] == "lr-1"
    assert json.loads(result["body"]) == {
        "QueueUrl": f"https://abc123.execute-api.us-east-1.amazonaws.com/{ACCOUNT_ID}/orders"
    }


def test_the_handler_turns_domain_errors_into_the_sqs_envelope(service: FakeQueueService):
    service.results["get_queue_url"] = QueueDoesNotExist()
    event = http_api_event(b'{"QueueName": "nope"}', headers={"x-amz-target": "AmazonSQS.GetQueueUrl"})

    result = lambda_handler(event, LocalLambdaContext(region="us-east-1", account_id=ACCOUNT_ID))

    assert result["statusCode"] == 400
    assert result["headers"]["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert json.loads(result["body"])["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"


def test_the_handler_logs_one_line_per_request_without_the_body(service: FakeQueueService, monkeypatch):
    logged: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(reporting.logger, "info", lambda message, extra: logged.append((message, extra)))
    event = http_api_event(
        b'{"QueueUrl": "q", "MessageBody": "secret payload"}', headers={"x-amz-target": "AmazonSQS.SendMessage"}
    )

    lambda_handler(event, LocalLambdaContext(region="us-east-1", account_id=ACCOUNT_ID))

    assert len(logged) == 1
    message, fields = logged[0]
    assert message == "request served"
    assert (fields["action"], fields["queue_name"], fields["status"], fields["message_count"]) == (
        "SendMessage",
        "q",
        200,
        1,
    )
    assert "secret payload" not in repr(logged)


def test_log_lines_carry_api_gateways_request_id_as_the_correlation_id(service: FakeQueueService):
    event = http_api_event(b'{"QueueUrl": "q"}', headers={"x-amz-target": "AmazonSQS.GetQueueUrl"})
    event["requestContext"]["requestId"] = "apigw-correlated"

    lambda_handler(event, LocalLambdaContext(region="us-east-1", account_id=ACCOUNT_ID))

    assert logger.get_correlation_id() == "apigw-correlated"
