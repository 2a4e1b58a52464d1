"""Message content on DynamoDB: the blob inside the message item up to 4 KB, else in chunk items.

Chunk items are keyed by message id, except those of a FIFO message's moved copy, which have a key of their own
(`<message id>#<move digest>`): every function here takes that key as `message_id`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dynaqueue.storage.dynamo_batches import write_batch
from dynaqueue.storage.dynamo_codec import split
from dynaqueue.storage.tables import CHUNK_PREFIX, HASH_KEY, RANGE_KEY, ChunkItem

# Every write of the item holding the blob is billed by its size, so a blob above this size moves to
# chunk items written once: a receive then rewrites only the small head. Below about 3 KB the extra
# chunk item and read cost more than they save.
INLINE_BLOB_BYTES = 4 * 1024
# A chunk item stays below DynamoDB's 400 KB item limit.
CHUNK_BYTES = 380 * 1024
# Retention can be raised later (up to 14 days) and is enforced on read, so TTL reclaims storage
# only after the longest possible retention, plus a day of slack.
_TTL_AFTER_SENT_SECONDS = (14 + 1) * 24 * 60 * 60


def message_expires_at(sent_at_ms: int) -> datetime:
    """The TTL of a message's items."""
    return datetime.fromtimestamp(sent_at_ms // 1000 + _TTL_AFTER_SENT_SECONDS, tz=UTC)


def place_content(message_id: str, blob: bytes, expires_at: datetime) -> tuple[bytes | None, list[dict[str, Any]]]:
    """The blob to keep inline (None when chunked) and the chunk items to write before the message item."""
    if len(blob) <= INLINE_BLOB_BYTES:
        return blob, []
    chunks = [
        ChunkItem(pk=message_id, sk=_chunk_key(index), content=piece, expires_at=expires_at).serialize()
        for index, piece in enumerate(split(blob, CHUNK_BYTES))
    ]
    return None, chunks


def write_chunks(client: Any, table_name: str, chunks: list[dict[str, Any]]) -> None:
    write_batch(client, table_name, [{"PutRequest": {"Item": chunk}} for chunk in chunks])


def read_chunks(client: Any, table_name: str, message_id: str, chunk_count: int) -> bytes | None:
    """The joined blob, or None when the message was deleted while its chunks were read."""
    query: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": f"{HASH_KEY} = :message AND begins_with({RANGE_KEY}, :chunk)",
        "ExpressionAttributeValues": {":message": {"S": message_id}, ":chunk": {"S": CHUNK_PREFIX}},
        # Chunks were written before the message item, so a strongly consistent read sees all of them.
        "ConsistentRead": True,
    }
    pieces: list[bytes] = []
    for _ in range(chunk_count + 1):
        page = client.query(**query)
        pieces.extend(ChunkItem.from_raw_data(item).content for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return b"".join(pieces) if len(pieces) == chunk_count else None


def delete_chunks(client: Any, table_name: str, message_id: str, chunk_count: int) -> None:
    keys = [
        {"DeleteRequest": {"Key": {HASH_KEY: {"S": message_id}, RANGE_KEY: {"S": _chunk_key(index)}}}}
        for index in range(chunk_count)
    ]
    write_batch(client, table_name, keys)


def _chunk_key(index: int) -> str:
    return f"{CHUNK_PREFIX}{index:03d}"
