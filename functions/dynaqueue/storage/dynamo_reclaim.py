"""Reclaiming purged generations and deleted queues on DynamoDB, from the markers purge and delete-queue write.

A purge or delete-queue makes a generation unreachable at once; its marker (`A`, `<qid>#<gen>`) remembers
where its messages are: the ready-index shards `<qid>#<gen>#<shard>`, which hold every standard message head
and every non-empty FIFO group of it. Reclamation walks them and deletes, bounded per call; a marker goes once
every shard reads empty. What the index does not hold (deduplication entries, receive attempts, emptied FIFO
groups) carries a TTL already, and so does the marker, in case it is never reached.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.storage.dynamo_batches import write_batch
from dynaqueue.storage.dynamo_content import delete_chunks
from dynaqueue.storage.dynamo_errors import is_condition_failure
from dynaqueue.storage.dynamo_keys import item_key
from dynaqueue.storage.tables import (
    ABANDONED_PARTITION,
    CHUNK_COUNT,
    CHUNK_KEY,
    GROUP_SORT_KEY,
    HASH_KEY,
    MESSAGE_HEAD,
    MESSAGE_ID,
    RANGE_KEY,
    READY_INDEX,
    READY_KEY,
    AbandonedGenerationItem,
)

# Every message of a generation has its TTL within 15 days of its send; the marker is useless after that.
_MARKER_SECONDS = 16 * 24 * 60 * 60
_MARKERS_PER_CALL = 10
_MIN_PAGE = 25


def abandoned_marker(queue_id: str, generation: int, *, fifo: bool, shards: int, now_ms: int) -> dict[str, Any]:
    """The marker item of a generation nobody reads again."""
    return AbandonedGenerationItem(
        pk=ABANDONED_PARTITION,
        sk=f"{queue_id}#{generation}",
        fifo=fifo,
        shards=shards,
        expires_at=datetime.fromtimestamp(now_ms // 1000 + _MARKER_SECONDS, tz=UTC),
    ).serialize()


class Reclaimer:
    """Deletes the stored messages of abandoned generations, at most `limit` per call."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def reclaim(self, *, limit: int) -> int:
        page = self._client.query(
            TableName=self._table_name,
            KeyConditionExpression=f"{HASH_KEY} = :abandoned",
            ExpressionAttributeValues={":abandoned": {"S": ABANDONED_PARTITION}},
            ConsistentRead=True,
            Limit=_MARKERS_PER_CALL,
        )
        deleted = 0
        for raw in page["Items"]:
            if deleted >= limit:
                break
            marker = AbandonedGenerationItem.from_raw_data(raw)
            emptied = True
            for shard in range(int(marker.shards)):
                shard_key = f"{marker.sk}#{shard}"
                count, shard_empty = (
                    self._reclaim_groups(shard_key, limit - deleted)
                    if marker.fifo
                    else self._reclaim_heads(shard_key, limit - deleted)
                )
                deleted += count
                emptied = emptied and shard_empty
                if deleted >= limit:
                    emptied = False
                    break
            if emptied:
                self._client.delete_item(TableName=self._table_name, Key=item_key(marker.pk, marker.sk))
        return deleted

    def _index_page(self, shard_key: str, wanted: int) -> dict[str, Any]:
        return self._client.query(
            TableName=self._table_name,
            IndexName=READY_INDEX,
            KeyConditionExpression=f"{READY_KEY} = :shard",
            ExpressionAttributeValues={":shard": {"S": shard_key}},
            ProjectionExpression=HASH_KEY,
            Limit=max(wanted, _MIN_PAGE),
        )

    def _reclaim_heads(self, shard_key: str, limit: int) -> tuple[int, bool]:
        """Delete standard message heads (and their chunks) of one shard; (deleted, shard now empty)."""
        page = self._index_page(shard_key, limit)
        deleted = 0
        for entry in page["Items"][:limit]:
            message_id = entry[HASH_KEY]["S"]
            try:
                response = self._client.delete_item(
                    TableName=self._table_name,
                    Key=item_key(message_id, MESSAGE_HEAD),
                    # Only while it is still in the abandoned generation (the index may lag behind a delete).
                    ConditionExpression=f"{READY_KEY} = :shard",
                    ExpressionAttributeValues={":shard": {"S": shard_key}},
                    ReturnValues="ALL_OLD",
                )
            except ClientError as error:
                if is_condition_failure(error):
                    continue
                raise
            head = response.get("Attributes", {})
            if CHUNK_COUNT in head:
                delete_chunks(self._client, self._table_name, message_id, int(head[CHUNK_COUNT]["N"]))
            deleted += 1
        return deleted, not page["Items"]

    def _reclaim_groups(self, shard_key: str, limit: int) -> tuple[int, bool]:
        """Delete FIFO groups of one shard, messages first, the indexed group item last."""
        page = self._index_page(shard_key, 1)
        deleted = 0
        for entry in page["Items"]:
            if deleted >= limit:
                break
            deleted += self._reclaim_group(entry[HASH_KEY]["S"], limit - deleted)
        return deleted, not page["Items"]

    def _reclaim_group(self, partition: str, limit: int) -> int:
        page = self._client.query(
            TableName=self._table_name,
            KeyConditionExpression=f"{HASH_KEY} = :group",
            ExpressionAttributeValues={":group": {"S": partition}},
            ConsistentRead=True,
            # The group item sorts first: it is read with the messages, and deleted only with the last of them.
            Limit=limit + 1,
        )
        messages = [item for item in page["Items"] if item[RANGE_KEY]["S"] != GROUP_SORT_KEY]
        whole = "LastEvaluatedKey" not in page
        doomed = [item_key(partition, item[RANGE_KEY]["S"]) for item in messages]
        if whole:
            doomed.append(item_key(partition, GROUP_SORT_KEY))
        write_batch(self._client, self._table_name, [{"DeleteRequest": {"Key": key}} for key in doomed])
        for item in messages:
            if CHUNK_COUNT in item:
                chunks_at = item[CHUNK_KEY]["S"] if CHUNK_KEY in item else item[MESSAGE_ID]["S"]
                delete_chunks(self._client, self._table_name, chunks_at, int(item[CHUNK_COUNT]["N"]))
        return len(messages)
