"""Data keys reused for KmsDataKeyReusePeriodSeconds, so KMS is asked once per key and period, not per message."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

from dynaqueue.domain.clock import Clock
from dynaqueue.storage.data_keys import DataKey, KeyProvider

# Bounds memory whatever queues and envelopes a process meets; the oldest used entry goes first.
MAX_CACHED_KEYS = 1024

K = TypeVar("K")
V = TypeVar("V")


class DataKeyCache:
    """One data key per master key for sealing, and unwrapped keys by their wrapped blob for opening.

    Every entry lives for the reuse period it is looked up with, counted from when it was made
    or unwrapped. A key this process generated is also remembered as unwrapped, so opening what
    was just sealed never asks KMS.
    """

    def __init__(self, provider: KeyProvider, clock: Clock, *, max_keys: int = MAX_CACHED_KEYS) -> None:
        self._provider = provider
        self._clock = clock
        self._sealing: _TimedEntries[str | None, DataKey] = _TimedEntries(max_keys)
        self._opening: _TimedEntries[bytes, bytes] = _TimedEntries(max_keys)
        # Held while a sealing key is generated: concurrent sends wait for one KMS call, not one each.
        self._generating = threading.Lock()

    def sealing_key(self, master_key_id: str | None, reuse_ms: int) -> DataKey:
        """The data key to seal with under `master_key_id` (None: the deployment's own key)."""
        with self._generating:
            now_ms = self._clock.now_ms()
            key = self._sealing.get(master_key_id, now_ms, reuse_ms)
            if key is None:
                key = self._provider.generate(master_key_id)
                self._sealing.put(master_key_id, key, now_ms)
                self._opening.put(key.wrapped, key.plaintext, now_ms)
            return key

    def opening_key(self, key_id: str, wrapped: bytes, reuse_ms: int) -> bytes:
        """The plaintext of the data key `wrapped` under `key_id`."""
        now_ms = self._clock.now_ms()
        plaintext = self._opening.get(wrapped, now_ms, reuse_ms)
        if plaintext is None:
            plaintext = self._provider.unwrap(key_id, wrapped)
            self._opening.put(wrapped, plaintext, now_ms)
        return plaintext


class _TimedEntries(Generic[K, V]):
    """A bounded, thread-safe map whose entries expire `ttl_ms` after they were stored."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, now_ms: int, ttl_ms: int) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            value, stored_at_ms = entry
            # A clock stepped back makes the entry's age unknown: treat it as expired.
            if not 0 <= now_ms - stored_at_ms < ttl_ms:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V, now_ms: int) -> None:
        with self._lock:
            self._entries[key] = (value, now_ms)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
