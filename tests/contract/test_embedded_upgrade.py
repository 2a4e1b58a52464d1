"""An embedded store file of an older schema version upgrades in place: its data kept, the new features working."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dynaqueue.domain.model import MessageAttributeValue, MessageMove, NewMessage
from dynaqueue.storage import embedded_schema
from dynaqueue.storage.embedded import EmbeddedStore
from dynaqueue.storage.embedded_codec import encode_message_attributes, encode_strings
from dynaqueue.storage.embedded_schema import SCHEMA_VERSION, VERSION_2_SCHEMA
from tests.contract.builders import (
    RETENTION_MS,
    T0,
    bodies,
    claim,
    create_queue,
    move_messages,
    move_task,
    new_message,
    queue_record,
    to_queue,
)

VERSION_3_OBJECTS = {"messages_by_age", "messages_received", "leases", "cursors", "move_tasks", "move_tasks_one_active"}
VERSION_4_OBJECTS = {"message_contents", "message_contents_follow_their_message"}


def _insert_as_version_2_did(db: sqlite3.Connection, queue_id: str, message: NewMessage) -> None:
    """A message row as versions 2 and 3 wrote it: body and user attributes in the row itself."""
    db.execute(
        """
        INSERT INTO messages (queue_id, generation, message_id, body, attributes, system_attributes,
            sent_at_ms, visible_at_ms, receive_count)
        VALUES (?, 0, ?, ?, ?, ?, ?, ?, 0)
        """,
        (
            queue_id,
            message.message_id,
            message.body,
            encode_message_attributes(message.attributes),
            encode_strings(message.system_attributes),
            message.sent_at_ms,
            message.visible_at_ms,
        ),
    )


def _write_version_2_file(path: Path) -> str:
    """A file as version 2 of the store left it: one queue with two messages, one of them received once."""
    record = queue_record("orders")
    db = sqlite3.connect(path, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(f"BEGIN; {VERSION_2_SCHEMA} PRAGMA user_version = 2; COMMIT;")
    db.execute(
        """
        INSERT INTO queues (name, queue_id, fifo, attributes, tags, created_at_ms, last_modified_at_ms, generation)
        VALUES (?, ?, 0, ?, '{}', ?, ?, 0)
        """,
        (record.name, record.queue_id, encode_strings(record.attributes), T0, T0),
    )
    _insert_as_version_2_did(db, record.queue_id, new_message("received"))
    _insert_as_version_2_did(
        db, record.queue_id, new_message("fresh", attributes={"kind": MessageAttributeValue("String", "order")})
    )
    db.execute("UPDATE messages SET receive_count = 1, first_received_at_ms = ? WHERE body = 'received'", (T0,))
    db.close()
    return record.queue_id


def _schema_objects(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master")}


def test_a_version_2_file_upgrades_in_place_and_keeps_its_messages(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    queue_id = _write_version_2_file(path)
    assert not (VERSION_3_OBJECTS | VERSION_4_OBJECTS) & _schema_objects(path)

    store = EmbeddedStore(path)
    try:
        queue = store.get_queue("orders")
        assert queue is not None and queue.queue_id == queue_id
        dead = create_queue(store, "orders-dlq")
        move = MessageMove(redrive=False, source_arn="arn:aws:sqs:us-east-1:000000000000:orders", min_receive_count=1)
        assert move_messages(store, queue, move, to_queue(dead)).moved == 1
        assert bodies(claim(store, dead)) == ["received"]
        (fresh,) = claim(store, queue)
        assert (fresh.body, fresh.attributes) == ("fresh", {"kind": MessageAttributeValue("String", "order")})
        assert store.oldest_message_sent_at(queue, now_ms=T0, retention_ms=RETENTION_MS) == T0
        assert store.acquire_lease("run", holder="a", now_ms=T0, expires_at_ms=T0 + 1)
        assert store.start_move_task(move_task(dead))
    finally:
        store.close()

    assert _schema_objects(path) >= VERSION_3_OBJECTS | VERSION_4_OBJECTS
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        # The content moved out of the message rows; what remains there is blank.
        assert db.execute("SELECT DISTINCT body, attributes FROM messages").fetchall() == [("", "")]


def test_an_upgraded_file_reopens_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    _write_version_2_file(path)
    EmbeddedStore(path).close()

    store = EmbeddedStore(path)
    try:
        queue = store.get_queue("orders")
        assert queue is not None
        assert sorted(bodies(claim(store, queue))) == ["fresh", "received"]
    finally:
        store.close()


def test_a_failed_upgrade_leaves_the_file_at_version_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "store.db"
    _write_version_2_file(path)
    broken = dict(embedded_schema._MIGRATIONS)
    broken[2] = broken[2] + "\nCREATE TABLE leases (name TEXT);"  # fails: leases was just created
    monkeypatch.setattr(embedded_schema, "_MIGRATIONS", broken)

    with pytest.raises(sqlite3.OperationalError):
        EmbeddedStore(path)

    assert not VERSION_3_OBJECTS & _schema_objects(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
