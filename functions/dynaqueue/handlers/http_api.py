"""API Gateway HTTP API (payload format 2.0) events to neutral HTTP requests, and responses back."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from dynaqueue.protocol.exchange import Headers, HttpRequest, HttpResponse


def request_from_event(event: Mapping[str, Any], request_id: str) -> HttpRequest:
    context = event.get("requestContext") or {}
    headers = Headers(event.get("headers") or {})
    return HttpRequest(
        method=(context.get("http") or {}).get("method", "POST"),
        path=event.get("rawPath") or "/",
        headers=headers,
        body=_body(event),
        base_url=base_url(headers, context.get("domainName", "")),
        request_id=request_id,
        query_string=event.get("rawQueryString") or "",
        source_ip=(context.get("http") or {}).get("sourceIp", ""),
    )


def base_url(headers: Headers, domain_name: str) -> str:
    """Scheme and host the client used, so the queue URLs handed back route to this deployment.

    API Gateway always sets `x-forwarded-proto`; it is https unless a local gateway says otherwise.
    """
    scheme = headers.get("x-forwarded-proto", "https").split(",")[0].strip()
    host = headers.get("host") or domain_name
    return f"{scheme}://{host}"


def result_from_response(response: HttpResponse) -> dict[str, Any]:
    """The payload 2.0 result; bodies are UTF-8 text (JSON or XML), so never base64."""
    return {
        "statusCode": response.status,
        "headers": response.headers,
        "body": response.body.decode("utf-8"),
        "isBase64Encoded": False,
    }


def _body(event: Mapping[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    # surrogatepass: a stray surrogate reaches the protocol as bad UTF-8 (a 400), not as a crash here.
    return body.encode("utf-8", "surrogatepass")
