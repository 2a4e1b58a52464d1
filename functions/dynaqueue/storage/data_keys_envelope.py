"""The envelope a sealed message is stored as: its body and user attributes under AES-256-GCM with a data key.

The envelope replaces the stored body. It is U+FFFF, a character SQS refuses in message bodies
(so no plaintext body can be mistaken for an envelope), then compact JSON: format version, a
reference to the data key, the nonce and the ciphertext (both base64). The message id is
authenticated with the ciphertext, so an envelope copied onto another message does not open.

Format 2 names its data key by a 16-byte reference (`key_reference`), and the wrapped key is kept
once in the store (see data_key_registry), not in every message: a KMS-wrapped key and the master
key's ARN take about 300 bytes, enough to push a sealed 1 KB message past DynamoDB's 1 KB write
unit. Format 1 envelopes, which carry the master key id and the wrapped key themselves, still open.

When the caller asks for it, payloads of 1 KB or more are zlib-compressed before sealing when that
makes them smaller (`"z": 1`, also authenticated): ciphertext does not compress, so this is the only
place a large JSON body can shrink — on DynamoDB for the write units, which the store's own
compression of content blobs can no longer save once the content is sealed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dynaqueue.domain.model import MessageAttributeValue
from dynaqueue.storage.data_keys import NONCE_BYTES, DataKey, DataKeyUnreadable

ENVELOPE_MARKER = "\uffff"
FORMAT_VERSION = 2
_KEY_IN_ENVELOPE_VERSION = 1
REFERENCE_BYTES = 16
_SEPARATOR = b"\n"
COMPRESS_FROM_BYTES = 1024
# Fast, and within a few percent of the best ratio on JSON-like text.
_COMPRESSION_LEVEL = 1


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed envelope, before its data key is unwrapped.

    Format 2 has `reference`; format 1 has `key_id` and `wrapped_key` instead.
    """

    version: int
    nonce: bytes
    ciphertext: bytes
    compressed: bool = False
    reference: bytes | None = None
    key_id: str | None = None
    wrapped_key: bytes | None = None


def key_reference(key: DataKey) -> bytes:
    """The name envelopes give `key`: a digest of its master key id and wrapped form, so never reused."""
    return hashlib.sha256(key.key_id.encode() + b"\n" + key.wrapped).digest()[:REFERENCE_BYTES]


def is_envelope(body: str) -> bool:
    return body.startswith(ENVELOPE_MARKER)


def seal(
    key: DataKey,
    message_id: str,
    body: str,
    attributes: Mapping[str, MessageAttributeValue],
    *,
    compress: bool = True,
) -> str:
    """The envelope text holding `body` and `attributes`, sealed with `key` for message `message_id`."""
    nonce = os.urandom(NONCE_BYTES)
    payload = _payload(body, attributes)
    compressed = compress and len(payload) >= COMPRESS_FROM_BYTES
    if compressed:
        smaller = zlib.compress(payload, _COMPRESSION_LEVEL)
        compressed = len(smaller) < len(payload)
        payload = smaller if compressed else payload
    associated_data = _associated_data(FORMAT_VERSION, message_id, compressed=compressed)
    document = {
        "v": FORMAT_VERSION,
        "r": _b64(key_reference(key)),
        "n": _b64(nonce),
        "c": _b64(AESGCM(key.plaintext).encrypt(nonce, payload, associated_data)),
    }
    if compressed:
        document["z"] = 1
    return ENVELOPE_MARKER + json.dumps(document, separators=(",", ":"))


def parse(text: str) -> Envelope:
    """The parts of an envelope text; DataKeyUnreadable when it is not one this version can read."""
    try:
        document = json.loads(text[len(ENVELOPE_MARKER) :])
        version = document["v"]
        common = {
            "version": version,
            "nonce": base64.b64decode(document["n"], validate=True),
            "ciphertext": base64.b64decode(document["c"], validate=True),
            "compressed": document.get("z") == 1,
        }
        if version == FORMAT_VERSION:
            return Envelope(**common, reference=base64.b64decode(document["r"], validate=True))
        if version == _KEY_IN_ENVELOPE_VERSION:
            return Envelope(**common, key_id=document["k"], wrapped_key=base64.b64decode(document["d"], validate=True))
        raise DataKeyUnreadable(f"envelope format {version} is not known")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise DataKeyUnreadable("the stored envelope is damaged") from None


def open_envelope(envelope: Envelope, data_key: bytes, message_id: str) -> tuple[str, dict[str, MessageAttributeValue]]:
    """The body and user attributes sealed in `envelope` for message `message_id`."""
    try:
        associated_data = _associated_data(envelope.version, message_id, compressed=envelope.compressed)
        payload = AESGCM(data_key).decrypt(envelope.nonce, envelope.ciphertext, associated_data)
        if envelope.compressed:
            payload = zlib.decompress(payload)
    except (InvalidTag, zlib.error):
        raise DataKeyUnreadable(f"the envelope of message {message_id} does not open with its data key") from None
    header, _, body = payload.partition(_SEPARATOR)
    encoded = json.loads(header) if header else {}
    attributes = {name: _decode_attribute(value) for name, value in encoded.items()}
    return body.decode("utf-8", "surrogatepass"), attributes


def _payload(body: str, attributes: Mapping[str, MessageAttributeValue]) -> bytes:
    # Compact JSON escapes every newline, so the first newline byte ends the attributes.
    header = b""
    if attributes:
        encoded = {name: _encode_attribute(value) for name, value in attributes.items()}
        header = json.dumps(encoded, separators=(",", ":")).encode()
    return header + _SEPARATOR + body.encode("utf-8", "surrogatepass")


def _associated_data(version: int, message_id: str, *, compressed: bool) -> bytes:
    # The compression flag is authenticated too: flipping it in the stored JSON makes the envelope not open.
    suffix = ":z" if compressed else ""
    return f"dynaqueue-envelope-v{version}:{message_id}{suffix}".encode()


def _encode_attribute(value: MessageAttributeValue) -> list[str | None]:
    if value.binary_value is not None:
        return [value.data_type, None, _b64(value.binary_value)]
    return [value.data_type, value.string_value]


def _decode_attribute(encoded: list[str | None]) -> MessageAttributeValue:
    data_type = encoded[0] or ""
    if len(encoded) == 3 and encoded[2] is not None:
        return MessageAttributeValue(data_type=data_type, binary_value=base64.b64decode(encoded[2]))
    return MessageAttributeValue(data_type=data_type, string_value=encoded[1])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
