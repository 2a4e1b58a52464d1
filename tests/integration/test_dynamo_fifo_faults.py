"""FIFO faults moto never produces, injected: transaction conflicts, competing writes, crashes between writes."""

from __future__ import annotations

import base64
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynaqueue.domain.errors import RequestThrottled
from dynaqueue.domain.model import NewMessage, QueueRecord, StoredMessage, VisibilityOutcome
from dynaqueue.storage import dynamo_retries
from dynaqueue.storage.capacity import CapacityMeter
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.dynamo_keys import digest

from .test_dynamo_faults import LaggingIndexClient

TABLE = "dynaqueue-fifo-faults"
T0 = 1_767_225_600_000
RETENTION_MS = 345_600_000
VISIBILITY_MS = 30_000
DEDUP_WINDOW_MS = 300_000

Params = dict[str, Any]


class Crash(Exception):
    """The Lambda died: the call it was making may or may not have reached DynamoDB."""


class FaultyClient:
    """A DynamoDB client that runs scripted faults around its next calls of chosen operations.

    `before(operation, fault)` runs `fault(params)` ahead of the next such call: it may raise (the call then
    never reaches DynamoDB) or make a competing write. `crash_after(operation)` lets the next such call
    commit and then raises Crash, as a Lambda dying before it reads the response.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._before: dict[str, list[Callable[[Params], None]]] = defaultdict(list)
        self._crash_after: list[str] = []
        self.calls: list[str] = []

    def before(self, operation: str, fault: Callable[[Params], None], *, times: int = 1) -> None:
        self._before[operation].extend([fault] * times)

    def crash_after(self, operation: str) -> None:
        self._crash_after.append(operation)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in self._client.meta.method_to_api_mapping:
            return attribute

        def call(**params: Any) -> Any:
            self.calls.append(name)
            if self._before[name]:
                self._before[name].pop(0)(params)
            response = attribute(**params)
            if name in self._crash_after:
                self._crash_after.remove(name)
                raise Crash(name)
            return response

        return call


def transaction_conflict(params: Params) -> None:
    """Another transaction held the first item: DynamoDB cancels this one and writes nothing."""
    others = [{"Code": "None"}] * (len(params["TransactItems"]) - 1)
    raise ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": "TransactionConflict", "Message": "Transaction is ongoing"}, *others],
        },
        "TransactWriteItems",
    )


def write_conflict(params: Params) -> None:
    """A plain write met a transaction in progress on its item."""
    raise ClientError({"Error": {"Code": "TransactionConflictException", "Message": "in progress"}}, "UpdateItem")


def crash(params: Params) -> None:
    raise Crash("before the call")


@pytest.fixture
def faulty(client: Any) -> FaultyClient:
    return FaultyClient(client)


@pytest.fixture
def store(faulty: FaultyClient) -> DynamoStore:
    return DynamoStore(table_name=TABLE, client=faulty, shards=1)


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


@pytest.fixture(autouse=True)
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(dynamo_retries.time, "sleep", recorded.append)
    return recorded


def _message(body: str = "hello", *, key: str | None = None) -> NewMessage:
    return NewMessage(
        message_id=str(uuid.uuid4()),
        body=body,
        attributes={},
        system_attributes={},
        sent_at_ms=T0,
        visible_at_ms=T0,
        group_id="g1",
        deduplication_key=key or uuid.uuid4().hex,
    )


def _large(key: str) -> NewMessage:
    return _message(base64.b64encode(random.Random(key).randbytes(48 * 1024)).decode(), key=key)


def _send(store: DynamoStore, queue: QueueRecord, *messages: NewMessage) -> list[Any]:
    return store.put_fifo_messages(queue, messages, now_ms=T0, dedup_window_ms=DEDUP_WINDOW_MS)


def _claim(store: DynamoStore, queue: QueueRecord, *, now_ms: int = T0, max_count: int = 10) -> list[StoredMessage]:
    return store.claim_fifo_messages(
        queue, now_ms=now_ms, max_count=max_count, visibility_timeout_ms=VISIBILITY_MS, retention_ms=RETENTION_MS
    )


def _delete(store: DynamoStore, queue: QueueRecord, message: StoredMessage, *, now_ms: int = T0) -> VisibilityOutcome:
    return store.delete_leased_message(queue, message.message_id, lease_token=message.lease_token, now_ms=now_ms)


def _items(client: Any, prefix: str) -> list[dict[str, Any]]:
    return [item for item in client.scan(TableName=TABLE)["Items"] if item["pk"]["S"].startswith(prefix)]


def _messages_and_entries(client: Any) -> tuple[set[str], set[str]]:
    """Message ids of the stored FIFO messages, and those the deduplication entries point to."""
    stored = {item["mid"]["S"] for item in _items(client, "f#") if item["sk"]["S"].startswith("s")}
    remembered = {item["mid"]["S"] for item in _items(client, "d#")}
    return stored, remembered


def _group_item(client: Any, queue: QueueRecord) -> dict[str, Any]:
    key = {"pk": {"S": f"f#{queue.queue_id}#0#{digest('g1')}"}, "sk": {"S": "g"}}
    return client.get_item(TableName=TABLE, Key=key)["Item"]


# --- transaction conflicts ---------------------------------------------------------------


def test_a_send_cancelled_by_a_conflict_is_retried_and_stores_message_and_entry_once(
    client: Any, faulty: FaultyClient, store: DynamoStore, queue: QueueRecord, pauses: list[float]
) -> None:
    faulty.before("transact_write_items", transaction_conflict)
    message = _message()

    (result,) = _send(store, queue, message)

    assert not result.duplicate
    assert faulty.calls.count("transact_write_items") == 2
    assert len(pauses) == 1
    assert _messages_and_entries(client) == ({message.message_id}, {message.message_id})


def test_a_send_that_keeps_conflicting_is_throttled_and_leaves_neither_message_nor_entry(
    client: Any, faulty: FaultyClient, store: DynamoStore, queue: QueueRecord, pauses: list[float]
) -> None:
    faulty.before("transact_write_items", transaction_conflict, times=dynamo_retries.ATTEMPTS)

    with pytest.raises(RequestThrottled):
        _send(store, queue, _message(key="k"))

    assert _messages_and_entries(client) == (set(), set())
    assert pauses == sorted(pauses)
    # The client's retry is a first send, not a duplicate of the one that never landed.
    retry = _message(key="k")
    (retried,) = _send(store, queue, retry)
    assert not retried.duplicate
    assert _messages_and_entries(client) == ({retry.message_id}, {retry.message_id})


def test_a_delete_cancelled_by_a_conflict_is_retried_and_moves_the_head(
    faulty: FaultyClient, store: DynamoStore, queue: QueueRecord
) -> None:
    _send(store, queue, _message("one"), _message("two"))
    (head,) = _claim(store, queue, max_count=1)
    faulty.before("transact_write_items", transaction_conflict)

    assert _delete(store, queue, head) is VisibilityOutcome.CHANGED

    assert [message.body for message in _claim(store, queue)] == ["two"]


def test_a_visibility_change_meeting_a_transaction_in_progress_is_retried(
    faulty: FaultyClient, store: DynamoStore, queue: QueueRecord
) -> None:
    _send(store, queue, _message())
    (leased,) = _claim(store, queue)
    faulty.before("update_item", write_conflict)
    faulty.calls.clear()

    outcome = store.change_visibility(
        queue, leased.message_id, lease_token=leased.lease_token, visible_at_ms=T0 + 1, in_flight_at_ms=T0
    )

    assert outcome is VisibilityOutcome.CHANGED
    assert faulty.calls == ["get_item", "update_item", "update_item"]
    assert [message.message_id for message in _claim(store, queue, now_ms=T0 + 1)] == [leased.message_id]


def test_a_claim_meeting_a_conflict_reads_its_group_again_and_leases_once(
    faulty: FaultyClient, store: DynamoStore, queue: QueueRecord
) -> None:
    _send(store, queue, _message("one"), _message("two"))
    faulty.before("update_item", write_conflict)

    claimed = _claim(store, queue)

    assert [(message.body, message.receive_count) for message in claimed] == [("one", 1), ("two", 1)]
    assert _claim(store, queue, now_ms=T0 + 1) == []


# --- competing writes between a read and the write decided on it ------------------------


def test_a_claim_that_loses_its_group_to_another_claim_leases_nothing(
    client: Any, faulty: FaultyClient, store: DynamoStore, queue: QueueRecord
) -> None:
    _send(store, queue, _message("one"), _message("two"))
    rival = DynamoStore(table_name=TABLE, client=client, shards=1)
    won: list[StoredMessage] = []
    faulty.before("update_item", lambda _: won.extend(_claim(rival, queue)))

    with CapacityMeter(client) as meter:
        lost = _claim(store, queue)

    assert lost == []
    assert [message.body for message in won] == ["one", "two"]
    # The lost claim's write failed its version condition (1 unit) and the group read again showed it leased.
    failed = [call for call in meter.calls if call.error_code]
    assert [(call.operation, call.write_units) for call in failed] == [("UpdateItem", 1)]


def test_a_delete_whose_successor_changed_meanwhile_decides_again_on_the_new_state(
    client: Any, faulty: FaultyClient, store: DynamoStore, queue: QueueRecord
) -> None:
    _send(store, queue, _message("one"), _message("two"))
    first, second = _claim(store, queue)
    extended_until = T0 + 3 * VISIBILITY_MS
    rival = DynamoStore(table_name=TABLE, client=client, shards=1)
    faulty.before(
        "transact_write_items",
        lambda _: rival.change_visibility(
            queue, second.message_id, lease_token=second.lease_token, visible_at_ms=extended_until, in_flight_at_ms=T0
        ),
    )

    assert _delete(store, queue, first) is VisibilityOutcome.CHANGED

    # The group's head is now the extended message: its index entry follows the extension, not the stale read.
    assert _group_item(client, queue)["va"] == {"N": str(extended_until)}
    assert _claim(store, queue, now_ms=T0 + VISIBILITY_MS) == []
    assert [message.body for message in _claim(store, queue, now_ms=extended_until)] == ["two"]


def test_a_delete_of_the_last_message_racing_a_send_keeps_the_new_message_receivable(
    client: Any, faulty: FaultyClient, store: DynamoStore, queue: QueueRecord
) -> None:
    _send(store, queue, _message("one"))
    (only,) = _claim(store, queue)
    rival = DynamoStore(table_name=TABLE, client=client, shards=1)
    faulty.before("transact_write_items", lambda _: _send(rival, queue, _message("two")))

    assert _delete(store, queue, only) is VisibilityOutcome.CHANGED

    assert [message.body for message in _claim(store, queue)] == ["two"]


def test_a_stale_index_entry_of_a_leased_group_delivers_nothing_twice(client: Any, queue: QueueRecord) -> None:
    lagging = LaggingIndexClient(client)
    store = DynamoStore(table_name=TABLE, client=lagging, shards=1)
    _send(store, queue, _message())
    lagging.freeze()
    (first,) = _claim(store, queue)

    with CapacityMeter(client) as meter:
        assert _claim(store, queue, now_ms=T0 + 1) == []

    # The lagging index (answered from its snapshot) still listed the group; the group's strongly consistent
    # read showed its head in flight, so nothing was written.
    assert meter.operations == ["Query"]
    assert [message.message_id for message in _claim(store, queue, now_ms=T0 + VISIBILITY_MS)] == [first.message_id]


# --- crashes between writes --------------------------------------------------------------


def test_a_send_whose_answer_is_lost_after_commit_is_a_duplicate_when_retried(
    client: Any, faulty: FaultyClient, store: DynamoStore, queue: QueueRecord
) -> None:
    first = _message(key="k")
    faulty.crash_after("transact_write_items")
    with pytest.raises(Crash):
        _send(store, queue, first)

    (retried,) = _send(store, queue, _message(key="k"))

    assert retried.duplicate
    assert retried.message_id == first.message_id
    assert _messages_and_entries(client) == ({first.message_id}, {first.message_id})


def test_a_crash_between_chunks_and_transaction_enqueues_nothing_and_leaves_expiring_chunks(
    client: Any, faulty: FaultyClient, store: DynamoStore, queue: QueueRecord
) -> None:
    lost = _large("k")
    faulty.before("transact_write_items", crash)
    with pytest.raises(Crash):
        _send(store, queue, lost)

    assert _messages_and_entries(client) == (set(), set())
    assert all("xa" in chunk for chunk in _items(client, lost.message_id))
    retry = _large("k")
    (retried,) = _send(store, queue, retry)
    assert not retried.duplicate
    assert [message.body for message in _claim(store, queue)] == [retry.body]


def test_a_crash_after_a_claim_commits_redelivers_the_run_in_order_after_the_timeout(
    faulty: FaultyClient, store: DynamoStore, queue: QueueRecord
) -> None:
    _send(store, queue, _message("one"), _message("two"), _message("three"))
    faulty.crash_after("update_item")
    with pytest.raises(Crash):
        _claim(store, queue, max_count=2)

    assert _claim(store, queue, now_ms=T0 + 1) == []
    again = _claim(store, queue, now_ms=T0 + VISIBILITY_MS)

    assert [(message.body, message.receive_count) for message in again] == [("one", 2), ("two", 2), ("three", 1)]


def test_a_crash_after_a_delete_commits_keeps_the_group_in_order(
    client: Any, faulty: FaultyClient, store: DynamoStore, queue: QueueRecord
) -> None:
    large = _large("k")
    _send(store, queue, large, _message("next"))
    (head,) = _claim(store, queue, max_count=1)
    # The chunks go after the transaction: dying first leaves only chunks, which TTL reclaims.
    faulty.before("batch_write_item", crash)

    with pytest.raises(Crash):
        _delete(store, queue, head)

    assert head.message_id == large.message_id
    assert _delete(store, queue, head) is VisibilityOutcome.GONE
    assert [message.body for message in _claim(store, queue)] == ["next"]
    assert all("xa" in chunk for chunk in _items(client, large.message_id))
