"""The sealed-message envelope: compression before sealing, and what a tampered envelope does."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dynaqueue.domain.model import MessageAttributeValue
from dynaqueue.storage.data_keys import DataKey, DataKeyUnreadable
from dynaqueue.storage.data_keys_envelope import ENVELOPE_MARKER, key_reference, open_envelope, parse, seal

KEY = DataKey(plaintext=bytes(range(32)), wrapped=b"wrapped-key", key_id="local")
ATTRIBUTES = {"kind": MessageAttributeValue("String", string_value="order")}
JSON_BODY = json.dumps([{"order": index, "status": "shipped", "items": ["book", "pen"]} for index in range(1500)])


def document(envelope: str) -> dict:
    return json.loads(envelope[len(ENVELOPE_MARKER) :])


def test_a_large_compressible_body_is_compressed_before_sealing_and_round_trips() -> None:
    envelope = seal(KEY, "m-1", JSON_BODY, ATTRIBUTES)

    assert len(JSON_BODY) > 64 * 1024
    assert document(envelope)["z"] == 1
    assert len(envelope) < len(JSON_BODY) // 5
    assert open_envelope(parse(envelope), KEY.plaintext, "m-1") == (JSON_BODY, ATTRIBUTES)


def test_a_small_body_is_sealed_as_it_is() -> None:
    envelope = seal(KEY, "m-2", "a small body", {})

    assert "z" not in document(envelope)
    assert open_envelope(parse(envelope), KEY.plaintext, "m-2") == ("a small body", {})


def test_the_compression_flag_is_authenticated() -> None:
    envelope = document(seal(KEY, "m-3", JSON_BODY, {}))
    del envelope["z"]
    tampered = ENVELOPE_MARKER + json.dumps(envelope)

    with pytest.raises(DataKeyUnreadable):
        open_envelope(parse(tampered), KEY.plaintext, "m-3")


def test_an_envelope_does_not_open_for_another_message() -> None:
    with pytest.raises(DataKeyUnreadable):
        open_envelope(parse(seal(KEY, "m-4", JSON_BODY, {})), KEY.plaintext, "m-5")


def test_an_envelope_names_its_data_key_by_reference_not_by_the_key_itself() -> None:
    other = DataKey(plaintext=KEY.plaintext, wrapped=b"another-wrapping", key_id="local")

    envelope = parse(seal(KEY, "m-6", "a body", {}))

    assert envelope.reference == key_reference(KEY) != key_reference(other)
    assert (envelope.key_id, envelope.wrapped_key) == (None, None)
    assert b"wrapped-key" not in seal(KEY, "m-6", "a body", {}).encode()


def test_a_format_1_envelope_carrying_its_wrapped_key_still_opens() -> None:
    nonce = bytes(12)
    ciphertext = AESGCM(KEY.plaintext).encrypt(
        nonce, b'{"kind":["String","order"]}\nold body', b"dynaqueue-envelope-v1:m-7"
    )
    stored = ENVELOPE_MARKER + json.dumps(
        {"v": 1, "k": "local", "d": b64(KEY.wrapped), "n": b64(nonce), "c": b64(ciphertext)}
    )

    envelope = parse(stored)

    assert (envelope.key_id, envelope.wrapped_key, envelope.reference) == ("local", KEY.wrapped, None)
    assert open_envelope(envelope, KEY.plaintext, "m-7") == ("old body", ATTRIBUTES)


def test_an_unknown_format_is_unreadable() -> None:
    tampered = document(seal(KEY, "m-8", "a body", {}))
    tampered["v"] = 3

    with pytest.raises(DataKeyUnreadable):
        parse(ENVELOPE_MARKER + json.dumps(tampered))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
