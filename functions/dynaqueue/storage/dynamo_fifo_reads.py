"""Reads of FIFO group partitions, and leased messages as the store returns them."""

from __future__ import annotations

from typing import Any

from dynaqueue.domain.model import StoredMessage
from dynaqueue.storage.dynamo_codec import decode_content
from dynaqueue.storage.dynamo_content import read_chunks
from dynaqueue.storage.dynamo_fifo_state import Delivery, FifoMessage, GroupRead
from dynaqueue.storage.dynamo_keys import message_sort_key
from dynaqueue.storage.dynamo_leases import FifoLease
from dynaqueue.storage.tables import GROUP_SORT_KEY, HASH_KEY, RANGE_KEY


def read_group(client: Any, table_name: str, partition: str, *, limit: int) -> GroupRead:
    """The group item and its first `limit - 1` messages, strongly consistent: decisions are taken on it."""
    page = client.query(
        TableName=table_name,
        KeyConditionExpression=f"{HASH_KEY} = :group",
        ExpressionAttributeValues={":group": {"S": partition}},
        ConsistentRead=True,
        Limit=limit,
    )
    return GroupRead.from_page(page)


def read_group_through(client: Any, table_name: str, partition: str, last_sequence: str) -> GroupRead:
    """The group item and its messages up to `last_sequence` (received messages are among the first ten)."""
    page = client.query(
        TableName=table_name,
        KeyConditionExpression=f"{HASH_KEY} = :group AND {RANGE_KEY} BETWEEN :group_item AND :last",
        ExpressionAttributeValues={
            ":group": {"S": partition},
            ":group_item": {"S": GROUP_SORT_KEY},
            ":last": {"S": message_sort_key(last_sequence)},
        },
        ConsistentRead=True,
    )
    return GroupRead.from_page(page)


def leased_message(
    client: Any, table_name: str, message: FifoMessage, delivery: Delivery, lease: FifoLease
) -> StoredMessage | None:
    """The message as a receive returns it; None when its chunks are gone (deleted meanwhile)."""
    blob = message.content
    if message.chunk_count is not None:
        blob = read_chunks(client, table_name, message.chunks_at, message.chunk_count)
    if blob is None:
        return None
    body, attributes, system_attributes = decode_content(blob)
    if message.dead_letter_source is not None:
        system_attributes["DeadLetterQueueSourceArn"] = message.dead_letter_source
    return StoredMessage(
        message_id=message.message_id,
        body=body,
        attributes=attributes,
        system_attributes=system_attributes,
        sent_at_ms=message.sent_at_ms,
        receive_count=delivery.receive_count,
        first_received_at_ms=delivery.first_received_at_ms,
        lease_token=lease.token,
        sequence_number=message.sequence,
    )
