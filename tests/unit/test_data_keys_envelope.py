"""The sealed-message envelope: compression before sealing, and what a tampered envelope does."""

from __future__ import annotations

import json

import pytest

from dynaqueue.domain.model import MessageAttributeValue
from dynaqueue.storage.data_keys import DataKey, DataKeyUnreadable
from dynaqueue.storage.data_keys_envelope import ENVELOPE_MARKER, open_envelope, parse, seal

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
