"""DynamoDB calls and request units per message of whole lifecycles (send, receive, delete), on moto.

The store is driven through its port, as the queue service drives it, over the real DynamoDB adapter
(wrapped in the encrypting store for SSE queues); every DynamoDB call is priced by CapacityMeter from
item sizes, since moto's own ConsumedCapacity figures are constants. Queue records are passed in, never
read: the functions cache them for 30 s, and the cost model leaves their reads out too.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws

from bench.aws_sized_keys import AwsSizedKeys
from bench.bodies import KIB, one_kilobyte_json, random_text
from dynaqueue.domain.clock import SystemClock
from dynaqueue.domain.limits import DEDUP_WINDOW_MS
from dynaqueue.domain.model import LeasedReceipt, NewMessage, QueueRecord, SendRequest, StoredMessage
from dynaqueue.domain.ports import QueueStore
from dynaqueue.domain.queue_attributes import default_attributes
from dynaqueue.domain.sending import prepare_message
from dynaqueue.storage.capacity import CapacityMeter
from dynaqueue.storage.data_keys_cache import DataKeyCache
from dynaqueue.storage.data_keys_kms import KmsKeyProvider
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.encryption import EncryptingStore

TABLE = "dynaqueue-units"
REGION = "us-east-1"
ACCOUNT = "123456789012"
QUEUE_ID = "0123456789abcdef0123456789abcdef"  # fixed: it is part of every item key, and so of item sizes
T0 = 1_767_225_600_000
VISIBILITY_MS = 30_000
RETENTION_MS = 345_600_000
SHARDS = 4  # the deployment's default (DYNAQUEUE_SHARDS)
MESSAGES = 100
# FIFO messages go round-robin to this many groups: a batch send touches ten groups, a batch receive
# drains one group's backlog, and most deletes leave a successor waiting in the group.
FIFO_GROUPS = 10
RANDOMNESS_SEED = 20261125


class FirstShardRandom(random.Random):
    """Producers and receivers always pick shard 0 first, so call counts do not depend on luck."""

    def randrange(self, *args: object, **kwargs: object) -> int:
        return 0


def _shard_choice(*, fifo: bool) -> random.Random:
    """The store's generator: where standard messages go and where receives start looking.

    Standard queues: producers and receivers meet on shard 0, as under load, where every shard holds
    messages (the cost tests assert the same). FIFO groups sit on the shard their id hashes to; a
    receiver always starting at shard 0 would query ever more emptied shards as the queue drains, so
    FIFO receives start at seeded random shards, as the deployed store's do.
    """
    return random.Random(7) if fifo else FirstShardRandom(7)


@dataclass(frozen=True, slots=True)
class UnitScenario:
    fifo: bool
    body_kib: int
    batch: int
    sealed: bool

    @property
    def label(self) -> str:
        kind = "FIFO" if self.fifo else "standard"
        calls = "batches of 10" if self.batch > 1 else "one message per call"
        encryption = "SSE" if self.sealed else "plaintext"
        return f"{kind}, {self.body_kib} KB, {calls}, {encryption}"

    def body(self, seed: int) -> str:
        if self.body_kib == 1:
            return one_kilobyte_json(seed)
        return random_text(self.body_kib * KIB, seed)


SCENARIOS = [
    UnitScenario(fifo=fifo, body_kib=body_kib, batch=batch, sealed=sealed)
    for fifo in (False, True)
    for body_kib in (1, 64)
    for batch in (1, 10)
    for sealed in (False, True)
]


@dataclass(frozen=True, slots=True)
class OperationUnits:
    """What one kind of API call cost over a whole run: SQS API calls, DynamoDB calls and request units."""

    api_calls: int = 0
    dynamodb_calls: int = 0
    write_units: int = 0
    read_units: float = 0.0

    def __add__(self, other: OperationUnits) -> OperationUnits:
        return OperationUnits(
            self.api_calls + other.api_calls,
            self.dynamodb_calls + other.dynamodb_calls,
            self.write_units + other.write_units,
            self.read_units + other.read_units,
        )


@dataclass(frozen=True, slots=True)
class LifecycleUnits:
    """The three operations of one scenario's run, over `messages` messages."""

    scenario: UnitScenario
    messages: int
    send: OperationUnits
    receive: OperationUnits
    delete: OperationUnits

    @property
    def lifecycle(self) -> OperationUnits:
        return self.send + self.receive + self.delete

    def per_message(self, operation: OperationUnits) -> tuple[float, float, float]:
        """DynamoDB calls, write units and read units per message."""
        return (
            operation.dynamodb_calls / self.messages,
            operation.write_units / self.messages,
            operation.read_units / self.messages,
        )


def measure(scenario: UnitScenario, messages: int = MESSAGES) -> LifecycleUnits:
    """Send `messages` messages, then drain the queue, deleting each received batch before the next receive."""
    if messages % scenario.batch:
        raise ValueError("messages must be a multiple of the batch size")
    with _moto(fifo=scenario.fifo) as (dynamodb, store):
        queue, _ = store.create_queue(_queue_record(scenario))
        ids = random.Random(RANDOMNESS_SEED)  # deduplication ids, the same on every run
        send = receive = delete = OperationUnits()
        for start in range(0, messages, scenario.batch):
            batch = [
                _new_message(queue, scenario, index, ids, in_batch=scenario.batch > 1)
                for index in range(start, start + scenario.batch)
            ]
            with CapacityMeter(dynamodb) as meter:
                _send(store, queue, batch)
            send += _operation(meter)
        received = 0
        while received < messages:
            with CapacityMeter(dynamodb) as meter:
                claimed = _claim(store, queue, scenario.batch)
            if not claimed:
                raise RuntimeError(f"{scenario.label}: the queue ran dry after {received} of {messages} messages")
            receive += _operation(meter)
            with CapacityMeter(dynamodb) as meter:
                _delete(store, queue, claimed, batch=scenario.batch > 1)
            delete += _operation(meter)
            received += len(claimed)
        return LifecycleUnits(scenario, messages, send, receive, delete)


@contextmanager
def _moto(*, fifo: bool) -> Iterator[tuple[Any, QueueStore]]:
    """moto's DynamoDB with the service's table, and the store over it; sealing under a KMS key, as deployed.

    Data keys, nonces and message ids come from a seeded os.urandom while it runs: a sealed body is
    random bytes whose compressed size varies by a few bytes, which near a 1 KB boundary moves write
    units, so unseeded runs would differ.
    """
    with mock.patch("os.urandom", random.Random(RANDOMNESS_SEED).randbytes), mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        DynamoStore.create_table(dynamodb, TABLE)
        kms = boto3.client("kms", region_name=REGION)
        deployment_key = kms.create_key(Description="dynaqueue deployment key")["KeyMetadata"]["Arn"]
        dynamo = DynamoStore(table_name=TABLE, client=dynamodb, shards=SHARDS, rng=_shard_choice(fifo=fifo))
        keys = DataKeyCache(AwsSizedKeys(KmsKeyProvider(kms, deployment_key_id=deployment_key)), SystemClock())
        # compress=True, as wiring.encrypting_store sets it for DynamoDB. Plaintext queues pass through it.
        yield dynamodb, EncryptingStore(dynamo, keys, compress=True)


def _queue_record(scenario: UnitScenario) -> QueueRecord:
    attributes = default_attributes(fifo=scenario.fifo)
    attributes["SqsManagedSseEnabled"] = "true" if scenario.sealed else "false"
    name = "units.fifo" if scenario.fifo else "units"
    return QueueRecord(
        name=name,
        queue_id=QUEUE_ID,
        fifo=scenario.fifo,
        attributes=attributes,
        tags={},
        created_at_ms=T0,
        last_modified_at_ms=T0,
    )


def _new_message(
    queue: QueueRecord, scenario: UnitScenario, index: int, ids: random.Random, *, in_batch: bool
) -> NewMessage:
    """The message as SendMessage would store it: system attributes, deduplication key and all."""
    request = SendRequest(body=scenario.body(index))
    if scenario.fifo:
        request = SendRequest(
            body=request.body,
            group_id=f"group-{index % FIFO_GROUPS}",
            deduplication_id=uuid.UUID(int=ids.getrandbits(128)).hex,
        )
    message, _ = prepare_message(queue, request, T0, in_batch=in_batch, sender_id=ACCOUNT)
    return message


def _send(store: QueueStore, queue: QueueRecord, messages: Sequence[NewMessage]) -> None:
    if queue.fifo:
        store.put_fifo_messages(queue, messages, now_ms=T0, dedup_window_ms=DEDUP_WINDOW_MS)
    else:
        store.put_messages(queue, messages)


def _claim(store: QueueStore, queue: QueueRecord, max_count: int) -> list[StoredMessage]:
    claim = store.claim_fifo_messages if queue.fifo else store.claim_messages
    return claim(queue, now_ms=T0, max_count=max_count, visibility_timeout_ms=VISIBILITY_MS, retention_ms=RETENTION_MS)


def _delete(store: QueueStore, queue: QueueRecord, claimed: list[StoredMessage], *, batch: bool) -> None:
    """The store calls QueueService makes for DeleteMessage, or for DeleteMessageBatch when `batch`."""
    if batch:
        leases = [LeasedReceipt(message.message_id, message.lease_token, T0) for message in claimed]
        store.delete_messages(queue, leases, now_ms=T0)
    elif queue.fifo:
        (message,) = claimed
        store.delete_leased_message(queue, message.message_id, lease_token=message.lease_token, now_ms=T0)
    else:
        store.delete_message(queue, claimed[0].message_id)


def _operation(meter: CapacityMeter) -> OperationUnits:
    """One API call's worth of DynamoDB work."""
    return OperationUnits(1, len(meter.calls), meter.write_units, meter.read_units)
