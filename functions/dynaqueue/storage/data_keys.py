"""Data keys for envelope encryption, and the local master key that wraps them where there is no KMS."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
LOCAL_KEY_ID = "local"


class DataKeyUnreadable(Exception):
    """Raised when a wrapped data key cannot be unwrapped: another master key, or damaged."""


@dataclass(frozen=True, slots=True)
class DataKey:
    """A fresh AES-256 key, with the master key's id and the key wrapped by it (what envelopes carry)."""

    plaintext: bytes
    wrapped: bytes
    key_id: str


class KeyProvider(Protocol):
    """Makes data keys under a master key and unwraps them again (KMS, or the local master key)."""

    def generate(self, master_key_id: str | None) -> DataKey:
        """A new data key under `master_key_id`; None means the deployment's own key (SSE-SQS)."""
        ...

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        """The plaintext of a data key `generate` wrapped under `key_id`."""
        ...


class LocalKeyProvider:
    """Wraps every data key with one master key held by this process, whatever key a queue names.

    Used where no KMS is configured (the embedded store, `dynaqueue serve`): the format stays
    that of KMS envelopes, with the key id "local".
    """

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != DATA_KEY_BYTES:
            raise ValueError(f"the local master key must be {DATA_KEY_BYTES} bytes, not {len(master_key)}")
        self._master = AESGCM(master_key)

    def generate(self, master_key_id: str | None) -> DataKey:
        plaintext = AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)
        nonce = os.urandom(NONCE_BYTES)
        wrapped = nonce + self._master.encrypt(nonce, plaintext, LOCAL_KEY_ID.encode())
        return DataKey(plaintext=plaintext, wrapped=wrapped, key_id=LOCAL_KEY_ID)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        if key_id != LOCAL_KEY_ID:
            raise DataKeyUnreadable(f"a data key under {key_id!r} needs KMS, which is not configured")
        try:
            return self._master.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], LOCAL_KEY_ID.encode())
        except InvalidTag:
            raise DataKeyUnreadable("the data key was wrapped by another local master key") from None
