"""FIFO receives on DynamoDB: ready groups from the index, then one conditional write per group leases its head run."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.model import DeadLetterTarget, MessageMove, NewMessage, QueueRecord, StoredMessage
from dynaqueue.storage.dynamo_codec import decode_content
from dynaqueue.storage.dynamo_content import delete_chunks, read_chunks
from dynaqueue.storage.dynamo_dead_letters import (
    DeadLetterQueueGone,
    MovedMessage,
    MoveOutcome,
    move_deduplication_key,
)
from dynaqueue.storage.dynamo_errors import is_condition_failure
from dynaqueue.storage.dynamo_fifo_reads import leased_message, read_group
from dynaqueue.storage.dynamo_fifo_sends import FifoSender
from dynaqueue.storage.dynamo_fifo_state import EMPTY_GROUP_SECONDS, Delivery, FifoMessage, GroupRead, GroupState
from dynaqueue.storage.dynamo_keys import fifo_message_key, group_key, ready_key
from dynaqueue.storage.dynamo_leases import FifoLease, new_nonce
from dynaqueue.storage.dynamo_retries import is_condition_cancellation, is_conflict
from dynaqueue.storage.tables import (
    DELIVERIES,
    EXPIRES_AT,
    GROUP_VERSION,
    HASH_KEY,
    HEAD_SEQUENCE,
    LAST_SEQUENCE,
    READY_INDEX,
    READY_KEY,
    VISIBLE_AT,
)

# Candidate groups read per message still wanted: spares for lost races and index lag.
_CANDIDATES_PER_WANTED = 2
_PAGES_PER_SHARD = 3
# Reads of one group per claim: a lost race or a round that only deleted expired messages is followed by
# another. After expired messages, a round reads this many, so a long expired backlog goes in few rounds.
_ROUNDS_PER_GROUP = 3
_EXPIRED_PER_ROUND = 24


@dataclass(frozen=True, slots=True)
class ClaimPlan:
    """What one claim does to a group: delete expired messages at its head, lease the visible run after them.

    `head` is the group's first message afterwards (None when none is left) and `head_visible_at_ms` when it
    becomes receivable, which is the group's ready-index sort key.
    """

    expired: list[FifoMessage]
    run: list[FifoMessage]
    head: FifoMessage | None
    head_visible_at_ms: int


def plan_claim(
    read: GroupRead, *, now_ms: int, want: int, leased_until_ms: int, oldest_live_sent_at_ms: int
) -> ClaimPlan | None:
    """The claim a group read allows, or None when there is nothing to do (its head is not receivable)."""
    if read.state is None or read.state.head is None:
        return None
    expired: list[FifoMessage] = []
    run: list[FifoMessage] = []
    for message in read.messages:
        if len(run) == want:
            break
        visible_at_ms = read.visible_at_ms(message)
        if visible_at_ms > now_ms:
            # The run stops at the first message in flight or delayed: nothing passes it.
            if run:
                break
            return ClaimPlan(expired, run, message, visible_at_ms) if expired else None
        if message.sent_at_ms < oldest_live_sent_at_ms:
            if run:
                break
            expired.append(message)
            continue
        run.append(message)
    if run:
        return ClaimPlan(expired, run, run[0], leased_until_ms)
    if not read.more:
        return ClaimPlan(expired, run, None, 0)
    if not expired:
        return None
    # Every message read expired and more follow: the last one read stays, as the known new head.
    kept = expired.pop()
    return ClaimPlan(expired, run, kept, read.visible_at_ms(kept))


class FifoClaimer:
    """Leases FIFO messages group by group; the group item's version makes each claim exclusive.

    Over-received messages met at a group's head go to the dead-letter queue through `sender`: first the
    copy there, then the removal here, so a failure in between leaves the message in both queues, never in
    neither, and the next claim that meets it completes the move without a second copy.
    """

    def __init__(self, client: Any, table_name: str, shards: int, rng: random.Random, sender: FifoSender) -> None:
        self._client = client
        self._table_name = table_name
        self._shards = shards
        self._rng = rng
        self._sender = sender

    def claim(
        self,
        queue: QueueRecord,
        *,
        now_ms: int,
        max_count: int,
        visibility_timeout_ms: int,
        retention_ms: int,
        dead_letter: DeadLetterTarget | None = None,
    ) -> tuple[list[StoredMessage], int]:
        """The leased messages, and how many were moved to the dead-letter queue instead."""
        claimed: list[StoredMessage] = []
        moves = _DeadLetterMoves(dead_letter)
        first_shard = self._rng.randrange(self._shards)
        for offset in range(self._shards):
            if len(claimed) >= max_count:
                break
            shard_key = ready_key(queue, (first_shard + offset) % self._shards)
            for partition in self._ready_groups(shard_key, now_ms=now_ms, wanted=max_count - len(claimed)):
                if len(claimed) >= max_count:
                    break
                claimed.extend(
                    self._claim_group(
                        queue,
                        partition,
                        moves,
                        now_ms=now_ms,
                        want=max_count - len(claimed),
                        leased_until_ms=now_ms + visibility_timeout_ms,
                        oldest_live_sent_at_ms=now_ms - retention_ms,
                    )
                )
        return claimed, moves.moved

    def _ready_groups(self, shard_key: str, *, now_ms: int, wanted: int) -> list[str]:
        """Groups whose head is receivable by the index (a hint: the group item decides)."""
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": READY_INDEX,
            "KeyConditionExpression": f"{READY_KEY} = :shard AND {VISIBLE_AT} <= :now",
            "ExpressionAttributeValues": {":shard": {"S": shard_key}, ":now": {"N": str(now_ms)}},
            "ProjectionExpression": HASH_KEY,
            "Limit": wanted * _CANDIDATES_PER_WANTED,
        }
        partitions: list[str] = []
        for _ in range(_PAGES_PER_SHARD):
            page = self._client.query(**query)
            candidates = [item[HASH_KEY]["S"] for item in page["Items"]]
            # Concurrent receivers shuffle, so they rarely race for the same group.
            self._rng.shuffle(candidates)
            partitions.extend(candidates)
            if len(partitions) >= query["Limit"] or "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return partitions

    def _claim_group(
        self,
        queue: QueueRecord,
        partition: str,
        moves: _DeadLetterMoves,
        *,
        now_ms: int,
        want: int,
        leased_until_ms: int,
        oldest_live_sent_at_ms: int,
    ) -> list[StoredMessage]:
        # The group item and want + 1 messages: the extra one is the new head should all others have expired.
        limit = want + 2
        for _ in range(_ROUNDS_PER_GROUP):
            read = read_group(self._client, self._table_name, partition, limit=limit)
            plan = plan_claim(
                read,
                now_ms=now_ms,
                want=want,
                leased_until_ms=leased_until_ms,
                oldest_live_sent_at_ms=oldest_live_sent_at_ms,
            )
            if plan is None or read.state is None:
                return []
            over_received = moves.first_over_received(read, plan)
            if over_received is not None and moves.dead_letter is not None:
                if over_received > 0:
                    # Deliver the run up to the message due to move; it is met once they are settled.
                    plan = ClaimPlan(plan.expired, plan.run[:over_received], plan.head, plan.head_visible_at_ms)
                else:
                    outcome = self._move(queue, partition, read, read.state, plan, moves.dead_letter, now_ms=now_ms)
                    if outcome is MoveOutcome.TARGET_GONE:
                        moves.dead_letter = None
                    elif outcome is MoveOutcome.MOVED:
                        moves.moved += 1
                    # Read the group again, further: what follows the moved message may be receivable now.
                    limit = max(want, _EXPIRED_PER_ROUND) + 2
                    continue
            leases = self._commit(partition, read.state, plan, now_ms=now_ms, leased_until_ms=leased_until_ms)
            if leases is None:
                continue
            for message in plan.expired:
                if message.chunk_count is not None:
                    delete_chunks(self._client, self._table_name, message.chunks_at, message.chunk_count)
            if plan.run:
                return self._leased_messages(partition, plan.run, leases)
            if plan.head is None or plan.head_visible_at_ms > now_ms:
                return []
            limit = max(want, _EXPIRED_PER_ROUND) + 2
        return []

    def remove_head(
        self,
        partition: str,
        state: GroupState,
        removed: list[FifoMessage],
        following: FifoMessage | None,
        following_visible_at_ms: int,
        *,
        now_ms: int,
    ) -> bool:
        """Remove the group's first messages (moved or expired), its head moving on to `following`.

        False, changing nothing, when the group changed since `state` was read. Their chunks go afterwards.
        """
        removal = ClaimPlan(removed, [], following, following_visible_at_ms)
        if self._commit(partition, state, removal, now_ms=now_ms, leased_until_ms=now_ms) is None:
            return False
        self.delete_chunks_of(removed)
        return True

    def removal_actions(
        self,
        partition: str,
        state: GroupState,
        removed: list[FifoMessage],
        following: FifoMessage | None,
        following_visible_at_ms: int,
        *,
        now_ms: int,
    ) -> list[dict[str, Any]]:
        """The transaction actions of `remove_head`, to commit along with other writes (an atomic move)."""
        removal = ClaimPlan(removed, [], following, following_visible_at_ms)
        update = _group_update(partition, state, removal, {}, now_ms=now_ms)
        deletes = [
            {"Delete": {"TableName": self._table_name, "Key": fifo_message_key(partition, message.sequence)}}
            for message in removed
        ]
        return [*deletes, {"Update": {"TableName": self._table_name, **update}}]

    def delete_chunks_of(self, removed: list[FifoMessage]) -> None:
        """Delete the chunk items of messages whose items are gone (they never share chunks with a copy)."""
        for message in removed:
            if message.chunk_count is not None:
                delete_chunks(self._client, self._table_name, message.chunks_at, message.chunk_count)

    def _commit(
        self, partition: str, state: GroupState, plan: ClaimPlan, *, now_ms: int, leased_until_ms: int
    ) -> dict[str, Delivery] | None:
        """Apply the plan if the group is unchanged since `state` was read; the new deliveries, or None."""
        leases = {
            message.sequence: _delivery(state, message, now_ms=now_ms, leased_until_ms=leased_until_ms)
            for message in plan.run
        }
        update = _group_update(partition, state, plan, leases, now_ms=now_ms)
        try:
            if plan.expired:
                # Expired messages leave with the head moving past them, or the group would name a missing head.
                deletes = [
                    {"Delete": {"TableName": self._table_name, "Key": fifo_message_key(partition, message.sequence)}}
                    for message in plan.expired
                ]
                self._client.transact_write_items(
                    TransactItems=[*deletes, {"Update": {"TableName": self._table_name, **update}}]
                )
            else:
                self._client.update_item(TableName=self._table_name, **update)
        except ClientError as error:
            # Another claim, delete, visibility change or send got there first: read the group again.
            if is_condition_failure(error) or is_condition_cancellation(error) or is_conflict(error):
                return None
            raise
        return leases

    def _move(
        self,
        queue: QueueRecord,
        partition: str,
        read: GroupRead,
        state: GroupState,
        plan: ClaimPlan,
        dead_letter: DeadLetterTarget,
        *,
        now_ms: int,
    ) -> MoveOutcome:
        """Move the group's first live message (plan.run[0]) to the dead-letter queue, then drop it here."""
        message = plan.run[0]
        position = read.messages.index(message)
        following = read.messages[position + 1] if position + 1 < len(read.messages) else None
        if following is None and read.more:
            # The message after it, the group's next head, is not in this read.
            return MoveOutcome.NOT_MOVED
        moved = moved_message(
            self._client,
            self._table_name,
            queue,
            partition,
            read,
            message,
            MessageMove(redrive=False, source_arn=dead_letter.source_arn),
            now_ms,
        )
        # The copy has chunks of its own, so this message's are gone only with its item (or by TTL): nothing is
        # left to deliver and the removal alone completes the move.
        if moved is not None:
            try:
                self._sender.put_moved(dead_letter.queue, [moved], now_ms=now_ms)
            except DeadLetterQueueGone:
                return MoveOutcome.TARGET_GONE
        removal = ClaimPlan(
            [*plan.expired, message],
            [],
            following,
            0 if following is None else read.visible_at_ms(following),
        )
        if self._commit(partition, state, removal, now_ms=now_ms, leased_until_ms=now_ms) is None:
            return MoveOutcome.NOT_MOVED
        # The copy has chunks of its own: the moved message's go with it, as the expired ones do.
        for removed in removal.expired:
            if removed.chunk_count is not None:
                delete_chunks(self._client, self._table_name, removed.chunks_at, removed.chunk_count)
        return MoveOutcome.MOVED

    def _leased_messages(
        self, partition: str, run: list[FifoMessage], leases: dict[str, Delivery]
    ) -> list[StoredMessage]:
        group_digest = partition.rsplit("#", 1)[1]
        messages = []
        for message in run:
            delivery = leases[message.sequence]
            lease = FifoLease(group_digest, message.sequence, delivery.nonce)
            stored = leased_message(self._client, self._table_name, message, delivery, lease)
            if stored is not None:
                messages.append(stored)
        return messages


class _DeadLetterMoves:
    """One claim's dead-letter state across groups: where over-received messages go, and how many went."""

    def __init__(self, dead_letter: DeadLetterTarget | None) -> None:
        self.dead_letter = dead_letter
        self.moved = 0

    def first_over_received(self, read: GroupRead, plan: ClaimPlan) -> int | None:
        """The position in the run of the first message due to move, if any."""
        if self.dead_letter is None:
            return None
        limit = self.dead_letter.max_receive_count
        return next((index for index, message in enumerate(plan.run) if read.receive_count(message) >= limit), None)


def moved_message(
    client: Any,
    table_name: str,
    queue: QueueRecord,
    partition: str,
    read: GroupRead,
    message: FifoMessage,
    move: MessageMove,
    now_ms: int,
) -> MovedMessage | None:
    """The message as its destination stores it (moved as `move` says); None when its chunks are gone."""
    blob = message.content
    if message.chunk_count is not None:
        blob = read_chunks(client, table_name, message.chunks_at, message.chunk_count)
    if blob is None:
        return None
    body, attributes, system_attributes = decode_content(blob)
    delivery = read.state.deliveries.get(message.sequence) if read.state else None
    first_received_at_ms = message.carried_first_received_at_ms if delivery is None else delivery.first_received_at_ms
    return MovedMessage(
        # FIFO messages join the end of the destination's group; their retention restarts there, as in SQS.
        message=NewMessage(
            message_id=message.message_id,
            body=body,
            attributes=attributes,
            system_attributes=system_attributes,
            sent_at_ms=now_ms,
            visible_at_ms=now_ms,
            group_id=system_attributes.get("MessageGroupId"),
            deduplication_key=move_deduplication_key(partition, message.sequence),
        ),
        group_digest=partition.rsplit("#", 1)[1],
        blob=blob,
        receive_count=0 if move.redrive else read.receive_count(message),
        first_received_at_ms=None if move.redrive else first_received_at_ms,
        source_arn=None if move.redrive else move.source_arn,
    )


def _delivery(state: GroupState, message: FifoMessage, *, now_ms: int, leased_until_ms: int) -> Delivery:
    previous = state.deliveries.get(message.sequence)
    if previous is None:
        # A message moved here from a dead-letter source continues its count.
        return Delivery(
            visible_at_ms=leased_until_ms,
            nonce=new_nonce(),
            receive_count=message.carried_receive_count + 1,
            first_received_at_ms=message.carried_first_received_at_ms or now_ms,
            chunk_count=message.chunk_count,
            chunk_key=message.chunk_key,
        )
    return Delivery(
        visible_at_ms=leased_until_ms,
        nonce=new_nonce(),
        receive_count=previous.receive_count + 1,
        first_received_at_ms=previous.first_received_at_ms,
        chunk_count=message.chunk_count,
        chunk_key=message.chunk_key,
    )


def _group_update(
    partition: str, state: GroupState, plan: ClaimPlan, leases: dict[str, Delivery], *, now_ms: int
) -> dict[str, Any]:
    """UpdateItem parameters applying `plan` to the group item, conditioned on the version read."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {":version": {"N": str(state.version)}, ":one": {"N": "1"}}
    condition = f"{GROUP_VERSION} = :version"
    sets: list[str] = []
    removes: list[str] = []
    if plan.head is None:
        # The group is empty unless a send came in after the read, which moved its last sequence number.
        condition += f" AND {LAST_SEQUENCE} = :last"
        values[":last"] = {"S": state.last}
        values[":none"] = {"M": {}}
        values[":forget_at"] = {"N": str(now_ms // 1000 + EMPTY_GROUP_SECONDS)}
        sets += [f"{DELIVERIES} = :none", f"{EXPIRES_AT} = :forget_at"]
        removes += [HEAD_SEQUENCE, VISIBLE_AT, READY_KEY]
    else:
        values[":head"] = {"S": plan.head.sequence}
        values[":head_visible_at"] = {"N": str(plan.head_visible_at_ms)}
        sets += [f"{HEAD_SEQUENCE} = :head", f"{VISIBLE_AT} = :head_visible_at"]
        for number, (sequence, delivery) in enumerate(leases.items()):
            names[f"#leased{number}"] = sequence
            values[f":leased{number}"] = delivery.raw()
            sets.append(f"{DELIVERIES}.#leased{number} = :leased{number}")
        # Deliveries before the new head belong to messages that are gone.
        gone = [sequence for sequence in state.deliveries if sequence < plan.head.sequence]
        for number, sequence in enumerate(gone):
            names[f"#gone{number}"] = sequence
            removes.append(f"{DELIVERIES}.#gone{number}")
    expression = "SET " + ", ".join(sets)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    update: dict[str, Any] = {
        "Key": group_key(partition),
        "ConditionExpression": condition,
        "UpdateExpression": f"{expression} ADD {GROUP_VERSION} :one",
        "ExpressionAttributeValues": values,
    }
    if names:
        update["ExpressionAttributeNames"] = names
    return update
