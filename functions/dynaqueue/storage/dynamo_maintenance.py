"""Retention on DynamoDB outside receives: deleting expired messages, and the age of the oldest one left.

Standard: per shard the ready index, in `va` order, filtered on the projected `st`. A message never received
has `va` = its send (or delay) time, so expired ones sort first in the `va <= now` range; the `va > now` range
(in flight, delayed) is read after it. Each expired head is deleted by a DeleteItem conditioned on its sent time
and generation (ALL_OLD names its chunks). FIFO: per shard the groups in the index; expired messages are at
the head of their group (sent times follow sequence numbers), and leave by the claim's removal transaction.
Both are bounded per call: at most `limit` deletions and _PAGES_PER_RANGE index pages per shard and range.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.model import QueueRecord
from dynaqueue.storage.dynamo_content import delete_chunks
from dynaqueue.storage.dynamo_errors import is_condition_failure
from dynaqueue.storage.dynamo_fifo_claims import FifoClaimer
from dynaqueue.storage.dynamo_fifo_reads import read_group
from dynaqueue.storage.dynamo_fifo_sends import MAX_MOVED_PER_PUT
from dynaqueue.storage.dynamo_keys import generation_prefix, item_key, ready_key
from dynaqueue.storage.tables import (
    CHUNK_COUNT,
    HASH_KEY,
    MESSAGE_HEAD,
    READY_INDEX,
    READY_KEY,
    SENT_AT,
    VISIBLE_AT,
)

_PAGES_PER_RANGE = 2
_MIN_PAGE = 25
# Entries read per shard and range to estimate the oldest sent time: the index is in `va` order, not `st`.
_OLDEST_SAMPLE = 25
_ROUNDS_PER_GROUP = 10


class Maintenance:
    """Deletes expired messages of one queue at a time and estimates its oldest message."""

    def __init__(self, client: Any, table_name: str, shards: int, claimer: FifoClaimer) -> None:
        self._client = client
        self._table_name = table_name
        self._shards = shards
        self._claimer = claimer

    def delete_expired(self, queue: QueueRecord, *, now_ms: int, retention_ms: int, limit: int) -> int:
        oldest_live = now_ms - retention_ms
        if queue.fifo:
            return self._delete_expired_fifo(queue, now_ms=now_ms, oldest_live=oldest_live, limit=limit)
        deleted = 0
        for shard in range(self._shards):
            for visible in (True, False):
                for message_id in self._index_ids(
                    ready_key(queue, shard),
                    now_ms=now_ms,
                    visible=visible,
                    filter_expression=f"{SENT_AT} < :oldest",
                    values={":oldest": {"N": str(oldest_live)}},
                    limit=max(limit - deleted, 0),
                ):
                    if deleted >= limit:
                        return deleted
                    if self._delete_expired_head(queue, message_id, oldest_live):
                        deleted += 1
        return deleted

    def oldest_sent_at(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> int | None:
        oldest_live = now_ms - retention_ms
        if queue.fifo:
            return self._oldest_fifo(queue, oldest_live=oldest_live)
        oldest: int | None = None
        for shard in range(self._shards):
            for visible in (True, False):
                query = self._range_query(ready_key(queue, shard), now_ms=now_ms, visible=visible)
                query["ExpressionAttributeValues"][":oldest"] = {"N": str(oldest_live)}
                page = self._client.query(
                    **query,
                    FilterExpression=f"{SENT_AT} >= :oldest",
                    ProjectionExpression=SENT_AT,
                    Limit=_OLDEST_SAMPLE,
                )
                sent = [int(entry[SENT_AT]["N"]) for entry in page["Items"]]
                if sent:
                    oldest = min(sent) if oldest is None else min(oldest, *sent)
        return oldest

    def _delete_expired_head(self, queue: QueueRecord, message_id: str, oldest_live: int) -> bool:
        try:
            response = self._client.delete_item(
                TableName=self._table_name,
                Key=item_key(message_id, MESSAGE_HEAD),
                # The index may lag: delete only what is still this queue's and still expired.
                ConditionExpression=f"begins_with({READY_KEY}, :generation) AND {SENT_AT} < :oldest",
                ExpressionAttributeValues={
                    ":generation": {"S": generation_prefix(queue)},
                    ":oldest": {"N": str(oldest_live)},
                },
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        head = response.get("Attributes", {})
        if CHUNK_COUNT in head:
            delete_chunks(self._client, self._table_name, message_id, int(head[CHUNK_COUNT]["N"]))
        return True

    def _delete_expired_fifo(self, queue: QueueRecord, *, now_ms: int, oldest_live: int, limit: int) -> int:
        deleted = 0
        for shard in range(self._shards):
            for partition in self._groups(ready_key(queue, shard)):
                if deleted >= limit:
                    return deleted
                deleted += self._delete_expired_head_run(
                    partition, now_ms=now_ms, oldest_live=oldest_live, limit=limit - deleted
                )
        return deleted

    def _delete_expired_head_run(self, partition: str, *, now_ms: int, oldest_live: int, limit: int) -> int:
        deleted = 0
        for _ in range(_ROUNDS_PER_GROUP):
            want = min(limit - deleted, MAX_MOVED_PER_PUT)
            if want <= 0:
                return deleted
            read = read_group(self._client, self._table_name, partition, limit=want + 2)
            if read.state is None:
                return deleted
            expired = []
            for message in read.messages[:want]:
                if message.sent_at_ms >= oldest_live:
                    break
                expired.append(message)
            if not expired:
                return deleted
            following = read.messages[len(expired)] if len(expired) < len(read.messages) else None
            if following is None and read.more:
                # The group's next head is not in this read: it is the last one read, deleted next round.
                following = expired.pop()
                if not expired:
                    return deleted
            removed = self._claimer.remove_head(
                partition,
                read.state,
                expired,
                following,
                0 if following is None else read.visible_at_ms(following),
                now_ms=now_ms,
            )
            if removed:
                deleted += len(expired)
            if following is None:
                return deleted
        return deleted

    def _oldest_fifo(self, queue: QueueRecord, *, oldest_live: int) -> int | None:
        oldest: int | None = None
        for shard in range(self._shards):
            for partition in self._groups(ready_key(queue, shard), pages=1):
                # The first messages of a group are its oldest; skip expired ones still waiting for deletion.
                read = read_group(self._client, self._table_name, partition, limit=_OLDEST_SAMPLE)
                sent = [message.sent_at_ms for message in read.messages if message.sent_at_ms >= oldest_live]
                if sent:
                    oldest = min(sent) if oldest is None else min(oldest, sent[0])
        return oldest

    def _groups(self, shard_key: str, *, pages: int = _PAGES_PER_RANGE) -> Iterator[str]:
        """Non-empty groups of a shard, ready or not."""
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": READY_INDEX,
            "KeyConditionExpression": f"{READY_KEY} = :shard",
            "ExpressionAttributeValues": {":shard": {"S": shard_key}},
            "ProjectionExpression": HASH_KEY,
            "Limit": _MIN_PAGE,
        }
        for _ in range(pages):
            page = self._client.query(**query)
            yield from (item[HASH_KEY]["S"] for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _index_ids(
        self,
        shard_key: str,
        *,
        now_ms: int,
        visible: bool,
        filter_expression: str,
        values: dict[str, Any],
        limit: int,
    ) -> Iterator[str]:
        if limit <= 0:
            return
        query = self._range_query(shard_key, now_ms=now_ms, visible=visible)
        query["ExpressionAttributeValues"].update(values)
        query.update(FilterExpression=filter_expression, ProjectionExpression=HASH_KEY, Limit=max(limit, _MIN_PAGE))
        for _ in range(_PAGES_PER_RANGE):
            page = self._client.query(**query)
            yield from (item[HASH_KEY]["S"] for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _range_query(self, shard_key: str, *, now_ms: int, visible: bool) -> dict[str, Any]:
        comparison = "<=" if visible else ">"
        return {
            "TableName": self._table_name,
            "IndexName": READY_INDEX,
            "KeyConditionExpression": f"{READY_KEY} = :shard AND {VISIBLE_AT} {comparison} :now",
            "ExpressionAttributeValues": {":shard": {"S": shard_key}, ":now": {"N": str(now_ms)}},
        }
