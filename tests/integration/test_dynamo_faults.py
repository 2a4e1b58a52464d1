"""Faults moto never produces, injected: a lagging ready index, throttling, unprocessed batch writes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from dynaqueue.domain.errors import RequestThrottled
from dynaqueue.domain.model import MoveTask, MoveTaskStatus, NewMessage, QueueRecord
from dynaqueue.storage import dynamo_batches
from dynaqueue.storage.capacity import CapacityMeter
from dynaqueue.storage.dynamo import DynamoStore

TABLE = "dynaqueue-faults"
T0 = 1_767_225_600_000
RETENTION_MS = 345_600_000
VISIBILITY_MS = 30_000


class LaggingIndexClient:
    """A DynamoDB client whose index queries, once frozen, answer what they answered first.

    That is what a lagging GSI looks like to a receiver: entries of messages that another receiver
    has since leased or deleted.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._answers: dict[tuple[str, ...], dict[str, Any]] | None = None

    def freeze(self) -> None:
        self._answers = {}

    def query(self, **params: Any) -> dict[str, Any]:
        if self._answers is None or "IndexName" not in params:
            return self._client.query(**params)
        # The string values name the index partition; the numbers (times) move on while the index lags.
        partition = tuple(value["S"] for value in params["ExpressionAttributeValues"].values() if "S" in value)
        if partition not in self._answers:
            self._answers[partition] = self._client.query(**params)
        return self._answers[partition]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _queue(store: DynamoStore) -> QueueRecord:
    record = QueueRecord(
        name="orders",
        queue_id=uuid.uuid4().hex,
        fifo=False,
        attributes={},
        tags={},
        created_at_ms=T0,
        last_modified_at_ms=T0,
    )
    return store.create_queue(record)[0]


def _message(body: str = "hello") -> NewMessage:
    return NewMessage(
        message_id=str(uuid.uuid4()), body=body, attributes={}, system_attributes={}, sent_at_ms=T0, visible_at_ms=T0
    )


def _claim(store: DynamoStore, queue: QueueRecord, now_ms: int) -> list:
    return store.claim_messages(
        queue, now_ms=now_ms, max_count=10, visibility_timeout_ms=VISIBILITY_MS, retention_ms=RETENTION_MS
    )


def test_stale_index_entry_of_a_leased_message_loses_the_claim_instead_of_delivering_twice(client: Any) -> None:
    lagging = LaggingIndexClient(client)
    store = DynamoStore(table_name=TABLE, client=lagging, shards=1)
    queue = _queue(store)
    store.put_messages(queue, [_message()])
    lagging.freeze()
    first = _claim(store, queue, now_ms=T0)

    with CapacityMeter(client) as meter:
        second = _claim(store, queue, now_ms=T0 + 1)

    assert len(first) == 1
    assert second == []
    (lost_race,) = meter.calls
    assert lost_race.operation == "UpdateItem"
    assert lost_race.error_code == "ConditionalCheckFailedException"
    assert (lost_race.table_write_units, lost_race.index_write_units) == (1, 0)


def test_stale_index_entry_of_a_deleted_message_delivers_nothing(client: Any) -> None:
    lagging = LaggingIndexClient(client)
    store = DynamoStore(table_name=TABLE, client=lagging, shards=1)
    queue = _queue(store)
    store.put_messages(queue, [_message()])
    lagging.freeze()
    (leased,) = _claim(store, queue, now_ms=T0)
    assert store.delete_message(queue, leased.message_id)

    assert _claim(store, queue, now_ms=T0 + VISIBILITY_MS + 1) == []
    assert client.scan(TableName=TABLE, Select="COUNT")["Count"] == 1  # only the queue item is left


def test_stale_index_entry_of_a_lease_that_ended_is_claimed_again(client: Any) -> None:
    lagging = LaggingIndexClient(client)
    store = DynamoStore(table_name=TABLE, client=lagging, shards=1)
    queue = _queue(store)
    store.put_messages(queue, [_message()])
    lagging.freeze()
    (first,) = _claim(store, queue, now_ms=T0)

    (second,) = _claim(store, queue, now_ms=T0 + VISIBILITY_MS)

    assert second.message_id == first.message_id
    assert second.receive_count == 2
    assert second.lease_token != first.lease_token


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
def test_throttled_receive_is_reported_as_request_throttled(client: Any, code: str) -> None:
    store = DynamoStore(table_name=TABLE, client=client, shards=1)
    queue = _queue(store)

    with Stubber(client) as stub, pytest.raises(RequestThrottled):
        stub.add_client_error("query", service_error_code=code, http_status_code=400)
        _claim(store, queue, now_ms=T0)


def test_throttled_send_is_reported_as_request_throttled(client: Any) -> None:
    store = DynamoStore(table_name=TABLE, client=client, shards=1)
    queue = _queue(store)

    with Stubber(client) as stub, pytest.raises(RequestThrottled):
        stub.add_client_error("put_item", service_error_code="ThrottlingException", http_status_code=400)
        store.put_messages(queue, [_message()])


def test_throttled_queue_lookup_is_reported_as_request_throttled(client: Any) -> None:
    store = DynamoStore(table_name=TABLE, client=client, shards=1)

    with Stubber(client) as stub, pytest.raises(RequestThrottled):
        stub.add_client_error(
            "get_item", service_error_code="ProvisionedThroughputExceededException", http_status_code=400
        )
        store.get_queue("orders")


def test_transaction_cancelled_by_throttling_is_reported_as_request_throttled(client: Any) -> None:
    store = DynamoStore(table_name=TABLE, client=client, shards=1)

    with Stubber(client) as stub, pytest.raises(RequestThrottled):
        stub.add_client_error(
            "transact_write_items",
            service_error_code="TransactionCanceledException",
            http_status_code=400,
            response_meta={},
            modeled_fields={"CancellationReasons": [{"Code": "ThrottlingError"}, {"Code": "None"}]},
        )
        store.start_move_task(
            MoveTask(
                task_id="task-1",
                source_queue_id="queue-1",
                source_arn="arn:aws:sqs:us-east-1:000000000000:orders-dlq",
                status=MoveTaskStatus.RUNNING,
                started_at_ms=T0,
                messages_to_move=1,
            )
        )


def test_other_storage_errors_propagate_unchanged(client: Any) -> None:
    store = DynamoStore(table_name=TABLE, client=client, shards=1)
    queue = _queue(store)

    with Stubber(client) as stub, pytest.raises(ClientError) as raised:
        stub.add_client_error("query", service_error_code="ValidationException", http_status_code=400)
        _claim(store, queue, now_ms=T0)

    assert not isinstance(raised.value, RequestThrottled)
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_batch_writes_left_unprocessed_are_resent_then_reported_as_throttled(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DynamoStore(table_name=TABLE, client=client, shards=1)
    queue = _queue(store)
    pauses: list[float] = []
    monkeypatch.setattr(dynamo_batches.time, "sleep", pauses.append)
    sent_calls: list[int] = []

    def leave_everything_unprocessed(params: dict[str, Any], **_: Any) -> None:
        sent_calls.append(len(params["RequestItems"][TABLE]))
        stub.add_response("batch_write_item", {"UnprocessedItems": params["RequestItems"]})

    with Stubber(client) as stub, pytest.raises(RequestThrottled):
        client.meta.events.register("provide-client-params.dynamodb.BatchWriteItem", leave_everything_unprocessed)
        store.put_messages(queue, [_message("one"), _message("two")])

    assert sent_calls == [2] * len(sent_calls)
    assert len(sent_calls) == len(pauses) + 1 > 1
    assert pauses == sorted(pauses)
