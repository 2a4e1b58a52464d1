"""The AWS storage adapter: standard and FIFO queues on one DynamoDB table (layout in storage.tables).

Standard queues:
* Send: PutItem of the message head (`attribute_not_exists(pk)`, so an SDK retry cannot reset a
  message) into a random shard of the queue's ready index (GSI1); batches use BatchWriteItem.
* Receive: walk the shards from a random one; per shard Query GSI1 for `va <= now` (Limit 2 x wanted)
  and claim each candidate with UpdateItem, condition `attribute_exists(pk) AND va <= now`,
  `ReturnValues=ALL_NEW`. A failed condition is a lost race or a stale index entry: skip it. In-flight
  and delayed messages have `va > now`, so receive cost depends neither on depth nor on in-flight count.
* Retention is enforced on read from `st` (candidates past retention are deleted when met); the
  housekeeping run deletes the rest (dynamo_maintenance), and TTL, 15 days after sending, reclaims what is
  left, so retention may later be raised or lowered freely.
* Purge bumps the queue generation (one UpdateItem guarded by the interval rule), then marks the old
  generation for reclamation (one PutItem; a crash in between leaves it to TTL); delete-queue reads the
  queue, then drops its item, remembers the deletion and marks its generation in one transaction pinned to
  the generation read. Either way the old messages sit in index partitions nobody reads again; the
  housekeeping run deletes them through the marker (dynamo_reclaim), bounded per call, and TTL backs it up.
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
* Dead-letter moves: a receive that meets a message already received maxReceiveCount times (by the index's
  projected count; the claim's condition re-checks the item) moves it instead of leasing it. The message item
  stays where it is and only changes queue: one TransactWriteItems updates its `g1p` to a shard of the
  dead-letter queue (condition: still in the source generation, visible, over the count) together with a
  ConditionCheck that the dead-letter queue still exists. So a move is atomic (no duplicate, no loss) and a
  deleted dead-letter queue leaves the message in the source, delivered as usual.
* Moves outside a receive (the housekeeping run: into a dead-letter queue, or a redrive out of one) use the
  same transaction (dynamo_moves), after the index names the candidates (filtered on the projected `st`, `rc`)
  and a GetItem reads each one's DeadLetterQueueSourceArn. A redrive also removes `rc`, `fr` and `ds`.
* Leases, cursors and message-move tasks are small items with conditional writes (dynamo_coordination,
  dynamo_tasks); a task's source queue slot makes "one active task per queue" a condition.

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
| dead-letter move met by a receive      | TransactWriteItems (check+update) | 6 (4 + 2)      | 0             |
| housekeeping move, per message         | GetItem + TransactWriteItems      | 6 (4 + 2)      | 0.5 (+ index) |
| expired message deleted by housekeeping| DeleteItem (+ Query per page)     | 2 (1 + 1)      | 0.5 per page  |
| reclaimed message of a purged gen.     | DeleteItem (+ Query per page)     | 2 (1 + 1)      | 0.5 per page  |
| count messages                         | 2 Query per shard                 | 0              | 1 per shard   |
| 64 KiB incompressible: send/recv/delete| each adds a chunk call (below)    | 51 / 3 / 51    | 0 / 13.5 / 0  |
| 1 MiB incompressible: send/recv/delete | each adds a chunk call (below)    | 780 / 3 / 780  | 0 / 194.5 / 0 |
| get queue (strongly consistent)        | GetItem                           | 0              | 1             |
| create / update queue                  | PutItem / UpdateItem              | 1              | 0             |
| purge queue (with its marker)          | UpdateItem + PutItem              | 2              | 0             |
| delete queue (with its marker)         | GetItem + TransactWriteItems      | 6              | 1             |
| start / save / finish a move task      | Transact / PutItem / Transact     | 4 / 1 / 4      | 0             |
| list active move tasks                 | Query + GetItem per task          | 0              | 1 + 1 per task|
| acquire a lease                        | PutItem                           | 1              | 0             |
| list queues                            | Query (strongly consistent)       | 0              | 1 per 4 KB    |

Chunked messages: send = BatchWriteItem (chunks) + PutItem (head); receive adds a strongly consistent
Query of the chunks; delete = DeleteItem (head) + BatchWriteItem (chunks).

FIFO queues (SQS semantics: visibility per message, a group delivers only the run of visible messages at
its head). No item is shared by a whole queue: each group has one group item, the only item that claims,
visibility changes and deletes write, next to its write-once message items (see storage.tables).
* Send: one TransactWriteItems per call, for a batch too: per message the deduplication entry (condition
  `attribute_not_exists(pk) OR dx <= now`, its own window end, not TTL) and the message item; per group
  one update (condition `ls < first sequence number`) that also indexes the group if it was empty. A
  duplicate cancels the transaction and comes back, with the original's id and sequence number, in the
  CancellationReasons (ALL_OLD); the others are sent again. A message is never stored without its entry.
* Sequence numbers: now_ms x 10^7 + a random process slot x 10^4 + a counter, 20 digits. Strictly
  increasing per group (the group item rejects lower ones; the sender retries above) and per process;
  across processes they follow the clocks, so two Lambdas' sends to different groups may be numbered
  against their order by up to the clock skew. Unique with high probability (random slot).
* Receive: per shard Query GSI1 for groups with `va <= now`; a group's `va` is when its head message
  becomes receivable, so blocked, leased and delayed groups are never read. Per group one strongly
  consistent Query reads the group item and the first messages; the visible run at the head is leased by
  one UpdateItem conditioned on the group's version `vn` (the lock: two claims never both win a group),
  which also moves `va` to the lease end. Expired messages met at the head are deleted in the same
  transaction. Cost depends neither on depth nor on how many groups are blocked.
* Change visibility: GetItem of the group, then UpdateItem conditioned on the lease (nonce, still running)
  and on whether the message is the head; only the head's change moves the group's `va`.
* Delete: strongly consistent Query of the group item, head and next message, then TransactWriteItems:
  the message's Delete and the group's update (drop the delivery; for the head, the next message becomes
  head and its visibility the group's `va`; an emptied group leaves the index). Conditions pin exactly what
  was read, so concurrent settles of other messages and sends rarely make it retry.
* Lease tokens name the group digest and sequence number (dynamo_leases), so settles need no lookup by
  message id. Transaction conflicts are retried with jittered backoff, at most 6 attempts, then reported
  as RequestThrottled. A crash between calls leaves nothing half done: each state change is one atomic
  write; chunks of large bodies are written before it and deleted after it, and carry a TTL.
* Counts: per shard the groups in GSI1, then each group's messages (eventually consistent, capped);
  messages queued behind an in-flight one count as visible.
* Dead-letter moves: a claim that finds an over-received message at the head of its group's visible run
  first appends a copy to the dead-letter queue's group (the send transaction plus a ConditionCheck that the
  dead-letter queue exists; its deduplication entry is keyed by the move and lasts a day), then removes the
  message from its source group like an expired head (one transaction, conditioned on the group's version),
  and reads the group again. A failure in between leaves the message in both queues, never in neither; the
  next claim repeats the copy (a duplicate, so nothing is stored) and completes the removal. The copy keeps
  message id, content, group and deduplication id; it carries its receive count and source ARN; its sent time
  restarts (FIFO retention counts from the move, as in SQS). A chunked copy has chunk items of its own
  (`<message id>#<move digest>`), so deleting either copy never takes the other's body; the source's chunks go
  after the removal. The move's deduplication key names the source item (group partition and sequence
  number), so a message redriven and moved again within the day is stored again, not taken for a repeat.
* Moves outside a receive (dynamo_fifo_moves) are atomic instead: per group, up to 24 messages of the visible
  head run bound for one queue go in ONE transaction, the send into the destination group plus the removal
  from the source group conditioned on its version. A receive or another move that changed the group
  cancels it (read again); a crash leaves everything where it was.

| FIFO operation (1 KB JSON body)         | DynamoDB calls                    | write units   | read units |
|-----------------------------------------|-----------------------------------|---------------|------------|
| send one message to a new group         | TransactWriteItems                | 7 (6 + 1)     | 0          |
| send one message to a non-empty group   | TransactWriteItems                | 6             | 0          |
| send a batch of 10, one group           | TransactWriteItems                | 43 (42 + 1)   | 0          |
| send a batch of 10, ten new groups      | TransactWriteItems                | 70 (60 + 10)  | 0          |
| receive one message                     | Query (GSI1) + Query + UpdateItem | 3 (1 + 2)     | 1.5        |
| receive 10 from one group               | Query (GSI1) + Query + UpdateItem | 3 (1 + 2)     | 3.5        |
| receive 10 from ten groups              | Query + 10 x (Query + UpdateItem) | 30            | 10.5       |
| each empty shard visited                | Query                             | 0             | 0.5        |
| claim lost to another receiver          | UpdateItem (condition fails)      | 1             | 0          |
| delete, next message leased with it     | Query + TransactWriteItems        | 4             | 1          |
| delete, next message waiting            | Query + TransactWriteItems        | 6 (4 + 2)     | 1          |
| delete the group's last message         | Query + TransactWriteItems        | 5 (4 + 1)     | 1          |
| delete 10 leased together, one by one   | 10 x (Query + TransactWriteItems) | 41            | 10         |
| change visibility: head / later message | GetItem + UpdateItem              | 3 (1 + 2) / 1 | 1          |
| lifecycle send + receive + delete       | 6 calls                           | 15            | 2.5        |
| remember / recall a receive attempt     | PutItem / GetItem                 | 1 / 0         | 0 / 1      |
| dead-letter move, group's last message  | 2 x (Query + TransactWriteItems)  | 14 (12 + 2)   | 2 (+0.5)   |
| housekeeping move, group's only message | Query (GSI1) + Query + Transact   | 14 (12 + 2)   | 1.5        |
| housekeeping move, 10 of one group      | Query (GSI1) + Query + Transact   | 68 (66 + 2)   | 2.5        |
| 10 expired messages of one group        | Query (GSI1) + Query + Transact   | 23 (22 + 1)   | 2.5        |

Asserted in tests/integration/test_dynamo_fifo_costs.py; transactional writes bill twice (a ~0.8 KB message
item 2 units, the group item and a deduplication entry 2 each). The group item stays under 1 KB.
Dead-letter moves are asserted in tests/integration/test_dynamo_dead_letter_costs.py: the copy 9 units (8 + 1
for a new group there), the removal 5 (4 + 1); reads: the group before the move and again after it (the GSI1
Query of the receive itself adds 0.5). Housekeeping moves, expiry, reclamation and task bookkeeping are
asserted in tests/integration/test_dynamo_move_costs.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dynaqueue.domain.model import (
    DeadLetterTarget,
    FifoPutResult,
    LeasedReceipt,
    MessageCounts,
    MessageMove,
    MoveOutcome,
    MoveTask,
    NewMessage,
    PurgeOutcome,
    QueueRecord,
    StoredMessage,
    VisibilityOutcome,
)
from dynaqueue.storage import tables
from dynaqueue.storage.dynamo_coordination import Coordination
from dynaqueue.storage.dynamo_errors import throttling_as_request_throttled
from dynaqueue.storage.dynamo_fifo_attempts import ReceiveAttempts
from dynaqueue.storage.dynamo_fifo_claims import FifoClaimer
from dynaqueue.storage.dynamo_fifo_counts import count_fifo_messages
from dynaqueue.storage.dynamo_fifo_moves import FifoMover
from dynaqueue.storage.dynamo_fifo_sends import FifoSender
from dynaqueue.storage.dynamo_fifo_settles import FifoSettler
from dynaqueue.storage.dynamo_maintenance import Maintenance
from dynaqueue.storage.dynamo_messages import MessageTable
from dynaqueue.storage.dynamo_moves import StandardMover
from dynaqueue.storage.dynamo_queues import QueueCatalog
from dynaqueue.storage.dynamo_reclaim import Reclaimer
from dynaqueue.storage.dynamo_sequences import SequenceNumbers
from dynaqueue.storage.dynamo_tasks import MoveTasks
from dynaqueue.storage.dynamo_waiting import PollPacer


class DynamoStore:
    """QueueStore on DynamoDB; `client` is a boto3 DynamoDB client, `shards` the ready-index shards per queue.

    Raising `shards` is safe; lowering it strands the messages of the dropped shards, since receivers
    walk shards [0, shards). `rng` picks shards, backoff jitter and this store's sequence-number slot
    (tests pass a deterministic one); lease tokens and nonces come from `secrets`.
    """

    def __init__(
        self,
        *,
        table_name: str,
        client: Any,
        shards: int = 4,
        queue_cache_seconds: float = 0.0,
        rng: random.Random | None = None,
        on_dead_letter_moves: Callable[[int], None] | None = None,
    ) -> None:
        """`on_dead_letter_moves` hears how many messages a receive moved to a dead-letter queue."""
        if shards < 1:
            raise ValueError("shards must be at least 1")
        self._on_dead_letter_moves = on_dead_letter_moves
        rng = rng or random.Random()
        self._client = client
        self._table_name = table_name
        self._shards = shards
        self._queues = QueueCatalog(client, table_name, queue_cache_seconds, shards=shards)
        self._messages = MessageTable(client, table_name, shards, rng)
        self._fifo_sender = FifoSender(client, table_name, shards, SequenceNumbers(rng))
        self._fifo_claimer = FifoClaimer(client, table_name, shards, rng, self._fifo_sender)
        self._fifo_settler = FifoSettler(client, table_name)
        self._receive_attempts = ReceiveAttempts(client, table_name)
        self._standard_mover = StandardMover(client, table_name, shards, rng)
        self._fifo_mover = FifoMover(client, table_name, shards, rng, self._fifo_sender, self._fifo_claimer)
        self._maintenance = Maintenance(client, table_name, shards, self._fifo_claimer)
        self._reclaimer = Reclaimer(client, table_name)
        self._coordination = Coordination(client, table_name)
        self._tasks = MoveTasks(client, table_name)
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
        dead_letter: DeadLetterTarget | None = None,
    ) -> list[StoredMessage]:
        claimed, moved_ids = self._messages.claim(
            queue,
            now_ms=now_ms,
            max_count=max_count,
            visibility_timeout_ms=visibility_timeout_ms,
            retention_ms=retention_ms,
            dead_letter=dead_letter,
        )
        self._announce_moves(dead_letter, len(moved_ids))
        return claimed

    def _announce_moves(self, dead_letter: DeadLetterTarget | None, moved: int) -> None:
        if dead_letter is not None and moved:
            self._pacer.announce(dead_letter.queue.queue_id)
            if self._on_dead_letter_moves is not None:
                self._on_dead_letter_moves(moved)

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
        in_flight_at_ms: int | None = None,
    ) -> VisibilityOutcome:
        if queue.fifo:
            # FIFO leases name their message's group and sequence number: no lookup by message id.
            outcome = self._fifo_settler.change_visibility(
                queue, lease_token=lease_token, visible_at_ms=visible_at_ms, in_flight_at_ms=in_flight_at_ms
            )
        else:
            outcome = self._messages.change_visibility(
                queue, message_id, lease_token=lease_token, visible_at_ms=visible_at_ms
            )
        if outcome is VisibilityOutcome.CHANGED:
            self._pacer.announce(queue.queue_id)
        return outcome

    @throttling_as_request_throttled
    def count_messages(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> MessageCounts:
        if queue.fifo:
            return count_fifo_messages(
                self._client, self._table_name, queue, shards=self._shards, now_ms=now_ms, retention_ms=retention_ms
            )
        return self._messages.count(queue, now_ms=now_ms, retention_ms=retention_ms)

    # --- FIFO queues --------------------------------------------------------------------

    @throttling_as_request_throttled
    def put_fifo_messages(
        self, queue: QueueRecord, messages: Sequence[NewMessage], *, now_ms: int, dedup_window_ms: int
    ) -> list[FifoPutResult]:
        results = self._fifo_sender.put(queue, messages, now_ms=now_ms, dedup_window_ms=dedup_window_ms)
        self._pacer.announce(queue.queue_id)
        return results

    @throttling_as_request_throttled
    def claim_fifo_messages(
        self,
        queue: QueueRecord,
        *,
        now_ms: int,
        max_count: int,
        visibility_timeout_ms: int,
        retention_ms: int,
        dead_letter: DeadLetterTarget | None = None,
    ) -> list[StoredMessage]:
        claimed, moved = self._fifo_claimer.claim(
            queue,
            now_ms=now_ms,
            max_count=max_count,
            visibility_timeout_ms=visibility_timeout_ms,
            retention_ms=retention_ms,
            dead_letter=dead_letter,
        )
        self._announce_moves(dead_letter, moved)
        return claimed

    @throttling_as_request_throttled
    def delete_leased_message(
        self, queue: QueueRecord, message_id: str, *, lease_token: str, now_ms: int
    ) -> VisibilityOutcome:
        outcome = self._fifo_settler.delete(queue, message_id, lease_token=lease_token, now_ms=now_ms)
        if outcome is VisibilityOutcome.CHANGED:
            # The next message of the group may have become its receivable head.
            self._pacer.announce(queue.queue_id)
        return outcome

    def delete_messages(
        self, queue: QueueRecord, leases: Sequence[LeasedReceipt], *, now_ms: int
    ) -> list[VisibilityOutcome]:
        # Each delete is conditional on its own item, and BatchWriteItem takes no conditions:
        # one call per message, each atomic on its own, as separate DeleteMessage calls would be.
        if queue.fifo:
            return [
                self.delete_leased_message(queue, lease.message_id, lease_token=lease.lease_token, now_ms=now_ms)
                for lease in leases
            ]
        return [
            VisibilityOutcome.CHANGED if self.delete_message(queue, lease.message_id) else VisibilityOutcome.GONE
            for lease in leases
        ]

    @throttling_as_request_throttled
    def get_leased_messages(self, queue: QueueRecord, leases: Sequence[LeasedReceipt]) -> list[StoredMessage]:
        return self._fifo_settler.get_leased(queue, leases)

    @throttling_as_request_throttled
    def remember_receive_attempt(
        self, queue: QueueRecord, attempt_id: str, leases: Sequence[LeasedReceipt], *, expires_at_ms: int
    ) -> None:
        self._receive_attempts.remember(queue, attempt_id, leases, expires_at_ms=expires_at_ms)

    @throttling_as_request_throttled
    def recall_receive_attempt(self, queue: QueueRecord, attempt_id: str, *, now_ms: int) -> list[LeasedReceipt] | None:
        return self._receive_attempts.recall(queue, attempt_id, now_ms=now_ms)

    # --- maintenance (the housekeeping run) -------------------------------------------------

    @throttling_as_request_throttled
    def move_messages(
        self,
        queue: QueueRecord,
        move: MessageMove,
        *,
        destination: Callable[[str | None], QueueRecord | None],
        now_ms: int,
        retention_ms: int,
        limit: int,
    ) -> MoveOutcome:
        if limit <= 0:
            return MoveOutcome()
        mover = self._fifo_mover if queue.fifo else self._standard_mover
        outcome, into = mover.move(
            queue, move, destination=destination, now_ms=now_ms, retention_ms=retention_ms, limit=limit
        )
        for queue_id in into:
            self._pacer.announce(queue_id)
        if queue.fifo and outcome.moved:
            # The next messages of the groups moved from may have become their receivable heads.
            self._pacer.announce(queue.queue_id)
        return outcome

    @throttling_as_request_throttled
    def delete_expired_messages(self, queue: QueueRecord, *, now_ms: int, retention_ms: int, limit: int) -> int:
        if limit <= 0:
            return 0
        deleted = self._maintenance.delete_expired(queue, now_ms=now_ms, retention_ms=retention_ms, limit=limit)
        if queue.fifo and deleted:
            self._pacer.announce(queue.queue_id)
        return deleted

    @throttling_as_request_throttled
    def oldest_message_sent_at(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> int | None:
        return self._maintenance.oldest_sent_at(queue, now_ms=now_ms, retention_ms=retention_ms)

    @throttling_as_request_throttled
    def reclaim_abandoned_messages(self, *, limit: int) -> int:
        return 0 if limit <= 0 else self._reclaimer.reclaim(limit=limit)

    @throttling_as_request_throttled
    def acquire_lease(self, name: str, *, holder: str, now_ms: int, expires_at_ms: int) -> bool:
        return self._coordination.acquire_lease(name, holder=holder, now_ms=now_ms, expires_at_ms=expires_at_ms)

    @throttling_as_request_throttled
    def release_lease(self, name: str, *, holder: str) -> None:
        self._coordination.release_lease(name, holder=holder)

    @throttling_as_request_throttled
    def load_cursor(self, name: str) -> str | None:
        return self._coordination.load_cursor(name)

    @throttling_as_request_throttled
    def save_cursor(self, name: str, value: str | None) -> None:
        self._coordination.save_cursor(name, value)

    # --- message-move tasks ----------------------------------------------------------------

    @throttling_as_request_throttled
    def start_move_task(self, task: MoveTask) -> bool:
        return self._tasks.start(task)

    @throttling_as_request_throttled
    def get_move_task(self, source_queue_id: str, task_id: str) -> MoveTask | None:
        return self._tasks.get(source_queue_id, task_id)

    @throttling_as_request_throttled
    def list_move_tasks(self, source_queue_id: str, limit: int) -> list[MoveTask]:
        return self._tasks.list(source_queue_id, limit)

    @throttling_as_request_throttled
    def active_move_tasks(self, limit: int) -> list[MoveTask]:
        return self._tasks.active(limit)

    @throttling_as_request_throttled
    def save_move_task(self, task: MoveTask) -> bool:
        return self._tasks.save(task)

    @throttling_as_request_throttled
    def delete_move_tasks(self, source_queue_id: str) -> None:
        self._tasks.delete_all(source_queue_id)

    # --- long polling -------------------------------------------------------------------

    def availability_token(self, queue: QueueRecord) -> int:
        # Counts only this process's writes: DynamoDB has no cross-process notification.
        return self._pacer.token(queue.queue_id)

    def wait_for_messages(self, queue: QueueRecord, *, token: int, timeout_seconds: float) -> None:
        self._pacer.wait(queue.queue_id, token, timeout_seconds)
