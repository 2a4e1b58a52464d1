"""What the housekeeping run needs from a store: expiry, the oldest message, storage reclaim, leases, cursors."""

from __future__ import annotations

import threading

import pytest

from dynaqueue.domain.model import NewMessage, PurgeOutcome, QueueRecord
from dynaqueue.domain.ports import QueueStore
from tests.contract.builders import (
    RETENTION_MS,
    T0,
    bodies,
    claim,
    claim_fifo,
    create_fifo_queue,
    create_queue,
    ids,
    new_fifo_message,
    new_message,
    put,
    put_fifo,
    serialize_moto_requests,
)

EXPIRY_MS = T0 + RETENTION_MS
AFTER_EXPIRY = EXPIRY_MS + 1
# Long enough that a lease taken at T0 is still running after the retention period.
LONG_LEASE_MS = RETENTION_MS * 2
MAX_RECLAIM_CALLS = 200
JOIN_SECONDS = 30.0


def _delete_expired(store: QueueStore, queue: QueueRecord, *, now_ms: int = AFTER_EXPIRY, limit: int = 100) -> int:
    return store.delete_expired_messages(queue, now_ms=now_ms, retention_ms=RETENTION_MS, limit=limit)


# --- expiry --------------------------------------------------------------------------------


def test_expired_messages_are_deleted_in_any_state_and_fresh_ones_stay(store: QueueStore) -> None:
    queue = create_queue(store)
    put(store, queue, new_message("in-flight"))
    assert bodies(claim(store, queue, visibility_timeout_ms=LONG_LEASE_MS)) == ["in-flight"]
    put(store, queue, new_message("visible"), new_message("delayed", visible_at_ms=AFTER_EXPIRY + 60_000))
    fresh = put(store, queue, new_message("fresh", sent_at_ms=EXPIRY_MS))

    assert _delete_expired(store, queue) == 3

    assert _delete_expired(store, queue) == 0
    assert ids(claim(store, queue, now_ms=AFTER_EXPIRY, retention_ms=LONG_LEASE_MS)) == ids(fresh)
    counts = store.count_messages(queue, now_ms=AFTER_EXPIRY, retention_ms=LONG_LEASE_MS)
    assert (counts.visible, counts.in_flight, counts.delayed) == (0, 1, 0)


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_expiry_deletes_at_most_its_limit(store: QueueStore, fifo: bool) -> None:
    if fifo:
        queue = create_fifo_queue(store)
        put_fifo(store, queue, *(new_fifo_message(group_id=f"g{index % 2}") for index in range(5)))
    else:
        queue = create_queue(store)
        put(store, queue, *(new_message() for _ in range(5)))

    assert [_delete_expired(store, queue, limit=2) for _ in range(4)] == [2, 2, 1, 0]


def test_a_fifo_group_moves_on_once_its_expired_head_is_deleted(store: QueueStore) -> None:
    queue = create_fifo_queue(store)
    put_fifo(store, queue, new_fifo_message("old-head"))
    assert bodies(claim_fifo(store, queue, visibility_timeout_ms=LONG_LEASE_MS)) == ["old-head"]
    put_fifo(store, queue, new_fifo_message("next", sent_at_ms=EXPIRY_MS), now_ms=EXPIRY_MS)
    assert claim_fifo(store, queue, now_ms=AFTER_EXPIRY) == []

    assert _delete_expired(store, queue) == 1

    assert bodies(claim_fifo(store, queue, now_ms=AFTER_EXPIRY)) == ["next"]


def test_expiry_leaves_other_queues_alone(store: QueueStore) -> None:
    expiring, other = create_queue(store, "expiring"), create_queue(store, "other")
    put(store, expiring, new_message())
    kept = put(store, other, new_message("kept"))

    assert _delete_expired(store, expiring) == 1

    assert ids(claim(store, other, now_ms=AFTER_EXPIRY, retention_ms=LONG_LEASE_MS)) == ids(kept)


# --- the oldest message --------------------------------------------------------------------


def test_the_oldest_unexpired_message_gives_the_queue_age(store: QueueStore) -> None:
    queue = create_queue(store)
    assert store.oldest_message_sent_at(queue, now_ms=T0, retention_ms=RETENTION_MS) is None
    put(store, queue, new_message(sent_at_ms=T0 + 2_000), new_message(sent_at_ms=T0 + 1_000))
    put(store, queue, new_message(sent_at_ms=T0 + 3_000))
    claim(store, queue, now_ms=T0 + 3_000, max_count=3)

    assert store.oldest_message_sent_at(queue, now_ms=T0 + 3_000, retention_ms=RETENTION_MS) == T0 + 1_000
    assert store.oldest_message_sent_at(queue, now_ms=T0 + 3_000, retention_ms=1_500) == T0 + 2_000
    assert store.oldest_message_sent_at(queue, now_ms=T0 + 9_000, retention_ms=1_000) is None


def test_the_oldest_message_of_a_fifo_queue(store: QueueStore) -> None:
    queue = create_fifo_queue(store)
    put_fifo(store, queue, new_fifo_message(sent_at_ms=T0 + 1_000, group_id="a"))
    put_fifo(store, queue, new_fifo_message(sent_at_ms=T0 + 2_000, group_id="b"))

    assert store.oldest_message_sent_at(queue, now_ms=T0 + 2_000, retention_ms=RETENTION_MS) == T0 + 1_000


# --- reclaiming storage --------------------------------------------------------------------


def _reclaim_all(store: QueueStore, *, limit: int) -> list[int]:
    reclaimed: list[int] = []
    for _ in range(MAX_RECLAIM_CALLS):
        reclaimed.append(store.reclaim_abandoned_messages(limit=limit))
        if reclaimed[-1] == 0:
            return reclaimed
    raise AssertionError(f"reclaim did not finish in {MAX_RECLAIM_CALLS} calls")


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_reclaim_frees_purged_and_deleted_messages_and_never_touches_live_ones(store: QueueStore, fifo: bool) -> None:
    def make(name: str) -> QueueRecord:
        return create_fifo_queue(store, f"{name}.fifo") if fifo else create_queue(store, name)

    def send(queue: QueueRecord, count: int, sent_at_ms: int = T0) -> list[NewMessage]:
        messages = [
            new_fifo_message(group_id=f"g{index % 3}", sent_at_ms=sent_at_ms)
            if fifo
            else new_message(sent_at_ms=sent_at_ms)
            for index in range(count)
        ]
        if fifo:
            put_fifo(store, queue, *messages, now_ms=sent_at_ms)
        else:
            put(store, queue, *messages)
        return messages

    purged, deleted, live = make("purged"), make("deleted"), make("live")
    send(purged, 12)
    send(deleted, 12)
    kept = send(live, 5)
    assert store.purge_queue(purged.name, now_ms=T0, min_interval_ms=60_000) is PurgeOutcome.PURGED
    assert store.delete_queue(deleted.name, now_ms=T0)
    purged = store.get_queue(purged.name)
    assert purged is not None
    after_purge = send(purged, 3, sent_at_ms=T0 + 1)

    reclaimed = _reclaim_all(store, limit=5)

    assert all(0 <= count <= 5 for count in reclaimed)
    assert store.reclaim_abandoned_messages(limit=5) == 0
    receive = claim_fifo if fifo else claim
    assert ids(receive(store, live, now_ms=T0 + 1)) == ids(kept)
    assert ids(receive(store, purged, now_ms=T0 + 1)) == ids(after_purge)


def test_reclaim_with_nothing_abandoned_is_zero(store: QueueStore) -> None:
    queue = create_queue(store)
    put(store, queue, new_message())

    assert store.reclaim_abandoned_messages(limit=10) == 0
    assert store.count_messages(queue, now_ms=T0, retention_ms=RETENTION_MS).visible == 1


# --- leases --------------------------------------------------------------------------------


def test_a_lease_excludes_other_holders_until_it_expires(store: QueueStore) -> None:
    assert store.acquire_lease("run", holder="a", now_ms=T0, expires_at_ms=T0 + 10_000)

    assert not store.acquire_lease("run", holder="b", now_ms=T0 + 9_999, expires_at_ms=T0 + 20_000)
    assert store.acquire_lease("other", holder="b", now_ms=T0, expires_at_ms=T0 + 10_000)
    assert store.acquire_lease("run", holder="b", now_ms=T0 + 10_000, expires_at_ms=T0 + 20_000)
    assert not store.acquire_lease("run", holder="a", now_ms=T0 + 10_001, expires_at_ms=T0 + 30_000)


def test_reacquiring_ones_own_lease_extends_it(store: QueueStore) -> None:
    assert store.acquire_lease("run", holder="a", now_ms=T0, expires_at_ms=T0 + 10_000)

    assert store.acquire_lease("run", holder="a", now_ms=T0 + 5_000, expires_at_ms=T0 + 20_000)

    assert not store.acquire_lease("run", holder="b", now_ms=T0 + 15_000, expires_at_ms=T0 + 30_000)
    assert store.acquire_lease("run", holder="b", now_ms=T0 + 20_000, expires_at_ms=T0 + 30_000)


def test_only_the_holder_can_release_a_lease(store: QueueStore) -> None:
    assert store.acquire_lease("run", holder="a", now_ms=T0, expires_at_ms=T0 + 10_000)

    store.release_lease("run", holder="b")
    assert not store.acquire_lease("run", holder="b", now_ms=T0 + 1, expires_at_ms=T0 + 10_000)

    store.release_lease("run", holder="a")
    assert store.acquire_lease("run", holder="b", now_ms=T0 + 2, expires_at_ms=T0 + 10_000)
    store.release_lease("never-taken", holder="a")


def test_of_concurrent_acquires_of_a_free_lease_exactly_one_wins(
    store: QueueStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    serialize_moto_requests(monkeypatch)
    holders = [f"holder-{index}" for index in range(8)]
    start = threading.Barrier(len(holders))
    won: list[str] = []

    def acquire(holder: str) -> None:
        start.wait(JOIN_SECONDS)
        if store.acquire_lease("run", holder=holder, now_ms=T0, expires_at_ms=T0 + 10_000):
            won.append(holder)

    threads = [threading.Thread(target=acquire, args=(holder,), daemon=True) for holder in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)

    assert not any(thread.is_alive() for thread in threads)
    assert len(won) == 1
    losers = [holder for holder in holders if holder not in won]
    assert not store.acquire_lease("run", holder=losers[0], now_ms=T0 + 1, expires_at_ms=T0 + 10_000)


# --- cursors -------------------------------------------------------------------------------


def test_a_cursor_remembers_the_last_value_saved_until_forgotten(store: QueueStore) -> None:
    assert store.load_cursor("walk") is None

    store.save_cursor("walk", "orders")
    store.save_cursor("other", "x")
    assert store.load_cursor("walk") == "orders"
    store.save_cursor("walk", "payments")
    assert store.load_cursor("walk") == "payments"

    store.save_cursor("walk", None)
    assert store.load_cursor("walk") is None
    assert store.load_cursor("other") == "x"
    store.save_cursor("never-saved", None)
    assert store.load_cursor("never-saved") is None
