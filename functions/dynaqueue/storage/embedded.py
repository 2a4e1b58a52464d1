"""The local default store: queues and messages in one SQLite file, long polls woken in-process."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from dynaqueue.domain.clock import Clock, SystemClock
from dynaqueue.domain.model import (
    MessageAttributeValue,
    MessageCounts,
    NewMessage,
    PurgeOutcome,
    QueueRecord,
    StoredMessage,
    VisibilityOutcome,
)

SCHEMA_VERSION = 1

# Rows a claim may look at beyond the ones it leases: expired messages met at the head are deleted
# on the way, and this bound keeps one claim's work independent of how many have expired.
EXPIRED_ROWS_PER_CLAIM = 100

# Purged generations and deleted queues are unreachable at once and deleted in the background,
# a chunk per transaction with a pause after each, so requests never wait behind a whole backlog.
SWEEP_CHUNK_ROWS = 200
SWEEP_PAUSE_SECONDS = 0.002

_SCHEMA = f"""
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY,
    queue_id TEXT NOT NULL UNIQUE,
    fifo INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    last_modified_at_ms INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    last_purged_at_ms INTEGER
);
CREATE TABLE IF NOT EXISTS deleted_queues (
    name TEXT PRIMARY KEY,
    deleted_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    queue_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL,
    system_attributes TEXT NOT NULL,
    sent_at_ms INTEGER NOT NULL,
    visible_at_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL,
    first_received_at_ms INTEGER,
    lease_token TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_id ON messages (queue_id, message_id);
-- The ready index: a claim reads only the head of one queue generation in visibility order;
-- sent_at_ms and receive_count let counting run on the index alone.
CREATE INDEX IF NOT EXISTS messages_ready
    ON messages (queue_id, generation, visible_at_ms, sent_at_ms, receive_count);
-- Generations (below_generation, exclusive) whose rows are unreachable and still to be deleted.
CREATE TABLE IF NOT EXISTS abandoned_generations (
    queue_id TEXT NOT NULL,
    below_generation INTEGER NOT NULL,
    PRIMARY KEY (queue_id, below_generation)
);
PRAGMA user_version = {SCHEMA_VERSION};
COMMIT;
"""

_CURRENT_GENERATION = "(SELECT generation FROM queues WHERE queue_id = :queue_id)"

_CLAIM_CANDIDATES = f"""
SELECT rowid, sent_at_ms FROM messages
WHERE queue_id = :queue_id AND generation = {_CURRENT_GENERATION} AND visible_at_ms <= :now_ms
ORDER BY visible_at_ms
LIMIT :limit
"""

_LEASE = """
UPDATE messages
SET visible_at_ms = :visible_at_ms,
    receive_count = receive_count + 1,
    first_received_at_ms = COALESCE(first_received_at_ms, :now_ms),
    lease_token = :lease_token
WHERE rowid = :rowid
RETURNING message_id, body, attributes, system_attributes, sent_at_ms, receive_count, first_received_at_ms,
    lease_token
"""

_COUNT = f"""
SELECT
    COALESCE(SUM(visible_at_ms <= :now_ms), 0),
    COALESCE(SUM(visible_at_ms > :now_ms AND receive_count > 0), 0),
    COALESCE(SUM(visible_at_ms > :now_ms AND receive_count = 0), 0)
FROM messages
WHERE queue_id = :queue_id AND generation = {_CURRENT_GENERATION} AND sent_at_ms >= :oldest_sent_at_ms
"""

_EARLIEST_VISIBLE_AT = f"""
SELECT MIN(visible_at_ms) FROM messages WHERE queue_id = :queue_id AND generation = {_CURRENT_GENERATION}
"""


class EmbeddedStore:
    """A `QueueStore` in one SQLite file, safe for many threads of one process.

    One connection serves every thread under one lock, so each operation is one serialized
    transaction: a claim can never hand a message to two callers. Counting, the only read that
    grows with the backlog, runs on a second connection that the write-ahead log lets read
    alongside the writer. Long polls wait on a condition per queue and are woken by puts, not
    by polling the file.
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Clock | None = None) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The clock only turns visibility instants into wait durations; stored instants always
        # come from the caller's now_ms, so it must be the clock the service uses.
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._db = _connect(path)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._create_schema(path)
        self._counting_lock = threading.Lock()
        self._counting_db = _connect(path)
        self._signals = _QueueSignals()
        self._closed = threading.Event()
        self._sweep_requested = threading.Event()
        self._sweep_requested.set()  # resume whatever a previous run left to sweep
        self._sweeper = threading.Thread(target=self._sweep_in_background, name="embedded-store-sweeper", daemon=True)
        self._sweeper.start()

    def close(self) -> None:
        """Stop sweeping, fold the write-ahead log into the database file and close it."""
        self._closed.set()
        self._sweep_requested.set()
        self._sweeper.join()
        with self._counting_lock:
            self._counting_db.close()
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()

    # --- queues -------------------------------------------------------------------------

    def create_queue(self, record: QueueRecord) -> tuple[QueueRecord, bool]:
        with self._transaction() as db:
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
                    "attributes": _encode_strings(record.attributes),
                    "tags": _encode_strings(record.tags),
                    "created_at_ms": record.created_at_ms,
                    "last_modified_at_ms": record.last_modified_at_ms,
                    "generation": record.generation,
                    "last_purged_at_ms": record.last_purged_at_ms,
                },
            ).rowcount
            existing = None if inserted else _select_queue(db, record.name)
        if existing is None:
            return record, True
        return _queue_record(existing), False

    def get_queue(self, name: str) -> QueueRecord | None:
        with self._lock:
            row = _select_queue(self._db, name)
        return None if row is None else _queue_record(row)

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
            changes["attributes"] = _encode_strings(attributes)
        if tags is not None:
            changes["tags"] = _encode_strings(tags)
        if modified_at_ms is not None:
            changes["last_modified_at_ms"] = modified_at_ms
        with self._transaction() as db:
            if changes:
                assignments = ", ".join(f"{column} = :{column}" for column in changes)
                db.execute(f"UPDATE queues SET {assignments} WHERE name = :name", {**changes, "name": name})
            row = _select_queue(db, name)
        return None if row is None else _queue_record(row)

    def delete_queue(self, name: str, *, now_ms: int) -> bool:
        with self._transaction() as db:
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
            _abandon_generations(db, row["queue_id"], below_generation=row["generation"] + 1)
        self._signals.retire(row["queue_id"])
        self._sweep_requested.set()
        return True

    def queue_deleted_at(self, name: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT deleted_at_ms FROM deleted_queues WHERE name = ?", (name,)).fetchone()
        return None if row is None else row["deleted_at_ms"]

    def purge_queue(self, name: str, *, now_ms: int, min_interval_ms: int) -> PurgeOutcome:
        with self._transaction() as db:
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
            _abandon_generations(db, queue_id, below_generation=old_generation + 1)
        self._sweep_requested.set()
        return PurgeOutcome.PURGED

    # --- messages -----------------------------------------------------------------------

    def put_messages(self, queue: QueueRecord, messages: Sequence[NewMessage]) -> None:
        # Messages join the stored generation, not the caller's: a record read before a purge
        # must not send messages into the purged generation.
        with self._transaction() as db:
            db.executemany(
                """
                INSERT INTO messages (queue_id, generation, message_id, body, attributes, system_attributes,
                    sent_at_ms, visible_at_ms, receive_count)
                SELECT :queue_id, generation, :message_id, :body, :attributes, :system_attributes,
                    :sent_at_ms, :visible_at_ms, 0
                FROM queues WHERE queue_id = :queue_id
                """,
                [
                    {
                        "queue_id": queue.queue_id,
                        "message_id": message.message_id,
                        "body": message.body,
                        "attributes": _encode_message_attributes(message.attributes),
                        "system_attributes": _encode_strings(message.system_attributes),
                        "sent_at_ms": message.sent_at_ms,
                        "visible_at_ms": message.visible_at_ms,
                    }
                    for message in messages
                ],
            )
        self._signals.announce(queue.queue_id)

    def claim_messages(
        self,
        queue: QueueRecord,
        *,
        now_ms: int,
        max_count: int,
        visibility_timeout_ms: int,
        retention_ms: int,
    ) -> list[StoredMessage]:
        oldest_sent_at_ms = now_ms - retention_ms
        claimed: list[StoredMessage] = []
        with self._transaction() as db:
            candidates = db.execute(
                _CLAIM_CANDIDATES,
                {"queue_id": queue.queue_id, "now_ms": now_ms, "limit": max_count + EXPIRED_ROWS_PER_CLAIM},
            ).fetchall()
            expired = [(row["rowid"],) for row in candidates if row["sent_at_ms"] < oldest_sent_at_ms]
            db.executemany("DELETE FROM messages WHERE rowid = ?", expired)
            for row in candidates:
                if len(claimed) == max_count:
                    break
                if row["sent_at_ms"] < oldest_sent_at_ms:
                    continue
                leased = db.execute(
                    _LEASE,
                    {
                        "rowid": row["rowid"],
                        "now_ms": now_ms,
                        "visible_at_ms": now_ms + visibility_timeout_ms,
                        "lease_token": uuid.uuid4().hex,
                    },
                ).fetchone()
                claimed.append(_stored_message(leased))
        return claimed

    def delete_message(self, queue: QueueRecord, message_id: str) -> bool:
        with self._transaction() as db:
            deleted = db.execute(
                f"""
                DELETE FROM messages
                WHERE queue_id = :queue_id AND message_id = :message_id AND generation = {_CURRENT_GENERATION}
                """,
                {"queue_id": queue.queue_id, "message_id": message_id},
            ).rowcount
        return deleted > 0

    def change_visibility(
        self,
        queue: QueueRecord,
        message_id: str,
        *,
        lease_token: str,
        visible_at_ms: int,
    ) -> VisibilityOutcome:
        with self._transaction() as db:
            row = db.execute(
                f"""
                SELECT rowid, lease_token, visible_at_ms FROM messages
                WHERE queue_id = :queue_id AND message_id = :message_id AND generation = {_CURRENT_GENERATION}
                """,
                {"queue_id": queue.queue_id, "message_id": message_id},
            ).fetchone()
            if row is None:
                return VisibilityOutcome.GONE
            if row["lease_token"] != lease_token:
                return VisibilityOutcome.STALE
            db.execute("UPDATE messages SET visible_at_ms = ? WHERE rowid = ?", (visible_at_ms, row["rowid"]))
        if visible_at_ms < row["visible_at_ms"]:
            self._signals.announce(queue.queue_id)
        return VisibilityOutcome.CHANGED

    def count_messages(self, queue: QueueRecord, *, now_ms: int, retention_ms: int) -> MessageCounts:
        with self._counting_lock:
            visible, in_flight, delayed = self._counting_db.execute(
                _COUNT,
                {"queue_id": queue.queue_id, "now_ms": now_ms, "oldest_sent_at_ms": now_ms - retention_ms},
            ).fetchone()
        return MessageCounts(visible=visible, in_flight=in_flight, delayed=delayed)

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
                until_visible_seconds = self._seconds_until_next_visible(queue.queue_id)
                if until_visible_seconds is None:
                    until_visible_seconds = remaining_seconds
                elif until_visible_seconds <= 0:
                    return
                signal.changed.wait(min(remaining_seconds, until_visible_seconds))

    # --- internals ----------------------------------------------------------------------

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

    def _create_schema(self, path: str | os.PathLike[str]) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise ValueError(f"{os.fspath(path)} holds a store of schema version {version}, not {SCHEMA_VERSION}")
        self._db.executescript(_SCHEMA)

    def _seconds_until_next_visible(self, queue_id: str) -> float | None:
        """Seconds until the queue's earliest message is visible (<= 0: one may be visible now)."""
        with self._lock:
            earliest_visible_at_ms = self._db.execute(_EARLIEST_VISIBLE_AT, {"queue_id": queue_id}).fetchone()[0]
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
        """Delete some rows of one abandoned generation; False when nothing is left to sweep."""
        with self._transaction() as db:
            abandoned = db.execute("SELECT queue_id, below_generation FROM abandoned_generations LIMIT 1").fetchone()
            if abandoned is None:
                return False
            deleted = db.execute(
                """
                DELETE FROM messages WHERE rowid IN (
                    SELECT rowid FROM messages WHERE queue_id = ? AND generation < ? LIMIT ?
                )
                """,
                (abandoned["queue_id"], abandoned["below_generation"], SWEEP_CHUNK_ROWS),
            ).rowcount
            if deleted < SWEEP_CHUNK_ROWS:
                db.execute(
                    "DELETE FROM abandoned_generations WHERE queue_id = ? AND below_generation = ?",
                    (abandoned["queue_id"], abandoned["below_generation"]),
                )
            return True


class _QueueSignal:
    """The availability token of one queue and the condition its long polls wait on."""

    __slots__ = ("changed", "token")

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.token = 0


class _QueueSignals:
    """Availability tokens per queue id; a changed token wakes every long poll of that queue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_queue_id: dict[str, _QueueSignal] = {}

    def token(self, queue_id: str) -> int:
        return self._signal(queue_id).token

    @contextmanager
    def waiting(self, queue_id: str) -> Iterator[_QueueSignal]:
        signal = self._signal(queue_id)
        with signal.changed:
            yield signal

    def announce(self, queue_id: str) -> None:
        signal = self._signal(queue_id)
        with signal.changed:
            signal.token += 1
            signal.changed.notify_all()

    def retire(self, queue_id: str) -> None:
        """Wake the long polls of a deleted queue and forget it."""
        self.announce(queue_id)
        with self._lock:
            self._by_queue_id.pop(queue_id, None)

    def _signal(self, queue_id: str) -> _QueueSignal:
        with self._lock:
            signal = self._by_queue_id.get(queue_id)
            if signal is None:
                signal = self._by_queue_id[queue_id] = _QueueSignal()
            return signal


def _connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    # In WAL mode NORMAL survives any process crash; only an OS crash or power loss can roll back
    # the last commits, a fair price for not syncing the disk on every message.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA busy_timeout = 5000")
    return db


def _abandon_generations(db: sqlite3.Connection, queue_id: str, *, below_generation: int) -> None:
    db.execute(
        "INSERT OR IGNORE INTO abandoned_generations (queue_id, below_generation) VALUES (?, ?)",
        (queue_id, below_generation),
    )


def _select_queue(db: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return db.execute("SELECT * FROM queues WHERE name = ?", (name,)).fetchone()


def _queue_record(row: sqlite3.Row) -> QueueRecord:
    return QueueRecord(
        name=row["name"],
        queue_id=row["queue_id"],
        fifo=bool(row["fifo"]),
        attributes=json.loads(row["attributes"]),
        tags=json.loads(row["tags"]),
        created_at_ms=row["created_at_ms"],
        last_modified_at_ms=row["last_modified_at_ms"],
        generation=row["generation"],
        last_purged_at_ms=row["last_purged_at_ms"],
    )


def _stored_message(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(
        message_id=row["message_id"],
        body=row["body"],
        attributes=_decode_message_attributes(row["attributes"]),
        system_attributes=json.loads(row["system_attributes"]),
        sent_at_ms=row["sent_at_ms"],
        receive_count=row["receive_count"],
        first_received_at_ms=row["first_received_at_ms"],
        lease_token=row["lease_token"],
    )


def _encode_strings(values: Mapping[str, str]) -> str:
    return json.dumps(dict(values), ensure_ascii=False)


def _encode_message_attributes(attributes: Mapping[str, MessageAttributeValue]) -> str:
    return json.dumps(
        {
            name: {
                "data_type": value.data_type,
                "string_value": value.string_value,
                "binary_value": None if value.binary_value is None else base64.b64encode(value.binary_value).decode(),
            }
            for name, value in attributes.items()
        },
        ensure_ascii=False,
    )


def _decode_message_attributes(encoded: str) -> dict[str, MessageAttributeValue]:
    return {
        name: MessageAttributeValue(
            data_type=value["data_type"],
            string_value=value["string_value"],
            binary_value=None if value["binary_value"] is None else base64.b64decode(value["binary_value"]),
        )
        for name, value in json.loads(encoded).items()
    }
