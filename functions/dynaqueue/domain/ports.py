"""What the queue service needs from storage, at the level of queue operations.

Every state change a store makes is atomic per message: a claim, a visibility change and a
delete are each decided by one conditional write (or one transaction), never by
read-then-write, so two consumers can never both hold the same message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

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


class QueueStore(Protocol):
    """Durable storage of queues and their messages."""

    # --- queues -------------------------------------------------------------------------

    def create_queue(self, record: QueueRecord) -> tuple[QueueRecord, bool]:
        """Store `record` unless a queue of that name exists.

        Returns the stored record and True when it was created, or the existing record and
        False. Atomic: of two concurrent creates of one name exactly one returns True.
        """
        ...

    def get_queue(self, name: str) -> QueueRecord | None:
        """The live queue of that name, or None."""
        ...

    def list_queue_names(self, prefix: str, after: str | None, limit: int) -> list[str]:
        """Up to `limit` live queue names starting with `prefix`, sorted, all greater than `after`."""
        ...

    def update_queue(
        self,
        name: str,
        *,
        attributes: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        modified_at_ms: int | None = None,
    ) -> QueueRecord | None:
        """Replace the attributes and/or tags of a live queue; None if the queue is gone."""
        ...

    def delete_queue(self, name: str, *, now_ms: int) -> bool:
        """Delete the queue and (eventually) its messages; remember when, for the re-create rule.

        Returns False when no live queue had that name.
        """
        ...

    def queue_deleted_at(self, name: str) -> int | None:
        """When a queue of that name was last deleted (epoch ms), if remembered."""
        ...

    def purge_queue(self, name: str, *, now_ms: int, min_interval_ms: int) -> PurgeOutcome:
        """Make every message sent at or before `now_ms` unreachable, at most once per interval."""
        ...

    # --- messages -----------------------------------------------------------------------

    def put_messages(self, queue: QueueRecord, messages: Sequence[NewMessage]) -> None:
        """Store new messages; each becomes receivable at its `visible_at_ms`."""
        ...

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
        """Atomically lease up to `max_count` visible messages.

        A visible message has `visible_at_ms <= now_ms` and was sent within `retention_ms`;
        older ones are never returned (a store may delete them when it meets them). Each
        leased message gets `visible_at_ms = now_ms + visibility_timeout_ms`, its receive
        count incremented, its first-receive time set if unset, and a fresh lease token.

        With `dead_letter`, a visible message already received `max_receive_count` times is
        moved to the dead-letter queue instead (see `DeadLetterTarget`): same id, content,
        sent time and receive count, visible there at once. A move never loses the message:
        a failure part-way leaves it in the source, or at worst in both queues. When the
        dead-letter queue no longer exists the message stays and is leased as usual.
        """
        ...

    def delete_message(self, queue: QueueRecord, message_id: str) -> bool:
        """Delete a message whatever its state; False when it was already gone."""
        ...

    def change_visibility(
        self,
        queue: QueueRecord,
        message_id: str,
        *,
        lease_token: str,
        visible_at_ms: int,
        in_flight_at_ms: int | None = None,
    ) -> VisibilityOutcome:
        """Set `visible_at_ms` if the message still carries `lease_token`.

        With `in_flight_at_ms` (FIFO), the lease must also still be running then: a message
        whose visibility already expired gives STALE.
        """
        ...

    def count_messages(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> MessageCounts:
        """Approximate visible / in-flight / delayed counts (expired messages excluded)."""
        ...

    # --- FIFO queues --------------------------------------------------------------------

    def put_fifo_messages(
        self, queue: QueueRecord, messages: Sequence[NewMessage], *, now_ms: int, dedup_window_ms: int
    ) -> list[FifoPutResult]:
        """Store FIFO messages in order, each atomically with its deduplication record.

        Every message has `group_id` and `deduplication_key` (already qualified by the queue's
        deduplication scope). A message whose key was first accepted less than `dedup_window_ms`
        before `now_ms` is not stored; its result carries the original message id and sequence
        number with `duplicate=True`. The window runs from the first accepted send and survives
        the message's deletion; a purge clears it. Sequence numbers are 20-digit decimal
        strings, unique, strictly increasing within a message group in storage order, and
        near-monotonic across the queue (a store may avoid a queue-wide counter).
        """
        ...

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
        """Atomically lease up to `max_count` messages, keeping order within each message group.

        Only the run of visible messages at the head of a group is receivable: the run stops at
        the group's first message that is not visible (in flight or delayed), so nothing of a
        group is delivered past a message still in flight. The batch is filled from one group
        first, then from other groups; the result is in sequence order within each group. Two
        concurrent claims never lease messages of the same group (the group is the lock).
        Expired messages met at a group head are deleted and skipped. Leasing and dead-letter
        moves are as in `claim_messages`, and each result carries its `sequence_number`. A moved
        message no longer blocks its group; it joins the end of its group in the dead-letter
        queue with a new sequence number, and its sent time restarts there (FIFO retention
        counts from the move).
        """
        ...

    def delete_leased_message(
        self, queue: QueueRecord, message_id: str, *, lease_token: str, now_ms: int
    ) -> VisibilityOutcome:
        """Delete a message only while the lease `lease_token` is still running at `now_ms`.

        CHANGED: deleted; GONE: no such message; STALE: another lease, or this one expired.
        """
        ...

    def delete_messages(
        self, queue: QueueRecord, leases: Sequence[LeasedReceipt], *, now_ms: int
    ) -> list[VisibilityOutcome]:
        """Settle a batch, one outcome per lease in the given order, as one delete each would.

        Standard queue: `delete_message` (CHANGED, or GONE when already deleted), whatever the lease.
        FIFO queue: `delete_leased_message` at `now_ms`.
        """
        ...

    def get_leased_messages(self, queue: QueueRecord, leases: Sequence[LeasedReceipt]) -> list[StoredMessage]:
        """The messages still held under exactly these leases (content and state), in the given order."""
        ...

    def remember_receive_attempt(
        self, queue: QueueRecord, attempt_id: str, leases: Sequence[LeasedReceipt], *, expires_at_ms: int
    ) -> None:
        """Record what a FIFO receive with ReceiveRequestAttemptId returned, until `expires_at_ms`."""
        ...

    def recall_receive_attempt(self, queue: QueueRecord, attempt_id: str, *, now_ms: int) -> list[LeasedReceipt] | None:
        """What an earlier receive with this attempt id returned, if recorded and not expired."""
        ...

    # --- long polling -------------------------------------------------------------------

    def availability_token(self, queue: QueueRecord) -> int:
        """An opaque value that changes whenever a message of the queue may have become visible."""
        ...

    def wait_for_messages(self, queue: QueueRecord, *, token: int, timeout_seconds: float) -> None:
        """Block until the token may have changed, a message may have become visible, or timeout."""
        ...

    # --- maintenance (the housekeeping run) -----------------------------------------------

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
        """Move up to `limit` visible messages of `queue` to other queues, as `move` says.

        Visible means `visible_at_ms <= now_ms` and sent within `retention_ms` (in flight and
        delayed messages stay). For each message, `destination(dlq_source_arn)` names the
        queue it goes to; the argument is the message's DeadLetterQueueSourceArn (None when
        it has none). When that returns None the call stops there and reports the missing
        ARN (the destination's ARN if the store cannot tell: the callback decides). FIFO
        queues move messages in sequence order within each group and only from the visible
        head run of a group, as a claim would take them, so order within a group is kept at
        the destination.

        Each message moves atomically or, where a store needs two steps, is written to the
        destination before it leaves the source: a failure part-way leaves it in the source
        or, at worst, in both queues (never in neither). Safe to run concurrently with
        receives and with another move of the same queue (a message moves at most once).
        """
        ...

    def delete_expired_messages(self, queue: QueueRecord, *, now_ms: int, retention_ms: int, limit: int) -> int:
        """Delete up to `limit` messages of `queue` sent before `now_ms - retention_ms`, in any state.

        Returns how many were deleted. Work is bounded by `limit` (plus what a store must
        read to find them); a FIFO group whose expired head is deleted moves on to its next
        message.
        """
        ...

    def oldest_message_sent_at(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> int | None:
        """Approximately the sent time (epoch ms) of the oldest unexpired message, or None when empty."""
        ...

    def reclaim_abandoned_messages(self, *, limit: int) -> int:
        """Delete up to `limit` stored messages of purged generations and deleted queues; returns how many.

        These are unreachable already (no receive returns them); this only frees storage.
        Returns 0 once nothing is left.
        """
        ...

    def acquire_lease(self, name: str, *, holder: str, now_ms: int, expires_at_ms: int) -> bool:
        """Take the named lease for `holder` until `expires_at_ms` unless another holder has it unexpired.

        Re-acquiring one's own lease extends it. Atomic: of two concurrent acquires of a free
        lease exactly one succeeds.
        """
        ...

    def release_lease(self, name: str, *, holder: str) -> None:
        """Give the lease up if `holder` still has it."""
        ...

    def load_cursor(self, name: str) -> str | None:
        """The value last saved under `name`, or None."""
        ...

    def save_cursor(self, name: str, value: str | None) -> None:
        """Remember `value` under `name` (None forgets it)."""
        ...

    # --- message-move tasks ----------------------------------------------------------------

    def start_move_task(self, task: MoveTask) -> bool:
        """Store a new RUNNING task unless its source queue already has an active one.

        Returns False (storing nothing) when a RUNNING or CANCELLING task exists for
        `task.source_queue_id`. Atomic: of two concurrent starts for one queue exactly one
        returns True.
        """
        ...

    def get_move_task(self, source_queue_id: str, task_id: str) -> MoveTask | None:
        """The task of that queue with that id, or None."""
        ...

    def list_move_tasks(self, source_queue_id: str, limit: int) -> list[MoveTask]:
        """Up to `limit` tasks of the queue, newest (by `started_at_ms`, then task id) first."""
        ...

    def active_move_tasks(self, limit: int) -> list[MoveTask]:
        """Up to `limit` RUNNING or CANCELLING tasks of any queue."""
        ...

    def save_move_task(self, task: MoveTask) -> bool:
        """Replace the stored task by `task` if the stored revision is `task.revision - 1`.

        Returns False (changing nothing) when the task is gone or was saved by someone else
        since it was read. Saving a task that is no longer active frees its queue for a new one.
        """
        ...

    def delete_move_tasks(self, source_queue_id: str) -> None:
        """Forget every task of a queue (its queue was deleted)."""
        ...
