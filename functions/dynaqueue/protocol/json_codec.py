"""JSON text to and from Python for the AWS JSON 1.0 protocol, safe against any input."""

from __future__ import annotations

import json
import re
from typing import Any

from dynaqueue.domain.errors import InvalidParameterValue

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
# json.loads joins surrogate pairs into one character, so any surrogate left was unpaired: a lone
# `\uD800` escape, or its UTF-8 bytes, which json.loads lets through.
_SURROGATE = re.compile("[\ud800-\udfff]")


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
    if _has_lone_surrogate(document):
        raise InvalidParameterValue("The request body must not contain unpaired UTF-16 surrogates (U+D800 to U+DFFF).")
    return document


def encode_json(document: object) -> bytes:
    """UTF-8 JSON; a lone surrogate echoed from a request becomes its `\\uXXXX` escape, never a crash."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")


def _has_lone_surrogate(document: object) -> bool:
    """Whether any key or string of the document holds an unpaired surrogate, which is no Unicode character.

    Such a string cannot be encoded as UTF-8, so it would fail wherever it is stored or hashed; the
    Query protocol already refuses it as invalid UTF-8, and JSON now does too. Iterative, as the
    document may be nested as deeply as the parser allows.
    """
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            # isascii() is a C scan without a regex: most strings, bodies included, end here.
            if not value.isascii() and _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False
