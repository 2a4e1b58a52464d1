"""The local default store: queues and messages in one SQLite file, long polls woken in-process."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from dynaqueue.domain.clock import Clock, SystemClock
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
from dynaqueue.storage import embedded_attempts as attempts
from dynaqueue.storage import embedded_fifo as fifo
from dynaqueue.storage import embedded_groups as groups
from dynaqueue.storage import embedded_maintenance as maintenance
from dynaqueue.storage import embedded_messages as message_statements
from dynaqueue.storage import embedded_moves as moves
from dynaqueue.storage import embedded_tasks as tasks
from dynaqueue.storage.embedded_checkpoints import WRITER_CHECKPOINT_PAGES, WalCheckpointer
from dynaqueue.storage.embedded_codec import encode_strings, queue_record
from dynaqueue.storage.embedded_schema import connect, create_schema
from dynaqueue.storage.embedded_signals import QueueSignals
from dynaqueue.storage.embedded_sweeping import abandon_generations, reclaim, sweep_chunk

# Purged generations and deleted queues are unreachable at once and deleted in the background,
# a chunk per transaction with a pause after each, so requests never wait behind a whole backlog.
SWEEP_PAUSE_SECONDS = 0.002


class EmbeddedStore:
    """A `QueueStore` in one SQLite file, safe for many threads of one process.

    One connection serves every thread under one lock, so each operation is one serialized
    transaction: a claim can never hand a message to two callers, nor two callers messages of
    one FIFO group. Counting, the only read that grows with the backlog, runs on a second
    connection that the write-ahead log lets read alongside the writer. Long polls wait on a
    condition per queue and are woken by puts and releases, not by polling the file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Clock | None = None,
        sweep_in_background: bool = True,
        on_dead_letter_moves: Callable[[int], None] | None = None,
    ) -> None:
        """`on_dead_letter_moves` hears how many messages a receive moved to a dead-letter queue."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._on_dead_letter_moves = on_dead_letter_moves
        # The clock only turns visibility instants into wait durations; stored instants always
        # come from the caller's now_ms, so it must be the clock the service uses.
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._db = connect(path)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(f"PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}")
        create_schema(self._db, path)
        self._checkpointer = WalCheckpointer(path)
        self._checkpointer.start()
        self._queue_cache: dict[str, QueueRecord] = {}
        self._cached_data_version: int | None = None
        self._counting_lock = threading.Lock()
        self._counting_db = connect(path)
        self._signals = QueueSignals()
        self._closed = threading.Event()
        self._sweep_requested = threading.Event()
        self._sweep_requested.set()  # resume whatever a previous run left to sweep
        # Without the sweeper, storage is freed only by reclaim_abandoned_messages (the housekeeping run).
        self._sweeper = threading.Thread(target=self._sweep_in_background, name="embedded-store-sweeper", daemon=True)
        if sweep_in_background:
            self._sweeper.start()

    def close(self) -> None:
        """Stop sweeping, fold the write-ahead log into the database file and close it."""
        self._closed.set()
        self._sweep_requested.set()
        if self._sweeper.is_alive():
            self._sweeper.join()
        self._checkpointer.stop()
        with self._counting_lock:
            self._counting_db.close()
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()

    # --- queues -------------------------------------------------------------------------

    def create_queue(self, record: QueueRecord) -> tuple[QueueRecord, bool]:
        with self._queues_transaction() as db:
            inserted = db.execute(
                """
                INSERT INTO queues (name, queue_id, fifo, attributes, tags, created_at_ms, last_modified_at_ms,
                    generation, last_purged_at_ms)
                VALUES (:name, :queue_id, :fifo, :attributes, :tags, :created_at_ms, :last_modified_at_ms,
                    :generation, :last_purged_at_ms)
                ON CONFLICT (name) DO NOTHING
                """,
                {
                    "name": record.name,
                    "queue_id": record.queue_id,
                    "fifo": record.fifo,
                    "attributes": encode_strings(record.attributes),
                    "tags": encode_strings(record.tags),
                    "created_at_ms": record.created_at_ms,
                    "last_modified_at_ms": record.last_modified_at_ms,
                    "generation": record.generation,
                    "last_purged_at_ms": record.last_purged_at_ms,
                },
            ).rowcount
            existing = None if inserted else _select_queue(db, record.name)
        if existing is None:
            return record, True
        return queue_record(existing), False

    def get_queue(self, name: str) -> QueueRecord | None:
        # Every request reads its queue first. Records are kept until this store changes a queue,
        # or another connection writes to the file (PRAGMA data_version then moves on).
        with self._lock:
            data_version = self._db.execute("PRAGMA data_version").fetchone()[0]
            if data_version != self._cached_data_version:
                self._queue_cache.clear()
                self._cached_data_version = data_version
            cached = self._queue_cache.get(name)
            if cached is not None:
                return cached
            row = _select_queue(self._db, name)
            if row is None:
                return None
            record = self._queue_cache[name] = queue_record(row)
        return record

    def list_queue_names(self, prefix: str, after: str | None, limit: int) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                """
                SELECT name FROM queues
                WHERE substr(name, 1, length(:prefix)) = :prefix AND (:after IS NULL OR name > :after)
                ORDER BY name
                LIMIT :limit
                """,
                {"prefix": prefix, "after": after, "limit": limit},
            ).fetchall()
        return [row["name"] for row in rows]

    def update_queue(
        self,
        name: str,
        *,
        attributes: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        modified_at_ms: int | None = None,
    ) -> QueueRecord | None:
        changes: dict[str, str | int] = {}
        if attributes is not None:
            changes["attributes"] = encode_strings(attributes)
        if tags is not None:
            changes["tags"] = encode_strings(tags)
        if modified_at_ms is not None:
            changes["last_modified_at_ms"] = modified_at_ms
        with self._queues_transaction() as db:
            if changes:
                assignments = ", ".join(f"{column} = :{column}" for column in changes)
                db.execute(f"UPDATE queues SET {assignments} WHERE name = :name", {**changes, "name": name})
            row = _select_queue(db, name)
        return None if row is None else queue_record(row)

    def delete_queue(self, name: str, *, now_ms: int) -> bool:
        with self._queues_transaction() as db:
            row = _select_queue(db, name)
            if row is None:
                return False
            db.execute("DELETE FROM queues WHERE name = ?", (name,))
            db.execute(
                """
                INSERT INTO deleted_queues (name, deleted_at_ms) VALUES (?, ?)
                ON CONFLICT (name) DO UPDATE SET deleted_at_ms = excluded.deleted_at_ms
                """,
                (name, now_ms),
            )
            abandon_generations(db, row["queue_id"], below_generation=row["generation"] + 1)
        self._signals.retire(row["queue_id"])
        self._sweep_requested.set()
        return True

    def queue_deleted_at(self, name: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT deleted_at_ms FROM deleted_queues WHERE name = ?", (name,)).fetchone()
        return None if row is None else row["deleted_at_ms"]

    def purge_queue(self, name: str, *, now_ms: int, min_interval_ms: int) -> PurgeOutcome:
        with self._queues_transaction() as db:
            row = _select_queue(db, name)
            if row is None:
                return PurgeOutcome.GONE
            last_purged_at_ms = row["last_purged_at_ms"]
            if last_purged_at_ms is not None and now_ms - last_purged_at_ms < min_interval_ms:
                return PurgeOutcome.TOO_SOON
            queue_id, old_generation = row["queue_id"], row["generation"]
            db.execute(
                "UPDATE queues SET generation = ?, last_purged_at_ms = ? WHERE queue_id = ?",
                (old_generation + 1, now_ms, queue_id),
            )
            # A message stamped after the purge instant (a send racing the purge) is not purged.
            db.execute(
                "UPDATE messages SET generation = ? WHERE queue_id = ? AND generation = ? AND sent_at_ms > ?",
                (old_generation + 1, queue_id, old_generation, now_ms),
            )
            if row["fifo"]:
                fifo.keep_sends_racing_a_purge(db, queue_id, old_generation + 1, purged_at_ms=now_ms)
            abandon_generations(db, queue_id, below_generation=old_generation + 1)
        self._sweep_requested.set()
        return PurgeOutcome.PURGED

    # --- messages -----------------------------------------------------------------------

    def put_messages(self, queue: QueueRecord, messages: Sequence[NewMessage]) -> None:
        with self._transaction() as db:
            message_statements.put_messages(db, queue.queue_id, messages)
        self._signals.announce(queue.queue_id)

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
        with self._transaction() as db:
            claimed, moved = message_statements.claim_messages(
                db,
                queue.queue_id,
                now_ms=now_ms,
                max_count=max_count,
                visibility_timeout_ms=visibility_timeout_ms,
                retention_ms=retention_ms,
                dead_letter=dead_letter,
            )
        self._announce_moves(dead_letter, moved)
        return claimed

    def delete_message(self, queue: QueueRecord, message_id: str) -> bool:
        with self._transaction() as db:
            outcome, released = _delete_message(db, queue.queue_id, message_id)
        if released:
            self._signals.announce(queue.queue_id)
        return outcome is VisibilityOutcome.CHANGED

    def change_visibility(
        self,
        queue: QueueRecord,
        message_id: str,
        *,
        lease_token: str,
        visible_at_ms: int,
        in_flight_at_ms: int | None = None,
    ) -> VisibilityOutcome:
        with self._transaction() as db:
            row = message_statements.live_message(db, queue.queue_id, message_id)
            if row is None:
                return VisibilityOutcome.GONE
            lease_ended = in_flight_at_ms is not None and row["visible_at_ms"] <= in_flight_at_ms
            if row["lease_token"] != lease_token or lease_ended:
                return VisibilityOutcome.STALE
            db.execute("UPDATE messages SET visible_at_ms = ? WHERE rowid = ?", (visible_at_ms, row["rowid"]))
            if row["group_id"] is None:
                sooner = visible_at_ms < row["visible_at_ms"]
            else:
                sooner = groups.refresh_head(db, queue.queue_id, row["generation"], row["group_id"])
        if sooner:
            self._signals.announce(queue.queue_id)
        return VisibilityOutcome.CHANGED

    def count_messages(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> MessageCounts:
        # FIFO messages waiting behind an in-flight message of their group count as visible, as in SQS.
        with self._counting_lock:
            return message_statements.count_messages(
                self._counting_db, queue.queue_id, now_ms=now_ms, retention_ms=retention_ms
            )

    # --- FIFO queues --------------------------------------------------------------------

    def put_fifo_messages(
        self, queue: QueueRecord, messages: Sequence[NewMessage], *, now_ms: int, dedup_window_ms: int
    ) -> list[FifoPutResult]:
        with self._transaction() as db:
            results = fifo.put_fifo_messages(
                db, queue.queue_id, messages, now_ms=now_ms, dedup_window_ms=dedup_window_ms
            )
        if not all(result.duplicate for result in results):
            self._signals.announce(queue.queue_id)
        return results

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
        with self._transaction() as db:
            claimed, moved = fifo.claim_fifo_messages(
                db,
                queue.queue_id,
                now_ms=now_ms,
                max_count=max_count,
                visibility_timeout_ms=visibility_timeout_ms,
                retention_ms=retention_ms,
                dead_letter=dead_letter,
            )
        self._announce_moves(dead_letter, moved)
        return claimed

    def delete_leased_message(
        self, queue: QueueRecord, message_id: str, *, lease_token: str, now_ms: int
    ) -> VisibilityOutcome:
        with self._transaction() as db:
            outcome, released = fifo.delete_leased_message(
                db, queue.queue_id, message_id, lease_token=lease_token, now_ms=now_ms
            )
        if released:
            self._signals.announce(queue.queue_id)
        return outcome

    def delete_messages(
        self, queue: QueueRecord, leases: Sequence[LeasedReceipt], *, now_ms: int
    ) -> list[VisibilityOutcome]:
        outcomes = []
        released = False
        with self._transaction() as db:
            for lease in leases:
                if queue.fifo:
                    outcome, freed = fifo.delete_leased_message(
                        db, queue.queue_id, lease.message_id, lease_token=lease.lease_token, now_ms=now_ms
                    )
                else:
                    outcome, freed = _delete_message(db, queue.queue_id, lease.message_id)
                outcomes.append(outcome)
                released = released or freed
        if released:
            self._signals.announce(queue.queue_id)
        return outcomes

    def get_leased_messages(self, queue: QueueRecord, leases: Sequence[LeasedReceipt]) -> list[StoredMessage]:
        with self._lock:
            return fifo.get_leased_messages(self._db, queue.queue_id, leases)

    def remember_receive_attempt(
        self, queue: QueueRecord, attempt_id: str, leases: Sequence[LeasedReceipt], *, expires_at_ms: int
    ) -> None:
        with self._transaction() as db:
            attempts.remember_receive_attempt(db, queue.queue_id, attempt_id, leases, expires_at_ms=expires_at_ms)

    def recall_receive_attempt(self, queue: QueueRecord, attempt_id: str, *, now_ms: int) -> list[LeasedReceipt] | None:
        with self._transaction() as db:
            return attempts.recall_receive_attempt(db, queue.queue_id, attempt_id, now_ms=now_ms)

    # --- long polling -------------------------------------------------------------------

    def availability_token(self, queue: QueueRecord) -> int:
        return self._signals.token(queue.queue_id)

    def wait_for_messages(self, queue: QueueRecord, *, token: int, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        with self._signals.waiting(queue.queue_id) as signal:
            while signal.token == token:
                remaining_seconds = deadline - time.monotonic()
                if remaining_seconds <= 0:
                    return
                until_visible_seconds = self._seconds_until_next_visible(queue)
                if until_visible_seconds is None:
                    until_visible_seconds = remaining_seconds
                elif until_visible_seconds <= 0:
                    return
                signal.changed.wait(min(remaining_seconds, until_visible_seconds))

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
        if limit <= 0:
            return MoveOutcome()
        looked_up: dict[str | None, QueueRecord | None] = {}
        moved = 0
        # A pass stops at the first message bound for a destination not looked up yet; the lookup runs
        # between passes, outside the lock, since it may read this store. Every pass but the last
        # looks up one more destination, and each one found is then moved to, so passes are bounded.
        for _ in range(limit + 2):
            with self._transaction() as db:
                run = moves.move_messages(
                    db, queue, move, looked_up, now_ms=now_ms, retention_ms=retention_ms, limit=limit - moved
                )
            moved += run.moved
            for queue_id in run.changed_queue_ids:
                self._signals.announce(queue_id)
            if run.stop is not moves.Stop.UNRESOLVED:
                break
            looked_up[run.stop_arn] = destination(run.stop_arn)
        if run.stop is moves.Stop.MISSING:
            # A message without DeadLetterQueueSourceArn names no ARN; the caller's lookup knows which it missed.
            return MoveOutcome(moved=moved, missing_destination=run.stop_arn or "")
        return MoveOutcome(moved=moved)

    def delete_expired_messages(self, queue: QueueRecord, *, now_ms: int, retention_ms: int, limit: int) -> int:
        with self._transaction() as db:
            deleted, released = maintenance.delete_expired_messages(
                db, queue.queue_id, now_ms=now_ms, retention_ms=retention_ms, limit=limit
            )
        if released:
            self._signals.announce(queue.queue_id)
        return deleted

    def oldest_message_sent_at(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> int | None:
        with self._counting_lock:
            return maintenance.oldest_message_sent_at(
                self._counting_db, queue.queue_id, now_ms=now_ms, retention_ms=retention_ms
            )

    def reclaim_abandoned_messages(self, *, limit: int) -> int:
        with self._transaction() as db:
            return reclaim(db, limit=limit)

    def acquire_lease(self, name: str, *, holder: str, now_ms: int, expires_at_ms: int) -> bool:
        with self._transaction() as db:
            return maintenance.acquire_lease(db, name, holder=holder, now_ms=now_ms, expires_at_ms=expires_at_ms)

    def release_lease(self, name: str, *, holder: str) -> None:
        with self._transaction() as db:
            maintenance.release_lease(db, name, holder=holder)

    def load_cursor(self, name: str) -> str | None:
        with self._lock:
            return maintenance.load_cursor(self._db, name)

    def save_cursor(self, name: str, value: str | None) -> None:
        with self._transaction() as db:
            maintenance.save_cursor(db, name, value)

    # --- message-move tasks ----------------------------------------------------------------

    def start_move_task(self, task: MoveTask) -> bool:
        with self._transaction() as db:
            return tasks.start_move_task(db, task)

    def get_move_task(self, source_queue_id: str, task_id: str) -> MoveTask | None:
        with self._lock:
            return tasks.get_move_task(self._db, source_queue_id, task_id)

    def list_move_tasks(self, source_queue_id: str, limit: int) -> list[MoveTask]:
        with self._lock:
            return tasks.list_move_tasks(self._db, source_queue_id, limit)

    def active_move_tasks(self, limit: int) -> list[MoveTask]:
        with self._lock:
            return tasks.active_move_tasks(self._db, limit)

    def save_move_task(self, task: MoveTask) -> bool:
        with self._transaction() as db:
            return tasks.save_move_task(db, task)

    def delete_move_tasks(self, source_queue_id: str) -> None:
        with self._transaction() as db:
            tasks.delete_move_tasks(db, source_queue_id)

    # --- internals ----------------------------------------------------------------------

    def _announce_moves(self, dead_letter: DeadLetterTarget | None, moved: int) -> None:
        if dead_letter is not None and moved:
            self._signals.announce(dead_letter.queue.queue_id)
            if self._on_dead_letter_moves is not None:
                self._on_dead_letter_moves(moved)

    @contextmanager
    def _queues_transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction that may change queue records: cached ones are dropped before it runs."""
        with self._transaction() as db:
            self._queue_cache.clear()
            yield db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _seconds_until_next_visible(self, queue: QueueRecord) -> float | None:
        """Seconds until a message may be receivable (<= 0: one may be receivable now)."""
        # A FIFO message waiting behind its group's in-flight head is visible but not receivable:
        # only group heads tell when a FIFO queue has something to give.
        earliest = groups.earliest_head_visible_at if queue.fifo else message_statements.earliest_visible_at
        with self._lock:
            earliest_visible_at_ms = earliest(self._db, queue.queue_id)
        if earliest_visible_at_ms is None:
            return None
        return (earliest_visible_at_ms - self._clock.now_ms()) / 1000

    def _sweep_in_background(self) -> None:
        while not self._closed.is_set():
            self._sweep_requested.wait()
            self._sweep_requested.clear()
            while not self._closed.is_set() and self._sweep_chunk():
                self._closed.wait(SWEEP_PAUSE_SECONDS)

    def _sweep_chunk(self) -> bool:
        with self._transaction() as db:
            return sweep_chunk(db)


def _delete_message(db: sqlite3.Connection, queue_id: str, message_id: str) -> tuple[VisibilityOutcome, bool]:
    """Delete whatever its lease: CHANGED or GONE, and whether that released a FIFO group to receivers."""
    row = message_statements.live_message(db, queue_id, message_id)
    if row is None:
        return VisibilityOutcome.GONE, False
    db.execute("DELETE FROM messages WHERE rowid = ?", (row["rowid"],))
    released = row["group_id"] is not None and groups.refresh_head(db, queue_id, row["generation"], row["group_id"])
    return VisibilityOutcome.CHANGED, released


def _select_queue(db: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return db.execute("SELECT * FROM queues WHERE name = ?", (name,)).fetchone()
