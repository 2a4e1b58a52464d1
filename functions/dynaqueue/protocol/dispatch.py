"""Which wire protocol a request speaks: AWS JSON 1.0 by its target header or content type, else AWS Query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from dynaqueue.protocol import json_protocol, query_protocol
from dynaqueue.protocol.auth_errors import AUTH_WIRE_ERRORS
from dynaqueue.protocol.errors import client_message, error_code, json_error_response
from dynaqueue.protocol.exchange import HttpRequest, HttpResponse, Outcome
from dynaqueue.protocol.json_codec import JSON_CONTENT_TYPE, encode_json
from dynaqueue.protocol.query_responses import error_response

if TYPE_CHECKING:
    from dynaqueue.domain.service import QueueService


def handle(request: HttpRequest, service_factory: Callable[[], QueueService]) -> Outcome:
    """Serve one request in the protocol it speaks; never raises."""
    protocol = json_protocol if speaks_json(request) else query_protocol
    return protocol.handle(request, service_factory)


def refuse(request: HttpRequest, error: BaseException) -> Outcome:
    """An error answered before any action runs (authentication), in the protocol the request speaks."""
    return Outcome(response=error_document(request, error), error_code=error_code(error), error=error)


def error_document(request: HttpRequest, error: BaseException) -> HttpResponse:
    code = error_code(error)
    auth = AUTH_WIRE_ERRORS.get(code)
    if not speaks_json(request):
        response = error_response(error, request.request_id)
        return replace(response, status=auth.status) if auth else response
    response = json_error_response(error, request.request_id)
    if auth is None:
        return response
    body = encode_json({"__type": auth.type_name, "message": client_message(error)})
    return replace(response, status=auth.status, body=body)


def speaks_json(request: HttpRequest) -> bool:
    """JSON requests say so; anything else is Query, which answers even a request naming no action."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return "x-amz-target" in request.headers or media_type == JSON_CONTENT_TYPE
