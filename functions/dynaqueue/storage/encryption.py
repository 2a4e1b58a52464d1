"""Server-side encryption at rest: a QueueStore that seals message content on the way in and opens it on the way out.

A queue asks for encryption with `KmsMasterKeyId` (SSE-KMS, under that key) or with
`SqsManagedSseEnabled=true` (SSE-SQS, under the deployment's own key). Its messages' bodies
and user attributes are stored as one envelope (see `data_keys_envelope`) in place of the body,
with no user attributes; system attributes stay readable, as the stores need some of them.

Opening does not ask the queue: messages move between queues (dead-letter moves, redrives)
with their stored content untouched, so any envelope a read meets is opened, and plaintext
stored before a queue asked for encryption is returned as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from dynaqueue.domain.errors import InternalError
from dynaqueue.domain.model import (
    DeadLetterTarget,
    FifoPutResult,
    LeasedReceipt,
    NewMessage,
    QueueRecord,
    StoredMessage,
)
from dynaqueue.domain.ports import QueueStore
from dynaqueue.storage.data_key_registry import DataKeyRegistry
from dynaqueue.storage.data_keys import DataKeyUnreadable
from dynaqueue.storage.data_keys_cache import DataKeyCache
from dynaqueue.storage.data_keys_envelope import Envelope, is_envelope, key_reference, open_envelope, parse, seal

DEFAULT_REUSE_SECONDS = 300


class EncryptingStore:
    """Seals content in `put_messages` / `put_fifo_messages`; opens it in `claim_*` and `get_leased_messages`.

    Every other QueueStore method is the wrapped store's own, reached through `__getattr__`:
    none of them returns or takes message content, so there is nothing to seal or open.
    """

    def __init__(self, inner: QueueStore, keys: DataKeyCache, *, compress: bool = True) -> None:
        """`compress`: shrink large payloads before sealing; worth its CPU only where stored bytes are billed."""
        self._inner = inner
        self._keys = keys
        self._compress = compress
        self._registry = DataKeyRegistry(inner)

    @property
    def inner(self) -> QueueStore:
        """The wrapped store, which holds the sealed content."""
        return self._inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def put_messages(self, queue: QueueRecord, messages: Sequence[NewMessage]) -> None:
        self._inner.put_messages(queue, self._sealed(queue, messages))

    def put_fifo_messages(
        self, queue: QueueRecord, messages: Sequence[NewMessage], *, now_ms: int, dedup_window_ms: int
    ) -> list[FifoPutResult]:
        return self._inner.put_fifo_messages(
            queue, self._sealed(queue, messages), now_ms=now_ms, dedup_window_ms=dedup_window_ms
        )

    def claim_messages(
        self,
        queue: QueueRecord,
        *,
        now_ms: int,
        max_count: int,
        visibility_timeout_ms: int,
        retention_ms: int,
        dead_letter: DeadLetterTarget | None = None,
    ) -> list[StoredMessage]:
        claimed = self._inner.claim_messages(
            queue,
            now_ms=now_ms,
            max_count=max_count,
            visibility_timeout_ms=visibility_timeout_ms,
            retention_ms=retention_ms,
            dead_letter=dead_letter,
        )
        return self._opened(queue, claimed)

    def claim_fifo_messages(
        self,
        queue: QueueRecord,
        *,
        now_ms: int,
        max_count: int,
        visibility_timeout_ms: int,
        retention_ms: int,
        dead_letter: DeadLetterTarget | None = None,
    ) -> list[StoredMessage]:
        claimed = self._inner.claim_fifo_messages(
            queue,
            now_ms=now_ms,
            max_count=max_count,
            visibility_timeout_ms=visibility_timeout_ms,
            retention_ms=retention_ms,
            dead_letter=dead_letter,
        )
        return self._opened(queue, claimed)

    def get_leased_messages(self, queue: QueueRecord, leases: Sequence[LeasedReceipt]) -> list[StoredMessage]:
        return self._opened(queue, self._inner.get_leased_messages(queue, leases))

    def _sealed(self, queue: QueueRecord, messages: Sequence[NewMessage]) -> Sequence[NewMessage]:
        encrypted, master_key_id = encryption_key_of(queue)
        if not encrypted or not messages:
            return messages
        # A KMS refusal raises here, before anything is stored.
        key = self._keys.sealing_key(master_key_id, _reuse_ms(queue))
        self._registry.register(key_reference(key), key)
        return [
            replace(
                message,
                body=seal(key, message.message_id, message.body, message.attributes, compress=self._compress),
                attributes={},
            )
            for message in messages
        ]

    def _opened(self, queue: QueueRecord, messages: list[StoredMessage]) -> list[StoredMessage]:
        return [self._open(queue, message) if is_envelope(message.body) else message for message in messages]

    def _open(self, queue: QueueRecord, message: StoredMessage) -> StoredMessage:
        try:
            envelope = parse(message.body)
            key_id, wrapped_key = self._wrapped_key_of(envelope)
            data_key = self._keys.opening_key(key_id, wrapped_key, _reuse_ms(queue))
            body, attributes = open_envelope(envelope, data_key, message.message_id)
        except DataKeyUnreadable as error:
            raise InternalError(f"Message {message.message_id} cannot be decrypted: {error}.") from error
        return replace(message, body=body, attributes=attributes)

    def _wrapped_key_of(self, envelope: Envelope) -> tuple[str, bytes]:
        if envelope.reference is not None:
            return self._registry.resolve(envelope.reference)
        if envelope.key_id is None or envelope.wrapped_key is None:
            raise DataKeyUnreadable("the stored envelope names no data key")
        return envelope.key_id, envelope.wrapped_key


def encryption_key_of(queue: QueueRecord) -> tuple[bool, str | None]:
    """Whether the queue's new messages are sealed, and under which master key (None: the deployment's)."""
    kms_key = queue.attributes.get("KmsMasterKeyId")
    if kms_key:
        return True, kms_key
    return queue.attributes.get("SqsManagedSseEnabled") == "true", None


def _reuse_ms(queue: QueueRecord) -> int:
    seconds = queue.attributes.get("KmsDataKeyReusePeriodSeconds") or DEFAULT_REUSE_SECONDS
    return int(seconds) * 1000
