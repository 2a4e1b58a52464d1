"""JSON text to and from Python for the AWS JSON 1.0 protocol, safe against any input."""

from __future__ import annotations

import json
from typing import Any

from dynaqueue.domain.errors import InvalidParameterValue

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"


def decode_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is an empty object (no members)."""
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    # RecursionError: deeply nested arrays; ValueError: bad JSON, bad UTF-8, oversized integers.
    except (ValueError, RecursionError):
        raise InvalidParameterValue("The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise InvalidParameterValue("The request body must be a JSON object.")
    return document


def encode_json(document: object) -> bytes:
    """UTF-8 JSON; a lone surrogate echoed from a request becomes its `\\uXXXX` escape, never a crash."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")
