"""Which wire protocol a request speaks: AWS JSON 1.0 by its target header or content type, else AWS Query."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dynaqueue.protocol import json_protocol, query_protocol
from dynaqueue.protocol.exchange import HttpRequest, Outcome
from dynaqueue.protocol.json_codec import JSON_CONTENT_TYPE

if TYPE_CHECKING:
    from dynaqueue.domain.service import QueueService


def handle(request: HttpRequest, service_factory: Callable[[], QueueService]) -> Outcome:
    """Serve one request in the protocol it speaks; never raises."""
    protocol = json_protocol if speaks_json(request) else query_protocol
    return protocol.handle(request, service_factory)


def speaks_json(request: HttpRequest) -> bool:
    """JSON requests say so; anything else is Query, which answers even a request naming no action."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return "x-amz-target" in request.headers or media_type == JSON_CONTENT_TYPE
