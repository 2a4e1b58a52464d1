"""Moves between queues on DynamoDB: what a FIFO move carries, and the check that the destination still exists."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.model import NewMessage, QueueRecord
from dynaqueue.storage.dynamo_retries import cancellation_reasons
from dynaqueue.storage.tables import HASH_KEY, QUEUE_ID, QUEUES_PARTITION, RANGE_KEY

# A FIFO move writes the copy, then removes the source message. A move repeated after a failure in
# between finds the copy by its deduplication entry for this long, and stores no second one.
MOVE_DEDUPLICATION_WINDOW_MS = 24 * 60 * 60 * 1000


def move_deduplication_key(partition: str, sequence: str) -> str:
    """The deduplication key of moving one source message item (its group partition and sequence number).

    Keyed by the item, not the message id: a message moved back (redrive) and moved again within the
    window is a new source item, so its second move is stored, not mistaken for a repeat of the first.
    """
    return f"move#{partition}#{sequence}"


@dataclass(frozen=True, slots=True)
class MovedMessage:
    """A FIFO message on its way to another queue: `message` as it will be stored there.

    `blob` is its stored content, unchanged; into a dead-letter queue its receive count and first receive
    time come along and `source_arn` is added to its system attributes when received (a redrive carries
    0, None and None). `message.deduplication_key` is the move's own key (move_deduplication_key).
    """

    message: NewMessage
    group_digest: str
    blob: bytes
    receive_count: int
    first_received_at_ms: int | None
    source_arn: str | None


class DeadLetterQueueGone(Exception):
    """A move's dead-letter queue (its destination) was deleted: nothing was written to it."""


class SourceChanged(Exception):
    """An atomic move's source group changed since it was read: nothing was written anywhere."""


class MoveOutcome(enum.Enum):
    """What one dead-letter move did; NOT_MOVED: another writer changed the message first, read it again."""

    MOVED = "moved"
    NOT_MOVED = "not_moved"
    TARGET_GONE = "target_gone"


def dead_letter_queue_check(table_name: str, queue: QueueRecord) -> dict[str, Any]:
    """A transaction action that holds only while this incarnation of the dead-letter queue is live.

    Without it a move racing the queue's deletion would land in partitions nobody reads again.
    """
    return {
        "ConditionCheck": {
            "TableName": table_name,
            "Key": {HASH_KEY: {"S": QUEUES_PARTITION}, RANGE_KEY: {"S": queue.name}},
            "ConditionExpression": f"{QUEUE_ID} = :dead_letter_queue",
            "ExpressionAttributeValues": {":dead_letter_queue": {"S": queue.queue_id}},
        }
    }


def dead_letter_queue_gone(error: ClientError) -> bool:
    """Whether a move transaction, its check first, was cancelled because the dead-letter queue is gone."""
    reasons = cancellation_reasons(error)
    return bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"
