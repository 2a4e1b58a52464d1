"""Wrapped data keys kept once in the store, for envelopes that name their key by reference.

Each entry is one of the store's named values (`save_cursor` / `load_cursor`, under "data-key:"
and the reference), so both stores keep them with no table of their own: on DynamoDB one small
item per data key, written when a process first seals with the key, that is once per master key
and reuse period (5 minutes by default) per process. Entries are never deleted: a message may
outlive any retention by being moved between queues, and it must still open.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict

from dynaqueue.domain.ports import QueueStore
from dynaqueue.storage.data_keys import DataKey, DataKeyUnreadable

_NAME_PREFIX = "data-key:"
# Bounds memory; a reference looked up again after it left costs one read of the store.
MAX_REMEMBERED = 4096


class DataKeyRegistry:
    """References to (master key id, wrapped key), saved before the first envelope that uses them."""

    def __init__(self, store: QueueStore, *, max_remembered: int = MAX_REMEMBERED) -> None:
        self._store = store
        self._max_remembered = max_remembered
        self._known: OrderedDict[bytes, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def register(self, reference: bytes, key: DataKey) -> None:
        """Save `key` under `reference` unless this process already did; an error leaves it unsaved."""
        if self._lookup(reference) is not None:
            return
        # Saved before any message is sealed with it: no envelope can name a key the store lacks.
        self._store.save_cursor(_name(reference), f"{key.key_id}\n{base64.b64encode(key.wrapped).decode()}")
        self._remember(reference, (key.key_id, key.wrapped))

    def resolve(self, reference: bytes) -> tuple[str, bytes]:
        """The master key id and wrapped key `reference` names; DataKeyUnreadable if the store has none."""
        known = self._lookup(reference)
        if known is not None:
            return known
        saved = self._store.load_cursor(_name(reference))
        if saved is None:
            raise DataKeyUnreadable("the data key an envelope names is not in the store")
        key_id, _, wrapped = saved.partition("\n")
        resolved = (key_id, base64.b64decode(wrapped))
        self._remember(reference, resolved)
        return resolved

    def _lookup(self, reference: bytes) -> tuple[str, bytes] | None:
        with self._lock:
            found = self._known.get(reference)
            if found is not None:
                self._known.move_to_end(reference)
            return found

    def _remember(self, reference: bytes, entry: tuple[str, bytes]) -> None:
        with self._lock:
            self._known[reference] = entry
            while len(self._known) > self._max_remembered:
                self._known.popitem(last=False)


def _name(reference: bytes) -> str:
    return _NAME_PREFIX + reference.hex()
