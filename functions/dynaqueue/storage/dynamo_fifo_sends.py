"""FIFO sends on DynamoDB: one transaction stores each message with its deduplication entry and its group's order."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.model import FifoPutResult, NewMessage, QueueRecord
from dynaqueue.storage.dynamo_codec import encode_content
from dynaqueue.storage.dynamo_content import (
    delete_chunks,
    message_expires_at,
    place_content,
    write_chunks,
)
from dynaqueue.storage.dynamo_dead_letters import (
    MOVE_DEDUPLICATION_WINDOW_MS,
    DeadLetterQueueGone,
    MovedMessage,
    SourceChanged,
    dead_letter_queue_check,
)
from dynaqueue.storage.dynamo_keys import (
    deduplication_partition,
    digest,
    group_key,
    group_partition,
    group_shard,
    message_sort_key,
    ready_key,
)
from dynaqueue.storage.dynamo_retries import (
    ATTEMPTS,
    cancellation_reasons,
    contention,
    is_condition_cancellation,
    is_conflict,
    pause,
)
from dynaqueue.storage.dynamo_sequences import SequenceNumbers, format_sequence
from dynaqueue.storage.tables import (
    DEDUPLICATION_SORT_KEY,
    DELIVERIES,
    EXPIRES_AT,
    GROUP_VERSION,
    HASH_KEY,
    HEAD_SEQUENCE,
    LAST_SEQUENCE,
    MESSAGE_ID,
    READY_KEY,
    SEQUENCE_NUMBER,
    VISIBLE_AT,
    WINDOW_ENDS_AT,
    DeduplicationItem,
    FifoMessageItem,
)

# The group item rejects a sequence number at or below its last one: a sender whose clock lags another's
# retries above it. The group's head, index entry and deliveries are created only when it had no messages.
_GROUP_UPDATE = (
    f"SET {LAST_SEQUENCE} = :last, {HEAD_SEQUENCE} = if_not_exists({HEAD_SEQUENCE}, :first), "
    f"{VISIBLE_AT} = if_not_exists({VISIBLE_AT}, :first_visible_at), "
    f"{READY_KEY} = if_not_exists({READY_KEY}, :shard), {DELIVERIES} = if_not_exists({DELIVERIES}, :none), "
    f"{GROUP_VERSION} = if_not_exists({GROUP_VERSION}, :zero) REMOVE {EXPIRES_AT}"
)
_GROUP_CONDITION = f"attribute_not_exists({LAST_SEQUENCE}) OR {LAST_SEQUENCE} < :first"
# A deduplication entry whose window has ended is overwritten: TTL may take days to remove it.
_DEDUPLICATION_CONDITION = f"attribute_not_exists({HASH_KEY}) OR {WINDOW_ENDS_AT} <= :now"
# Moved messages per transaction: two actions each, plus the group update and the destination check, within
# DynamoDB's 100 actions per transaction.
MAX_MOVED_PER_PUT = 24


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A message ready to store, except for its sequence number."""

    message: NewMessage
    partition: str
    shard: int
    inline: bytes | None
    chunks: list[dict[str, Any]]
    carried: MovedMessage | None = None
    chunk_key: str | None = None


@dataclass(frozen=True, slots=True)
class _Action:
    """Whose transaction action this is: a message's deduplication entry or message item, or a group item."""

    index: int | None = None
    partition: str | None = None
    deduplication: bool = False
    precondition: bool = False
    alongside: bool = False


class FifoSender:
    """Stores FIFO messages; `shards` spreads groups over the ready index."""

    def __init__(self, client: Any, table_name: str, shards: int, sequences: SequenceNumbers) -> None:
        self._client = client
        self._table_name = table_name
        self._shards = shards
        self._sequences = sequences

    def put(
        self, queue: QueueRecord, messages: Sequence[NewMessage], *, now_ms: int, dedup_window_ms: int
    ) -> list[FifoPutResult]:
        first_with_key: dict[str, int] = {}
        repeats: dict[int, int] = {}
        for index, message in enumerate(messages):
            if message.group_id is None or message.deduplication_key is None:
                raise ValueError("a FIFO message needs a group id and a deduplication key")
            # A transaction may touch an item once: a key repeated in the batch duplicates its first use.
            repeats_first = first_with_key.setdefault(message.deduplication_key, index)
            if repeats_first != index:
                repeats[index] = repeats_first
        prepared = {
            index: self._prepare(queue, message) for index, message in enumerate(messages) if index not in repeats
        }
        # Chunks first: a stored message is receivable at once and must find its whole body.
        write_chunks(self._client, self._table_name, [chunk for item in prepared.values() for chunk in item.chunks])
        results = self._store(queue, prepared, now_ms=now_ms, dedup_window_ms=dedup_window_ms)
        for index, item in prepared.items():
            if results[index].duplicate and item.chunks:
                delete_chunks(self._client, self._table_name, item.message.message_id, len(item.chunks))
        for index, first in repeats.items():
            original = results[first]
            results[index] = FifoPutResult(original.message_id, original.sequence_number, duplicate=True)
        return [results[index] for index in range(len(messages))]

    def put_moved(
        self,
        queue: QueueRecord,
        moves: Sequence[MovedMessage],
        *,
        now_ms: int,
        alongside: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Append messages moved from another queue, in order, while `queue` (their destination) is live.

        One transaction (at most MAX_MOVED_PER_PUT messages). Each deduplication entry is keyed by the move,
        so repeating a move that already landed stores nothing. Raises DeadLetterQueueGone, storing nothing
        new, once the queue is deleted. `alongside` (the source's removal) commits in the same transaction,
        so the move is atomic; SourceChanged, writing nothing, when one of its conditions fails.
        """
        prepared: dict[int, _Prepared] = {}
        for index, move in enumerate(moves):
            message = move.message
            # The copy's chunks are its own, keyed by the move: deleting either copy (delete, expiry, a purge's
            # reclamation) never takes the other's body. A repeated move rewrites the same items; they are never
            # deleted here, whatever the outcome, since a copy stored by an earlier attempt may use them.
            chunk_key = f"{message.message_id}#{digest(str(message.deduplication_key))}"
            inline, chunks = place_content(chunk_key, move.blob, message_expires_at(message.sent_at_ms))
            write_chunks(self._client, self._table_name, chunks)
            prepared[index] = _Prepared(
                message,
                group_partition(queue, move.group_digest),
                group_shard(move.group_digest, self._shards),
                inline,
                chunks,
                carried=move,
                chunk_key=chunk_key if chunks else None,
            )
        self._store(
            queue,
            prepared,
            now_ms=now_ms,
            dedup_window_ms=MOVE_DEDUPLICATION_WINDOW_MS,
            precondition=dead_letter_queue_check(self._table_name, queue),
            alongside=alongside,
        )

    def _prepare(self, queue: QueueRecord, message: NewMessage) -> _Prepared:
        group_digest = digest(str(message.group_id))
        blob = encode_content(message.body, message.attributes, message.system_attributes)
        inline, chunks = place_content(message.message_id, blob, message_expires_at(message.sent_at_ms))
        return _Prepared(
            message, group_partition(queue, group_digest), group_shard(group_digest, self._shards), inline, chunks
        )

    def _store(
        self,
        queue: QueueRecord,
        prepared: dict[int, _Prepared],
        *,
        now_ms: int,
        dedup_window_ms: int,
        precondition: Mapping[str, Any] | None = None,
        alongside: Sequence[Mapping[str, Any]] = (),
    ) -> dict[int, FifoPutResult]:
        results: dict[int, FifoPutResult] = {}
        pending = sorted(prepared)
        floors: dict[str, int] = {}
        conflicts = 0
        # Even when every message turns out a duplicate, `alongside` still has to commit.
        committed_alongside = not alongside
        # Each cancelled attempt settles at least one duplicate or raises a group's floor, or is a conflict.
        for _ in range(len(prepared) + ATTEMPTS):
            if not pending and committed_alongside:
                return results
            sequences = self._number(prepared, pending, floors, now_ms)
            actions, owners = self._transaction(queue, prepared, pending, sequences, now_ms, dedup_window_ms)
            if precondition is not None:
                actions.insert(0, dict(precondition))
                owners.insert(0, _Action(precondition=True))
            for action in alongside:
                actions.append(dict(action))
                owners.append(_Action(alongside=True))
            try:
                # A fresh token per attempt: the SDK's own retries of this call stay idempotent, while a
                # changed retry after a cancellation is not mistaken for a replay.
                self._client.transact_write_items(TransactItems=actions, ClientRequestToken=str(uuid.uuid4()))
            except ClientError as error:
                if is_conflict(error):
                    conflicts += 1
                    if conflicts >= ATTEMPTS:
                        raise contention() from error
                    pause(conflicts)
                    continue
                if not is_condition_cancellation(error):
                    raise
                for reason, owner in zip(cancellation_reasons(error), owners, strict=True):
                    if owner.precondition and reason.get("Code") == "ConditionalCheckFailed":
                        raise DeadLetterQueueGone() from error
                    if owner.alongside and reason.get("Code") == "ConditionalCheckFailed":
                        raise SourceChanged() from error
                    original = reason.get("Item")
                    if reason.get("Code") != "ConditionalCheckFailed" or original is None:
                        continue
                    if owner.deduplication and owner.index is not None:
                        results[owner.index] = FifoPutResult(
                            original[MESSAGE_ID]["S"], original[SEQUENCE_NUMBER]["S"], duplicate=True
                        )
                        pending.remove(owner.index)
                    elif owner.partition is not None:
                        floors[owner.partition] = int(original[LAST_SEQUENCE]["S"])
                continue
            for index in pending:
                results[index] = FifoPutResult(
                    prepared[index].message.message_id, format_sequence(sequences[index]), duplicate=False
                )
            pending = []
            committed_alongside = True
        if pending or not committed_alongside:
            raise contention()
        return results

    def _number(
        self, prepared: dict[int, _Prepared], pending: list[int], floors: dict[str, int], now_ms: int
    ) -> dict[int, int]:
        return {
            index: self._sequences.next(now_ms, above=floors.get(prepared[index].partition, 0)) for index in pending
        }

    def _transaction(
        self,
        queue: QueueRecord,
        prepared: dict[int, _Prepared],
        pending: list[int],
        sequences: dict[int, int],
        now_ms: int,
        dedup_window_ms: int,
    ) -> tuple[list[dict[str, Any]], list[_Action]]:
        actions: list[dict[str, Any]] = []
        owners: list[_Action] = []
        groups: dict[str, list[int]] = {}
        window_ends_at_ms = now_ms + dedup_window_ms
        for index in pending:
            item = prepared[index]
            sequence = format_sequence(sequences[index])
            groups.setdefault(item.partition, []).append(index)
            entry = DeduplicationItem(
                pk=deduplication_partition(queue, str(item.message.deduplication_key)),
                sk=DEDUPLICATION_SORT_KEY,
                message_id=item.message.message_id,
                sequence_number=sequence,
                window_ends_at_ms=window_ends_at_ms,
                expires_at=datetime.fromtimestamp(math.ceil(window_ends_at_ms / 1000), tz=UTC),
            ).serialize()
            actions.append(
                {
                    "Put": {
                        "TableName": self._table_name,
                        "Item": entry,
                        "ConditionExpression": _DEDUPLICATION_CONDITION,
                        "ExpressionAttributeValues": {":now": {"N": str(now_ms)}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
            owners.append(_Action(index=index, deduplication=True))
            actions.append({"Put": {"TableName": self._table_name, "Item": self._message_item(item, sequence)}})
            owners.append(_Action(index=index))
        for partition, indexes in groups.items():
            first = prepared[indexes[0]]
            actions.append(
                {
                    "Update": {
                        "TableName": self._table_name,
                        "Key": group_key(partition),
                        "UpdateExpression": _GROUP_UPDATE,
                        "ConditionExpression": _GROUP_CONDITION,
                        "ExpressionAttributeValues": {
                            ":first": {"S": format_sequence(sequences[indexes[0]])},
                            ":last": {"S": format_sequence(sequences[indexes[-1]])},
                            ":first_visible_at": {"N": str(first.message.visible_at_ms)},
                            ":shard": {"S": ready_key(queue, first.shard)},
                            ":none": {"M": {}},
                            ":zero": {"N": "0"},
                        },
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
            owners.append(_Action(partition=partition))
        return actions, owners

    def _message_item(self, item: _Prepared, sequence: str) -> dict[str, Any]:
        message = item.message
        carried = item.carried
        return FifoMessageItem(
            pk=item.partition,
            sk=message_sort_key(sequence),
            message_id=message.message_id,
            sent_at_ms=message.sent_at_ms,
            visible_at_ms=message.visible_at_ms,
            expires_at=message_expires_at(message.sent_at_ms),
            content=item.inline,
            chunk_count=len(item.chunks) if item.chunks else None,
            carried_receive_count=None if carried is None or not carried.receive_count else carried.receive_count,
            carried_first_received_at_ms=None if carried is None else carried.first_received_at_ms,
            dead_letter_source=None if carried is None else carried.source_arn,
            chunk_key=item.chunk_key,
        ).serialize()
