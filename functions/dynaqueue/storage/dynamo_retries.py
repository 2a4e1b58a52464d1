"""Write conflicts on DynamoDB: recognising them, and bounded jittered pauses before trying again."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.errors import RequestThrottled
from dynaqueue.storage.dynamo_errors import error_code

TRANSACTION_CANCELLED = "TransactionCanceledException"
# Attempts per operation: each conflict means another writer changed the same group meanwhile, which
# stays rare because only the consumers and producers of one message group ever share an item.
ATTEMPTS = 6
_FIRST_PAUSE_SECONDS = 0.01


def cancellation_reasons(error: ClientError) -> list[Mapping[str, Any]]:
    """Per-action reasons of a cancelled transaction (empty for any other error)."""
    if error_code(error) != TRANSACTION_CANCELLED:
        return []
    return list(error.response.get("CancellationReasons", []))


def is_conflict(error: ClientError) -> bool:
    """Another transaction held one of the items: nothing was written and trying again is safe.

    SDKs do not retry these: a plain write meeting a transaction in progress gets
    TransactionConflictException, a transaction meeting another write is cancelled with a
    TransactionConflict reason.
    """
    if error_code(error) == "TransactionConflictException":
        return True
    return any(reason.get("Code") == "TransactionConflict" for reason in cancellation_reasons(error))


def is_condition_cancellation(error: ClientError) -> bool:
    return any(reason.get("Code") == "ConditionalCheckFailed" for reason in cancellation_reasons(error))


def pause(attempt: int) -> None:
    """Sleep before retry `attempt` (1-based): jittered, doubling from 10 ms."""
    step = _FIRST_PAUSE_SECONDS * 2 ** (attempt - 1)
    time.sleep(random.uniform(step / 2, step))


def contention() -> RequestThrottled:
    return RequestThrottled("Too many concurrent changes to one message group; retry shortly.")
