"""Queue and message records shared by the service and its storage adapters."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MessageAttributeValue:
    """One user or system message attribute, stored and returned exactly as sent."""

    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None


@dataclass(frozen=True, slots=True)
class QueueRecord:
    """A queue as stored: identity, settable attributes (canonical strings) and tags.

    `queue_id` is unique per incarnation of a name, so messages and receipt handles of a
    deleted queue can never be confused with those of a new queue of the same name.
    `generation` is bumped by PurgeQueue; messages belong to one generation.
    """

    name: str
    queue_id: str
    fifo: bool
    attributes: Mapping[str, str]
    tags: Mapping[str, str]
    created_at_ms: int
    last_modified_at_ms: int
    generation: int = 0
    last_purged_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message accepted by SendMessage, ready to be stored."""

    message_id: str
    body: str
    attributes: Mapping[str, MessageAttributeValue]
    system_attributes: Mapping[str, str]
    sent_at_ms: int
    visible_at_ms: int
    group_id: str | None = None
    deduplication_key: str | None = None


@dataclass(frozen=True, slots=True)
class DeadLetterTarget:
    """Where a claim moves messages already received `max_receive_count` times, instead of leasing them.

    Moved messages gain the system attribute DeadLetterQueueSourceArn = `source_arn`.
    """

    queue: QueueRecord
    max_receive_count: int
    source_arn: str


@dataclass(frozen=True, slots=True)
class FifoPutResult:
    """What a FIFO put did with one message: stored it, or found a duplicate within the window."""

    message_id: str
    sequence_number: str
    duplicate: bool


@dataclass(frozen=True, slots=True)
class LeasedReceipt:
    """Enough to re-issue a receipt handle: which message, which lease, received when."""

    message_id: str
    lease_token: str
    received_at_ms: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as a claim returns it: content plus its delivery state after the claim."""

    message_id: str
    body: str
    attributes: Mapping[str, MessageAttributeValue]
    system_attributes: Mapping[str, str]
    sent_at_ms: int
    receive_count: int
    first_received_at_ms: int
    lease_token: str
    sequence_number: str | None = None


@dataclass(frozen=True, slots=True)
class MessageCounts:
    """The three Approximate* counters of GetQueueAttributes."""

    visible: int = 0
    in_flight: int = 0
    delayed: int = 0


class VisibilityOutcome(enum.Enum):
    """What a conditional visibility change found."""

    CHANGED = "changed"
    GONE = "gone"
    STALE = "stale"


class PurgeOutcome(enum.Enum):
    """What a purge request found."""

    PURGED = "purged"
    TOO_SOON = "too_soon"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """A message as ReceiveMessage returns it to the client."""

    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    message_attributes: Mapping[str, MessageAttributeValue] = field(default_factory=dict)
    md5_of_message_attributes: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one accepted SendMessage."""

    message_id: str
    md5_of_message_body: str
    md5_of_message_attributes: str | None = None
    md5_of_message_system_attributes: str | None = None
    sequence_number: str | None = None


@dataclass(frozen=True, slots=True)
class BatchFailure:
    """One failed entry of a batch request."""

    id: str
    code: str
    message: str
    sender_fault: bool = True


@dataclass(frozen=True, slots=True)
class BatchResult(Generic[T]):
    """Successful and failed entries of a batch request, in request order."""

    successful: list[tuple[str, T]]
    failed: list[BatchFailure]


@dataclass(frozen=True, slots=True)
class SendRequest:
    """One message to send, as the client gave it (validated by the service)."""

    body: str
    delay_seconds: int | None = None
    attributes: Mapping[str, MessageAttributeValue] = field(default_factory=dict)
    system_attributes: Mapping[str, MessageAttributeValue] = field(default_factory=dict)
    deduplication_id: str | None = None
    group_id: str | None = None


@dataclass(frozen=True, slots=True)
class SendBatchEntry:
    """One entry of SendMessageBatch."""

    id: str
    request: SendRequest


@dataclass(frozen=True, slots=True)
class ReceiveRequest:
    """ReceiveMessage parameters; None means "use the queue's setting"."""

    max_number_of_messages: int | None = None
    visibility_timeout: int | None = None
    wait_time_seconds: int | None = None
    system_attribute_names: Sequence[str] = ()
    message_attribute_names: Sequence[str] = ()
    receive_request_attempt_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiptBatchEntry:
    """One entry of DeleteMessageBatch or ChangeMessageVisibilityBatch."""

    id: str
    receipt_handle: str
    visibility_timeout: int | None = None


class MoveTaskStatus(enum.Enum):
    """The states of a message-move task, as ListMessageMoveTasks names them."""

    RUNNING = "RUNNING"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @property
    def active(self) -> bool:
        """Running or cancelling: the task still holds its source queue's one task slot."""
        return self in (MoveTaskStatus.RUNNING, MoveTaskStatus.CANCELLING)


@dataclass(frozen=True, slots=True)
class MoveTask:
    """A message-move task (StartMessageMoveTask) and its progress.

    `revision` is bumped by every save; a store saves a task only over the revision it was
    read at, so two housekeeping runs can never both record progress for the same moves.
    `progressed_at_ms` is when the rate budget was last spent (moves allowed since then:
    rate x elapsed seconds).
    """

    task_id: str
    source_queue_id: str
    source_arn: str
    status: MoveTaskStatus
    started_at_ms: int
    messages_to_move: int
    destination_arn: str | None = None
    max_per_second: int | None = None
    messages_moved: int = 0
    failure_reason: str | None = None
    progressed_at_ms: int = 0
    revision: int = 0


@dataclass(frozen=True, slots=True)
class MessageMove:
    """What `QueueStore.move_messages` does with each message it moves.

    Into a dead-letter queue (`redrive=False`): only messages already received at least
    `min_receive_count` times move; they keep their receive count and first-receive time and
    gain DeadLetterQueueSourceArn = `source_arn`, exactly as a move on receive does.
    Back out of one (`redrive=True`, a message-move task): any visible message moves; its
    receive count and first-receive time are reset and DeadLetterQueueSourceArn is dropped,
    so it is delivered at its destination like a new message.
    Either way the message keeps its id, body, attributes and other system attributes, and
    is visible at its destination at once. Standard messages keep their sent time; FIFO
    messages keep their group and deduplication id, join the end of their group at the
    destination with a new sequence number, and their sent time restarts there.
    """

    redrive: bool
    source_arn: str
    min_receive_count: int = 0


@dataclass(frozen=True, slots=True)
class MoveOutcome:
    """What one `move_messages` call did.

    `moved`: messages now at their destination. `missing_destination`: the ARN of a
    destination that did not exist; the call stopped at the message bound for it, which
    stays where it was.
    """

    moved: int = 0
    missing_destination: str | None = None
