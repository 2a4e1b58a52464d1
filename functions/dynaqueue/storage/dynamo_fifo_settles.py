"""FIFO leases settled on DynamoDB: deletes and visibility changes keep the group's head and index entry exact."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.model import LeasedReceipt, QueueRecord, StoredMessage, VisibilityOutcome
from dynaqueue.storage.dynamo_content import delete_chunks
from dynaqueue.storage.dynamo_errors import is_condition_failure
from dynaqueue.storage.dynamo_fifo_reads import leased_message, read_group, read_group_through
from dynaqueue.storage.dynamo_fifo_state import EMPTY_GROUP_SECONDS, Delivery, GroupRead, GroupState
from dynaqueue.storage.dynamo_keys import fifo_message_key, group_key, group_partition
from dynaqueue.storage.dynamo_leases import FifoLease, parse_lease
from dynaqueue.storage.dynamo_retries import ATTEMPTS, contention, is_condition_cancellation, is_conflict, pause
from dynaqueue.storage.tables import (
    DELIVERIES,
    DELIVERY_NONCE,
    DELIVERY_VISIBLE_AT,
    EXPIRES_AT,
    GROUP_VERSION,
    HEAD_SEQUENCE,
    LAST_SEQUENCE,
    READY_KEY,
    VISIBLE_AT,
)

# The leased message's delivery, still under this lease: shared by every settle condition.
_LEASE_HELD = f"{DELIVERIES}.#leased.{DELIVERY_NONCE} = :nonce"
_LEASE_RUNNING = f"{DELIVERIES}.#leased.{DELIVERY_VISIBLE_AT} > :at"


class FifoSettler:
    """Deletes and visibility changes of leased FIFO messages, and reads of them by lease."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def delete(self, queue: QueueRecord, message_id: str, *, lease_token: str, now_ms: int) -> VisibilityOutcome:
        lease = parse_lease(lease_token)
        if lease is None:
            return VisibilityOutcome.GONE
        partition = group_partition(queue, lease.group_digest)
        conflicts = 0
        for _ in range(ATTEMPTS):
            # The group item, its head and the message after it: all a delete of the head needs to know.
            read = read_group(self._client, self._table_name, partition, limit=3)
            if read.state is None:
                return VisibilityOutcome.GONE
            outcome = lease_outcome(read.state, lease, running_at_ms=now_ms)
            if outcome is not None:
                return outcome
            update = _delete_update(partition, read.state, read, lease, now_ms)
            try:
                self._client.transact_write_items(
                    TransactItems=[
                        {"Delete": {"TableName": self._table_name, "Key": fifo_message_key(partition, lease.sequence)}},
                        {"Update": {"TableName": self._table_name, **update}},
                    ],
                    ClientRequestToken=str(uuid.uuid4()),
                )
            except ClientError as error:
                if is_conflict(error):
                    conflicts += 1
                    pause(conflicts)
                    continue
                if is_condition_cancellation(error):
                    continue
                raise
            delivery = read.state.deliveries[lease.sequence]
            if delivery.chunk_count is not None:
                delete_chunks(self._client, self._table_name, delivery.chunk_key or message_id, delivery.chunk_count)
            return VisibilityOutcome.CHANGED
        raise contention()

    def change_visibility(
        self, queue: QueueRecord, *, lease_token: str, visible_at_ms: int, in_flight_at_ms: int | None
    ) -> VisibilityOutcome:
        lease = parse_lease(lease_token)
        if lease is None:
            return VisibilityOutcome.GONE
        key = group_key(group_partition(queue, lease.group_digest))
        item = self._client.get_item(TableName=self._table_name, Key=key, ConsistentRead=True).get("Item")
        for attempt in range(1, ATTEMPTS + 1):
            if item is None:
                return VisibilityOutcome.GONE
            state = GroupState.from_item(item)
            outcome = lease_outcome(state, lease, running_at_ms=in_flight_at_ms)
            if outcome is not None:
                return outcome
            try:
                self._client.update_item(
                    TableName=self._table_name,
                    Key=key,
                    **_visibility_update(state, lease, visible_at_ms, in_flight_at_ms),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as error:
                if is_conflict(error):
                    pause(attempt)
                    continue
                if not is_condition_failure(error):
                    raise
                # The group changed since it was read (its head moved, or the lease): decide again on what it is now.
                item = error.response.get("Item")
                continue
            return VisibilityOutcome.CHANGED
        raise contention()

    def get_leased(self, queue: QueueRecord, leases: Sequence[LeasedReceipt]) -> list[StoredMessage]:
        parsed = [(receipt, parse_lease(receipt.lease_token)) for receipt in leases]
        last_by_group: dict[str, str] = {}
        for _, lease in parsed:
            if lease is not None:
                last_by_group[lease.group_digest] = max(last_by_group.get(lease.group_digest, ""), lease.sequence)
        reads = {
            group_digest: read_group_through(
                self._client, self._table_name, group_partition(queue, group_digest), last_sequence
            )
            for group_digest, last_sequence in last_by_group.items()
        }
        messages = []
        for receipt, lease in parsed:
            read = None if lease is None else reads[lease.group_digest]
            if lease is None or read is None or read.state is None:
                continue
            if lease_outcome(read.state, lease, running_at_ms=None) is not None:
                continue
            message = next((message for message in read.messages if message.sequence == lease.sequence), None)
            if message is None or message.message_id != receipt.message_id:
                continue
            stored = leased_message(
                self._client, self._table_name, message, read.state.deliveries[lease.sequence], lease
            )
            if stored is not None:
                messages.append(stored)
        return messages


def lease_outcome(state: GroupState, lease: FifoLease, *, running_at_ms: int | None) -> VisibilityOutcome | None:
    """GONE or STALE when the lease cannot be settled; None when it still holds (and runs at `running_at_ms`)."""
    delivery = state.deliveries.get(lease.sequence)
    if delivery is None:
        return VisibilityOutcome.GONE
    if delivery.nonce != lease.nonce:
        return VisibilityOutcome.STALE
    if running_at_ms is not None and delivery.visible_at_ms <= running_at_ms:
        return VisibilityOutcome.STALE
    return None


def _delete_update(partition: str, state: GroupState, read: GroupRead, lease: FifoLease, now_ms: int) -> dict[str, Any]:
    """The group item's side of a delete: drop the delivery and, for the head, move the head to the next message.

    Each condition pins exactly what the decision was taken on, so settles of other messages of the group
    (and sends, unless the group empties) do not make it fail.
    """
    names = {"#leased": lease.sequence}
    values: dict[str, Any] = {
        ":nonce": {"S": lease.nonce},
        ":at": {"N": str(now_ms)},
        ":sequence": {"S": lease.sequence},
        ":one": {"N": "1"},
    }
    condition = f"{_LEASE_HELD} AND {_LEASE_RUNNING}"
    removes = [f"{DELIVERIES}.#leased"]
    sets: list[str] = []
    if state.head != lease.sequence:
        condition += f" AND {HEAD_SEQUENCE} <> :sequence"
    else:
        condition += f" AND {HEAD_SEQUENCE} = :sequence"
        following = [message for message in read.messages if message.sequence > lease.sequence]
        if following:
            successor = following[0]
            successor_delivery = state.deliveries.get(successor.sequence)
            names["#next"] = successor.sequence
            values[":next"] = {"S": successor.sequence}
            values[":next_visible_at"] = {"N": str(read.visible_at_ms(successor))}
            sets += [f"{HEAD_SEQUENCE} = :next", f"{VISIBLE_AT} = :next_visible_at"]
            # The next message's visibility becomes the group's: it must not change before this commits.
            condition += _unchanged_delivery("#next", successor_delivery, values)
        else:
            # The group empties, unless a send came in after the read and moved its last sequence number.
            condition += f" AND {LAST_SEQUENCE} = :last"
            values[":last"] = {"S": state.last}
            values[":forget_at"] = {"N": str(now_ms // 1000 + EMPTY_GROUP_SECONDS)}
            sets.append(f"{EXPIRES_AT} = :forget_at")
            removes += [HEAD_SEQUENCE, VISIBLE_AT, READY_KEY]
    expression = (f"SET {', '.join(sets)} " if sets else "") + f"REMOVE {', '.join(removes)}"
    return {
        "Key": group_key(partition),
        "ConditionExpression": condition,
        "UpdateExpression": f"{expression} ADD {GROUP_VERSION} :one",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _unchanged_delivery(name: str, delivery: Delivery | None, values: dict[str, Any]) -> str:
    if delivery is None:
        return f" AND attribute_not_exists({DELIVERIES}.{name})"
    values[":next_nonce"] = {"S": delivery.nonce}
    values[":next_delivery_visible_at"] = {"N": str(delivery.visible_at_ms)}
    return (
        f" AND {DELIVERIES}.{name}.{DELIVERY_NONCE} = :next_nonce"
        f" AND {DELIVERIES}.{name}.{DELIVERY_VISIBLE_AT} = :next_delivery_visible_at"
    )


def _visibility_update(
    state: GroupState, lease: FifoLease, visible_at_ms: int, in_flight_at_ms: int | None
) -> dict[str, Any]:
    """Set the message's visible-at; for the head also the group's, which is its index sort key."""
    names = {"#leased": lease.sequence}
    values: dict[str, Any] = {
        ":nonce": {"S": lease.nonce},
        ":visible_at": {"N": str(visible_at_ms)},
        ":sequence": {"S": lease.sequence},
        ":one": {"N": "1"},
    }
    condition = _LEASE_HELD
    if in_flight_at_ms is not None:
        condition += f" AND {_LEASE_RUNNING}"
        values[":at"] = {"N": str(in_flight_at_ms)}
    sets = [f"{DELIVERIES}.#leased.{DELIVERY_VISIBLE_AT} = :visible_at"]
    if state.head == lease.sequence:
        condition += f" AND {HEAD_SEQUENCE} = :sequence"
        sets.append(f"{VISIBLE_AT} = :visible_at")
    else:
        condition += f" AND {HEAD_SEQUENCE} <> :sequence"
    return {
        "ConditionExpression": condition,
        "UpdateExpression": f"SET {', '.join(sets)} ADD {GROUP_VERSION} :one",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
