"""Primary keys and index partitions of the table's items, built from queue records and ids."""

from __future__ import annotations

import base64
import hashlib

from dynaqueue.domain.model import QueueRecord
from dynaqueue.storage.tables import (
    DEDUPLICATION_PREFIX,
    FIFO_GROUP_PREFIX,
    FIFO_MESSAGE_PREFIX,
    GROUP_SORT_KEY,
    HASH_KEY,
    RANGE_KEY,
    RECEIVE_ATTEMPT_PREFIX,
)

Key = dict[str, dict[str, str]]

# 128 bits: collisions are out of reach, and keys (billed on every write) stay short.
_DIGEST_BYTES = 16


def generation_prefix(queue: QueueRecord) -> str:
    return f"{queue.queue_id}#{queue.generation}#"


def ready_key(queue: QueueRecord, shard: int) -> str:
    """The GSI1 partition of one shard of the queue's current generation."""
    return f"{generation_prefix(queue)}{shard}"


def digest(text: str) -> str:
    """22 URL-safe characters identifying `text` (group ids, deduplication keys, attempt ids)."""
    hashed = hashlib.sha256(text.encode()).digest()[:_DIGEST_BYTES]
    return base64.urlsafe_b64encode(hashed).decode().rstrip("=")


def group_shard(group_digest: str, shards: int) -> int:
    """A group stays in one shard, so its ready-index entry moves only by its sort key."""
    return int.from_bytes(base64.urlsafe_b64decode(group_digest + "=="), "big") % shards


def group_partition(queue: QueueRecord, group_digest: str) -> str:
    return f"{FIFO_GROUP_PREFIX}{generation_prefix(queue)}{group_digest}"


def item_key(partition: str, sort_key: str) -> Key:
    return {HASH_KEY: {"S": partition}, RANGE_KEY: {"S": sort_key}}


def group_key(partition: str) -> Key:
    return item_key(partition, GROUP_SORT_KEY)


def message_sort_key(sequence: str) -> str:
    return f"{FIFO_MESSAGE_PREFIX}{sequence}"


def fifo_message_key(partition: str, sequence: str) -> Key:
    return item_key(partition, message_sort_key(sequence))


def deduplication_partition(queue: QueueRecord, scoped_key: str) -> str:
    # The generation is part of the key, so a purge forgets every deduplication entry at once.
    return f"{DEDUPLICATION_PREFIX}{generation_prefix(queue)}{digest(scoped_key)}"


def receive_attempt_partition(queue: QueueRecord, attempt_id: str) -> str:
    return f"{RECEIVE_ATTEMPT_PREFIX}{queue.queue_id}#{digest(attempt_id)}"
