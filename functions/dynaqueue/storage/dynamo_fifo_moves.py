"""FIFO moves on DynamoDB: the visible head run of each ready group moves to its destination in one transaction.

One TransactWriteItems per batch (up to MAX_MOVED_PER_PUT messages of one group bound for one queue): the send
into the destination group (message items, deduplication entries keyed by each source item, the group update,
a ConditionCheck that the destination exists) and the removal from the source group (deletes of the message
items, the group update conditioned on its version). So a move is atomic: a crash leaves the messages where they
were, and a receive or another move that changes the group first cancels it, so nothing is moved twice or
delivered from both queues. Chunks are written before (the copy's own) and deleted after (the source's).
A deduplication entry found from an earlier two-step move (a receive's dead-letter move interrupted between its
copy and its removal) means the copy exists: that message is only removed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dynaqueue.domain.model import MessageMove, MoveOutcome, QueueRecord
from dynaqueue.storage.dynamo_dead_letters import (
    DeadLetterQueueGone,
    SourceChanged,
)
from dynaqueue.storage.dynamo_fifo_claims import FifoClaimer, moved_message, plan_claim
from dynaqueue.storage.dynamo_fifo_reads import read_group
from dynaqueue.storage.dynamo_fifo_sends import MAX_MOVED_PER_PUT, FifoSender
from dynaqueue.storage.dynamo_fifo_state import FifoMessage, GroupRead
from dynaqueue.storage.dynamo_keys import ready_key
from dynaqueue.storage.tables import HASH_KEY, READY_INDEX, READY_KEY, VISIBLE_AT

_PAGES_PER_SHARD = 5
_MIN_GROUPS_PER_PAGE = 10
# Reads of one group per call: each round moves a batch or loses a race (and reads again).
_ROUNDS_PER_GROUP = 50


@dataclass(slots=True)
class _Progress:
    """One call's progress across groups."""

    limit: int
    moved: int = 0
    missing: str | None = None
    stopped: bool = False
    into: set[str] = field(default_factory=set)
    resolved: dict[str | None, QueueRecord | None] = field(default_factory=dict)

    @property
    def remaining(self) -> int:
        return self.limit - self.moved


class FifoMover:
    """Moves FIFO messages group by group, in sequence order, through `sender` and `claimer`."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        shards: int,
        rng: random.Random,
        sender: FifoSender,
        claimer: FifoClaimer,
    ) -> None:
        self._client = client
        self._table_name = table_name
        self._shards = shards
        self._rng = rng
        self._sender = sender
        self._claimer = claimer

    def move(
        self,
        queue: QueueRecord,
        move: MessageMove,
        *,
        destination: Callable[[str | None], QueueRecord | None],
        now_ms: int,
        retention_ms: int,
        limit: int,
    ) -> tuple[MoveOutcome, set[str]]:
        """What the call did, and the ids of the queues messages moved into."""
        progress = _Progress(limit)
        first_shard = self._rng.randrange(self._shards)
        for offset in range(self._shards):
            shard_key = ready_key(queue, (first_shard + offset) % self._shards)
            for partition in self._ready_groups(shard_key, now_ms=now_ms, wanted=progress.remaining):
                if progress.stopped or progress.remaining <= 0:
                    break
                self._move_group(
                    queue, partition, move, destination, progress, now_ms=now_ms, retention_ms=retention_ms
                )
            if progress.stopped or progress.remaining <= 0:
                break
        return MoveOutcome(moved=progress.moved, missing_destination=progress.missing), progress.into

    def _ready_groups(self, shard_key: str, *, now_ms: int, wanted: int) -> list[str]:
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": READY_INDEX,
            "KeyConditionExpression": f"{READY_KEY} = :shard AND {VISIBLE_AT} <= :now",
            "ExpressionAttributeValues": {":shard": {"S": shard_key}, ":now": {"N": str(now_ms)}},
            "ProjectionExpression": HASH_KEY,
            "Limit": max(wanted, _MIN_GROUPS_PER_PAGE),
        }
        partitions: list[str] = []
        for _ in range(_PAGES_PER_SHARD):
            page = self._client.query(**query)
            partitions.extend(item[HASH_KEY]["S"] for item in page["Items"])
            if len(partitions) >= wanted or "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return partitions

    def _move_group(
        self,
        queue: QueueRecord,
        partition: str,
        move: MessageMove,
        destination: Callable[[str | None], QueueRecord | None],
        progress: _Progress,
        *,
        now_ms: int,
        retention_ms: int,
    ) -> None:
        for _ in range(_ROUNDS_PER_GROUP):
            if progress.stopped or progress.remaining <= 0:
                return
            want = min(progress.remaining, MAX_MOVED_PER_PUT)
            # The group item, want messages and one more: the group's next head after the batch.
            read = read_group(self._client, self._table_name, partition, limit=want + 2)
            plan = plan_claim(
                read, now_ms=now_ms, want=want, leased_until_ms=now_ms, oldest_live_sent_at_ms=now_ms - retention_ms
            )
            if plan is None or read.state is None:
                return
            run = plan.run
            if not move.redrive and move.min_receive_count > 0:
                # Order is kept: nothing moves past a message that is not due to move.
                due = next(
                    (i for i, message in enumerate(run) if read.receive_count(message) < move.min_receive_count),
                    len(run),
                )
                run = run[:due]
            batch, target = self._batch(run, destination, progress)
            if not batch and not plan.expired:
                return
            following = self._following(read, [*plan.expired, *batch])
            if following is None and read.more:
                # The next head is not in this read: leave the last message of the batch to be it.
                if not batch:
                    return
                following = batch.pop()
                if not batch and not plan.expired:
                    return
            removed = [*plan.expired, *batch]
            following_visible_at_ms = 0 if following is None else read.visible_at_ms(following)
            if batch and target is not None:
                copies = [
                    moved_message(self._client, self._table_name, queue, partition, read, message, move, now_ms)
                    for message in batch
                ]
                removal = self._claimer.removal_actions(
                    partition, read.state, removed, following, following_visible_at_ms, now_ms=now_ms
                )
                try:
                    self._sender.put_moved(
                        target, [copy for copy in copies if copy is not None], now_ms=now_ms, alongside=removal
                    )
                except DeadLetterQueueGone:
                    progress.missing = batch[0].dead_letter_source or ""
                    progress.stopped = True
                    return
                except SourceChanged:
                    continue  # a receive, settle, send or another move got there first: read the group again
                self._claimer.delete_chunks_of(removed)
                progress.moved += len(batch)
                progress.into.add(target.queue_id)
            elif not self._claimer.remove_head(
                partition, read.state, removed, following, following_visible_at_ms, now_ms=now_ms
            ):
                continue
            if following is None:
                return  # the group is empty now

    def _batch(
        self, run: list[FifoMessage], destination: Callable[[str | None], QueueRecord | None], progress: _Progress
    ) -> tuple[list[FifoMessage], QueueRecord | None]:
        """The first messages of the run bound for one destination, and it; stops the call at a missing one."""
        if not run:
            return [], None
        source_arn = run[0].dead_letter_source
        target = self._resolve(source_arn, destination, progress)
        if target is None:
            progress.missing = source_arn or ""
            progress.stopped = True
            return [], None
        batch = [run[0]]
        for message in run[1:]:
            if self._resolve(message.dead_letter_source, destination, progress) is not target:
                break
            batch.append(message)
        return batch, target

    @staticmethod
    def _resolve(
        source_arn: str | None, destination: Callable[[str | None], QueueRecord | None], progress: _Progress
    ) -> QueueRecord | None:
        if source_arn not in progress.resolved:
            progress.resolved[source_arn] = destination(source_arn)
        return progress.resolved[source_arn]

    @staticmethod
    def _following(read: GroupRead, removed: list[FifoMessage]) -> FifoMessage | None:
        position = len(removed)
        return read.messages[position] if position < len(read.messages) else None
