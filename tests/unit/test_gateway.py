"""The local API Gateway: HTTP requests become payload 2.0 events, Lambda results become HTTP responses."""

from __future__ import annotations

import base64

from dynaqueue.local.gateway import LocalHttpRequest, LocalLambdaContext, http_api_event, http_response


def local_request(**overrides) -> LocalHttpRequest:
    values = {
        "method": "POST",
        "target": "/",
        "headers": [
            ("Host", "127.0.0.1:9324"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", "AmazonSQS.ListQueues"),
        ],
        "body": b"{}",
        "source_ip": "127.0.0.1",
    }
    return LocalHttpRequest(**{**values, **overrides})


def test_the_event_has_the_payload_2_shape_with_lower_case_headers():
    event = http_api_event(local_request(), request_id="r-1", account_id="000000000000")

    assert (event["version"], event["routeKey"], event["rawPath"], event["rawQueryString"]) == (
        "2.0",
        "$default",
        "/",
        "",
    )
    assert event["headers"]["x-amz-target"] == "AmazonSQS.ListQueues"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    context = event["requestContext"]
    assert (context["requestId"], context["domainName"], context["http"]["method"]) == ("r-1", "127.0.0.1", "POST")
    assert "queryStringParameters" not in event
    assert "cookies" not in event


def test_a_json_1_0_body_travels_base64_encoded_as_api_gateway_sends_it():
    event = http_api_event(local_request(body=b'{"a": 1}'), request_id="r", account_id="000000000000")

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b'{"a": 1}'


def test_a_text_body_travels_as_text():
    request = local_request(headers=[("Content-Type", "application/json; charset=utf-8")], body=b'{"a": 1}')

    event = http_api_event(request, request_id="r", account_id="000000000000")

    assert (event["body"], event["isBase64Encoded"]) == ('{"a": 1}', False)


def test_no_body_means_no_body_member():
    event = http_api_event(local_request(method="GET", body=b""), request_id="r", account_id="000000000000")

    assert "body" not in event
    assert event["isBase64Encoded"] is False


def test_query_repeated_headers_and_cookies_are_folded_as_api_gateway_does():
    request = local_request(
        target="/000000000000/q?Action=ListQueues&x=1&x=2",
        headers=[("Host", "localhost"), ("Accept", "a"), ("accept", "b"), ("Cookie", "c1=1; c2=2")],
    )

    event = http_api_event(request, request_id="r", account_id="000000000000")

    assert event["rawPath"] == "/000000000000/q"
    assert event["rawQueryString"] == "Action=ListQueues&x=1&x=2"
    assert event["queryStringParameters"] == {"Action": "ListQueues", "x": "1,2"}
    assert event["headers"]["accept"] == "a,b"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["c1=1", "c2=2"]


def test_a_result_becomes_an_http_response():
    response = http_response(
        {
            "statusCode": 400,
            "headers": {"Content-Type": "application/x-amz-json-1.0"},
            "body": '{"é":1}',
            "isBase64Encoded": False,
        }
    )

    assert response.status == 400
    assert response.headers == [("Content-Type", "application/x-amz-json-1.0")]
    assert response.body == '{"é":1}'.encode()


def test_a_base64_result_body_is_decoded():
    response = http_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )

    assert response.body == b"\x00\x01"


def test_the_context_reports_the_time_left_of_a_30_second_function():
    context = LocalLambdaContext(region="eu-west-1", account_id="111111111111")

    assert 0 < context.get_remaining_time_in_millis() <= 30_000
    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-1:111111111111:function:dynaqueue-local"
