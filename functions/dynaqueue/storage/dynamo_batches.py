"""BatchWriteItem in groups of 25, resending what DynamoDB left unprocessed a bounded number of times."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from dynaqueue.domain.errors import RequestThrottled

# DynamoDB rejects larger batches; moto does not, so the limit is enforced here.
MAX_BATCH_WRITES = 25
_ATTEMPTS = 5
_FIRST_BACKOFF_SECONDS = 0.025


def write_batch(client: Any, table_name: str, requests: Sequence[dict[str, Any]]) -> None:
    """Apply PutRequest/DeleteRequest entries (unconditional, each item at most once per group)."""
    for start in range(0, len(requests), MAX_BATCH_WRITES):
        _write_group(client, table_name, list(requests[start : start + MAX_BATCH_WRITES]))


def _write_group(client: Any, table_name: str, pending: list[dict[str, Any]]) -> None:
    backoff = _FIRST_BACKOFF_SECONDS
    for attempt in range(_ATTEMPTS):
        if attempt:
            # UnprocessedItems means the table or index is over its throughput right now.
            time.sleep(random.uniform(backoff / 2, backoff))
            backoff *= 2
        response = client.batch_write_item(RequestItems={table_name: pending})
        pending = response.get("UnprocessedItems", {}).get(table_name, [])
        if not pending:
            return
    raise RequestThrottled(f"The storage left {len(pending)} writes unprocessed; retry shortly.")
