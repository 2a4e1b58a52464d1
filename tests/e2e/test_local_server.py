"""The local HTTP server in-process, with a stand-in Lambda handler: framing, keep-alive and draining."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from dynaqueue.local.server import MAX_REQUEST_BYTES, LocalServer

WAIT_SECONDS = 10
POLL_ATTEMPTS = 200
POLL_PAUSE_SECONDS = 0.05


class BlockingHandler:
    """Echoes the event it got; blocks while `release` is clear."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.release.set()
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        self.release.wait(WAIT_SECONDS)
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": context.aws_request_id},
            "body": json.dumps({"path": event["rawPath"]}),
            "isBase64Encoded": False,
        }


@pytest.fixture
def handler() -> BlockingHandler:
    return BlockingHandler()


@pytest.fixture
def server(handler: BlockingHandler) -> Iterator[LocalServer]:
    running = LocalServer("127.0.0.1", 0, handler=handler, account_id="000000000000", region="us-east-1")
    running.start()
    yield running
    handler.release.set()
    running.stop(grace_seconds=1)


def connect(server: LocalServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT_SECONDS)


def post(connection: http.client.HTTPConnection, body: bytes = b"{}", path: str = "/") -> http.client.HTTPResponse:
    connection.request("POST", path, body=body, headers={"Content-Type": "application/x-amz-json-1.0"})
    return connection.getresponse()


def wait_until(condition: Any) -> None:
    for _ in range(POLL_ATTEMPTS):
        if condition():
            return
        threading.Event().wait(POLL_PAUSE_SECONDS)
    raise AssertionError("condition not reached")


def test_requests_reach_the_handler_as_api_gateway_events_over_one_keep_alive_connection(
    server: LocalServer, handler: BlockingHandler
):
    connection = connect(server)

    first = post(connection, b'{"a": 1}', path="/000000000000/q")
    first_body = first.read()
    second = post(connection)
    second.read()

    assert first.status == second.status == 200
    assert json.loads(first_body) == {"path": "/000000000000/q"}
    assert first.getheader("Content-Type") == "application/x-amz-json-1.0"
    assert first.getheader("x-amzn-RequestId") == handler.events[0]["requestContext"]["requestId"]
    assert base64.b64decode(handler.events[0]["body"]) == b'{"a": 1}'
    assert handler.events[0]["headers"]["host"] == f"127.0.0.1:{server.port}"
    assert len(handler.events) == 2
    connection.close()


def test_stopping_waits_for_a_request_in_flight_to_be_answered(server: LocalServer, handler: BlockingHandler):
    handler.release.clear()
    answers: list[int] = []
    client = threading.Thread(target=lambda: answers.append(post(connect(server)).status))
    client.start()
    wait_until(lambda: server.in_flight == 1)
    stopped: list[int] = []
    stopper = threading.Thread(target=lambda: stopped.append(server.stop(grace_seconds=WAIT_SECONDS)))
    stopper.start()

    handler.release.set()
    stopper.join(WAIT_SECONDS)
    client.join(WAIT_SECONDS)

    assert stopped == [0]
    assert answers == [200]


def test_stopping_gives_up_on_requests_that_outlast_the_grace_period(server: LocalServer, handler: BlockingHandler):
    handler.release.clear()
    threading.Thread(target=lambda: post(connect(server)), daemon=True).start()
    wait_until(lambda: server.in_flight == 1)

    assert server.stop(grace_seconds=0.1) == 1


def test_a_kept_alive_connection_is_refused_once_the_server_stops(server: LocalServer):
    connection = connect(server)
    post(connection).read()

    server.stop(grace_seconds=1)
    refused = post(connection)

    assert refused.status == 503
    assert refused.getheader("Connection") == "close"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Transfer-Encoding": "chunked"}, 411),
        ({"Content-Length": "abc"}, 400),
        ({"Content-Length": str(MAX_REQUEST_BYTES + 1)}, 413),
    ],
)
def test_bodies_that_cannot_be_framed_are_refused_and_the_connection_closed(
    server: LocalServer, handler: BlockingHandler, headers: dict[str, str], status: int
):
    connection = connect(server)
    connection.putrequest("POST", "/")
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()

    response = connection.getresponse()

    assert response.status == status
    assert response.getheader("Connection") == "close"
    assert not handler.events


def test_a_failing_handler_is_a_bare_500_as_api_gateway_gives_it():
    def failing(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    failing_server = LocalServer("127.0.0.1", 0, handler=failing, account_id="000000000000", region="us-east-1")
    failing_server.start()
    try:
        response = post(connect(failing_server))
        assert (response.status, response.read()) == (500, b'{"message":"Internal Server Error"}')
    finally:
        failing_server.stop(grace_seconds=1)


def raw_exchange(server: LocalServer, request: bytes) -> bytes:
    """Sends `request` as written and reads until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_SECONDS) as raw:
        raw.sendall(request)
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    return received


def test_a_malformed_header_line_is_a_400_and_closes_the_connection(server: LocalServer, handler: BlockingHandler):
    answer = raw_exchange(server, b"POST / HTTP/1.1\r\nHost: a\r\n folded\r\nContent-Length: 2\r\n\r\n{}")

    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in answer
    assert not handler.events


def test_a_client_expecting_100_continue_gets_it_then_the_answer(server: LocalServer, handler: BlockingHandler):
    answer = raw_exchange(
        server,
        b"POST /000000000000/q HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
        b"Connection: close\r\n\r\n{}",
    )

    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ")
    assert answer.endswith(b'{"path": "/000000000000/q"}')
    assert [event["rawPath"] for event in handler.events] == ["/000000000000/q"]
