"""Named leases and cursors of the housekeeping run on DynamoDB: one small item each, changed by conditional writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.storage.dynamo_errors import is_condition_failure
from dynaqueue.storage.dynamo_keys import item_key
from dynaqueue.storage.tables import (
    CURSORS_PARTITION,
    HASH_KEY,
    LEASE_EXPIRES_AT,
    LEASE_HOLDER,
    LEASES_PARTITION,
    CursorItem,
    LeaseItem,
)

# A lease item outlives its expiry by a day before TTL removes it; an expired lease is free either way.
_LEASE_MEMORY_SECONDS = 24 * 60 * 60


class Coordination:
    """Leases (one holder at a time, decided by the item's condition) and cursors (last value saved wins)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def acquire_lease(self, name: str, *, holder: str, now_ms: int, expires_at_ms: int) -> bool:
        lease = LeaseItem(
            pk=LEASES_PARTITION,
            sk=name,
            holder=holder,
            expires_at_ms=expires_at_ms,
            expires_at=datetime.fromtimestamp(expires_at_ms // 1000 + _LEASE_MEMORY_SECONDS, tz=UTC),
        )
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=lease.serialize(),
                # Free, expired, or already ours: of two concurrent acquires only one can find it so.
                ConditionExpression=(
                    f"attribute_not_exists({HASH_KEY}) OR {LEASE_HOLDER} = :holder OR {LEASE_EXPIRES_AT} <= :now"
                ),
                ExpressionAttributeValues={":holder": {"S": holder}, ":now": {"N": str(now_ms)}},
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def release_lease(self, name: str, *, holder: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table_name,
                Key=item_key(LEASES_PARTITION, name),
                ConditionExpression=f"{LEASE_HOLDER} = :holder",
                ExpressionAttributeValues={":holder": {"S": holder}},
            )
        except ClientError as error:
            # Taken over after it expired, or already released: nothing of ours to give up.
            if not is_condition_failure(error):
                raise

    def load_cursor(self, name: str) -> str | None:
        item = self._client.get_item(
            TableName=self._table_name, Key=item_key(CURSORS_PARTITION, name), ConsistentRead=True
        ).get("Item")
        return None if item is None else CursorItem.from_raw_data(item).value

    def save_cursor(self, name: str, value: str | None) -> None:
        if value is None:
            self._client.delete_item(TableName=self._table_name, Key=item_key(CURSORS_PARTITION, name))
            return
        cursor = CursorItem(pk=CURSORS_PARTITION, sk=name, value=value)
        self._client.put_item(TableName=self._table_name, Item=cursor.serialize())
