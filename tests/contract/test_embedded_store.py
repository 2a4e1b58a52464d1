"""What only the embedded store promises: durability in one file, timed wake-ups, purge edges, sweeping."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dynaqueue.domain.errors import QueueDoesNotExist
from dynaqueue.domain.model import (
    FifoPutResult,
    LeasedReceipt,
    MessageAttributeValue,
    MessageCounts,
    PurgeOutcome,
    VisibilityOutcome,
)
from dynaqueue.storage.embedded import EmbeddedStore
from tests.fakes import FakeClock

from .builders import (
    DEDUP_WINDOW_MS,
    RETENTION_MS,
    T0,
    bodies,
    claim,
    claim_fifo,
    create_fifo_queue,
    create_queue,
    dead_letter_target,
    ids,
    new_fifo_message,
    new_message,
    put,
    put_fifo,
    queue_record,
)

JOIN_SECONDS = 10.0
LONG_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05
POLLS = 200
# Gives a waiting thread the time to block (or to return, if it wrongly would).
SETTLE_SECONDS = 0.2

Reopen = Callable[[], EmbeddedStore]


@pytest.fixture
def embedded(reopen: Reopen) -> Iterator[EmbeddedStore]:
    store = reopen()
    yield store
    store.close()


def _start(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _stored_message_rows(path: Path) -> int:
    return _rows(path, "messages")


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[tuple[EmbeddedStore, FakeClock]]:
    """A store whose wait timer runs on a fake clock starting at T0, the instant the claims use."""
    clock = FakeClock(start_ms=T0)
    store = EmbeddedStore(tmp_path / "store.db", clock=clock)
    yield store, clock
    store.close()


def test_everything_survives_close_and_reopen(reopen: Reopen) -> None:
    store = reopen()
    create_queue(store, "gone")
    store.delete_queue("gone", now_ms=T0 + 1)
    store.create_queue(queue_record("orders", tags={"team": "payments"}))
    store.update_queue("orders", attributes={"VisibilityTimeout": "60"}, modified_at_ms=T0 + 2)
    store.purge_queue("orders", now_ms=T0 + 3, min_interval_ms=60_000)
    record = store.get_queue("orders")
    assert record is not None
    attributes = {
        "picture": MessageAttributeValue("Binary.gif", binary_value=b"GIF89a\x00\xff"),
        "price": MessageAttributeValue("Number.float", string_value="1.5"),
    }
    leased, visible, delayed = put(
        store,
        record,
        new_message("leased", sent_at_ms=T0 + 5),
        new_message("visible \U0001f600", sent_at_ms=T0 + 10, attributes=attributes, system_attributes={"k": "v"}),
        new_message("delayed", sent_at_ms=T0 + 10, visible_at_ms=T0 + 900_000),
    )
    claim(store, record, now_ms=T0 + 5, visibility_timeout_ms=0)
    (lease,) = claim(store, record, now_ms=T0 + 6, visibility_timeout_ms=60_000)
    counts = store.count_messages(record, now_ms=T0 + 30, retention_ms=RETENTION_MS)
    store.close()

    store = reopen()
    try:
        assert store.get_queue("orders") == record
        assert store.list_queue_names("", None, 10) == ["orders"]
        assert store.queue_deleted_at("gone") == T0 + 1
        assert store.count_messages(record, now_ms=T0 + 30, retention_ms=RETENTION_MS) == counts
        assert counts == MessageCounts(visible=1, in_flight=1, delayed=1)
        (claimed,) = claim(store, record, now_ms=T0 + 30)
        assert (claimed.message_id, claimed.body, claimed.attributes, claimed.system_attributes) == (
            visible.message_id,
            visible.body,
            attributes,
            {"k": "v"},
        )
        assert lease.message_id == leased.message_id
        assert (
            store.change_visibility(record, lease.message_id, lease_token=lease.lease_token, visible_at_ms=T0 + 40)
            is VisibilityOutcome.CHANGED
        )
        (again,) = claim(store, record, now_ms=T0 + 40)
        assert (again.message_id, again.receive_count, again.first_received_at_ms) == (lease.message_id, 3, T0 + 5)
        assert ids(claim(store, record, now_ms=T0 + 900_000)) == ids([leased, visible, delayed])
    finally:
        store.close()


def test_a_cleanly_closed_store_is_one_file(reopen: Reopen, tmp_path: Path) -> None:
    store = reopen()
    put(store, create_queue(store), new_message())

    store.close()

    assert [path.name for path in tmp_path.iterdir()] == ["store.db"]


def test_a_file_of_another_schema_version_is_refused(reopen: Reopen, tmp_path: Path) -> None:
    reopen().close()
    with sqlite3.connect(tmp_path / "store.db") as db:
        db.execute("PRAGMA user_version = 99")

    with pytest.raises(ValueError, match="schema version 99"):
        reopen()


def test_purge_spares_a_message_stamped_after_its_instant(embedded: EmbeddedStore) -> None:
    record = create_queue(embedded)
    racing = put(embedded, record, new_message("sent while the purge ran", sent_at_ms=T0 + 1_001))

    embedded.purge_queue("orders", now_ms=T0 + 1_000, min_interval_ms=60_000)

    purged = embedded.get_queue("orders")
    assert purged is not None
    assert ids(claim(embedded, purged, now_ms=T0 + 2_000)) == ids(racing)


def test_a_record_read_before_a_purge_reaches_only_the_live_generation(embedded: EmbeddedStore) -> None:
    before_purge = create_queue(embedded)
    put(embedded, before_purge, new_message("purged"))
    embedded.purge_queue("orders", now_ms=T0 + 1_000, min_interval_ms=60_000)

    kept = put(embedded, before_purge, new_message("sent with the old record", sent_at_ms=T0 + 2_000))

    assert ids(claim(embedded, before_purge, now_ms=T0 + 3_000)) == ids(kept)


def test_expired_messages_met_by_a_claim_are_deleted(embedded: EmbeddedStore) -> None:
    record = create_queue(embedded)
    expired = put(embedded, record, new_message("expired", sent_at_ms=T0 - RETENTION_MS - 1))

    assert claim(embedded, record) == []
    assert not embedded.delete_message(record, expired[0].message_id)


def test_wait_ends_when_the_next_message_becomes_visible(tmp_path: Path) -> None:
    clock = FakeClock(start_ms=T0)
    store = EmbeddedStore(tmp_path / "store.db", clock=clock)
    try:
        record = create_queue(store)
        delayed = put(store, record, new_message(visible_at_ms=T0 + 200))
        token = store.availability_token(record)
        waiter = _start(lambda: store.wait_for_messages(record, token=token, timeout_seconds=LONG_WAIT_SECONDS))

        clock.advance(1)

        waiter.join(JOIN_SECONDS)
        assert not waiter.is_alive()
        assert ids(claim(store, record, now_ms=clock.now_ms())) == ids(delayed)
    finally:
        store.close()


def test_wait_returns_at_once_while_a_message_is_visible(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store.db", clock=FakeClock(start_ms=T0))
    try:
        record = create_queue(store)
        put(store, record, new_message(visible_at_ms=T0))
        token = store.availability_token(record)

        waiter = _start(lambda: store.wait_for_messages(record, token=token, timeout_seconds=LONG_WAIT_SECONDS))

        waiter.join(JOIN_SECONDS)
        assert not waiter.is_alive()
    finally:
        store.close()


def test_deleting_a_queue_wakes_its_waiting_receivers(embedded: EmbeddedStore) -> None:
    record = create_queue(embedded)
    token = embedded.availability_token(record)
    waiter = _start(lambda: embedded.wait_for_messages(record, token=token, timeout_seconds=LONG_WAIT_SECONDS))

    embedded.delete_queue("orders", now_ms=T0)

    waiter.join(JOIN_SECONDS)
    assert not waiter.is_alive()


def test_purged_and_deleted_messages_are_swept_from_the_file_even_across_a_restart(
    reopen: Reopen, tmp_path: Path
) -> None:
    store = reopen()
    purged, deleted, live = create_queue(store, "purged"), create_queue(store, "deleted"), create_queue(store, "live")
    for queue in (purged, deleted):
        for _ in range(6):
            put(store, queue, *(new_message() for _ in range(100)))
    kept = put(store, live, new_message("kept"))
    assert store.purge_queue("purged", now_ms=T0, min_interval_ms=60_000) is PurgeOutcome.PURGED
    assert store.delete_queue("deleted", now_ms=T0)
    store.close()

    store = reopen()
    try:
        for _ in range(POLLS):
            if _stored_message_rows(tmp_path / "store.db") == len(kept):
                break
            time.sleep(POLL_SECONDS)
        assert _stored_message_rows(tmp_path / "store.db") == len(kept)
        assert _rows(tmp_path / "store.db", "message_contents") == len(kept)
        assert ids(claim(store, live)) == ids(kept)
    finally:
        store.close()


def test_a_message_content_leaves_the_file_with_its_message(embedded: EmbeddedStore, tmp_path: Path) -> None:
    record = create_queue(embedded)
    deleted, _expired, kept = put(
        embedded,
        record,
        new_message("deleted"),
        new_message("expired", sent_at_ms=T0 - RETENTION_MS - 1),
        new_message(),
    )
    assert embedded.delete_message(record, deleted.message_id)

    (received,) = claim(embedded, record, now_ms=T0, max_count=1)

    assert received.message_id == kept.message_id
    assert _rows(tmp_path / "store.db", "messages") == _rows(tmp_path / "store.db", "message_contents") == 1


def test_a_queue_changed_through_another_connection_is_read_afresh(reopen: Reopen) -> None:
    reader, writer = reopen(), reopen()
    try:
        create_queue(reader, "orders")
        assert reader.get_queue("orders").attributes["VisibilityTimeout"] == "30"

        writer.update_queue("orders", attributes={**writer.get_queue("orders").attributes, "VisibilityTimeout": "5"})
        assert reader.get_queue("orders").attributes["VisibilityTimeout"] == "5"
        assert writer.delete_queue("orders", now_ms=T0)
        assert reader.get_queue("orders") is None
    finally:
        writer.close()
        reader.close()


def test_moves_made_by_a_claim_are_told_to_the_observer(tmp_path: Path) -> None:
    heard: list[int] = []
    store = EmbeddedStore(tmp_path / "observed.db", on_dead_letter_moves=heard.append)
    try:
        work, dead = create_queue(store, "work"), create_queue(store, "dead")
        put(store, work, new_message("a"), new_message("b"))
        assert len(claim(store, work, now_ms=T0, dead_letter=dead_letter_target(dead))) == 2
        assert heard == []

        assert claim(store, work, now_ms=T0 + 60_000, dead_letter=dead_letter_target(dead)) == []

        assert heard == [2]
        assert sorted(bodies(claim(store, dead, now_ms=T0 + 60_000))) == ["a", "b"]
    finally:
        store.close()


def test_producers_and_consumers_in_many_threads_deliver_each_message_once(embedded: EmbeddedStore) -> None:
    producers, consumers, per_producer = 4, 12, 250
    record = create_queue(embedded)
    claimed: list[str] = []
    claimed_lock = threading.Lock()
    all_sent = threading.Event()

    def produce() -> None:
        for _ in range(per_producer // 10):
            put(embedded, record, *(new_message() for _ in range(10)))

    def consume() -> None:
        for _ in range(producers * per_producer):
            batch = claim(embedded, record, max_count=10)
            with claimed_lock:
                claimed.extend(message.message_id for message in batch)
            for message in batch:
                assert embedded.delete_message(record, message.message_id)
            if not batch and all_sent.is_set():
                return

    producer_threads = [_start(produce) for _ in range(producers)]
    consumer_threads = [_start(consume) for _ in range(consumers)]
    for thread in producer_threads:
        thread.join(LONG_WAIT_SECONDS)
    all_sent.set()
    for thread in consumer_threads:
        thread.join(LONG_WAIT_SECONDS)

    assert not any(thread.is_alive() for thread in producer_threads + consumer_threads)
    assert len(claimed) == len(set(claimed)) == producers * per_producer
    assert embedded.count_messages(record, now_ms=T0, retention_ms=RETENTION_MS) == MessageCounts()


# --- FIFO queues ------------------------------------------------------------------------


def test_fifo_state_survives_close_and_reopen(reopen: Reopen) -> None:
    store = reopen()
    record = create_fifo_queue(store)
    original, _ = put_fifo(store, record, new_fifo_message("g1-0", deduplication_key="k"), new_fifo_message("g1-1"))
    (leased,) = claim_fifo(store, record, max_count=1)
    attempt = [LeasedReceipt(leased.message_id, leased.lease_token, T0)]
    store.remember_receive_attempt(record, "attempt", attempt, expires_at_ms=T0 + 300_000)
    store.close()

    store = reopen()
    try:
        duplicate, later = put_fifo(
            store, record, new_fifo_message("again", deduplication_key="k"), new_fifo_message("g1-2")
        )
        assert duplicate == FifoPutResult(original.message_id, original.sequence_number, duplicate=True)
        assert int(later.sequence_number) > int(original.sequence_number)
        assert claim_fifo(store, record, now_ms=T0 + 1) == []
        assert store.recall_receive_attempt(record, "attempt", now_ms=T0 + 1) == attempt
        assert store.get_leased_messages(record, attempt) == [leased]
        outcome = store.delete_leased_message(record, leased.message_id, lease_token=leased.lease_token, now_ms=T0 + 1)
        assert outcome is VisibilityOutcome.CHANGED
        assert bodies(claim_fifo(store, record, now_ms=T0 + 1)) == ["g1-1", "g1-2"]
    finally:
        store.close()


@pytest.mark.parametrize("release", ["delete the head", "make the head visible"])
def test_releasing_a_group_head_wakes_waiting_receivers(clocked: tuple[EmbeddedStore, FakeClock], release: str) -> None:
    store, _ = clocked
    record = create_fifo_queue(store)
    put_fifo(store, record, *(new_fifo_message(f"g1-{index}") for index in range(2)))
    (head,) = claim_fifo(store, record, max_count=1)
    token = store.availability_token(record)
    waiter = _start(lambda: store.wait_for_messages(record, token=token, timeout_seconds=LONG_WAIT_SECONDS))
    time.sleep(SETTLE_SECONDS)
    assert waiter.is_alive()

    if release == "delete the head":
        store.delete_leased_message(record, head.message_id, lease_token=head.lease_token, now_ms=T0)
    else:
        store.change_visibility(
            record, head.message_id, lease_token=head.lease_token, visible_at_ms=T0, in_flight_at_ms=T0
        )

    waiter.join(JOIN_SECONDS)
    assert not waiter.is_alive()
    assert claim_fifo(store, record) != []


def test_a_long_poll_ends_when_a_fifo_lease_runs_out(clocked: tuple[EmbeddedStore, FakeClock]) -> None:
    store, clock = clocked
    record = create_fifo_queue(store)
    put_fifo(store, record, *(new_fifo_message(f"g1-{index}") for index in range(2)))
    claim_fifo(store, record, visibility_timeout_ms=200)
    token = store.availability_token(record)
    waiter = _start(lambda: store.wait_for_messages(record, token=token, timeout_seconds=LONG_WAIT_SECONDS))

    clock.advance(1)

    waiter.join(JOIN_SECONDS)
    assert not waiter.is_alive()
    assert bodies(claim_fifo(store, record, now_ms=clock.now_ms())) == ["g1-0", "g1-1"]


def test_a_purge_keeps_fifo_sends_stamped_after_its_instant(embedded: EmbeddedStore) -> None:
    record = create_fifo_queue(embedded)
    (racing,) = put_fifo(
        embedded, record, new_fifo_message("racing", deduplication_key="k", sent_at_ms=T0 + 1_001), now_ms=T0 + 1_001
    )

    embedded.purge_queue("orders.fifo", now_ms=T0 + 1_000, min_interval_ms=60_000)

    purged = embedded.get_queue("orders.fifo")
    assert purged is not None
    (again,) = put_fifo(embedded, purged, new_fifo_message("again", deduplication_key="k"), now_ms=T0 + 2_000)
    assert again == FifoPutResult(racing.message_id, racing.sequence_number, duplicate=True)
    assert bodies(claim_fifo(embedded, purged, now_ms=T0 + 2_000)) == ["racing"]


def test_fifo_rows_of_purged_and_deleted_queues_are_swept(embedded: EmbeddedStore, tmp_path: Path) -> None:
    purged, deleted, live = (create_fifo_queue(embedded, f"{name}.fifo") for name in ("purged", "deleted", "live"))
    for queue in (purged, deleted, live):
        put_fifo(embedded, queue, *(new_fifo_message(group_id=f"g{index}") for index in range(3)))
        embedded.remember_receive_attempt(queue, "attempt", [], expires_at_ms=T0 + 300_000)

    assert embedded.purge_queue("purged.fifo", now_ms=T0 + 1, min_interval_ms=60_000) is PurgeOutcome.PURGED
    assert embedded.delete_queue("deleted.fifo", now_ms=T0 + 1)

    expected = {"messages": 3, "fifo_groups": 3, "fifo_deduplication": 3, "fifo_receive_attempts": 1}
    for _ in range(POLLS):
        if {table: _rows(tmp_path / "store.db", table) for table in expected} == expected:
            break
        time.sleep(POLL_SECONDS)
    assert {table: _rows(tmp_path / "store.db", table) for table in expected} == expected


def test_expired_deduplication_records_and_attempts_are_forgotten(embedded: EmbeddedStore, tmp_path: Path) -> None:
    record = create_fifo_queue(embedded)
    put_fifo(embedded, record, *(new_fifo_message() for _ in range(5)))
    for attempt in ("a1", "a2", "a3"):
        embedded.remember_receive_attempt(record, attempt, [], expires_at_ms=T0 + 1_000)

    put_fifo(embedded, record, new_fifo_message(), now_ms=T0 + DEDUP_WINDOW_MS)
    embedded.recall_receive_attempt(record, "a1", now_ms=T0 + 1_000)

    assert _rows(tmp_path / "store.db", "fifo_deduplication") == 1
    assert _rows(tmp_path / "store.db", "fifo_receive_attempts") == 0


def test_a_fifo_put_to_a_deleted_queue_is_refused(embedded: EmbeddedStore) -> None:
    record = create_fifo_queue(embedded)
    embedded.delete_queue("orders.fifo", now_ms=T0)

    with pytest.raises(QueueDoesNotExist):
        put_fifo(embedded, record, new_fifo_message())
    assert claim_fifo(embedded, record) == []
