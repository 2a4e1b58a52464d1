"""Queue items on DynamoDB: create, read (optionally cached in the Lambda), list, update, purge, delete."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.errors import RequestThrottled
from dynaqueue.domain.model import PurgeOutcome, QueueRecord
from dynaqueue.storage.dynamo_errors import is_cancelled_by_condition, is_condition_failure
from dynaqueue.storage.dynamo_reclaim import abandoned_marker
from dynaqueue.storage.dynamo_retries import is_conflict
from dynaqueue.storage.tables import (
    DELETED_QUEUES_PARTITION,
    HASH_KEY,
    LAST_PURGED_AT,
    QUEUE_ID,
    QUEUES_PARTITION,
    RANGE_KEY,
    DeletedQueueItem,
    QueueItem,
    queue_record,
)

# Reads of the queue per delete: each retry follows a purge or re-creation that raced it.
_DELETE_ATTEMPTS = 5
# Long enough to outlast the 60-second re-create rule even when TTL deletes promptly.
_DELETION_MEMORY_SECONDS = 24 * 60 * 60
_MAX_LIST_PAGES = 100


class QueueCatalog:
    """The queue items of one table; `cache_seconds` > 0 keeps read records for that long in this process.

    Writes through this catalog refresh its cache at once; a change made by another process is seen
    after at most `cache_seconds`. Until then this process may use old attributes, send into a purged
    generation (those messages are lost with the purge) or receive messages that were purged, and
    accept sends to a deleted queue (unreachable, reclaimed by TTL). SQS documents the same window:
    attribute changes and purges take up to 60 seconds, and messages sent during a purge may be
    deleted. Keep `cache_seconds` at or below 60.
    """

    def __init__(self, client: Any, table_name: str, cache_seconds: float, *, shards: int = 1) -> None:
        self._client = client
        self._table_name = table_name
        self._cache_seconds = cache_seconds
        self._shards = shards
        self._cache: dict[str, tuple[QueueRecord, float]] = {}

    def create(self, record: QueueRecord) -> tuple[QueueRecord, bool]:
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=QueueItem.from_domain(record).serialize(),
                ConditionExpression=f"attribute_not_exists({HASH_KEY})",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            existing = queue_record(error.response["Item"])
            self._remember(existing)
            return existing, False
        self._remember(record)
        return record, True

    def get(self, name: str) -> QueueRecord | None:
        cached = self._cache.get(name)
        if cached is not None and time.monotonic() < cached[1]:
            return cached[0]
        # Strongly consistent: a queue must be usable the moment CreateQueue has answered.
        item = self._client.get_item(TableName=self._table_name, Key=_queue_key(name), ConsistentRead=True).get("Item")
        if item is None:
            self._cache.pop(name, None)
            return None
        record = queue_record(item)
        self._remember(record)
        return record

    def list_names(self, prefix: str, after: str | None, limit: int) -> list[str]:
        if limit <= 0 or (after is not None and after >= prefix and not after.startswith(prefix)):
            return []
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "KeyConditionExpression": f"{HASH_KEY} = :queues",
            "ExpressionAttributeValues": {":queues": {"S": QUEUES_PARTITION}},
            "ProjectionExpression": RANGE_KEY,
            "ConsistentRead": True,
        }
        if prefix:
            query["KeyConditionExpression"] += f" AND begins_with({RANGE_KEY}, :prefix)"
            query["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
        if after is not None and after >= prefix:
            # Paging from any name, existing or not, is valid as long as it lies inside the prefix range.
            query["ExclusiveStartKey"] = _queue_key(after)
        names: list[str] = []
        for _ in range(_MAX_LIST_PAGES):
            page = self._client.query(**query, Limit=limit - len(names))
            names.extend(item[RANGE_KEY]["S"] for item in page["Items"])
            if len(names) >= limit or "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return names

    def update(
        self,
        name: str,
        *,
        attributes: Mapping[str, str] | None,
        tags: Mapping[str, str] | None,
        modified_at_ms: int | None,
    ) -> QueueRecord | None:
        changes: dict[str, dict[str, Any]] = {}
        if attributes is not None:
            changes[QueueItem.attributes.attr_name] = _string_map(attributes)
        if tags is not None:
            changes[QueueItem.tags.attr_name] = _string_map(tags)
        if modified_at_ms is not None:
            changes[QueueItem.last_modified_at_ms.attr_name] = {"N": str(modified_at_ms)}
        if not changes:
            return self.get(name)
        try:
            response = self._client.update_item(
                TableName=self._table_name,
                Key=_queue_key(name),
                ConditionExpression=f"attribute_exists({HASH_KEY})",
                UpdateExpression="SET " + ", ".join(f"{attribute} = :{attribute}" for attribute in changes),
                ExpressionAttributeValues={f":{attribute}": value for attribute, value in changes.items()},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            self._cache.pop(name, None)
            return None
        record = queue_record(response["Attributes"])
        self._remember(record)
        return record

    def purge(self, name: str, *, now_ms: int, min_interval_ms: int) -> PurgeOutcome:
        generation = QueueItem.generation.attr_name
        try:
            response = self._client.update_item(
                TableName=self._table_name,
                Key=_queue_key(name),
                # The interval rule lives in the condition, so two concurrent purges cannot both pass it.
                ConditionExpression=(
                    f"attribute_exists({HASH_KEY}) AND "
                    f"(attribute_not_exists({LAST_PURGED_AT}) OR {LAST_PURGED_AT} <= :latest_previous)"
                ),
                UpdateExpression=f"SET {LAST_PURGED_AT} = :now ADD {generation} :one",
                ExpressionAttributeValues={
                    ":latest_previous": {"N": str(now_ms - min_interval_ms)},
                    ":now": {"N": str(now_ms)},
                    ":one": {"N": "1"},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            return PurgeOutcome.TOO_SOON if "Item" in error.response else PurgeOutcome.GONE
        record = queue_record(response["Attributes"])
        self._remember(record)
        # A second write: a crash before it leaves the purged generation to TTL, as before markers existed.
        self._client.put_item(
            TableName=self._table_name,
            Item=abandoned_marker(
                record.queue_id, record.generation - 1, fifo=record.fifo, shards=self._shards, now_ms=now_ms
            ),
        )
        return PurgeOutcome.PURGED

    def delete(self, name: str, *, now_ms: int) -> bool:
        deletion = DeletedQueueItem(
            pk=DELETED_QUEUES_PARTITION,
            sk=name,
            deleted_at_ms=now_ms,
            expires_at=datetime.fromtimestamp(now_ms // 1000 + _DELETION_MEMORY_SECONDS, tz=UTC),
        )
        self._cache.pop(name, None)
        for _ in range(_DELETE_ATTEMPTS):
            item = self._client.get_item(TableName=self._table_name, Key=_queue_key(name), ConsistentRead=True).get(
                "Item"
            )
            if item is None:
                return False
            record = queue_record(item)
            marker = abandoned_marker(
                record.queue_id, record.generation, fifo=record.fifo, shards=self._shards, now_ms=now_ms
            )
            try:
                # One transaction: the queue disappears, its deletion time is remembered and its last generation
                # is marked for reclamation together. The condition pins the generation read (a purge moves it).
                self._client.transact_write_items(
                    TransactItems=[
                        {
                            "Delete": {
                                "TableName": self._table_name,
                                "Key": _queue_key(name),
                                "ConditionExpression": f"{QUEUE_ID} = :queue AND {GENERATION} = :generation",
                                "ExpressionAttributeValues": {
                                    ":queue": {"S": record.queue_id},
                                    ":generation": {"N": str(record.generation)},
                                },
                            }
                        },
                        {"Put": {"TableName": self._table_name, "Item": deletion.serialize()}},
                        {"Put": {"TableName": self._table_name, "Item": marker}},
                    ]
                )
            except ClientError as error:
                if is_cancelled_by_condition(error) or is_conflict(error):
                    continue
                raise
            return True
        raise RequestThrottled("The queue kept changing while it was being deleted; retry shortly.")

    def deleted_at(self, name: str) -> int | None:
        item = self._client.get_item(
            TableName=self._table_name,
            Key={HASH_KEY: {"S": DELETED_QUEUES_PARTITION}, RANGE_KEY: {"S": name}},
            ConsistentRead=True,
        ).get("Item")
        return None if item is None else int(DeletedQueueItem.from_raw_data(item).deleted_at_ms)

    def _remember(self, record: QueueRecord) -> None:
        if self._cache_seconds > 0:
            self._cache[record.name] = (record, time.monotonic() + self._cache_seconds)


GENERATION = QueueItem.generation.attr_name


def _queue_key(name: str) -> dict[str, dict[str, str]]:
    return {HASH_KEY: {"S": QUEUES_PARTITION}, RANGE_KEY: {"S": name}}


def _string_map(values: Mapping[str, str]) -> dict[str, Any]:
    return {"M": {key: {"S": value} for key, value in values.items()}}
