"""The AWS storage adapter: standard queues on one DynamoDB table (layout in storage.tables).

How it works:
* Send: PutItem of the message head (`attribute_not_exists(pk)`, so an SDK retry cannot reset a
  message) into a random shard of the queue's ready index (GSI1); batches use BatchWriteItem.
* Receive: walk the shards from a random one; per shard Query GSI1 for `va <= now` (Limit 2 x wanted)
  and claim each candidate with UpdateItem, condition `attribute_exists(pk) AND va <= now`,
  `ReturnValues=ALL_NEW`. A failed condition is a lost race or a stale index entry: skip it. In-flight
  and delayed messages have `va > now`, so receive cost depends neither on depth nor on in-flight count.
* Retention is enforced on read from `st` (candidates past retention are deleted when met); TTL only
  reclaims storage, 15 days after sending, so retention may later be raised or lowered freely.
* Purge bumps the queue generation (one UpdateItem guarded by the interval rule); delete-queue drops
  the queue item and remembers the deletion (one transaction). Either way the old messages sit in index
  partitions nobody reads again, and TTL reclaims them.
* Counters: per shard one COUNT Query for `va <= now` and one Query for `va > now` split by the
  projected receive count, excluding expired messages, capped at 10,000 entries per shard and range.
* Bodies: body and attributes form one blob (zlib when smaller). Up to 4 KB it lives in the head item;
  larger blobs go to chunk items of at most 380 KB (a 1 MiB message needs three), written before the
  head so a receivable message always has its body, carrying the TTL so a crash leaves only garbage.
* Queue records may be cached per process for `queue_cache_seconds` (see dynamo_queues); with 0 there
  is no staleness. Callers must pass current records: messages belong to `record.generation`.
* Long polls: no cross-process notification exists, so waits are jittered sleeps doubling from 50 ms
  to 1 s, ended early by writes through this process, never longer than the timeout.
* Throttling that survives botocore's retries is raised as RequestThrottled.

Request units per operation, computed by storage.capacity from DynamoDB's billing rules and asserted
in tests/integration/test_dynamo_costs.py (1 KB JSON body; `x + y` = table + index write units):

| operation                              | DynamoDB calls                    | write units    | read units    |
|----------------------------------------|-----------------------------------|----------------|---------------|
| send one message                       | PutItem                           | 2 (1 + 1)      | 0             |
| send a batch of 10                     | BatchWriteItem                    | 20             | 0             |
| receive one message                    | Query + UpdateItem                | 3 (1 + 2)      | 0.5           |
| receive 10 messages                    | Query + 10 UpdateItem             | 30             | 0.5           |
| each empty shard visited               | Query                             | 0              | 0.5           |
| lost race / stale index entry          | UpdateItem (condition fails)      | 1              | 0             |
| expired message met by a receive       | DeleteItem                        | 2 (1 + 1)      | 0             |
| delete                                 | DeleteItem                        | 2 (1 + 1)      | 0             |
| delete of a message already gone       | DeleteItem (condition fails)      | 1              | 0             |
| change visibility                      | UpdateItem                        | 3 (1 + 2)      | 0             |
| change visibility with a stale lease   | UpdateItem (condition fails)      | 1              | 0             |
| lifecycle send + receive + delete      | 4 calls                           | 7              | 0.5           |
| count messages                         | 2 Query per shard                 | 0              | 1 per shard   |
| 64 KiB incompressible: send/recv/delete| each adds a chunk call (below)    | 51 / 3 / 51    | 0 / 13.5 / 0  |
| 1 MiB incompressible: send/recv/delete | each adds a chunk call (below)    | 780 / 3 / 780  | 0 / 194.5 / 0 |
| get queue (strongly consistent)        | GetItem                           | 0              | 1             |
| create / update / purge queue          | PutItem / UpdateItem / UpdateItem | 1              | 0             |
| delete queue                           | TransactWriteItems                | 4              | 0             |
| list queues                            | Query (strongly consistent)       | 0              | 1 per 4 KB    |

Chunked messages: send = BatchWriteItem (chunks) + PutItem (head); receive adds a strongly consistent
Query of the chunks; delete = DeleteItem (head) + BatchWriteItem (chunks).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from dynaqueue.domain.model import (
    MessageCounts,
    NewMessage,
    PurgeOutcome,
    QueueRecord,
    StoredMessage,
    VisibilityOutcome,
)
from dynaqueue.storage import tables
from dynaqueue.storage.dynamo_errors import throttling_as_request_throttled
from dynaqueue.storage.dynamo_messages import MessageTable
from dynaqueue.storage.dynamo_queues import QueueCatalog
from dynaqueue.storage.dynamo_waiting import PollPacer


class DynamoStore:
    """QueueStore on DynamoDB; `client` is a boto3 DynamoDB client, `shards` the ready-index shards per queue.

    Raising `shards` is safe; lowering it strands the messages of the dropped shards, since receivers
    walk shards [0, shards). `rng` picks shards and backoff jitter (tests pass a deterministic one);
    lease tokens come from `secrets`.
    """

    def __init__(
        self,
        *,
        table_name: str,
        client: Any,
        shards: int = 4,
        queue_cache_seconds: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        if shards < 1:
            raise ValueError("shards must be at least 1")
        rng = rng or random.Random()
        self._queues = QueueCatalog(client, table_name, queue_cache_seconds)
        self._messages = MessageTable(client, table_name, shards, rng)
        self._pacer = PollPacer(rng)

    @staticmethod
    def create_table(client: Any, table_name: str) -> None:
        tables.create_table(client, table_name)

    # --- queues -------------------------------------------------------------------------

    @throttling_as_request_throttled
    def create_queue(self, record: QueueRecord) -> tuple[QueueRecord, bool]:
        return self._queues.create(record)

    @throttling_as_request_throttled
    def get_queue(self, name: str) -> QueueRecord | None:
        return self._queues.get(name)

    @throttling_as_request_throttled
    def list_queue_names(self, prefix: str, after: str | None, limit: int) -> list[str]:
        return self._queues.list_names(prefix, after, limit)

    @throttling_as_request_throttled
    def update_queue(
        self,
        name: str,
        *,
        attributes: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        modified_at_ms: int | None = None,
    ) -> QueueRecord | None:
        return self._queues.update(name, attributes=attributes, tags=tags, modified_at_ms=modified_at_ms)

    @throttling_as_request_throttled
    def delete_queue(self, name: str, *, now_ms: int) -> bool:
        # The next incarnation of the name gets a new queue id, so the old messages are unreachable
        # at once and TTL reclaims them.
        return self._queues.delete(name, now_ms=now_ms)

    @throttling_as_request_throttled
    def queue_deleted_at(self, name: str) -> int | None:
        return self._queues.deleted_at(name)

    @throttling_as_request_throttled
    def purge_queue(self, name: str, *, now_ms: int, min_interval_ms: int) -> PurgeOutcome:
        # O(1): a new generation means new ready-index partitions; the old ones are never read again.
        return self._queues.purge(name, now_ms=now_ms, min_interval_ms=min_interval_ms)

    # --- messages -----------------------------------------------------------------------

    @throttling_as_request_throttled
    def put_messages(self, queue: QueueRecord, messages: Sequence[NewMessage]) -> None:
        self._messages.put(queue, messages)
        self._pacer.announce(queue.queue_id)

    @throttling_as_request_throttled
    def claim_messages(
        self,
        queue: QueueRecord,
        *,
        now_ms: int,
        max_count: int,
        visibility_timeout_ms: int,
        retention_ms: int,
    ) -> list[StoredMessage]:
        return self._messages.claim(
            queue,
            now_ms=now_ms,
            max_count=max_count,
            visibility_timeout_ms=visibility_timeout_ms,
            retention_ms=retention_ms,
        )

    @throttling_as_request_throttled
    def delete_message(self, queue: QueueRecord, message_id: str) -> bool:
        return self._messages.delete(queue, message_id)

    @throttling_as_request_throttled
    def change_visibility(
        self,
        queue: QueueRecord,
        message_id: str,
        *,
        lease_token: str,
        visible_at_ms: int,
    ) -> VisibilityOutcome:
        outcome = self._messages.change_visibility(
            queue, message_id, lease_token=lease_token, visible_at_ms=visible_at_ms
        )
        if outcome is VisibilityOutcome.CHANGED:
            self._pacer.announce(queue.queue_id)
        return outcome

    @throttling_as_request_throttled
    def count_messages(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> MessageCounts:
        return self._messages.count(queue, now_ms=now_ms, retention_ms=retention_ms)

    # --- long polling -------------------------------------------------------------------

    def availability_token(self, queue: QueueRecord) -> int:
        # Counts only this process's writes: DynamoDB has no cross-process notification.
        return self._pacer.token(queue.queue_id)

    def wait_for_messages(self, queue: QueueRecord, *, token: int, timeout_seconds: float) -> None:
        self._pacer.wait(queue.queue_id, token, timeout_seconds)
