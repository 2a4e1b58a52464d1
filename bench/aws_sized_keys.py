"""Data keys wrapped to the size AWS KMS returns, so sealed items on moto weigh what they weigh on AWS.

moto's KMS wraps a 32-byte data key in 96 bytes; AWS KMS's CiphertextBlob is larger (167 bytes in the
`aws kms generate-data-key --key-spec AES_256` example of the AWS CLI documentation). Envelopes name
their key by reference and the wrapped key is stored once per data key, so its size now weighs only
on that one item; padding it keeps the measurement honest should that ever change.
"""

from __future__ import annotations

import os
from dataclasses import replace

from dynaqueue.storage.data_keys import DataKey, KeyProvider

AWS_WRAPPED_DATA_KEY_BYTES = 167


class AwsSizedKeys:
    """Pads `inner`'s wrapped keys with random bytes (a wrapped key is ciphertext) up to AWS's size."""

    def __init__(self, inner: KeyProvider, wrapped_bytes: int = AWS_WRAPPED_DATA_KEY_BYTES) -> None:
        self._inner = inner
        self._wrapped_bytes = wrapped_bytes
        self._inner_sizes: dict[bytes, int] = {}

    def generate(self, master_key_id: str | None) -> DataKey:
        key = self._inner.generate(master_key_id)
        padded = key.wrapped + os.urandom(max(0, self._wrapped_bytes - len(key.wrapped)))
        self._inner_sizes[padded] = len(key.wrapped)
        return replace(key, wrapped=padded)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        return self._inner.unwrap(key_id, wrapped[: self._inner_sizes.get(wrapped, len(wrapped))])
