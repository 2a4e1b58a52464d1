"""DynamoDB calls and request units per FIFO store operation, as DynamoDB would bill them (computed, on moto)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from dynaqueue.domain.model import LeasedReceipt, NewMessage, QueueRecord, StoredMessage
from dynaqueue.storage.capacity import CapacityMeter, item_size
from dynaqueue.storage.dynamo import DynamoStore

from .test_dynamo_costs import FirstShardRandom, one_kilobyte_json

TABLE = "dynaqueue-fifo-costs"
T0 = 1_767_225_600_000
RETENTION_MS = 345_600_000
VISIBILITY_MS = 30_000
DEDUP_WINDOW_MS = 300_000


@dataclass
class Fifo:
    client: Any
    store: DynamoStore
    queue: QueueRecord

    def meter(self) -> CapacityMeter:
        return CapacityMeter(self.client)

    def send(self, *messages: NewMessage, now_ms: int = T0) -> None:
        self.store.put_fifo_messages(self.queue, messages, now_ms=now_ms, dedup_window_ms=DEDUP_WINDOW_MS)

    def claim(self, *, max_count: int = 1, now_ms: int = T0) -> list[StoredMessage]:
        return self.store.claim_fifo_messages(
            self.queue,
            now_ms=now_ms,
            max_count=max_count,
            visibility_timeout_ms=VISIBILITY_MS,
            retention_ms=RETENTION_MS,
        )

    def delete(self, message: StoredMessage, *, now_ms: int = T0) -> None:
        self.store.delete_leased_message(self.queue, message.message_id, lease_token=message.lease_token, now_ms=now_ms)


def _fifo(client: Any, shards: int, name: str = "orders.fifo") -> Fifo:
    store = DynamoStore(table_name=TABLE, client=client, shards=shards, rng=FirstShardRandom(7))
    queue, created = store.create_queue(_queue_record(name))
    assert created
    return Fifo(client, store, queue)


@pytest.fixture
def fifo(client: Any) -> Fifo:
    """One ready-index shard, so every call count is exact."""
    return _fifo(client, shards=1)


def _queue_record(name: str = "orders.fifo") -> QueueRecord:
    return QueueRecord(
        name=name,
        queue_id=uuid.uuid4().hex,
        fifo=True,
        attributes={"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600", "FifoQueue": "true"},
        tags={},
        created_at_ms=T0,
        last_modified_at_ms=T0,
    )


def message(seed: int = 0, *, group_id: str = "g1") -> NewMessage:
    """A 1 KB JSON message as the service stores it: group and deduplication ids among its system attributes."""
    deduplication_id = uuid.uuid4().hex
    return NewMessage(
        message_id=str(uuid.uuid4()),
        body=one_kilobyte_json(seed),
        attributes={},
        system_attributes={
            "SenderId": "123456789012",
            "MessageGroupId": group_id,
            "MessageDeduplicationId": deduplication_id,
        },
        sent_at_ms=T0,
        visible_at_ms=T0,
        group_id=group_id,
        deduplication_key=deduplication_id,
    )


def units(meter: CapacityMeter) -> tuple[list[str], int, float]:
    return meter.operations, meter.write_units, meter.read_units


def test_a_1_kb_message_item_and_every_group_item_stay_under_1_kb(fifo: Fifo) -> None:
    fifo.send(*(message(seed) for seed in range(10)))
    fifo.claim(max_count=10)

    items = fifo.client.scan(TableName=TABLE)["Items"]
    sizes = {item["sk"]["S"][:1]: item_size(item) for item in items}

    assert sizes["s"] < 1024
    assert sizes["g"] < 1024  # with ten deliveries, the most a group ever holds


def test_send_to_a_new_group_is_one_transaction_of_7_write_units(fifo: Fifo) -> None:
    with fifo.meter() as meter:
        fifo.send(message())

    # Transactional writes bill twice: deduplication entry 2 + message 2 + group 2; the group enters the index.
    (call,) = meter.calls
    assert units(meter) == (["TransactWriteItems"], 7, 0)
    assert (call.table_write_units, call.index_write_units) == (6, 1)


def test_send_to_a_group_with_messages_costs_6_write_units(fifo: Fifo) -> None:
    fifo.send(message(0))

    with fifo.meter() as meter:
        fifo.send(message(1))

    assert units(meter) == (["TransactWriteItems"], 6, 0)


def test_batch_send_of_ten_to_one_group_is_one_transaction_of_43_write_units(fifo: Fifo) -> None:
    with fifo.meter() as meter:
        fifo.send(*(message(seed) for seed in range(10)))

    assert units(meter) == (["TransactWriteItems"], 10 * (2 + 2) + 2 + 1, 0)


def test_batch_send_of_ten_to_ten_groups_costs_7_write_units_per_message(fifo: Fifo) -> None:
    with fifo.meter() as meter:
        fifo.send(*(message(seed, group_id=f"g{seed}") for seed in range(10)))

    assert units(meter) == (["TransactWriteItems"], 70, 0)


def test_receive_of_one_is_an_index_query_a_group_query_and_one_group_update(fifo: Fifo) -> None:
    fifo.send(message(0), message(1))

    with fifo.meter() as meter:
        (claimed,) = fifo.claim()

    index_query, group_query, update = meter.calls
    assert claimed.sequence_number is not None
    assert units(meter) == (["Query", "Query", "UpdateItem"], 3, 1.5)
    assert (index_query.read_units, group_query.read_units) == (0.5, 1.0)
    # Only the group item is written (1 unit); its index entry moves to the lease's end (2 index writes).
    assert (update.table_write_units, update.index_write_units) == (1, 2)


def test_receive_of_ten_from_one_group_costs_3_write_units_and_3_5_read_units(fifo: Fifo) -> None:
    fifo.send(*(message(seed) for seed in range(10)))

    with fifo.meter() as meter:
        claimed = fifo.claim(max_count=10)

    assert len(claimed) == 10
    # The strongly consistent group query reads the group item and ten ~0.8 KB messages: 3 read units.
    assert units(meter) == (["Query", "Query", "UpdateItem"], 3, 3.5)


def test_receive_of_ten_from_ten_groups_reads_and_updates_each_group(fifo: Fifo) -> None:
    fifo.send(*(message(seed, group_id=f"g{seed}") for seed in range(10)))

    with fifo.meter() as meter:
        claimed = fifo.claim(max_count=10)

    assert len(claimed) == 10
    assert meter.operations == ["Query"] + ["Query", "UpdateItem"] * 10
    assert (meter.write_units, meter.read_units) == (30, 0.5 + 10 * 1.0)


def test_delete_of_the_only_message_costs_5_write_units_and_1_read_unit(fifo: Fifo) -> None:
    fifo.send(message())
    (claimed,) = fifo.claim()

    with fifo.meter() as meter:
        fifo.delete(claimed)

    # Message 2 + group 2 (transaction), and the emptied group leaves the index (1).
    assert units(meter) == (["Query", "TransactWriteItems"], 5, 1.0)


def test_delete_of_a_head_whose_successor_is_in_flight_costs_4_write_units(fifo: Fifo) -> None:
    fifo.send(message(0), message(1))
    first, _ = fifo.claim(max_count=2)

    with fifo.meter() as meter:
        fifo.delete(first)

    # The next message was leased with the same lease end: the group's index entry does not move.
    assert units(meter) == (["Query", "TransactWriteItems"], 4, 1.0)


def test_delete_of_a_head_whose_successor_is_waiting_costs_6_write_units(fifo: Fifo) -> None:
    fifo.send(message(0), message(1))
    (first,) = fifo.claim()

    with fifo.meter() as meter:
        fifo.delete(first)

    # The group becomes receivable at once: its index entry moves (2 index writes).
    assert units(meter) == (["Query", "TransactWriteItems"], 6, 1.0)


def test_delete_of_ten_leased_together_costs_41_write_units_and_10_read_units(fifo: Fifo) -> None:
    fifo.send(*(message(seed) for seed in range(10)))
    claimed = fifo.claim(max_count=10)

    with fifo.meter() as meter:
        for leased in claimed:
            fifo.delete(leased)

    assert meter.operations == ["Query", "TransactWriteItems"] * 10
    assert (meter.write_units, meter.read_units) == (9 * 4 + 5, 10 * 1.0)


def test_change_visibility_reads_the_group_then_updates_it(fifo: Fifo) -> None:
    fifo.send(message(0), message(1))
    head, second = fifo.claim(max_count=2)

    def extend(leased: StoredMessage) -> CapacityMeter:
        with fifo.meter() as meter:
            fifo.store.change_visibility(
                fifo.queue,
                leased.message_id,
                lease_token=leased.lease_token,
                visible_at_ms=T0 + 60_000,
                in_flight_at_ms=T0 + 1,
            )
        return meter

    # The head's visibility is its group's index sort key (1 + 2 index writes); a later message's is not.
    assert units(extend(head)) == (["GetItem", "UpdateItem"], 3, 1.0)
    assert units(extend(second)) == (["GetItem", "UpdateItem"], 1, 1.0)


def test_lifecycle_of_a_1_kb_message_costs_15_write_units_and_2_5_read_units(fifo: Fifo) -> None:
    with fifo.meter() as send:
        fifo.send(message())
    with fifo.meter() as receive:
        (claimed,) = fifo.claim()
    with fifo.meter() as delete:
        fifo.delete(claimed)

    assert (send.write_units, receive.write_units, delete.write_units) == (7, 3, 5)
    assert send.read_units + receive.read_units + delete.read_units == 2.5


def test_a_receive_attempt_is_one_put_its_recall_one_get_and_its_read_back_one_query(fifo: Fifo) -> None:
    fifo.send(message())
    (claimed,) = fifo.claim()
    receipt = LeasedReceipt(claimed.message_id, claimed.lease_token, T0)

    with fifo.meter() as remember:
        fifo.store.remember_receive_attempt(fifo.queue, "attempt", [receipt], expires_at_ms=T0 + DEDUP_WINDOW_MS)
    with fifo.meter() as recall:
        fifo.store.recall_receive_attempt(fifo.queue, "attempt", now_ms=T0)
    with fifo.meter() as read_back:
        fifo.store.get_leased_messages(fifo.queue, [receipt])

    assert units(remember) == (["PutItem"], 1, 0)
    assert units(recall) == (["GetItem"], 0, 1.0)
    assert units(read_back) == (["Query"], 0, 1.0)


@pytest.mark.parametrize("shards", [1, 4])
def test_empty_receive_queries_every_shard_once_for_half_a_read_unit_each(client: Any, shards: int) -> None:
    fifo = _fifo(client, shards)

    with fifo.meter() as meter:
        assert fifo.claim(max_count=10) == []

    assert units(meter) == (["Query"] * shards, 0, 0.5 * shards)


def test_receive_cost_depends_neither_on_depth_nor_on_blocked_groups(client: Any) -> None:
    costs = []
    for depth, blocked_groups in [(1, 0), (120, 0), (1, 40)]:
        fifo = _fifo(client, shards=1, name=f"depth-{depth}-blocked-{blocked_groups}.fifo")
        for start in range(0, blocked_groups, 10):
            fifo.send(*(message(seed, group_id=f"blocked{seed}") for seed in range(start, start + 10)))
        for _ in range(blocked_groups // 10):
            assert len(fifo.claim(max_count=10)) == 10
        for start in range(0, depth, 10):
            fifo.send(*(message(seed) for seed in range(start, min(start + 10, depth))))

        with fifo.meter() as meter:
            assert len(fifo.claim(now_ms=T0 + 1)) == 1
        costs.append(units(meter))

    assert costs == [(["Query", "Query", "UpdateItem"], 3, 1.5)] * 3


def test_count_reads_the_shard_index_then_each_non_empty_group(fifo: Fifo) -> None:
    fifo.send(*(message(seed, group_id=f"g{seed % 3}") for seed in range(6)))

    with fifo.meter() as meter:
        fifo.store.count_messages(fifo.queue, now_ms=T0, retention_ms=RETENTION_MS)

    assert meter.operations == ["Query"] + ["Query"] * 3
    assert meter.write_units == 0
