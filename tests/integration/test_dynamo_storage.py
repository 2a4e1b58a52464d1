"""What the DynamoDB adapter stores: table schema, compact items, chunked large bodies, TTL, expiry, cache."""

from __future__ import annotations

import base64
import random
import uuid
from typing import Any

import pytest

from dynaqueue.domain.model import MessageAttributeValue, NewMessage, QueueRecord
from dynaqueue.storage.capacity import CapacityMeter, item_size
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.dynamo_content import CHUNK_BYTES
from dynaqueue.storage.tables import TABLE_SCHEMA, IndexSchema, create_table_arguments

TABLE = "dynaqueue-storage"
T0 = 1_767_225_600_000
RETENTION_MS = 345_600_000
VISIBILITY_MS = 30_000
FOURTEEN_DAYS_SECONDS = 14 * 24 * 60 * 60


@pytest.fixture
def store(client: Any) -> DynamoStore:
    return DynamoStore(table_name=TABLE, client=client, shards=4)


@pytest.fixture
def queue(store: DynamoStore) -> QueueRecord:
    return store.create_queue(_queue_record())[0]


def _queue_record(name: str = "orders") -> QueueRecord:
    return QueueRecord(
        name=name,
        queue_id=uuid.uuid4().hex,
        fifo=False,
        attributes={"VisibilityTimeout": "30"},
        tags={},
        created_at_ms=T0,
        last_modified_at_ms=T0,
    )


def _message(body: str = "hello", *, sent_at_ms: int = T0, **fields: Any) -> NewMessage:
    return NewMessage(
        message_id=str(uuid.uuid4()),
        body=body,
        attributes=fields.get("attributes", {}),
        system_attributes=fields.get("system_attributes", {}),
        sent_at_ms=sent_at_ms,
        visible_at_ms=sent_at_ms,
    )


def _claim(store: DynamoStore, queue: QueueRecord, *, now_ms: int = T0) -> list:
    return store.claim_messages(
        queue, now_ms=now_ms, max_count=10, visibility_timeout_ms=VISIBILITY_MS, retention_ms=RETENTION_MS
    )


def _items(client: Any) -> list[dict[str, Any]]:
    return client.scan(TableName=TABLE)["Items"]


def _message_items(client: Any, message_id: str) -> list[dict[str, Any]]:
    return [item for item in _items(client) if item["pk"]["S"] == message_id]


def _incompressible_body(size: int) -> str:
    return base64.b64encode(random.Random(3).randbytes(size * 3 // 4)).decode()


def test_table_is_created_from_the_models_with_the_ready_index_and_ttl(client: Any) -> None:
    table = client.describe_table(TableName=TABLE)["Table"]
    ttl = client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]

    assert {key["AttributeName"]: key["KeyType"] for key in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "GSI1"
    assert {key["AttributeName"]: key["KeyType"] for key in index["KeySchema"]} == {"g1p": "HASH", "va": "RANGE"}
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["st", "rc"]}
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "xa")
    assert TABLE_SCHEMA.indexes == (IndexSchema("GSI1", "g1p", "va", "INCLUDE", ("st", "rc")),)
    assert create_table_arguments(TABLE)["BillingMode"] == "PAY_PER_REQUEST"


def test_message_item_uses_short_names_and_a_ttl_beyond_the_longest_retention(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    message = _message()
    store.put_messages(queue, [message])

    (item,) = _message_items(client, message.message_id)

    assert set(item) == {"pk", "sk", "g1p", "va", "st", "xa", "b"}
    assert item["g1p"]["S"].startswith(f"{queue.queue_id}#0#")
    assert int(item["xa"]["N"]) > T0 // 1000 + FOURTEEN_DAYS_SECONDS


def test_compressible_body_is_stored_compressed(client: Any, store: DynamoStore, queue: QueueRecord) -> None:
    body = '{"status": "ok", "items": [' + ", ".join(['{"sku": "A-1", "quantity": 1}'] * 40) + "]}"
    message = _message(body)

    store.put_messages(queue, [message])

    (item,) = _message_items(client, message.message_id)
    assert len(item["b"]["B"]) < len(body) // 4
    assert _claim(store, queue)[0].body == body


def test_attributes_survive_the_round_trip(store: DynamoStore, queue: QueueRecord) -> None:
    attributes = {
        "kind": MessageAttributeValue("String", string_value="order"),
        "count": MessageAttributeValue("Number.int", string_value="12"),
        "blob": MessageAttributeValue("Binary.gif", binary_value=b"\x00\xff\n"),
        "text": MessageAttributeValue("String", string_value="line\nbreak ü"),
    }
    store.put_messages(
        queue, [_message("body\nwith newline", attributes=attributes, system_attributes={"AWSTraceHeader": "Root=1-a"})]
    )

    (claimed,) = _claim(store, queue)

    assert claimed.body == "body\nwith newline"
    assert claimed.attributes == attributes
    assert claimed.system_attributes == {"AWSTraceHeader": "Root=1-a"}


def test_one_mebibyte_body_is_split_into_chunks_written_before_the_head(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    body = _incompressible_body(1024 * 1024)
    message = _message(body)

    with CapacityMeter(client) as meter:
        store.put_messages(queue, [message])

    items = _message_items(client, message.message_id)
    chunks = [item for item in items if item["sk"]["S"] != "m"]
    (head,) = [item for item in items if item["sk"]["S"] == "m"]
    assert meter.operations == ["BatchWriteItem", "PutItem"]
    assert int(head["nc"]["N"]) == len(chunks) >= 2
    assert "b" not in head
    assert all(item_size(chunk) < 400 * 1024 and "xa" in chunk for chunk in chunks)
    assert max(len(chunk["b"]["B"]) for chunk in chunks) == CHUNK_BYTES


def test_chunked_message_is_received_whole_and_deleted_with_its_chunks(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    body = _incompressible_body(1024 * 1024)
    store.put_messages(queue, [_message(body)])

    with CapacityMeter(client) as meter:
        (claimed,) = _claim(store, queue)

    assert claimed.body == body
    assert meter.operations.count("UpdateItem") == 1
    assert store.delete_message(queue, claimed.message_id)
    assert _message_items(client, claimed.message_id) == []


def test_expired_messages_met_by_a_receive_are_deleted_with_their_chunks(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    expired = [
        _message("old", sent_at_ms=T0 - RETENTION_MS - 1),
        _message(_incompressible_body(500_000), sent_at_ms=T0 - RETENTION_MS - 1),
    ]
    live = _message("new", sent_at_ms=T0 - RETENTION_MS)
    store.put_messages(queue, [*expired, live])

    claimed = _claim(store, queue)

    assert [message.body for message in claimed] == ["new"]
    assert all(_message_items(client, message.message_id) == [] for message in expired)


def test_messages_of_another_queue_cannot_be_deleted_or_changed(store: DynamoStore, queue: QueueRecord) -> None:
    other = store.create_queue(_queue_record("payments"))[0]
    store.put_messages(other, [_message()])
    (leased,) = _claim(store, other)

    assert not store.delete_message(queue, leased.message_id)
    outcome = store.change_visibility(queue, leased.message_id, lease_token=leased.lease_token, visible_at_ms=T0)
    assert outcome.value == "gone"
    assert store.delete_message(other, leased.message_id)


def test_list_after_a_name_outside_the_prefix_is_empty(store: DynamoStore) -> None:
    for name in ("alpha", "beta-1", "beta-2", "gamma"):
        store.create_queue(_queue_record(name))

    assert store.list_queue_names("beta", "c", 10) == []
    assert store.list_queue_names("beta", "a", 10) == ["beta-1", "beta-2"]
    assert store.list_queue_names("beta", "beta-1", 10) == ["beta-2"]
    assert store.list_queue_names("", "beta-1", 2) == ["beta-2", "gamma"]


def test_cached_queue_is_served_from_memory_and_refreshed_by_local_writes(client: Any) -> None:
    cached = DynamoStore(table_name=TABLE, client=client, shards=1, queue_cache_seconds=60)
    other_process = DynamoStore(table_name=TABLE, client=client, shards=1)
    record, _ = cached.create_queue(_queue_record())

    with CapacityMeter(client) as meter:
        assert cached.get_queue("orders") == record
        assert cached.get_queue("orders") == record
    other_process.update_queue("orders", tags={"team": "a"})
    stale = cached.get_queue("orders")
    cached.purge_queue("orders", now_ms=T0, min_interval_ms=60_000)
    refreshed = cached.get_queue("orders")
    cached.delete_queue("orders", now_ms=T0)

    assert meter.operations == []
    assert stale == record
    assert refreshed is not None
    assert (refreshed.generation, refreshed.tags) == (1, {"team": "a"})
    assert cached.get_queue("orders") is None


def test_purged_generation_is_left_to_ttl(client: Any, store: DynamoStore, queue: QueueRecord) -> None:
    old = _message()
    store.put_messages(queue, [old])

    store.purge_queue("orders", now_ms=T0 + 1, min_interval_ms=60_000)
    current = store.get_queue("orders")

    assert current is not None
    assert _claim(store, current, now_ms=T0 + 2) == []
    assert len(_message_items(client, old.message_id)) == 1
