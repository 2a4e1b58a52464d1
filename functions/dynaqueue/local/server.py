"""The local HTTP server: every request goes through the same Lambda handler the cloud deployment runs.

One thread per connection (HTTP/1.1 keep-alive): a long poll holds only its own thread, so
hundreds of 20-second polls never queue the sends that would end them.
"""

from __future__ import annotations

import io
import socket
import ssl
import sys
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dynaqueue.local.gateway import (
    LocalHttpRequest,
    LocalHttpResponse,
    LocalLambdaContext,
    http_api_event,
    http_response,
)
from dynaqueue.local.http_headers import HeaderError, read_headers
from dynaqueue.local.request_gate import RequestGate
from dynaqueue.observability import logger

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

# API Gateway's payload limit; bigger requests are refused before the body is read.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
# Idle keep-alive connections are closed after this long; clients reconnect transparently.
IDLE_CONNECTION_SECONDS = 120
# Most responses fit: a receive of ten 1 KB messages is about 25 KB.
RESPONSE_BUFFER_BYTES = 64 * 1024
# Connections the kernel may queue while the accept loop starts their threads.
ACCEPT_BACKLOG = 1024


class LocalServer:
    """Serves HTTP on (host, port) until stopped."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        handler: LambdaHandler,
        account_id: str,
        region: str,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.scheme = "https" if tls else "http"
        self._gate = RequestGate()
        self._http = _HttpServer((host, port), _RequestHandler)
        self._http.gate = self._gate
        self._http.tls = tls
        self._http.invoke = _Invoker(handler, account_id=account_id, region=region, scheme=self.scheme)
        self._thread = threading.Thread(target=self._http.serve_forever, name="dynaqueue-accept", daemon=True)

    @property
    def port(self) -> int:
        return self._http.server_address[1]

    @property
    def in_flight(self) -> int:
        return self._gate.in_flight

    def start(self) -> None:
        self._thread.start()

    def stop(self, grace_seconds: float) -> int:
        """Stop accepting, then give requests in flight up to `grace_seconds`; returns how many did not finish."""
        self._http.shutdown()
        self._http.server_close()
        return self._gate.close(grace_seconds)


class _Invoker:
    """One request through the gateway and the Lambda handler, as API Gateway would run it."""

    def __init__(self, handler: LambdaHandler, *, account_id: str, region: str, scheme: str) -> None:
        self._handler = handler
        self._account_id = account_id
        self._region = region
        self._scheme = scheme

    def __call__(self, request: LocalHttpRequest) -> LocalHttpResponse:
        request_id = str(uuid.uuid4())
        event = http_api_event(request, request_id=request_id, account_id=self._account_id, scheme=self._scheme)
        context = LocalLambdaContext(region=self._region, account_id=self._account_id, aws_request_id=request_id)
        try:
            return http_response(self._handler(event, context))
        # The handler answers every request itself; reaching here is a bug, which the Lambda
        # runtime would log and API Gateway would turn into a bare 500.
        except Exception:
            logger.exception("lambda handler failed")
            return _gateway_response(500, "Internal Server Error")


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = ACCEPT_BACKLOG
    gate: RequestGate
    tls: ssl.SSLContext | None
    invoke: Callable[[LocalHttpRequest], LocalHttpResponse]

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        if self.tls is None:
            return connection, address
        # The handshake happens on the connection's own thread, at its first read, so a slow or
        # silent client never holds up the accept loop.
        return self.tls.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a long poll given up on) is routine, not a server fault.
        if not isinstance(sys.exception(), (ConnectionError, socket.timeout, ssl.SSLError)):
            super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Status line, headers and body gather in one buffer that the standard library flushes after
    # each request: one write per response instead of two. Bigger bodies go out as they come.
    wbufsize = RESPONSE_BUFFER_BYTES
    # A response bigger than the buffer still goes out as two writes; with Nagle's algorithm the
    # second would wait for the client's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True
    timeout = IDLE_CONNECTION_SECONDS
    server: _HttpServer

    def parse_request(self) -> bool:
        # The request line is checked by the standard library, shown an empty header block; the
        # headers are read by read_headers, several times cheaper than the library's e-mail parser.
        connection = self.rfile
        self.rfile = io.BytesIO(b"\r\n")
        try:
            if not super().parse_request():
                return False
        finally:
            self.rfile = connection
        try:
            self.headers = read_headers(self.rfile)  # type: ignore[assignment]
        except HeaderError as error:
            self.send_error(error.status, error.reason)
            return False
        option = (self.headers.get("Connection") or "").lower()
        if option == "close":
            self.close_connection = True
        elif option == "keep-alive":
            self.close_connection = False
        if (self.headers.get("Expect") or "").lower() == "100-continue" and self.request_version >= "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def version_string(self) -> str:
        return "dynaqueue"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the Lambda handler logs one line per request itself."""

    def _serve(self) -> None:
        if not self.server.gate.enter():
            self.close_connection = True
            self._send(_gateway_response(503, "Service Unavailable"))
            return
        try:
            self._send(self._answer())
        finally:
            self.server.gate.leave()

    def _answer(self) -> LocalHttpResponse:
        # Whatever the body framing problem, the rest of the connection can no longer be trusted.
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return _gateway_response(411, "Length Required")
        length = _content_length(self.headers.get("Content-Length"))
        if length is None:
            self.close_connection = True
            return _gateway_response(400, "Bad Request")
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True
            return _gateway_response(413, "Request Entity Too Large")
        request = LocalHttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=self.rfile.read(length) if length else b"",
            source_ip=self.client_address[0],
        )
        return self.server.invoke(request)

    def _send(self, response: LocalHttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(response.body)


def _content_length(header: str | None) -> int | None:
    if header is None:
        return 0
    return int(header) if header.strip().isdigit() else None


def _gateway_response(status: int, message: str) -> LocalHttpResponse:
    """An answer API Gateway gives on its own, without a result from the function."""
    return LocalHttpResponse(status, [("Content-Type", "application/json")], b'{"message":"%s"}' % message.encode())
