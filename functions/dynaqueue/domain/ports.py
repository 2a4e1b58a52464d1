"""What the queue service needs from storage, at the level of queue operations.

Every state change a store makes is atomic per message: a claim, a visibility change and a
delete are each decided by one conditional write (or one transaction), never by
read-then-write, so two consumers can never both hold the same message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from dynaqueue.domain.model import (
    MessageCounts,
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
    ) -> list[StoredMessage]:
        """Atomically lease up to `max_count` visible messages.

        A visible message has `visible_at_ms <= now_ms` and was sent within `retention_ms`;
        older ones are never returned (a store may delete them when it meets them). Each
        leased message gets `visible_at_ms = now_ms + visibility_timeout_ms`, its receive
        count incremented, its first-receive time set if unset, and a fresh lease token.
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
    ) -> VisibilityOutcome:
        """Set `visible_at_ms` if the message still carries `lease_token`."""
        ...

    def count_messages(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> MessageCounts:
        """Approximate visible / in-flight / delayed counts (expired messages excluded)."""
        ...

    # --- long polling -------------------------------------------------------------------

    def availability_token(self, queue: QueueRecord) -> int:
        """An opaque value that changes whenever a message of the queue may have become visible."""
        ...

    def wait_for_messages(self, queue: QueueRecord, *, token: int, timeout_seconds: float) -> None:
        """Block until the token may have changed, a message may have become visible, or timeout."""
        ...
