"""FIFO receive attempts on DynamoDB: what a receive with a ReceiveRequestAttemptId returned, for its retries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from dynaqueue.domain.model import LeasedReceipt, QueueRecord
from dynaqueue.storage.dynamo_keys import item_key, receive_attempt_partition
from dynaqueue.storage.tables import RECEIVE_ATTEMPT_SORT_KEY, LeaseAttribute, ReceiveAttemptItem


class ReceiveAttempts:
    """One item per attempt id and queue; TTL reclaims it, the recorded expiry decides."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def remember(
        self, queue: QueueRecord, attempt_id: str, leases: Sequence[LeasedReceipt], *, expires_at_ms: int
    ) -> None:
        item = ReceiveAttemptItem(
            pk=receive_attempt_partition(queue, attempt_id),
            sk=RECEIVE_ATTEMPT_SORT_KEY,
            leases=[
                LeaseAttribute(
                    message_id=lease.message_id, lease_token=lease.lease_token, received_at_ms=lease.received_at_ms
                )
                for lease in leases
            ],
            expires_at_ms=expires_at_ms,
            expires_at=datetime.fromtimestamp(math.ceil(expires_at_ms / 1000), tz=UTC),
        )
        self._client.put_item(TableName=self._table_name, Item=item.serialize())

    def recall(self, queue: QueueRecord, attempt_id: str, *, now_ms: int) -> list[LeasedReceipt] | None:
        key = item_key(receive_attempt_partition(queue, attempt_id), RECEIVE_ATTEMPT_SORT_KEY)
        # Strongly consistent: a client retries a receive within moments of the first try.
        raw = self._client.get_item(TableName=self._table_name, Key=key, ConsistentRead=True).get("Item")
        if raw is None:
            return None
        item = ReceiveAttemptItem.from_raw_data(raw)
        if int(item.expires_at_ms) <= now_ms:
            return None
        return [LeasedReceipt(lease.message_id, lease.lease_token, int(lease.received_at_ms)) for lease in item.leases]
