"""The embedded store's SQLite file: tables, indexes, schema version and connection settings."""

from __future__ import annotations

import os
import sqlite3

SCHEMA_VERSION = 4

# The tables as schema version 2 left them; a new file starts here and takes every migration.
# Frozen: a later change goes into a new migration, so old files and new ones end up alike.
VERSION_2_SCHEMA = """
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY,
    queue_id TEXT NOT NULL UNIQUE,
    fifo INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    last_modified_at_ms INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    last_purged_at_ms INTEGER,
    -- The last FIFO sequence number given out; kept across purges so numbers never repeat.
    last_sequence INTEGER NOT NULL DEFAULT 0
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
    lease_token TEXT,
    -- FIFO messages only; NULL on standard queues.
    group_id TEXT,
    sequence INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_id ON messages (queue_id, message_id);
-- The ready index: a claim reads only the head of one queue generation in visibility order;
-- sent_at_ms and receive_count let counting run on the index alone.
CREATE INDEX IF NOT EXISTS messages_ready
    ON messages (queue_id, generation, visible_at_ms, sent_at_ms, receive_count);
-- A FIFO group's messages in sequence order; partial, so standard messages never pay for it.
CREATE INDEX IF NOT EXISTS messages_in_group
    ON messages (queue_id, generation, group_id, sequence) WHERE group_id IS NOT NULL;
-- One row per non-empty FIFO group: when its first message is visible. A claim searches only the
-- groups whose head is visible now, so blocked groups and backlogs cost it nothing.
CREATE TABLE IF NOT EXISTS fifo_groups (
    queue_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    head_visible_at_ms INTEGER NOT NULL,
    PRIMARY KEY (queue_id, generation, group_id)
);
CREATE INDEX IF NOT EXISTS fifo_groups_ready ON fifo_groups (queue_id, generation, head_visible_at_ms, group_id);
-- The first accepted send of each deduplication key; it outlives the message, not a purge.
CREATE TABLE IF NOT EXISTS fifo_deduplication (
    queue_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    deduplication_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    accepted_at_ms INTEGER NOT NULL,
    PRIMARY KEY (queue_id, generation, deduplication_key)
);
CREATE INDEX IF NOT EXISTS fifo_deduplication_by_age ON fifo_deduplication (queue_id, generation, accepted_at_ms);
CREATE TABLE IF NOT EXISTS fifo_receive_attempts (
    queue_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    attempt_id TEXT NOT NULL,
    leases TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (queue_id, generation, attempt_id)
);
CREATE INDEX IF NOT EXISTS fifo_receive_attempts_by_expiry
    ON fifo_receive_attempts (queue_id, generation, expires_at_ms);
-- Generations (below_generation, exclusive) whose rows are unreachable and still to be deleted.
CREATE TABLE IF NOT EXISTS abandoned_generations (
    queue_id TEXT NOT NULL,
    below_generation INTEGER NOT NULL,
    PRIMARY KEY (queue_id, below_generation)
);
"""

# Version 3: housekeeping (expiry by age, dead-letter moves of received messages, leases and
# cursors) and message-move tasks.
_TO_VERSION_3 = """
-- Expiry and the oldest message's age read a queue generation in sent order.
CREATE INDEX IF NOT EXISTS messages_by_age ON messages (queue_id, generation, sent_at_ms);
-- Only received messages can be over their receive limit; partial, so sends never pay for it and a
-- dead-letter move skips a backlog of messages nobody has received yet.
CREATE INDEX IF NOT EXISTS messages_received
    ON messages (queue_id, generation, visible_at_ms, sent_at_ms, receive_count) WHERE receive_count > 0;
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS move_tasks (
    source_queue_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    source_arn TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    messages_to_move INTEGER NOT NULL,
    destination_arn TEXT,
    max_per_second INTEGER,
    messages_moved INTEGER NOT NULL,
    failure_reason TEXT,
    progressed_at_ms INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    PRIMARY KEY (source_queue_id, task_id)
);
CREATE INDEX IF NOT EXISTS move_tasks_newest ON move_tasks (source_queue_id, started_at_ms, task_id);
-- At most one running or cancelling task per source queue, whoever races to start one.
CREATE UNIQUE INDEX IF NOT EXISTS move_tasks_one_active
    ON move_tasks (source_queue_id) WHERE status IN ('RUNNING', 'CANCELLING');
"""

# Version 4: message content (body and user attributes) in a table of its own. SQLite rewrites a
# row whole on every update, so each lease, visibility change or move rewrote the content with
# it, 64 KB bodies included; now they rewrite a row of about a hundred bytes. The old columns stay
# (dropping columns needs a newer SQLite than some Pythons ship) and hold '' from now on.
_TO_VERSION_4 = """
CREATE TABLE IF NOT EXISTS message_contents (
    message_rowid INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL
);
INSERT OR IGNORE INTO message_contents (message_rowid, body, attributes)
    SELECT rowid, body, attributes FROM messages WHERE body != '' OR attributes != '';
UPDATE messages SET body = '', attributes = '' WHERE body != '' OR attributes != '';
-- Whatever deletes a message (settling, expiry, sweeping, a move's duplicate) deletes its content.
CREATE TRIGGER IF NOT EXISTS message_contents_follow_their_message AFTER DELETE ON messages
BEGIN
    DELETE FROM message_contents WHERE message_rowid = old.rowid;
END;
"""

# Each entry takes a file from the version it is keyed by to the next one.
_MIGRATIONS = {0: VERSION_2_SCHEMA, 2: _TO_VERSION_3, 3: _TO_VERSION_4}
_NEXT_VERSION = {0: 2, 2: 3, 3: 4}


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    # In WAL mode NORMAL survives any process crash; only an OS crash or power loss can roll back
    # the last commits, a fair price for not syncing the disk on every message.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA busy_timeout = 5000")
    return db


def create_schema(db: sqlite3.Connection, path: str | os.PathLike[str]) -> None:
    """Create the tables of a new file or upgrade an older one in place; refuse an unknown version.

    Each step is one transaction that also records its version, so a crash mid-upgrade leaves the
    file at the last completed version. The statements are idempotent, so a second process
    opening the file at the same time repeats a step harmlessly.
    """
    version = _version(db)
    if version != SCHEMA_VERSION and version not in _MIGRATIONS:
        raise ValueError(f"{os.fspath(path)} holds a store of schema version {version}, not {SCHEMA_VERSION}")
    while version != SCHEMA_VERSION:
        try:
            db.executescript(
                f"BEGIN IMMEDIATE; {_MIGRATIONS[version]} PRAGMA user_version = {_NEXT_VERSION[version]}; COMMIT;"
            )
        except sqlite3.Error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        version = _version(db)


def _version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]
