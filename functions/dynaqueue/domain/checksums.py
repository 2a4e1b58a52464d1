"""The MD5 digests SQS returns for message bodies and message attributes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from dynaqueue.domain.model import MessageAttributeValue

_STRING_TRANSPORT = b"\x01"
_BINARY_TRANSPORT = b"\x02"


def md5_of_body(body: str) -> str:
    return hashlib.md5(_utf8(body)).hexdigest()


def md5_of_attributes(attributes: Mapping[str, MessageAttributeValue]) -> str | None:
    """MD5OfMessageAttributes (also MD5OfMessageSystemAttributes) as every SDK recomputes it.

    SQS omits the digest when there is nothing to digest; it never sends the MD5 of nothing.
    """
    if not attributes:
        return None
    digest = hashlib.md5()
    # SDKs sort names by their UTF-8 bytes, so upper case sorts before lower case.
    for name in sorted(attributes, key=_utf8):
        attribute = attributes[name]
        digest.update(_length_prefixed(_utf8(name)))
        digest.update(_length_prefixed(_utf8(attribute.data_type)))
        digest.update(_BINARY_TRANSPORT if is_binary(attribute) else _STRING_TRANSPORT)
        digest.update(_length_prefixed(attribute_value_bytes(attribute)))
    return digest.hexdigest()


def is_binary(attribute: MessageAttributeValue) -> bool:
    """Binary and every custom `Binary.<label>` type carry BinaryValue; the others StringValue."""
    return attribute.data_type.startswith("Binary")


def attribute_value_bytes(attribute: MessageAttributeValue) -> bytes:
    """The value as SQS digests and measures it: raw bytes of BinaryValue, UTF-8 of StringValue."""
    if is_binary(attribute):
        return attribute.binary_value or b""
    return _utf8(attribute.string_value or "")


def _length_prefixed(value: bytes) -> bytes:
    return len(value).to_bytes(4, "big") + value


def _utf8(text: str) -> bytes:
    # Lone surrogates are rejected by validation, but sizes are taken before it runs.
    return text.encode("utf-8", "surrogatepass")
