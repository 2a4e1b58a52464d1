"""The storage contract for FIFO queues: group order and locking, deduplication, sequence numbers, on every store."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable

from dynaqueue.domain.model import (
    FifoPutResult,
    LeasedReceipt,
    MessageCounts,
    PurgeOutcome,
    QueueRecord,
    StoredMessage,
    VisibilityOutcome,
)
from dynaqueue.domain.ports import QueueStore

from .builders import (
    DEDUP_WINDOW_MS,
    RETENTION_MS,
    T0,
    VISIBILITY_TIMEOUT_MS,
    bodies,
    claim_fifo,
    create_fifo_queue,
    new_fifo_message,
    put_fifo,
)

# Autouse: moto applies each request atomically, as DynamoDB does, so racing consumers test the adapter.
from .test_concurrency_contract import atomic_moto_requests  # noqa: F401

LEASE_END = T0 + VISIBILITY_TIMEOUT_MS
JOIN_SECONDS = 60.0
# Small on purpose: the DynamoDB store runs on moto, one request at a time.
GROUPS = 4
MESSAGES_PER_GROUP = 4
CONSUMERS = 4
# Bounds a consumer that keeps finding every group held by others; it pauses this long between tries.
MAX_CLAIMS_PER_CONSUMER = 200
IDLE_WAIT_SECONDS = 0.05


def _send(store: QueueStore, record: QueueRecord, group_id: str, count: int, *, first: int = 0) -> list[FifoPutResult]:
    messages = [new_fifo_message(f"{group_id}-{index}", group_id=group_id) for index in range(first, first + count)]
    return put_fifo(store, record, *messages)


def _settle(store: QueueStore, record: QueueRecord, message: StoredMessage, *, now_ms: int = T0) -> None:
    outcome = store.delete_leased_message(record, message.message_id, lease_token=message.lease_token, now_ms=now_ms)
    assert outcome is VisibilityOutcome.CHANGED


def _extend(
    store: QueueStore, record: QueueRecord, message: StoredMessage, *, visible_at_ms: int, now_ms: int = T0 + 1
) -> VisibilityOutcome:
    return store.change_visibility(
        record, message.message_id, lease_token=message.lease_token, visible_at_ms=visible_at_ms, in_flight_at_ms=now_ms
    )


def _three_in_flight(store: QueueStore) -> tuple[QueueRecord, list[StoredMessage]]:
    """A queue whose group g1 has messages g1-0..g1-2, all received together at T0."""
    record = create_fifo_queue(store)
    _send(store, record, "g1", 3)
    received = claim_fifo(store, record, now_ms=T0)
    assert bodies(received) == ["g1-0", "g1-1", "g1-2"]
    return record, received


def _group_of(message: StoredMessage) -> str:
    return message.body.split("-")[0]


# --- order and group locking ------------------------------------------------------------


def test_a_group_is_delivered_in_send_order_across_puts_and_claims(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    _send(store, record, "g1", 3)
    _send(store, record, "g1", 3, first=3)

    delivered = []
    for step in range(3):
        batch = claim_fifo(store, record, now_ms=T0 + step, max_count=2)
        delivered += bodies(batch)
        for message in batch:
            _settle(store, record, message, now_ms=T0 + step)

    assert delivered == [f"g1-{index}" for index in range(6)]
    assert claim_fifo(store, record, now_ms=T0 + 3) == []


def test_nothing_of_a_group_is_claimed_while_its_head_is_in_flight(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    _send(store, record, "g1", 3)
    (head,) = claim_fifo(store, record, now_ms=T0, max_count=1)

    assert claim_fifo(store, record, now_ms=T0 + 1) == []
    assert claim_fifo(store, record, now_ms=LEASE_END - 1) == []
    again = claim_fifo(store, record, now_ms=LEASE_END)

    assert bodies(again) == ["g1-0", "g1-1", "g1-2"]
    assert (again[0].message_id, again[0].receive_count, again[0].first_received_at_ms) == (head.message_id, 2, T0)
    assert [message.receive_count for message in again[1:]] == [1, 1]


def test_extending_the_second_message_leaves_only_the_first_receivable(store: QueueStore) -> None:
    record, (_, second, _) = _three_in_flight(store)

    assert _extend(store, record, second, visible_at_ms=T0 + 2 * VISIBILITY_TIMEOUT_MS) is VisibilityOutcome.CHANGED

    assert bodies(claim_fifo(store, record, now_ms=LEASE_END)) == ["g1-0"]


def test_extending_the_third_message_leaves_the_first_two_receivable(store: QueueStore) -> None:
    record, (_, _, third) = _three_in_flight(store)

    assert _extend(store, record, third, visible_at_ms=T0 + 2 * VISIBILITY_TIMEOUT_MS) is VisibilityOutcome.CHANGED

    assert bodies(claim_fifo(store, record, now_ms=LEASE_END)) == ["g1-0", "g1-1"]


def test_extending_the_first_message_blocks_the_whole_group(store: QueueStore) -> None:
    record, (first, _, _) = _three_in_flight(store)

    assert _extend(store, record, first, visible_at_ms=T0 + 2 * VISIBILITY_TIMEOUT_MS) is VisibilityOutcome.CHANGED

    assert claim_fifo(store, record, now_ms=LEASE_END) == []
    assert bodies(claim_fifo(store, record, now_ms=T0 + 2 * VISIBILITY_TIMEOUT_MS)) == ["g1-0", "g1-1", "g1-2"]


def test_settling_later_messages_leaves_the_group_blocked_until_the_earlier_ones_settle(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    _send(store, record, "g1", 4)
    first, second, third = claim_fifo(store, record, now_ms=T0, max_count=3)

    _settle(store, record, first)
    _settle(store, record, third)

    assert claim_fifo(store, record, now_ms=T0 + 1) == []
    _settle(store, record, second, now_ms=T0 + 1)
    assert bodies(claim_fifo(store, record, now_ms=T0 + 2)) == ["g1-3"]


def test_settling_later_messages_leaves_the_group_blocked_until_the_earlier_ones_expire(store: QueueStore) -> None:
    record, (_, second, third) = _three_in_flight(store)

    _settle(store, record, second)
    _settle(store, record, third)

    assert claim_fifo(store, record, now_ms=LEASE_END - 1) == []
    assert bodies(claim_fifo(store, record, now_ms=LEASE_END)) == ["g1-0"]


def test_making_the_head_visible_again_releases_its_group_up_to_the_next_message_in_flight(
    store: QueueStore,
) -> None:
    record, (first, _, _) = _three_in_flight(store)
    _send(store, record, "g1", 1, first=3)

    assert _extend(store, record, first, visible_at_ms=T0 + 1) is VisibilityOutcome.CHANGED

    (again,) = claim_fifo(store, record, now_ms=T0 + 1)
    assert (again.message_id, again.receive_count) == (first.message_id, 2)


def test_a_claim_fills_from_one_group_first(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    _send(store, record, "g1", 3)
    _send(store, record, "g2", 3)

    claimed = claim_fifo(store, record, max_count=2)

    assert bodies(claimed) in (["g1-0", "g1-1"], ["g2-0", "g2-1"])


def test_a_claim_moves_on_to_other_groups_and_keeps_each_in_order(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    for group_id in ("g1", "g2", "g3"):
        _send(store, record, group_id, 2)

    first = claim_fifo(store, record, max_count=3)
    rest = claim_fifo(store, record, max_count=10)

    by_group: dict[str, list[str]] = defaultdict(list)
    for message in first:
        by_group[_group_of(message)].append(message.body)
    assert sorted(len(taken) for taken in by_group.values()) == [1, 2]
    assert all(taken == [f"{group_id}-{index}" for index in range(len(taken))] for group_id, taken in by_group.items())
    (untouched,) = {"g1", "g2", "g3"} - by_group.keys()
    assert bodies(rest) == [f"{untouched}-0", f"{untouched}-1"]


def test_groups_of_different_queues_are_independent(store: QueueStore) -> None:
    first_queue, second_queue = create_fifo_queue(store, "a.fifo"), create_fifo_queue(store, "b.fifo")
    _send(store, first_queue, "g1", 1)
    _send(store, second_queue, "g1", 1)

    assert bodies(claim_fifo(store, first_queue)) == ["g1-0"]
    assert bodies(claim_fifo(store, second_queue)) == ["g1-0"]


def test_a_delayed_head_holds_its_group_until_it_is_visible(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    put_fifo(store, record, new_fifo_message("delayed", visible_at_ms=T0 + 5_000))

    assert claim_fifo(store, record, now_ms=T0 + 4_999) == []
    assert bodies(claim_fifo(store, record, now_ms=T0 + 5_000)) == ["delayed"]


def test_expired_messages_at_a_group_head_are_deleted_and_skipped(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    expired = put_fifo(store, record, *(new_fifo_message(f"expired {index}", sent_at_ms=T0 - 1) for index in range(2)))
    put_fifo(store, record, new_fifo_message("fresh", sent_at_ms=T0))

    assert bodies(claim_fifo(store, record, now_ms=T0 + RETENTION_MS)) == ["fresh"]
    for result in expired:
        outcome = store.delete_leased_message(record, result.message_id, lease_token="any", now_ms=T0 + RETENTION_MS)
        assert outcome is VisibilityOutcome.GONE


# --- deduplication ----------------------------------------------------------------------


def test_a_duplicate_within_the_window_stores_nothing_and_answers_with_the_original(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    (original,) = put_fifo(store, record, new_fifo_message("first", deduplication_key="k"))

    (again,) = put_fifo(
        store, record, new_fifo_message("second", group_id="g2", deduplication_key="k"), now_ms=T0 + 1_000
    )

    assert not original.duplicate
    assert again == FifoPutResult(original.message_id, original.sequence_number, duplicate=True)
    assert store.count_messages(record, now_ms=T0 + 1_000, retention_ms=RETENTION_MS) == MessageCounts(visible=1)
    assert bodies(claim_fifo(store, record, now_ms=T0 + 1_000)) == ["first"]


def test_a_duplicate_within_one_batch_answers_with_the_earlier_entry(store: QueueStore) -> None:
    record = create_fifo_queue(store)

    first, second = put_fifo(
        store,
        record,
        new_fifo_message("first", deduplication_key="k"),
        new_fifo_message("second", deduplication_key="k"),
    )

    assert second == FifoPutResult(first.message_id, first.sequence_number, duplicate=True)
    assert bodies(claim_fifo(store, record)) == ["first"]


def test_the_window_ends_exactly_dedup_window_ms_after_the_first_accepted_send(store: QueueStore) -> None:
    record = create_fifo_queue(store)

    def send(body: str, now_ms: int) -> FifoPutResult:
        (result,) = put_fifo(
            store, record, new_fifo_message(body, deduplication_key="k", sent_at_ms=now_ms), now_ms=now_ms
        )
        return result

    first = send("first", T0)
    inside = send("inside", T0 + DEDUP_WINDOW_MS - 1)
    renewed = send("renewed", T0 + DEDUP_WINDOW_MS)
    after_renewal = send("after renewal", T0 + DEDUP_WINDOW_MS + 1)

    assert inside == FifoPutResult(first.message_id, first.sequence_number, duplicate=True)
    assert not renewed.duplicate
    assert renewed.message_id != first.message_id
    assert int(renewed.sequence_number) > int(first.sequence_number)
    assert after_renewal == FifoPutResult(renewed.message_id, renewed.sequence_number, duplicate=True)


def test_deleting_the_original_does_not_end_the_window(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    (original,) = put_fifo(store, record, new_fifo_message("first", deduplication_key="k"))
    (claimed,) = claim_fifo(store, record)
    _settle(store, record, claimed)

    (again,) = put_fifo(store, record, new_fifo_message("again", deduplication_key="k"), now_ms=T0 + 1_000)

    assert again == FifoPutResult(original.message_id, original.sequence_number, duplicate=True)
    assert claim_fifo(store, record, now_ms=T0 + 1_000) == []


def test_a_purge_clears_the_deduplication_history(store: QueueStore) -> None:
    create_fifo_queue(store)
    record = store.get_queue("orders.fifo")
    assert record is not None
    put_fifo(store, record, new_fifo_message("purged", deduplication_key="k"))
    assert store.purge_queue("orders.fifo", now_ms=T0 + 1, min_interval_ms=60_000) is PurgeOutcome.PURGED
    purged = store.get_queue("orders.fifo")
    assert purged is not None

    (after,) = put_fifo(
        store, purged, new_fifo_message("after purge", deduplication_key="k", sent_at_ms=T0 + 2), now_ms=T0 + 2
    )

    assert not after.duplicate
    assert bodies(claim_fifo(store, purged, now_ms=T0 + 2)) == ["after purge"]


def test_keys_are_compared_as_given_so_scope_qualified_keys_are_distinct(store: QueueStore) -> None:
    record = create_fifo_queue(store)

    results = put_fifo(
        store,
        record,
        new_fifo_message("queue scope", group_id="g1", deduplication_key="d"),
        new_fifo_message("group g1 scope", group_id="g1", deduplication_key="g1\x1fd"),
        new_fifo_message("group g2 scope", group_id="g2", deduplication_key="g2\x1fd"),
    )

    assert not any(result.duplicate for result in results)
    assert sorted(bodies(claim_fifo(store, record))) == ["group g1 scope", "group g2 scope", "queue scope"]


# --- sequence numbers -------------------------------------------------------------------


def test_sequence_numbers_are_20_digits_and_increase_in_storage_order(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    results = []
    for step, group_id in enumerate(("g1", "g2", "g1", "g3")):
        batch = [new_fifo_message(f"{group_id}-{step}-{index}", group_id=group_id) for index in range(2)]
        results += put_fifo(store, record, *batch, now_ms=T0 + step)

    numbers = [result.sequence_number for result in results]
    assert all(len(number) == 20 and number.isdigit() for number in numbers)
    assert [int(number) for number in numbers] == sorted({int(number) for number in numbers})
    claimed = claim_fifo(store, record, now_ms=T0 + 10)
    assert {message.message_id: message.sequence_number for message in claimed} == {
        result.message_id: result.sequence_number for result in results
    }


# --- settling leases --------------------------------------------------------------------


def test_deleting_under_the_running_lease_deletes_the_message(store: QueueStore) -> None:
    record, (first, _, _) = _three_in_flight(store)

    outcome = store.delete_leased_message(record, first.message_id, lease_token=first.lease_token, now_ms=LEASE_END - 1)
    again = store.delete_leased_message(record, first.message_id, lease_token=first.lease_token, now_ms=LEASE_END - 1)

    assert (outcome, again) == (VisibilityOutcome.CHANGED, VisibilityOutcome.GONE)
    assert bodies(claim_fifo(store, record, now_ms=LEASE_END)) == ["g1-1", "g1-2"]


def test_a_batch_delete_settles_each_lease_as_its_own_delete_would(store: QueueStore) -> None:
    record, (first, _, third) = _three_in_flight(store)
    leases = [
        LeasedReceipt(first.message_id, first.lease_token, T0),
        LeasedReceipt(first.message_id, first.lease_token, T0),
        LeasedReceipt(third.message_id, third.lease_token, T0),
    ]

    outcomes = store.delete_messages(record, leases, now_ms=LEASE_END - 1)

    assert outcomes == [VisibilityOutcome.CHANGED, VisibilityOutcome.GONE, VisibilityOutcome.CHANGED]
    assert bodies(claim_fifo(store, record, now_ms=LEASE_END)) == ["g1-1"]


def test_a_batch_delete_after_the_leases_ran_out_keeps_every_message(store: QueueStore) -> None:
    record, in_flight = _three_in_flight(store)

    outcomes = store.delete_messages(
        record, [LeasedReceipt(m.message_id, m.lease_token, T0) for m in in_flight], now_ms=LEASE_END
    )

    assert outcomes == [VisibilityOutcome.STALE] * 3
    assert bodies(claim_fifo(store, record, now_ms=LEASE_END)) == ["g1-0", "g1-1", "g1-2"]


def test_deleting_once_the_lease_ran_out_is_stale_and_keeps_the_message(store: QueueStore) -> None:
    record, (first, _, _) = _three_in_flight(store)

    outcome = store.delete_leased_message(record, first.message_id, lease_token=first.lease_token, now_ms=LEASE_END)

    assert outcome is VisibilityOutcome.STALE
    assert bodies(claim_fifo(store, record, now_ms=LEASE_END)) == ["g1-0", "g1-1", "g1-2"]


def test_deleting_under_a_superseded_lease_is_stale(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    _send(store, record, "g1", 1)
    (old,) = claim_fifo(store, record, now_ms=T0)
    (current,) = claim_fifo(store, record, now_ms=LEASE_END)
    now_ms = LEASE_END + 1

    superseded = store.delete_leased_message(record, old.message_id, lease_token=old.lease_token, now_ms=now_ms)
    settled = store.delete_leased_message(record, current.message_id, lease_token=current.lease_token, now_ms=now_ms)

    assert (superseded, settled) == (VisibilityOutcome.STALE, VisibilityOutcome.CHANGED)


def test_deleting_an_unknown_message_is_gone(store: QueueStore) -> None:
    record = create_fifo_queue(store)

    outcome = store.delete_leased_message(record, "no-such-message", lease_token="any", now_ms=T0)

    assert outcome is VisibilityOutcome.GONE


def test_a_visibility_change_within_the_lease_extends_it(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    _send(store, record, "g1", 1)
    (leased,) = claim_fifo(store, record, now_ms=T0)

    assert _extend(store, record, leased, visible_at_ms=LEASE_END + 10_000, now_ms=LEASE_END - 1) is (
        VisibilityOutcome.CHANGED
    )

    assert claim_fifo(store, record, now_ms=LEASE_END) == []
    outcome = store.delete_leased_message(record, leased.message_id, lease_token=leased.lease_token, now_ms=LEASE_END)
    assert outcome is VisibilityOutcome.CHANGED


def test_a_visibility_change_once_the_lease_ran_out_is_stale(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    _send(store, record, "g1", 1)
    (leased,) = claim_fifo(store, record, now_ms=T0)

    outcome = _extend(store, record, leased, visible_at_ms=LEASE_END + 10_000, now_ms=LEASE_END)

    assert outcome is VisibilityOutcome.STALE
    assert bodies(claim_fifo(store, record, now_ms=LEASE_END)) == ["g1-0"]


def test_a_visibility_change_under_a_superseded_lease_is_stale_and_of_a_deleted_message_gone(
    store: QueueStore,
) -> None:
    record = create_fifo_queue(store)
    _send(store, record, "g1", 1)
    (old,) = claim_fifo(store, record, now_ms=T0)
    (current,) = claim_fifo(store, record, now_ms=LEASE_END)

    superseded = _extend(store, record, old, visible_at_ms=LEASE_END + 2, now_ms=LEASE_END + 1)
    _settle(store, record, current, now_ms=LEASE_END + 1)
    deleted = _extend(store, record, current, visible_at_ms=LEASE_END + 3, now_ms=LEASE_END + 2)

    assert (superseded, deleted) == (VisibilityOutcome.STALE, VisibilityOutcome.GONE)


def test_leased_messages_are_read_back_in_the_given_order_while_their_lease_holds(store: QueueStore) -> None:
    record, (first, second, third) = _three_in_flight(store)
    leases = [LeasedReceipt(message.message_id, message.lease_token, T0) for message in (third, first, second)]

    assert store.get_leased_messages(record, leases) == [third, first, second]

    _settle(store, record, third, now_ms=T0 + 1)
    assert _extend(store, record, first, visible_at_ms=T0 + 1) is VisibilityOutcome.CHANGED
    (again,) = claim_fifo(store, record, now_ms=T0 + 1)

    assert store.get_leased_messages(record, leases) == [second]
    assert store.get_leased_messages(record, [LeasedReceipt(again.message_id, again.lease_token, T0 + 1)]) == [again]


# --- receive attempts -------------------------------------------------------------------


def test_a_receive_attempt_is_recalled_until_it_expires(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    other = create_fifo_queue(store, "other.fifo")
    leases = [LeasedReceipt("m1", "t1", T0), LeasedReceipt("m2", "t2", T0)]

    store.remember_receive_attempt(record, "attempt-1", leases, expires_at_ms=T0 + 300_000)

    assert store.recall_receive_attempt(record, "attempt-1", now_ms=T0 + 299_999) == leases
    assert store.recall_receive_attempt(record, "attempt-1", now_ms=T0 + 300_000) is None
    assert store.recall_receive_attempt(record, "attempt-2", now_ms=T0) is None
    assert store.recall_receive_attempt(other, "attempt-1", now_ms=T0) is None


def test_remembering_an_attempt_again_replaces_it(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    store.remember_receive_attempt(record, "attempt-1", [LeasedReceipt("m1", "t1", T0)], expires_at_ms=T0 + 1_000)
    replacement = [LeasedReceipt("m2", "t2", T0 + 2_000)]

    store.remember_receive_attempt(record, "attempt-1", replacement, expires_at_ms=T0 + 302_000)

    assert store.recall_receive_attempt(record, "attempt-1", now_ms=T0 + 2_000) == replacement


# --- counts and long polling ------------------------------------------------------------


def test_messages_behind_an_in_flight_message_count_as_visible(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    for group_id in ("g1", "g2", "g3"):
        _send(store, record, group_id, 2)
    put_fifo(store, record, new_fifo_message("delayed", group_id="g4", visible_at_ms=T0 + 60_000))

    first = claim_fifo(store, record, now_ms=T0, max_count=1)
    second = claim_fifo(store, record, now_ms=T0, max_count=1)

    assert {_group_of(first[0]), _group_of(second[0])} < {"g1", "g2", "g3"}
    assert store.count_messages(record, now_ms=T0 + 1, retention_ms=RETENTION_MS) == MessageCounts(
        visible=4, in_flight=2, delayed=1
    )


def test_a_fifo_put_changes_the_availability_token(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    token = store.availability_token(record)

    _send(store, record, "g1", 1)

    assert store.availability_token(record) != token


# --- concurrency ------------------------------------------------------------------------


def _start(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_concurrent_consumers_settle_every_group_in_send_order_one_holder_at_a_time(store: QueueStore) -> None:
    record = create_fifo_queue(store)
    for group_id in (f"g{index}" for index in range(GROUPS)):
        _send(store, record, group_id, MESSAGES_PER_GROUP)
    start_together = threading.Barrier(CONSUMERS)
    book_lock = threading.Lock()
    held: set[str] = set()
    overlaps: list[str] = []
    settled: dict[str, list[str]] = defaultdict(list)
    claimed_ids: list[str] = []

    def consume() -> None:
        start_together.wait(JOIN_SECONDS)
        for _ in range(MAX_CLAIMS_PER_CONSUMER):
            if len(claimed_ids) == GROUPS * MESSAGES_PER_GROUP:
                return
            token = store.availability_token(record)
            batch = claim_fifo(store, record, now_ms=T0, max_count=3)
            if not batch:
                store.wait_for_messages(record, token=token, timeout_seconds=IDLE_WAIT_SECONDS)
                continue
            with book_lock:
                claimed_ids.extend(message.message_id for message in batch)
                for group_id in {_group_of(message) for message in batch}:
                    if group_id in held:
                        overlaps.append(group_id)
                    held.add(group_id)
            for index, message in enumerate(batch):
                group_id = _group_of(message)
                last_of_group = all(_group_of(later) != group_id for later in batch[index + 1 :])
                # Booked before the delete: once it lands, another consumer may take the group's next message.
                with book_lock:
                    settled[group_id].append(message.body)
                    if last_of_group:
                        held.discard(group_id)
                _settle(store, record, message)

    consumers = [_start(consume) for _ in range(CONSUMERS)]
    for thread in consumers:
        thread.join(JOIN_SECONDS)

    assert not any(thread.is_alive() for thread in consumers)
    assert overlaps == []
    assert len(claimed_ids) == len(set(claimed_ids)) == GROUPS * MESSAGES_PER_GROUP
    assert settled == {
        f"g{group}": [f"g{group}-{index}" for index in range(MESSAGES_PER_GROUP)] for group in range(GROUPS)
    }
