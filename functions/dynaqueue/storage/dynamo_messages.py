"""Standard-queue messages on DynamoDB: one head item per message, found through the sharded ready index."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.model import (
    DeadLetterTarget,
    MessageCounts,
    MessageMove,
    NewMessage,
    QueueRecord,
    StoredMessage,
    VisibilityOutcome,
)
from dynaqueue.storage.dynamo_batches import write_batch
from dynaqueue.storage.dynamo_codec import decode_content, encode_content
from dynaqueue.storage.dynamo_content import (
    delete_chunks,
    message_expires_at,
    place_content,
    read_chunks,
    write_chunks,
)
from dynaqueue.storage.dynamo_dead_letters import MoveOutcome
from dynaqueue.storage.dynamo_errors import is_condition_failure
from dynaqueue.storage.dynamo_keys import generation_prefix, ready_key
from dynaqueue.storage.dynamo_moves import move_item
from dynaqueue.storage.tables import (
    CHUNK_COUNT,
    FIRST_RECEIVED_AT,
    HASH_KEY,
    LEASE_TOKEN,
    MESSAGE_HEAD,
    RANGE_KEY,
    READY_INDEX,
    READY_KEY,
    RECEIVE_COUNT,
    SENT_AT,
    VISIBLE_AT,
    MessageItem,
)

# Candidates read per message wanted: spares for lost races, stale entries and expired messages.
_CANDIDATES_PER_WANTED = 2
_PAGES_PER_SHARD = 3
# Approximate counters read at most this many index entries per shard and range.
COUNT_LIMIT_PER_SHARD = 10_000
_MAX_COUNT_PAGES = 20


class MessageTable:
    """Messages of every queue in one table, spread over `shards` ready-index partitions per queue.

    The index is only a hint. Every state change is decided by a condition on the head item, so a
    stale index entry (GSI lag) costs one failed conditional write, never a duplicate delivery.
    """

    def __init__(self, client: Any, table_name: str, shards: int, rng: random.Random) -> None:
        self._client = client
        self._table_name = table_name
        self._shards = shards
        self._rng = rng

    def put(self, queue: QueueRecord, messages: Sequence[NewMessage]) -> None:
        heads: list[dict[str, Any]] = []
        chunks: list[dict[str, Any]] = []
        for message in messages:
            head, message_chunks = self._items(queue, message)
            heads.append(head)
            chunks.extend(message_chunks)
        # Chunks first: a head in the index is receivable at once and must find its whole body.
        write_chunks(self._client, self._table_name, chunks)
        if len(heads) == 1:
            self._put_head(heads[0])
        else:
            # BatchWriteItem cannot carry conditions; fresh message ids make overwrites impossible.
            write_batch(self._client, self._table_name, [{"PutRequest": {"Item": head}} for head in heads])

    def claim(
        self,
        queue: QueueRecord,
        *,
        now_ms: int,
        max_count: int,
        visibility_timeout_ms: int,
        retention_ms: int,
        dead_letter: DeadLetterTarget | None = None,
    ) -> tuple[list[StoredMessage], list[str]]:
        """The leased messages, and the ids of those moved to the dead-letter queue instead."""
        claimed: list[StoredMessage] = []
        moved: list[str] = []
        # Receivers start at a random shard so that concurrent receivers rarely race for one entry.
        first_shard = self._rng.randrange(self._shards)
        for offset in range(self._shards):
            if len(claimed) >= max_count:
                break
            shard_key = ready_key(queue, (first_shard + offset) % self._shards)
            self._claim_from_shard(
                queue,
                shard_key,
                claimed,
                moved,
                now_ms=now_ms,
                max_count=max_count,
                visible_until_ms=now_ms + visibility_timeout_ms,
                oldest_live_sent_at_ms=now_ms - retention_ms,
                dead_letter=dead_letter,
            )
        return claimed, moved

    def delete(self, queue: QueueRecord, message_id: str) -> bool:
        try:
            response = self._client.delete_item(
                TableName=self._table_name,
                Key=_head_key(message_id),
                ConditionExpression=f"begins_with({READY_KEY}, :generation)",
                ExpressionAttributeValues={":generation": {"S": generation_prefix(queue)}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        self._delete_chunks(message_id, response["Attributes"])
        return True

    def change_visibility(
        self, queue: QueueRecord, message_id: str, *, lease_token: str, visible_at_ms: int
    ) -> VisibilityOutcome:
        generation = generation_prefix(queue)
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key=_head_key(message_id),
                ConditionExpression=f"{LEASE_TOKEN} = :token AND begins_with({READY_KEY}, :generation)",
                UpdateExpression=f"SET {VISIBLE_AT} = :visible_at",
                ExpressionAttributeValues={
                    ":token": {"S": lease_token},
                    ":generation": {"S": generation},
                    ":visible_at": {"N": str(visible_at_ms)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            current = error.response.get("Item")
            if current is None or not current[READY_KEY]["S"].startswith(generation):
                return VisibilityOutcome.GONE
            return VisibilityOutcome.STALE
        return VisibilityOutcome.CHANGED

    def count(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> MessageCounts:
        visible = in_flight = delayed = 0
        for shard in range(self._shards):
            live = {
                ":shard": {"S": ready_key(queue, shard)},
                ":now": {"N": str(now_ms)},
                ":oldest": {"N": str(now_ms - retention_ms)},
            }
            for page in self._index_pages(
                KeyConditionExpression=f"{READY_KEY} = :shard AND {VISIBLE_AT} <= :now",
                FilterExpression=f"{SENT_AT} >= :oldest",
                ExpressionAttributeValues=live,
                Select="COUNT",
            ):
                visible += page["Count"]
            # Hidden messages are in flight once received, delayed before that: the projected
            # receive count tells them apart without reading the items.
            for page in self._index_pages(
                KeyConditionExpression=f"{READY_KEY} = :shard AND {VISIBLE_AT} > :now",
                FilterExpression=f"{SENT_AT} >= :oldest",
                ExpressionAttributeValues=live,
                ProjectionExpression=RECEIVE_COUNT,
            ):
                received = sum(1 for entry in page["Items"] if RECEIVE_COUNT in entry)
                in_flight += received
                delayed += len(page["Items"]) - received
        return MessageCounts(visible=visible, in_flight=in_flight, delayed=delayed)

    def _items(self, queue: QueueRecord, message: NewMessage) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        blob = encode_content(message.body, message.attributes, message.system_attributes)
        expires_at = message_expires_at(message.sent_at_ms)
        inline, chunks = place_content(message.message_id, blob, expires_at)
        head = MessageItem(
            pk=message.message_id,
            sk=MESSAGE_HEAD,
            ready_key=ready_key(queue, self._rng.randrange(self._shards)),
            visible_at_ms=message.visible_at_ms,
            sent_at_ms=message.sent_at_ms,
            expires_at=expires_at,
            content=inline,
            chunk_count=len(chunks) if chunks else None,
        )
        return head.serialize(), chunks

    def _put_head(self, head: dict[str, Any]) -> None:
        try:
            self._client.put_item(
                TableName=self._table_name, Item=head, ConditionExpression=f"attribute_not_exists({HASH_KEY})"
            )
        except ClientError as error:
            # Only a retried put whose first attempt landed can find its fresh id taken; writing
            # again would reset a message that may have been received in between.
            if not is_condition_failure(error):
                raise

    def _claim_from_shard(
        self,
        queue: QueueRecord,
        shard_key: str,
        claimed: list[StoredMessage],
        moved: list[str],
        *,
        now_ms: int,
        max_count: int,
        visible_until_ms: int,
        oldest_live_sent_at_ms: int,
        dead_letter: DeadLetterTarget | None,
    ) -> None:
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": READY_INDEX,
            "KeyConditionExpression": f"{READY_KEY} = :shard AND {VISIBLE_AT} <= :now",
            "ExpressionAttributeValues": {":shard": {"S": shard_key}, ":now": {"N": str(now_ms)}},
            "ProjectionExpression": f"{HASH_KEY}, {SENT_AT}, {RECEIVE_COUNT}",
        }
        for _ in range(_PAGES_PER_SHARD):
            page = self._client.query(**query, Limit=(max_count - len(claimed)) * _CANDIDATES_PER_WANTED)
            candidates = page["Items"]
            self._rng.shuffle(candidates)
            for candidate in candidates:
                if len(claimed) >= max_count:
                    return
                message_id = candidate[HASH_KEY]["S"]
                if int(candidate[SENT_AT]["N"]) < oldest_live_sent_at_ms:
                    self._delete_expired(message_id)
                    continue
                # The index may lag behind the item's count, never run ahead of it (counts only grow).
                received = int(candidate[RECEIVE_COUNT]["N"]) if RECEIVE_COUNT in candidate else 0
                if dead_letter is not None and received >= dead_letter.max_receive_count:
                    outcome = self._move(queue, message_id, dead_letter, now_ms=now_ms)
                    if outcome is MoveOutcome.MOVED:
                        moved.append(message_id)
                    if outcome is not MoveOutcome.TARGET_GONE:
                        continue
                    # The message stays and is delivered as usual, and so are the others of this claim.
                    dead_letter = None
                message = self._lease(
                    queue, message_id, now_ms=now_ms, visible_until_ms=visible_until_ms, dead_letter=dead_letter
                )
                if message is not None:
                    claimed.append(message)
            if len(claimed) >= max_count or "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _move(self, queue: QueueRecord, message_id: str, dead_letter: DeadLetterTarget, *, now_ms: int) -> MoveOutcome:
        """Re-home the message into the dead-letter queue's ready index: one atomic write, nothing to lose."""
        return move_item(
            self._client,
            self._table_name,
            message_id,
            source=queue,
            destination=dead_letter.queue,
            destination_shard=self._rng.randrange(self._shards),
            move=MessageMove(
                redrive=False, source_arn=dead_letter.source_arn, min_receive_count=dead_letter.max_receive_count
            ),
            now_ms=now_ms,
        )

    def _lease(
        self,
        queue: QueueRecord,
        message_id: str,
        *,
        now_ms: int,
        visible_until_ms: int,
        dead_letter: DeadLetterTarget | None,
    ) -> StoredMessage | None:
        # Still this queue's: a move may have re-homed the message since the index named it here.
        condition = f"begins_with({READY_KEY}, :generation) AND {VISIBLE_AT} <= :now"
        values = {
            ":generation": {"S": generation_prefix(queue)},
            ":now": {"N": str(now_ms)},
            ":until": {"N": str(visible_until_ms)},
            ":token": {"S": secrets.token_urlsafe(9)},
            ":one": {"N": "1"},
        }
        if dead_letter is not None:
            # A lagging index entry must not deliver a message that is due to move.
            condition += f" AND (attribute_not_exists({RECEIVE_COUNT}) OR {RECEIVE_COUNT} < :max)"
            values[":max"] = {"N": str(dead_letter.max_receive_count)}
        try:
            # The claim itself: decided by the head item's own visible-at, never by what the index said.
            response = self._client.update_item(
                TableName=self._table_name,
                Key=_head_key(message_id),
                ConditionExpression=condition,
                UpdateExpression=(
                    f"SET {VISIBLE_AT} = :until, {LEASE_TOKEN} = :token, "
                    f"{FIRST_RECEIVED_AT} = if_not_exists({FIRST_RECEIVED_AT}, :now) ADD {RECEIVE_COUNT} :one"
                ),
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        item = MessageItem.from_raw_data(response["Attributes"])
        blob = (
            item.content
            if item.chunk_count is None
            else read_chunks(self._client, self._table_name, message_id, int(item.chunk_count))
        )
        if blob is None:
            return None
        body, attributes, system_attributes = decode_content(blob)
        if item.dead_letter_source is not None:
            system_attributes["DeadLetterQueueSourceArn"] = item.dead_letter_source
        return StoredMessage(
            message_id=message_id,
            body=body,
            attributes=attributes,
            system_attributes=system_attributes,
            sent_at_ms=int(item.sent_at_ms),
            receive_count=int(item.receive_count),
            first_received_at_ms=int(item.first_received_at_ms),
            lease_token=item.lease_token,
        )

    def _delete_expired(self, message_id: str) -> None:
        # Retention is over whatever state the message is in, so no condition is needed.
        response = self._client.delete_item(
            TableName=self._table_name, Key=_head_key(message_id), ReturnValues="ALL_OLD"
        )
        self._delete_chunks(message_id, response.get("Attributes", {}))

    def _delete_chunks(self, message_id: str, head: dict[str, Any]) -> None:
        if CHUNK_COUNT in head:
            delete_chunks(self._client, self._table_name, message_id, int(head[CHUNK_COUNT]["N"]))

    def _index_pages(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Pages of one ready-index range, stopping after COUNT_LIMIT_PER_SHARD entries."""
        evaluated = 0
        for _ in range(_MAX_COUNT_PAGES):
            page = self._client.query(
                TableName=self._table_name, IndexName=READY_INDEX, Limit=COUNT_LIMIT_PER_SHARD - evaluated, **query
            )
            yield page
            evaluated += page["ScannedCount"]
            if evaluated >= COUNT_LIMIT_PER_SHARD or "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _head_key(message_id: str) -> dict[str, dict[str, str]]:
    return {HASH_KEY: {"S": message_id}, RANGE_KEY: {"S": MESSAGE_HEAD}}
