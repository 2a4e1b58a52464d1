"""The storage contract across threads: long polls woken by puts, racing claims and creates, on every store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from dynaqueue.domain.model import QueueRecord, StoredMessage
from dynaqueue.domain.ports import QueueStore

from .builders import T0, claim, create_queue, ids, new_message, put, queue_record

# A wait that nothing ends would outlast JOIN_SECONDS, so a thread still alive after joining
# is a receiver nobody woke.
LONG_WAIT_SECONDS = 30.0
JOIN_SECONDS = 10.0
# Gives a waiting thread the time to block before the put that should wake it.
SETTLE_SECONDS = 0.2
CLAIMING_THREADS = 8
MESSAGES = 200
# A claimer stops after this many empty claims in a row; stores may miss candidates under contention.
EMPTY_CLAIMS_TO_STOP = 3
MAX_CLAIMS_PER_THREAD = MESSAGES


@pytest.fixture(autouse=True)
def atomic_moto_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto apply each request atomically, as DynamoDB does.

    Threads racing inside moto can both pass one item's condition (seen here: one message leased
    twice, and moto failing with "dictionary changed size during iteration"). One request at a
    time keeps every race between requests, which is what the adapter has to survive.
    """
    process_request = BotocoreStubber.process_request
    one_at_a_time = threading.Lock()

    def atomic_process_request(self: BotocoreStubber, request: object) -> object:
        with one_at_a_time:
            return process_request(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", atomic_process_request)


def _start(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _wait_in_thread(store: QueueStore, record: QueueRecord, token: int) -> threading.Thread:
    return _start(lambda: store.wait_for_messages(record, token=token, timeout_seconds=LONG_WAIT_SECONDS))


def test_waiting_receiver_is_woken_by_a_put_from_another_thread(store: QueueStore) -> None:
    record = create_queue(store)
    token = store.availability_token(record)
    assert claim(store, record) == []
    waiter = _wait_in_thread(store, record, token)
    time.sleep(SETTLE_SECONDS)

    sent = put(store, record, new_message())

    waiter.join(JOIN_SECONDS)
    assert not waiter.is_alive()
    assert ids(claim(store, record)) == ids(sent)


def test_every_waiting_receiver_is_woken_by_one_put(store: QueueStore) -> None:
    record = create_queue(store)
    token = store.availability_token(record)
    waiters = [_wait_in_thread(store, record, token) for _ in range(20)]
    time.sleep(SETTLE_SECONDS)

    put(store, record, new_message())

    for waiter in waiters:
        waiter.join(JOIN_SECONDS)
    assert not any(waiter.is_alive() for waiter in waiters)


def test_wait_returns_at_once_when_a_put_came_before_it(store: QueueStore) -> None:
    record = create_queue(store)
    token = store.availability_token(record)
    assert claim(store, record) == []
    sent = put(store, record, new_message())

    waiter = _wait_in_thread(store, record, token)

    waiter.join(JOIN_SECONDS)
    assert not waiter.is_alive()
    assert ids(claim(store, record)) == ids(sent)


def test_wait_ends_with_its_timeout_when_nothing_arrives(store: QueueStore) -> None:
    record = create_queue(store)
    token = store.availability_token(record)

    waiter = _start(lambda: store.wait_for_messages(record, token=token, timeout_seconds=0.1))

    waiter.join(JOIN_SECONDS)
    assert not waiter.is_alive()


def test_concurrent_claims_never_lease_a_message_twice(store: QueueStore) -> None:
    record = create_queue(store)
    for start in range(0, MESSAGES, 10):
        put(store, record, *(new_message(f"message {index}") for index in range(start, start + 10)))
    start_together = threading.Barrier(CLAIMING_THREADS)
    leases: list[list[StoredMessage]] = [[] for _ in range(CLAIMING_THREADS)]

    def claim_until_empty(mine: list[StoredMessage]) -> None:
        start_together.wait(JOIN_SECONDS)
        empty_claims = 0
        for _ in range(MAX_CLAIMS_PER_THREAD):
            batch = claim(store, record, now_ms=T0, max_count=10)
            mine.extend(batch)
            empty_claims = 0 if batch else empty_claims + 1
            if empty_claims == EMPTY_CLAIMS_TO_STOP:
                return

    claimers = [_start(lambda mine=mine: claim_until_empty(mine)) for mine in leases]
    for claimer in claimers:
        claimer.join(LONG_WAIT_SECONDS)

    claimed_ids = [message.message_id for mine in leases for message in mine]
    assert not any(claimer.is_alive() for claimer in claimers)
    assert len(claimed_ids) == len(set(claimed_ids)) == MESSAGES
    assert all(message.receive_count == 1 for mine in leases for message in mine)


def test_concurrent_creates_of_one_name_create_exactly_once(store: QueueStore) -> None:
    contenders = [queue_record("orders") for _ in range(CLAIMING_THREADS)]
    start_together = threading.Barrier(len(contenders))
    outcomes: list[tuple[QueueRecord, bool]] = []
    outcomes_lock = threading.Lock()

    def create(record: QueueRecord) -> None:
        start_together.wait(JOIN_SECONDS)
        outcome = store.create_queue(record)
        with outcomes_lock:
            outcomes.append(outcome)

    creators = [_start(lambda record=record: create(record)) for record in contenders]
    for creator in creators:
        creator.join(JOIN_SECONDS)

    winners = [record for record, created in outcomes if created]
    assert len(outcomes) == len(contenders)
    assert len(winners) == 1
    assert all(record == winners[0] for record, _ in outcomes)
    assert store.get_queue("orders") == winners[0]
