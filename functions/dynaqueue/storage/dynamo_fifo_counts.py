"""Approximate message counts of a FIFO queue: its non-empty groups from the index, then each group's messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dynaqueue.domain.model import MessageCounts, QueueRecord
from dynaqueue.storage.dynamo_fifo_state import GroupRead
from dynaqueue.storage.dynamo_keys import ready_key
from dynaqueue.storage.dynamo_messages import COUNT_LIMIT_PER_SHARD
from dynaqueue.storage.tables import HASH_KEY, READY_INDEX, READY_KEY

_MAX_PAGES = 20


def count_fifo_messages(
    client: Any, table_name: str, queue: QueueRecord, *, shards: int, now_ms: int, retention_ms: int
) -> MessageCounts:
    """Visible (including those blocked behind an in-flight message), in flight, delayed; expired excluded.

    Eventually consistent, and reads at most COUNT_LIMIT_PER_SHARD messages per shard: items cost read
    units by size, so counting is kept off the send and receive paths.
    """
    visible = in_flight = delayed = 0
    for shard in range(shards):
        budget = COUNT_LIMIT_PER_SHARD
        for partition in _ready_groups(client, table_name, ready_key(queue, shard)):
            if budget <= 0:
                break
            read = _read_whole_group(client, table_name, partition, budget)
            budget -= len(read.messages)
            for message in read.messages:
                if message.sent_at_ms < now_ms - retention_ms:
                    continue
                if read.visible_at_ms(message) <= now_ms:
                    visible += 1
                elif read.state is not None and message.sequence in read.state.deliveries:
                    in_flight += 1
                else:
                    delayed += 1
    return MessageCounts(visible=visible, in_flight=in_flight, delayed=delayed)


def _ready_groups(client: Any, table_name: str, shard_key: str) -> Iterator[str]:
    """Every non-empty group of the shard, ready or not."""
    query: dict[str, Any] = {
        "TableName": table_name,
        "IndexName": READY_INDEX,
        "KeyConditionExpression": f"{READY_KEY} = :shard",
        "ExpressionAttributeValues": {":shard": {"S": shard_key}},
        "ProjectionExpression": HASH_KEY,
    }
    for _ in range(_MAX_PAGES):
        page = client.query(**query)
        yield from (item[HASH_KEY]["S"] for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _read_whole_group(client: Any, table_name: str, partition: str, budget: int) -> GroupRead:
    """The group item and up to `budget` of its messages, over as many pages as that takes."""
    query: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": f"{HASH_KEY} = :group",
        "ExpressionAttributeValues": {":group": {"S": partition}},
    }
    whole = GroupRead(None, [], more=False)
    for _ in range(_MAX_PAGES):
        raw = client.query(**query, Limit=budget - len(whole.messages) + 1)
        page = GroupRead.from_page(raw)
        # Only the first page starts with the group item.
        whole = GroupRead(whole.state or page.state, whole.messages + page.messages, page.more)
        if len(whole.messages) >= budget or not page.more:
            break
        query["ExclusiveStartKey"] = raw["LastEvaluatedKey"]
    return whole
