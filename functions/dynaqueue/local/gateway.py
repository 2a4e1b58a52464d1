"""Plays API Gateway locally: HTTP requests to HTTP API payload 2.0 events, Lambda results to HTTP responses."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# API Gateway hands the body over as text for these media types and base64-encodes the rest.
_TEXT_MEDIA_TYPES = ("text/", "application/json", "application/xml", "application/javascript")

LAMBDA_TIMEOUT_SECONDS = 30.0
LOCAL_FUNCTION_NAME = "dynaqueue-local"


@dataclass(frozen=True, slots=True)
class LocalHttpRequest:
    """An HTTP request as the local server read it off the socket."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str


@dataclass(frozen=True, slots=True)
class LocalHttpResponse:
    """An HTTP response for the local server to write back."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(slots=True)
class LocalLambdaContext:
    """The slice of the Lambda context object that Powertools and the handler read."""

    region: str
    account_id: str
    function_name: str = LOCAL_FUNCTION_NAME
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = f"/aws/lambda/{LOCAL_FUNCTION_NAME}"
    log_stream_name: str = "local"
    deadline: float = field(default_factory=lambda: time.monotonic() + LAMBDA_TIMEOUT_SECONDS)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def http_api_event(
    request: LocalHttpRequest, *, request_id: str, account_id: str, scheme: str = "http"
) -> dict[str, Any]:
    """The event API Gateway's HTTP API builds for a `$default` route with payload format 2.0."""
    path, _, query = request.target.partition("?")
    headers = _event_headers(request, scheme)
    host = headers.get("host", "localhost")
    domain_name = urlsplit(f"//{host}").hostname or host
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path or "/",
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": "local",
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".")[0],
            "http": {
                "method": request.method,
                "path": path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": formatdate(usegmt=True),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    cookies = [value for name, value in request.headers if name.lower() == "cookie"]
    if cookies:
        event["cookies"] = [cookie.strip() for value in cookies for cookie in value.split(";")]
    if query:
        event["queryStringParameters"] = _query_parameters(parse_qsl(query, keep_blank_values=True))
    if request.body:
        text = _is_text(headers.get("content-type", ""))
        event["body"] = request.body.decode("utf-8", "replace") if text else base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = not text
    return event


def http_response(result: dict[str, Any]) -> LocalHttpResponse:
    """The HTTP response API Gateway makes of a payload 2.0 Lambda result."""
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    headers = [(name, str(value)) for name, value in (result.get("headers") or {}).items()]
    headers += [("Set-Cookie", cookie) for cookie in result.get("cookies") or []]
    return LocalHttpResponse(int(result["statusCode"]), headers, payload)


def _event_headers(request: LocalHttpRequest, scheme: str) -> dict[str, str]:
    """Lower-case names, repeated headers joined by commas, cookies moved out, forwarding headers added."""
    headers: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        if key != "cookie":
            headers[key] = f"{headers[key]},{value}" if key in headers else value
    headers["x-forwarded-for"] = request.source_ip
    # API Gateway always says https; the local server says what it speaks.
    headers["x-forwarded-proto"] = scheme
    return headers


def _query_parameters(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in pairs:
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def _is_text(content_type: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return media_type.startswith(_TEXT_MEDIA_TYPES) or media_type.endswith(("+json", "+xml"))
