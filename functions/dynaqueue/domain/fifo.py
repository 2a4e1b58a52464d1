"""FIFO send rules: required group ids, deduplication ids and their scope, no per-message delay."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from dynaqueue.domain.errors import InvalidParameterValue, MissingParameter
from dynaqueue.domain.messages import validate_group_id
from dynaqueue.domain.model import QueueRecord, SendRequest

_NO_DEDUPLICATION_ID = (
    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
)
_MISSING_GROUP_ID = "The request must contain the parameter MessageGroupId."
# Group ids are at most 128 printable ASCII characters, so this byte can never occur inside one.
_SCOPE_SEPARATOR = "\x1f"


def check_batch(record: QueueRecord, requests: Sequence[SendRequest]) -> None:
    """Whole-request FIFO checks of SendMessageBatch: one bad entry fails the batch (spec §2.9 rule 4)."""
    if any(request.group_id is None for request in requests):
        raise InvalidParameterValue(_MISSING_GROUP_ID)
    if not _content_based(record) and any(request.deduplication_id is None for request in requests):
        raise InvalidParameterValue(_NO_DEDUPLICATION_ID)


def check_delay(delay_seconds: int | None) -> None:
    """FIFO queues take their delay from the queue; a message may only say 0."""
    if delay_seconds not in (None, 0):
        raise InvalidParameterValue(
            f"Value {delay_seconds} for parameter DelaySeconds is invalid. "
            "Reason: The request include parameter that is not valid for this queue type."
        )


def group_and_deduplication(record: QueueRecord, request: SendRequest) -> tuple[str, str, str]:
    """(group id, deduplication id, deduplication key qualified by the queue's scope) of a FIFO send."""
    if request.group_id is None:
        raise MissingParameter(_MISSING_GROUP_ID)
    validate_group_id(request.group_id, "MessageGroupId")
    deduplication_id = request.deduplication_id
    if deduplication_id is not None:
        validate_group_id(deduplication_id, "MessageDeduplicationId")
    elif _content_based(record):
        # An explicit id always wins; otherwise the SHA-256 of the body (not its attributes).
        deduplication_id = hashlib.sha256(request.body.encode()).hexdigest()
    else:
        raise InvalidParameterValue(_NO_DEDUPLICATION_ID)
    if record.attributes.get("DeduplicationScope") == "messageGroup":
        key = f"{request.group_id}{_SCOPE_SEPARATOR}{deduplication_id}"
    else:
        key = deduplication_id
    return request.group_id, deduplication_id, key


def _content_based(record: QueueRecord) -> bool:
    return record.attributes.get("ContentBasedDeduplication") == "true"
