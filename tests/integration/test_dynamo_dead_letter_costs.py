"""DynamoDB calls and request units of dead-letter moves (computed on moto, as DynamoDB would bill them)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from dynaqueue.storage.capacity import CapacityMeter
from dynaqueue.storage.dynamo import DynamoStore
from tests.contract.builders import (
    T0,
    VISIBILITY_TIMEOUT_MS,
    claim,
    claim_fifo,
    dead_letter_target,
    fifo_queue_record,
    new_fifo_message,
    new_message,
    put,
    put_fifo,
    queue_record,
)

from .test_dynamo_costs import FirstShardRandom, one_kilobyte_json

TABLE = "dynaqueue-dead-letter-costs"
AFTER_LEASE = T0 + VISIBILITY_TIMEOUT_MS


@pytest.fixture
def client() -> Iterator[object]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        DynamoStore.create_table(client, TABLE)
        yield client


@pytest.fixture
def store(client: object) -> DynamoStore:
    return DynamoStore(table_name=TABLE, client=client, shards=1, rng=FirstShardRandom(7))


def test_a_standard_move_is_one_transaction_of_6_write_units(client: object, store: DynamoStore) -> None:
    source, _ = store.create_queue(queue_record("source"))
    dead, _ = store.create_queue(queue_record("source-dlq"))
    target = dead_letter_target(dead)
    put(store, source, new_message(one_kilobyte_json()))
    claim(store, source, dead_letter=target)

    with CapacityMeter(client) as meter:
        assert claim(store, source, now_ms=AFTER_LEASE, max_count=1, dead_letter=target) == []

    _, move = meter.calls
    assert (meter.operations, meter.read_units) == (["Query", "TransactWriteItems"], 0.5)
    assert (move.table_write_units, move.index_write_units) == (4, 2)


def test_a_fifo_move_of_a_groups_last_message_costs_14_write_units(client: object, store: DynamoStore) -> None:
    source, _ = store.create_queue(fifo_queue_record("source.fifo"))
    dead, _ = store.create_queue(fifo_queue_record("source-dlq.fifo"))
    target = dead_letter_target(dead)
    put_fifo(store, source, new_fifo_message(one_kilobyte_json()))
    claim_fifo(store, source, dead_letter=target)

    with CapacityMeter(client) as meter:
        assert claim_fifo(store, source, now_ms=AFTER_LEASE, max_count=1, dead_letter=target) == []

    assert meter.operations == ["Query", "Query", "TransactWriteItems", "TransactWriteItems", "Query"]
    _, _, copy, removal, _ = meter.calls
    assert (copy.table_write_units, copy.index_write_units) == (8, 1)
    assert (removal.table_write_units, removal.index_write_units) == (4, 1)
    assert (meter.write_units, meter.read_units) == (14, 2.5)
