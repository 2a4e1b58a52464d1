"""What the DynamoDB adapter stores for FIFO queues: group items, write-once messages, dedup entries, chunks, TTLs."""

from __future__ import annotations

import base64
import math
import random
import uuid
from typing import Any

import pytest

from dynaqueue.domain.model import LeasedReceipt, NewMessage, QueueRecord, StoredMessage, VisibilityOutcome
from dynaqueue.storage.capacity import CapacityMeter
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.dynamo_fifo_state import EMPTY_GROUP_SECONDS
from dynaqueue.storage.dynamo_keys import digest
from dynaqueue.storage.dynamo_leases import parse_lease

TABLE = "dynaqueue-fifo"
T0 = 1_767_225_600_000
RETENTION_MS = 345_600_000
VISIBILITY_MS = 30_000
DEDUP_WINDOW_MS = 300_000


@pytest.fixture
def store(client: Any) -> DynamoStore:
    return DynamoStore(table_name=TABLE, client=client, shards=4)


@pytest.fixture
def queue(store: DynamoStore) -> QueueRecord:
    record = QueueRecord(
        name="orders.fifo",
        queue_id=uuid.uuid4().hex,
        fifo=True,
        attributes={"FifoQueue": "true"},
        tags={},
        created_at_ms=T0,
        last_modified_at_ms=T0,
    )
    return store.create_queue(record)[0]


def _message(body: str = "hello", *, group_id: str = "g1", key: str | None = None, sent_at_ms: int = T0) -> NewMessage:
    return NewMessage(
        message_id=str(uuid.uuid4()),
        body=body,
        attributes={},
        system_attributes={},
        sent_at_ms=sent_at_ms,
        visible_at_ms=sent_at_ms,
        group_id=group_id,
        deduplication_key=key or uuid.uuid4().hex,
    )


def _send(store: DynamoStore, queue: QueueRecord, *messages: NewMessage, now_ms: int = T0) -> list[Any]:
    return store.put_fifo_messages(queue, messages, now_ms=now_ms, dedup_window_ms=DEDUP_WINDOW_MS)


def _claim(store: DynamoStore, queue: QueueRecord, *, now_ms: int = T0, max_count: int = 10) -> list[StoredMessage]:
    return store.claim_fifo_messages(
        queue, now_ms=now_ms, max_count=max_count, visibility_timeout_ms=VISIBILITY_MS, retention_ms=RETENTION_MS
    )


def _items(client: Any, prefix: str) -> list[dict[str, Any]]:
    return [item for item in client.scan(TableName=TABLE)["Items"] if item["pk"]["S"].startswith(prefix)]


def _group_item(client: Any, queue: QueueRecord, group_id: str = "g1") -> dict[str, Any]:
    partition = f"f#{queue.queue_id}#{queue.generation}#{digest(group_id)}"
    return client.get_item(TableName=TABLE, Key={"pk": {"S": partition}, "sk": {"S": "g"}})["Item"]


def _message_items(client: Any) -> list[dict[str, Any]]:
    return [item for item in _items(client, "f#") if item["sk"]["S"] != "g"]


def test_the_group_item_holds_order_and_deliveries_while_message_items_are_written_once(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    first, second = _send(store, queue, _message("one"), _message("two"))
    sent = _message_items(client)

    (leased,) = _claim(store, queue, max_count=1)

    assert _message_items(client) == sent
    assert [item["sk"]["S"] for item in sent] == [f"s{first.sequence_number}", f"s{second.sequence_number}"]
    group = _group_item(client, queue)
    lease = parse_lease(leased.lease_token)
    assert lease is not None
    assert group["hs"] == {"S": first.sequence_number}
    assert group["ls"] == {"S": second.sequence_number}
    assert group["va"] == {"N": str(T0 + VISIBILITY_MS)}
    assert group["g1p"]["S"].startswith(f"{queue.queue_id}#0#")
    assert group["w"]["M"] == {
        first.sequence_number: {
            "M": {"v": {"N": str(T0 + VISIBILITY_MS)}, "t": {"S": lease.nonce}, "c": {"N": "1"}, "f": {"N": str(T0)}}
        }
    }
    # Nothing the ready index projects: a group's index entry is its keys only.
    assert "st" not in group and "rc" not in group


def test_changing_the_heads_visibility_moves_its_groups_index_entry_and_a_later_ones_does_not(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    _send(store, queue, _message("one"), _message("two"))
    head, second = _claim(store, queue)

    def change(message: StoredMessage, visible_at_ms: int) -> VisibilityOutcome:
        return store.change_visibility(
            queue, message.message_id, lease_token=message.lease_token, visible_at_ms=visible_at_ms, in_flight_at_ms=T0
        )

    assert change(second, T0 + 90_000) is VisibilityOutcome.CHANGED
    assert _group_item(client, queue)["va"] == {"N": str(T0 + VISIBILITY_MS)}
    assert change(head, T0 + 5) is VisibilityOutcome.CHANGED
    assert _group_item(client, queue)["va"] == {"N": str(T0 + 5)}


def test_an_emptied_group_leaves_the_index_and_is_forgotten_a_day_later_unless_used_again(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    (first,) = _send(store, queue, _message("one"))
    (leased,) = _claim(store, queue)
    store.delete_leased_message(queue, leased.message_id, lease_token=leased.lease_token, now_ms=T0 + 1)

    empty = _group_item(client, queue)
    assert {"hs", "va", "g1p"}.isdisjoint(empty)
    assert empty["xa"] == {"N": str((T0 + 1) // 1000 + EMPTY_GROUP_SECONDS)}
    assert empty["ls"] == {"S": first.sequence_number}
    assert _message_items(client) == []

    (again,) = _send(store, queue, _message("two"), now_ms=T0 + 2)

    used = _group_item(client, queue)
    assert "xa" not in used
    assert used["hs"] == {"S": again.sequence_number}
    assert int(again.sequence_number) > int(first.sequence_number)
    assert [message.body for message in _claim(store, queue, now_ms=T0 + 2)] == ["two"]


def test_a_large_fifo_body_lives_in_chunk_items_until_the_message_is_deleted(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    body = base64.b64encode(random.Random(3).randbytes(48 * 1024)).decode()
    message = _message(body)
    _send(store, queue, message)
    assert [item["sk"]["S"] for item in _items(client, message.message_id)] == ["c000"]

    (leased,) = _claim(store, queue)
    outcome = store.delete_leased_message(queue, leased.message_id, lease_token=leased.lease_token, now_ms=T0)

    assert leased.body == body
    assert outcome is VisibilityOutcome.CHANGED
    assert _items(client, message.message_id) == []


def test_a_duplicate_large_send_leaves_no_chunks_behind(client: Any, store: DynamoStore, queue: QueueRecord) -> None:
    body = base64.b64encode(random.Random(4).randbytes(48 * 1024)).decode()
    _send(store, queue, _message(body, key="k"))
    duplicate = _message(body, key="k")

    (result,) = _send(store, queue, duplicate, now_ms=T0 + 1)

    assert result.duplicate
    assert _items(client, duplicate.message_id) == []


def test_a_deduplication_entry_holds_the_window_end_in_ms_and_a_ttl_in_seconds(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    (sent,) = _send(store, queue, _message(key="k"), now_ms=T0 + 1)

    (entry,) = _items(client, "d#")

    assert entry["pk"]["S"] == f"d#{queue.queue_id}#0#{digest('k')}"
    assert entry["dx"] == {"N": str(T0 + 1 + DEDUP_WINDOW_MS)}
    assert entry["xa"] == {"N": str(math.ceil((T0 + 1 + DEDUP_WINDOW_MS) / 1000))}
    assert (entry["mid"]["S"], entry["sq"]["S"]) == (sent.message_id, sent.sequence_number)


def test_a_sender_whose_clock_lags_numbers_above_the_groups_last_sequence_number(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    lagging = DynamoStore(table_name=TABLE, client=client, shards=4)
    (ahead,) = _send(store, queue, _message("ahead"), now_ms=T0 + 10_000)

    with CapacityMeter(client) as meter:
        (behind,) = _send(lagging, queue, _message("behind"), now_ms=T0)

    # The group item rejected the first number (cancelling the transaction); the retry goes above it.
    assert meter.operations == ["TransactWriteItems", "TransactWriteItems"]
    assert meter.calls[0].error_code == "TransactionCanceledException"
    assert int(behind.sequence_number) > int(ahead.sequence_number)
    assert [message.body for message in _claim(store, queue, now_ms=T0 + 10_000)] == ["ahead", "behind"]


def test_a_long_expired_backlog_goes_in_one_receive(client: Any, store: DynamoStore, queue: QueueRecord) -> None:
    for start in range(0, 30, 10):
        _send(store, queue, *(_message(f"old {index}", sent_at_ms=T0 - 1) for index in range(start, start + 10)))
    _send(store, queue, _message("fresh"))

    claimed = _claim(store, queue, now_ms=T0 + RETENTION_MS, max_count=1)

    assert [message.body for message in claimed] == ["fresh"]
    assert [item["sk"]["S"] for item in _message_items(client)] == [f"s{claimed[0].sequence_number}"]


def test_a_group_whose_messages_are_gone_is_dropped_from_the_index_when_met(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    _send(store, queue, _message("forgotten"))
    # What TTL does to a message nobody received, 15 days after it was sent.
    for item in _message_items(client):
        client.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})

    assert _claim(store, queue) == []
    assert "g1p" not in _group_item(client, queue)


def test_a_lease_token_names_the_group_digest_and_the_sequence_number(store: DynamoStore, queue: QueueRecord) -> None:
    (sent,) = _send(store, queue, _message())
    (leased,) = _claim(store, queue)

    lease = parse_lease(leased.lease_token)

    assert lease is not None
    assert (lease.group_digest, lease.sequence) == (digest("g1"), sent.sequence_number)
    assert parse_lease("no-such-lease") is None


def test_a_token_no_fifo_claim_issued_is_answered_without_any_storage_call(
    client: Any, store: DynamoStore, queue: QueueRecord
) -> None:
    with CapacityMeter(client) as meter:
        deleted = store.delete_leased_message(queue, "m", lease_token="forged", now_ms=T0)
        changed = store.change_visibility(queue, "m", lease_token="forged", visible_at_ms=T0, in_flight_at_ms=T0)

    assert (deleted, changed) == (VisibilityOutcome.GONE, VisibilityOutcome.GONE)
    assert meter.calls == []


def test_a_receive_attempt_item_expires_through_ttl(client: Any, store: DynamoStore, queue: QueueRecord) -> None:
    store.remember_receive_attempt(queue, "attempt", [LeasedReceipt("m", "t", T0)], expires_at_ms=T0 + 300_001)

    (item,) = _items(client, "r#")

    assert item["pk"]["S"] == f"r#{queue.queue_id}#{digest('attempt')}"
    assert item["ea"] == {"N": str(T0 + 300_001)}
    assert item["xa"] == {"N": str(math.ceil((T0 + 300_001) / 1000))}
