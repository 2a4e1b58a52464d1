"""Message content as stored: body and attributes in one blob, zlib-compressed when that makes it smaller."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping

from dynaqueue.domain.model import MessageAttributeValue

_RAW = 0
_ZLIB = 1
_SEPARATOR = b"\n"


def encode_content(
    body: str,
    attributes: Mapping[str, MessageAttributeValue],
    system_attributes: Mapping[str, str],
) -> bytes:
    """The blob stored for a message.

    Blob = one flag byte (0 raw, 1 zlib) + payload; payload = compact JSON of the attributes (empty
    when there are none) + a newline + the UTF-8 body. Compact JSON escapes every newline inside
    strings, so the first newline byte always ends the attributes. One blob holds everything a
    receive returns, so a large message is simply its blob cut into chunk items (`split`).
    """
    meta: dict[str, object] = {}
    if attributes:
        meta["a"] = {name: _encode_attribute(value) for name, value in attributes.items()}
    if system_attributes:
        meta["s"] = dict(system_attributes)
    header = json.dumps(meta, separators=(",", ":"), ensure_ascii=False).encode() if meta else b""
    payload = header + _SEPARATOR + body.encode()
    compressed = zlib.compress(payload)
    if len(compressed) < len(payload):
        return bytes([_ZLIB]) + compressed
    return bytes([_RAW]) + payload


def decode_content(blob: bytes) -> tuple[str, dict[str, MessageAttributeValue], dict[str, str]]:
    """Body, user attributes and system attributes of a stored blob."""
    payload = zlib.decompress(blob[1:]) if blob[0] == _ZLIB else blob[1:]
    header, _, body = payload.partition(_SEPARATOR)
    meta = json.loads(header) if header else {}
    attributes = {name: _decode_attribute(value) for name, value in meta.get("a", {}).items()}
    return body.decode(), attributes, dict(meta.get("s", {}))


def split(blob: bytes, chunk_bytes: int) -> list[bytes]:
    return [blob[start : start + chunk_bytes] for start in range(0, len(blob), chunk_bytes)]


def _encode_attribute(value: MessageAttributeValue) -> list[str | None]:
    if value.binary_value is not None:
        return [value.data_type, None, base64.b64encode(value.binary_value).decode()]
    return [value.data_type, value.string_value]


def _decode_attribute(encoded: list[str | None]) -> MessageAttributeValue:
    data_type = encoded[0] or ""
    if len(encoded) == 3 and encoded[2] is not None:
        return MessageAttributeValue(data_type=data_type, binary_value=base64.b64decode(encoded[2]))
    return MessageAttributeValue(data_type=data_type, string_value=encoded[1])
