"""FIFO group state as read from the table: the group item's deliveries and the group's message items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dynaqueue.storage.tables import (
    DELIVERY_CHUNK_COUNT,
    DELIVERY_CHUNK_KEY,
    DELIVERY_FIRST_RECEIVED_AT,
    DELIVERY_NONCE,
    DELIVERY_RECEIVE_COUNT,
    DELIVERY_VISIBLE_AT,
    FIFO_MESSAGE_PREFIX,
    GROUP_SORT_KEY,
    RANGE_KEY,
    FifoGroupItem,
    FifoMessageItem,
)

Item = Mapping[str, Any]

# An empty group item is kept this long, so its sequence numbers keep increasing across quiet periods.
EMPTY_GROUP_SECONDS = 24 * 60 * 60


@dataclass(frozen=True, slots=True)
class Delivery:
    """The delivery state of a message received at least once.

    `chunk_count` and `chunk_key` repeat the message item's, so a delete can remove the chunks without
    reading it (`chunk_key` only for a moved copy, whose chunks are its own: see FifoMessage.chunks_at).
    """

    visible_at_ms: int
    nonce: str
    receive_count: int
    first_received_at_ms: int
    chunk_count: int | None = None
    chunk_key: str | None = None

    def raw(self) -> dict[str, Any]:
        fields = {
            DELIVERY_VISIBLE_AT: {"N": str(self.visible_at_ms)},
            DELIVERY_NONCE: {"S": self.nonce},
            DELIVERY_RECEIVE_COUNT: {"N": str(self.receive_count)},
            DELIVERY_FIRST_RECEIVED_AT: {"N": str(self.first_received_at_ms)},
        }
        if self.chunk_count is not None:
            fields[DELIVERY_CHUNK_COUNT] = {"N": str(self.chunk_count)}
        if self.chunk_key is not None:
            fields[DELIVERY_CHUNK_KEY] = {"S": self.chunk_key}
        return {"M": fields}


@dataclass(frozen=True, slots=True)
class GroupState:
    """A group item: head and last sequence numbers, version, and the deliveries of received messages."""

    version: int
    head: str | None
    last: str
    deliveries: Mapping[str, Delivery]

    @classmethod
    def from_item(cls, item: Item) -> GroupState:
        group = FifoGroupItem.from_raw_data(dict(item))
        deliveries = {
            sequence: Delivery(
                visible_at_ms=int(entry[DELIVERY_VISIBLE_AT]),
                nonce=str(entry[DELIVERY_NONCE]),
                receive_count=int(entry[DELIVERY_RECEIVE_COUNT]),
                first_received_at_ms=int(entry[DELIVERY_FIRST_RECEIVED_AT]),
                chunk_count=None if DELIVERY_CHUNK_COUNT not in entry else int(entry[DELIVERY_CHUNK_COUNT]),
                chunk_key=None if DELIVERY_CHUNK_KEY not in entry else str(entry[DELIVERY_CHUNK_KEY]),
            )
            for sequence, entry in group.deliveries.as_dict().items()
        }
        return cls(int(group.version), group.head_sequence, group.last_sequence, deliveries)


@dataclass(frozen=True, slots=True)
class FifoMessage:
    """A FIFO message item: written once at send, never changed."""

    sequence: str
    message_id: str
    sent_at_ms: int
    visible_at_ms: int
    content: bytes | None
    chunk_count: int | None
    # What a message moved here from a dead-letter source brought along: its receives there and the source.
    carried_receive_count: int = 0
    carried_first_received_at_ms: int | None = None
    dead_letter_source: str | None = None
    chunk_key: str | None = None

    @property
    def chunks_at(self) -> str:
        """The partition of the message's chunk items: a moved copy's own, else its message id."""
        return self.chunk_key or self.message_id

    @classmethod
    def from_item(cls, item: Item) -> FifoMessage:
        message = FifoMessageItem.from_raw_data(dict(item))
        return cls(
            sequence=message.sk.removeprefix(FIFO_MESSAGE_PREFIX),
            message_id=message.message_id,
            sent_at_ms=int(message.sent_at_ms),
            visible_at_ms=int(message.visible_at_ms),
            content=message.content,
            chunk_count=None if message.chunk_count is None else int(message.chunk_count),
            carried_receive_count=int(message.carried_receive_count or 0),
            carried_first_received_at_ms=(
                None if message.carried_first_received_at_ms is None else int(message.carried_first_received_at_ms)
            ),
            dead_letter_source=message.dead_letter_source,
            chunk_key=message.chunk_key,
        )


@dataclass(frozen=True, slots=True)
class GroupRead:
    """One read of a group partition: the group item (None when absent) and its first messages in order."""

    state: GroupState | None
    messages: list[FifoMessage]
    more: bool

    @classmethod
    def from_page(cls, page: Mapping[str, Any]) -> GroupRead:
        items = page["Items"]
        state = None
        if items and items[0][RANGE_KEY]["S"] == GROUP_SORT_KEY:
            state = GroupState.from_item(items[0])
            items = items[1:]
        return cls(state, [FifoMessage.from_item(item) for item in items], "LastEvaluatedKey" in page)

    def receive_count(self, message: FifoMessage) -> int:
        """How often the message was received, here or, before a dead-letter move, in its source queue."""
        delivery = self.state.deliveries.get(message.sequence) if self.state else None
        return message.carried_receive_count if delivery is None else delivery.receive_count

    def visible_at_ms(self, message: FifoMessage) -> int:
        """When the message is receivable: its delivery's visible-at once received, else its first one."""
        delivery = self.state.deliveries.get(message.sequence) if self.state else None
        return message.visible_at_ms if delivery is None else delivery.visible_at_ms
