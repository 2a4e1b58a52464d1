"""DynamoDB calls and request units per store operation, as DynamoDB would bill them (computed, on moto)."""

from __future__ import annotations

import base64
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from bench.bodies import one_kilobyte_json
from bench.units import FirstShardRandom
from dynaqueue.domain.model import NewMessage, QueueRecord
from dynaqueue.storage.capacity import CapacityMeter, item_size
from dynaqueue.storage.dynamo import DynamoStore

TABLE = "dynaqueue-costs"
T0 = 1_767_225_600_000
RETENTION_MS = 345_600_000
VISIBILITY_MS = 30_000


@dataclass
class Dynamo:
    client: object
    store: DynamoStore
    queue: QueueRecord
    shards: int

    def meter(self) -> CapacityMeter:
        return CapacityMeter(self.client)


def _store(client: object, shards: int) -> DynamoStore:
    return DynamoStore(table_name=TABLE, client=client, shards=shards, rng=FirstShardRandom(7))


@pytest.fixture(params=[1, 4], ids=["1-shard", "4-shards"])
def dynamo(request: pytest.FixtureRequest) -> Iterator[Dynamo]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        DynamoStore.create_table(client, TABLE)
        store = _store(client, request.param)
        queue, _ = store.create_queue(_queue_record())
        yield Dynamo(client, store, queue, request.param)


def _queue_record(name: str = "orders") -> QueueRecord:
    return QueueRecord(
        name=name,
        queue_id=uuid.uuid4().hex,
        fifo=False,
        attributes={"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600"},
        tags={},
        created_at_ms=T0,
        last_modified_at_ms=T0,
    )


def new_message(body: str = "hello", *, sent_at_ms: int = T0) -> NewMessage:
    return NewMessage(
        message_id=str(uuid.uuid4()),
        body=body,
        attributes={},
        system_attributes={},
        sent_at_ms=sent_at_ms,
        visible_at_ms=sent_at_ms,
    )


def claim(dynamo: Dynamo, *, now_ms: int = T0, max_count: int = 1) -> list:
    return dynamo.store.claim_messages(
        dynamo.queue, now_ms=now_ms, max_count=max_count, visibility_timeout_ms=VISIBILITY_MS, retention_ms=RETENTION_MS
    )


def head_item_size(dynamo: Dynamo, message_id: str) -> int:
    item = dynamo.client.get_item(TableName=TABLE, Key={"pk": {"S": message_id}, "sk": {"S": "m"}})["Item"]
    return item_size(item)


def test_lifecycle_of_a_1_kb_json_message_costs_7_write_units_and_half_a_read_unit(dynamo: Dynamo) -> None:
    message = new_message(one_kilobyte_json())

    with dynamo.meter() as send:
        dynamo.store.put_messages(dynamo.queue, [message])
    with dynamo.meter() as receive:
        (claimed,) = claim(dynamo)
    received_item_size = head_item_size(dynamo, message.message_id)
    with dynamo.meter() as delete:
        assert dynamo.store.delete_message(dynamo.queue, claimed.message_id)

    assert claimed.body == message.body
    assert received_item_size < 1024
    assert (send.operations, send.write_units, send.read_units) == (["PutItem"], 2, 0)
    assert (receive.operations, receive.write_units, receive.read_units) == (["Query", "UpdateItem"], 3, 0.5)
    assert (delete.operations, delete.write_units, delete.read_units) == (["DeleteItem"], 2, 0)
    assert send.write_units + receive.write_units + delete.write_units == 7


def test_send_writes_the_item_and_one_index_entry(dynamo: Dynamo) -> None:
    with dynamo.meter() as meter:
        dynamo.store.put_messages(dynamo.queue, [new_message(one_kilobyte_json())])

    (call,) = meter.calls
    assert (call.table_write_units, call.index_write_units) == (1, 1)


def test_receive_moves_the_index_entry_which_costs_two_index_writes(dynamo: Dynamo) -> None:
    dynamo.store.put_messages(dynamo.queue, [new_message(one_kilobyte_json())])

    with dynamo.meter() as meter:
        claim(dynamo)

    query, update = meter.calls
    assert (query.read_units, update.table_write_units, update.index_write_units) == (0.5, 1, 2)


def test_change_visibility_costs_3_write_units(dynamo: Dynamo) -> None:
    dynamo.store.put_messages(dynamo.queue, [new_message(one_kilobyte_json())])
    (claimed,) = claim(dynamo)

    with dynamo.meter() as meter:
        dynamo.store.change_visibility(
            dynamo.queue, claimed.message_id, lease_token=claimed.lease_token, visible_at_ms=T0 + 1
        )

    assert (meter.operations, meter.write_units, meter.read_units) == (["UpdateItem"], 3, 0)


def test_stale_change_visibility_costs_the_item_size_and_no_index_write(dynamo: Dynamo) -> None:
    dynamo.store.put_messages(dynamo.queue, [new_message(one_kilobyte_json())])
    (claimed,) = claim(dynamo)

    with dynamo.meter() as meter:
        dynamo.store.change_visibility(dynamo.queue, claimed.message_id, lease_token="stale", visible_at_ms=T0)

    (call,) = meter.calls
    assert call.error_code == "ConditionalCheckFailedException"
    assert (call.table_write_units, call.index_write_units) == (1, 0)


def test_deleting_a_message_that_is_gone_costs_1_write_unit(dynamo: Dynamo) -> None:
    with dynamo.meter() as meter:
        assert not dynamo.store.delete_message(dynamo.queue, str(uuid.uuid4()))

    assert (meter.operations, meter.write_units) == (["DeleteItem"], 1)


def test_batch_send_of_ten_is_one_call_of_2_write_units_per_message(dynamo: Dynamo) -> None:
    messages = [new_message(one_kilobyte_json(seed)) for seed in range(10)]

    with dynamo.meter() as meter:
        dynamo.store.put_messages(dynamo.queue, messages)

    assert (meter.operations, meter.write_units, meter.read_units) == (["BatchWriteItem"], 20, 0)


def test_batch_receive_of_ten_is_one_query_and_one_claim_per_message(dynamo: Dynamo) -> None:
    dynamo.store.put_messages(dynamo.queue, [new_message(one_kilobyte_json(seed)) for seed in range(10)])

    with dynamo.meter() as meter:
        claimed = claim(dynamo, max_count=10)

    assert len(claimed) == 10
    assert meter.operations == ["Query"] + ["UpdateItem"] * 10
    assert (meter.write_units, meter.read_units) == (30, 0.5)


def test_message_over_4_kb_keeps_its_blob_in_a_chunk_so_receives_rewrite_only_the_head(dynamo: Dynamo) -> None:
    body = base64.b64encode(random.Random(5).randbytes(48 * 1024)).decode()  # 64 KiB, barely compressible
    message = new_message(body)

    with dynamo.meter() as send:
        dynamo.store.put_messages(dynamo.queue, [message])
    chunk = dynamo.client.get_item(TableName=TABLE, Key={"pk": {"S": message.message_id}, "sk": {"S": "c000"}})
    chunk_units = math.ceil(item_size(chunk["Item"]) / 1024)
    with dynamo.meter() as receive:
        (claimed,) = claim(dynamo)
    with dynamo.meter() as delete:
        dynamo.store.delete_message(dynamo.queue, claimed.message_id)

    assert claimed.body == body
    assert (send.operations, send.write_units) == (["BatchWriteItem", "PutItem"], chunk_units + 2)
    assert (receive.operations, receive.write_units) == (["Query", "UpdateItem", "Query"], 3)
    assert receive.read_units == 0.5 + math.ceil(item_size(chunk["Item"]) / 4096)
    assert (delete.operations, delete.write_units) == (["DeleteItem", "BatchWriteItem"], chunk_units + 2)


def test_empty_receive_queries_every_shard_once_for_half_a_read_unit_each(dynamo: Dynamo) -> None:
    with dynamo.meter() as meter:
        assert claim(dynamo, max_count=10) == []

    assert meter.operations == ["Query"] * dynamo.shards
    assert (meter.write_units, meter.read_units) == (0, 0.5 * dynamo.shards)


def test_receive_cost_does_not_grow_with_queue_depth_or_in_flight_messages(dynamo: Dynamo) -> None:
    costs = {}
    for visible, in_flight in [(10, 0), (500, 0), (10, 200)]:
        queue, _ = dynamo.store.create_queue(_queue_record(f"depth-{visible}-{in_flight}"))
        deep = Dynamo(dynamo.client, dynamo.store, queue, dynamo.shards)
        total = visible + in_flight
        for start in range(0, total, 10):
            batch = range(start, min(start + 10, total))
            dynamo.store.put_messages(queue, [new_message(f"message {index}") for index in batch])
        for _ in range(in_flight // 10):
            assert len(claim(deep, max_count=10)) == 10

        with deep.meter() as meter:
            assert len(claim(deep, now_ms=T0 + 1)) == 1
        costs[(visible, in_flight)] = (tuple(meter.operations), meter.write_units, meter.read_units)

    assert set(costs.values()) == {(("Query", "UpdateItem"), 3, 0.5)}


def test_count_reads_two_index_ranges_per_shard(dynamo: Dynamo) -> None:
    dynamo.store.put_messages(dynamo.queue, [new_message() for _ in range(3)])

    with dynamo.meter() as meter:
        dynamo.store.count_messages(dynamo.queue, now_ms=T0, retention_ms=RETENTION_MS)

    assert meter.operations == ["Query"] * (2 * dynamo.shards)
    assert (meter.write_units, meter.read_units) == (0, 0.5 * 2 * dynamo.shards)


def test_queue_management_costs(dynamo: Dynamo) -> None:
    with dynamo.meter() as create:
        dynamo.store.create_queue(_queue_record("payments"))
    with dynamo.meter() as get:
        dynamo.store.get_queue("payments")
    with dynamo.meter() as purge:
        dynamo.store.purge_queue("payments", now_ms=T0, min_interval_ms=60_000)
    with dynamo.meter() as delete:
        dynamo.store.delete_queue("payments", now_ms=T0)

    assert (create.operations, create.write_units) == (["PutItem"], 1)
    assert (get.operations, get.read_units) == (["GetItem"], 1.0)
    # The purge, then the marker of the purged generation for reclamation.
    assert (purge.operations, purge.write_units) == (["UpdateItem", "PutItem"], 2)
    # A transaction bills each item twice: the queue item deleted, the deletion record and the marker put.
    assert (delete.operations, delete.write_units, delete.read_units) == (["GetItem", "TransactWriteItems"], 6, 1.0)
