"""Standard-queue moves on DynamoDB: a message changes queue by one conditional transaction on its own item.

The item stays where it is; only its ready-index partition `g1p` moves to a shard of the destination, together
with a ConditionCheck that the destination still exists. So a move is atomic: any failure leaves the message in
its source, and of two concurrent moves (or a move and a receive) only one wins the item's condition.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.model import MessageMove, MoveOutcome, QueueRecord
from dynaqueue.storage.dynamo_dead_letters import MoveOutcome as ItemMove
from dynaqueue.storage.dynamo_dead_letters import dead_letter_queue_check, dead_letter_queue_gone
from dynaqueue.storage.dynamo_errors import is_cancelled_by_condition
from dynaqueue.storage.dynamo_keys import generation_prefix, item_key, ready_key
from dynaqueue.storage.dynamo_retries import is_conflict
from dynaqueue.storage.tables import (
    DEAD_LETTER_SOURCE,
    FIRST_RECEIVED_AT,
    HASH_KEY,
    LEASE_TOKEN,
    MESSAGE_HEAD,
    READY_INDEX,
    READY_KEY,
    RECEIVE_COUNT,
    SENT_AT,
    VISIBLE_AT,
)

# Index entries read per message still wanted: spares for lost races and stale entries.
_CANDIDATES_PER_WANTED = 2
_MIN_PAGE = 10
_PAGES_PER_SHARD = 5


def move_item(
    client: Any,
    table_name: str,
    message_id: str,
    *,
    source: QueueRecord,
    destination: QueueRecord,
    destination_shard: int,
    move: MessageMove,
    now_ms: int,
    oldest_live_sent_at_ms: int | None = None,
) -> ItemMove:
    """Re-home one message item from `source` into `destination`, visible there at `now_ms`.

    Conditions: still in the source generation, visible, (into a dead-letter queue) received at least
    `move.min_receive_count` times, and sent after `oldest_live_sent_at_ms` when given.
    """
    condition = f"begins_with({READY_KEY}, :source) AND {VISIBLE_AT} <= :now"
    values: dict[str, Any] = {
        ":source": {"S": generation_prefix(source)},
        ":now": {"N": str(now_ms)},
        ":target": {"S": ready_key(destination, destination_shard)},
    }
    if not move.redrive and move.min_receive_count > 0:
        condition += f" AND {RECEIVE_COUNT} >= :min"
        values[":min"] = {"N": str(move.min_receive_count)}
    if oldest_live_sent_at_ms is not None:
        condition += f" AND {SENT_AT} >= :oldest"
        values[":oldest"] = {"N": str(oldest_live_sent_at_ms)}
    if move.redrive:
        # Delivered at its destination like a new message: no receives, no dead-letter source.
        update = (
            f"SET {READY_KEY} = :target, {VISIBLE_AT} = :now "
            f"REMOVE {LEASE_TOKEN}, {RECEIVE_COUNT}, {FIRST_RECEIVED_AT}, {DEAD_LETTER_SOURCE}"
        )
    else:
        update = (
            f"SET {READY_KEY} = :target, {VISIBLE_AT} = :now, {DEAD_LETTER_SOURCE} = :source_arn REMOVE {LEASE_TOKEN}"
        )
        values[":source_arn"] = {"S": move.source_arn}
    change = {
        "TableName": table_name,
        "Key": item_key(message_id, MESSAGE_HEAD),
        "ConditionExpression": condition,
        "UpdateExpression": update,
        "ExpressionAttributeValues": values,
    }
    try:
        client.transact_write_items(
            TransactItems=[dead_letter_queue_check(table_name, destination), {"Update": change}]
        )
    except ClientError as error:
        if dead_letter_queue_gone(error):
            return ItemMove.TARGET_GONE
        if is_cancelled_by_condition(error) or is_conflict(error):
            return ItemMove.NOT_MOVED
        raise
    return ItemMove.MOVED


class StandardMover:
    """Moves visible messages of a standard queue, shard by shard, each by `move_item`.

    Per candidate: the ready index names it (projected `st`, `rc` filter expired and, into a dead-letter
    queue, under-received ones), an eventually consistent GetItem reads its DeadLetterQueueSourceArn (the
    destination may depend on it; the index does not project it), then the move transaction.
    """

    def __init__(self, client: Any, table_name: str, shards: int, rng: random.Random) -> None:
        self._client = client
        self._table_name = table_name
        self._shards = shards
        self._rng = rng

    def move(
        self,
        queue: QueueRecord,
        move: MessageMove,
        *,
        destination: Callable[[str | None], QueueRecord | None],
        now_ms: int,
        retention_ms: int,
        limit: int,
    ) -> tuple[MoveOutcome, set[str]]:
        """What the call did, and the ids of the queues messages moved into."""
        moved = 0
        into: set[str] = set()
        resolved: dict[str | None, QueueRecord | None] = {}
        first_shard = self._rng.randrange(self._shards)
        for offset in range(self._shards):
            shard_key = ready_key(queue, (first_shard + offset) % self._shards)
            for message_id in self._candidates(shard_key, move, now_ms=now_ms, retention_ms=retention_ms, limit=limit):
                if moved >= limit:
                    return MoveOutcome(moved=moved), into
                source_arn = self._dead_letter_source(message_id)
                if source_arn not in resolved:
                    resolved[source_arn] = destination(source_arn)
                target = resolved[source_arn]
                if target is None:
                    return MoveOutcome(moved=moved, missing_destination=source_arn or ""), into
                outcome = move_item(
                    self._client,
                    self._table_name,
                    message_id,
                    source=queue,
                    destination=target,
                    destination_shard=self._rng.randrange(self._shards),
                    move=move,
                    now_ms=now_ms,
                    oldest_live_sent_at_ms=now_ms - retention_ms,
                )
                if outcome is ItemMove.TARGET_GONE:
                    return MoveOutcome(moved=moved, missing_destination=source_arn or ""), into
                if outcome is ItemMove.MOVED:
                    moved += 1
                    into.add(target.queue_id)
        return MoveOutcome(moved=moved), into

    def _candidates(
        self, shard_key: str, move: MessageMove, *, now_ms: int, retention_ms: int, limit: int
    ) -> list[str]:
        """Ids of up to 2 x `limit` movable messages of one shard, by the index (a hint: the move decides)."""
        values: dict[str, Any] = {
            ":shard": {"S": shard_key},
            ":now": {"N": str(now_ms)},
            ":oldest": {"N": str(now_ms - retention_ms)},
        }
        live = f"{SENT_AT} >= :oldest"
        if not move.redrive and move.min_receive_count > 0:
            live += f" AND {RECEIVE_COUNT} >= :min"
            values[":min"] = {"N": str(move.min_receive_count)}
        wanted = limit * _CANDIDATES_PER_WANTED
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": READY_INDEX,
            "KeyConditionExpression": f"{READY_KEY} = :shard AND {VISIBLE_AT} <= :now",
            "FilterExpression": live,
            "ExpressionAttributeValues": values,
            "ProjectionExpression": HASH_KEY,
            "Limit": max(wanted, _MIN_PAGE),
        }
        ids: list[str] = []
        for _ in range(_PAGES_PER_SHARD):
            page = self._client.query(**query)
            ids.extend(item[HASH_KEY]["S"] for item in page["Items"])
            if len(ids) >= wanted or "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return ids

    def _dead_letter_source(self, message_id: str) -> str | None:
        item = self._client.get_item(
            TableName=self._table_name, Key=item_key(message_id, MESSAGE_HEAD), ProjectionExpression=DEAD_LETTER_SOURCE
        ).get("Item", {})
        return item[DEAD_LETTER_SOURCE]["S"] if DEAD_LETTER_SOURCE in item else None
