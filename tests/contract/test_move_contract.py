"""Moves outside a receive: into a dead-letter queue by the housekeeping run, and redrives out of one."""

from __future__ import annotations

import threading

import pytest

from dynaqueue.domain.model import (
    DeadLetterTarget,
    MessageAttributeValue,
    MessageMove,
    QueueRecord,
    StoredMessage,
    VisibilityOutcome,
)
from dynaqueue.domain.ports import QueueStore
from tests.contract.builders import (
    RETENTION_MS,
    T0,
    VISIBILITY_TIMEOUT_MS,
    back_to_sources,
    bodies,
    claim,
    claim_fifo,
    create_fifo_queue,
    create_queue,
    ids,
    move_messages,
    new_fifo_message,
    new_message,
    put,
    put_fifo,
    queue_arn,
    serialize_moto_requests,
    to_queue,
)

AFTER_LEASE = T0 + VISIBILITY_TIMEOUT_MS
AFTER_SECOND_LEASE = AFTER_LEASE + VISIBILITY_TIMEOUT_MS
LATER = AFTER_SECOND_LEASE + VISIBILITY_TIMEOUT_MS
ATTRIBUTES = {"colour": MessageAttributeValue("String", string_value="blue")}
GHOST_ARN = "arn:aws:sqs:us-east-1:000000000000:ghost"
REDRIVE = MessageMove(redrive=True, source_arn="arn:aws:sqs:us-east-1:000000000000:dlq")
JOIN_SECONDS = 30.0


def _into_dead_letter(source: QueueRecord, min_receive_count: int = 1) -> MessageMove:
    return MessageMove(redrive=False, source_arn=queue_arn(source), min_receive_count=min_receive_count)


def _dead_letter(source: QueueRecord, dead: QueueRecord) -> DeadLetterTarget:
    return DeadLetterTarget(queue=dead, max_receive_count=1, source_arn=queue_arn(source))


def _send_to_dead_letter(store: QueueStore, source: QueueRecord, dead: QueueRecord, *bodies_: str) -> None:
    """Put messages in `dead` the way SQS does: received once from `source`, then moved on the next receive."""
    put(store, source, *(new_message(body) for body in bodies_))
    assert len(claim(store, source, dead_letter=_dead_letter(source, dead))) == len(bodies_)
    assert claim(store, source, now_ms=AFTER_LEASE, dead_letter=_dead_letter(source, dead)) == []


def _send_to_fifo_dead_letter(store: QueueStore, source: QueueRecord, dead: QueueRecord, *bodies_: str) -> None:
    put_fifo(store, source, *(new_fifo_message(body) for body in bodies_))
    assert len(claim_fifo(store, source, dead_letter=_dead_letter(source, dead))) == len(bodies_)
    assert claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=_dead_letter(source, dead)) == []


def _visible(store: QueueStore, queue: QueueRecord, now_ms: int) -> int:
    return store.count_messages(queue, now_ms=now_ms, retention_ms=RETENTION_MS).visible


# --- into a dead-letter queue --------------------------------------------------------------


def test_only_messages_received_enough_times_move_into_the_dead_letter_queue(store: QueueStore) -> None:
    source, dead = create_queue(store, "source"), create_queue(store, "source-dlq")
    twice = new_message("twice", attributes=ATTRIBUTES, system_attributes={"AWSTraceHeader": "Root=1-abc"})
    put(store, source, twice)
    assert bodies(claim(store, source)) == ["twice"]
    put(store, source, new_message("once", sent_at_ms=AFTER_LEASE))
    assert sorted(bodies(claim(store, source, now_ms=AFTER_LEASE))) == ["once", "twice"]
    put(store, source, new_message("never", sent_at_ms=AFTER_SECOND_LEASE))

    outcome = move_messages(
        store, source, _into_dead_letter(source, min_receive_count=2), to_queue(dead), now_ms=AFTER_SECOND_LEASE
    )

    assert outcome.moved == 1
    assert outcome.missing_destination is None
    [moved] = claim(store, dead, now_ms=AFTER_SECOND_LEASE)
    assert moved.message_id == twice.message_id
    assert moved.body == "twice"
    assert moved.attributes == ATTRIBUTES
    assert moved.sent_at_ms == T0
    assert moved.first_received_at_ms == T0
    assert moved.receive_count == 3
    assert moved.system_attributes["AWSTraceHeader"] == "Root=1-abc"
    assert moved.system_attributes["DeadLetterQueueSourceArn"] == queue_arn(source)
    assert sorted(bodies(claim(store, source, now_ms=AFTER_SECOND_LEASE))) == ["never", "once"]


def test_a_fifo_group_moves_into_the_dead_letter_queue_in_order(store: QueueStore) -> None:
    source, dead = create_fifo_queue(store, "source.fifo"), create_fifo_queue(store, "source-dlq.fifo")
    first = new_fifo_message("first", system_attributes={"MessageGroupId": "g1", "MessageDeduplicationId": "d1"})
    put_fifo(store, source, first, new_fifo_message("second"), new_fifo_message("third"))
    assert bodies(claim_fifo(store, source)) == ["first", "second", "third"]

    outcome = move_messages(store, source, _into_dead_letter(source), to_queue(dead), now_ms=AFTER_LEASE)

    assert outcome.moved == 3
    moved = claim_fifo(store, dead, now_ms=AFTER_LEASE)
    assert bodies(moved) == ["first", "second", "third"]
    assert moved[0].message_id == first.message_id
    assert moved[0].receive_count == 2
    assert moved[0].sent_at_ms == AFTER_LEASE
    assert moved[0].system_attributes["MessageGroupId"] == "g1"
    assert moved[0].system_attributes["MessageDeduplicationId"] == "d1"
    assert moved[0].system_attributes["DeadLetterQueueSourceArn"] == queue_arn(source)
    sequence_numbers = [message.sequence_number or "" for message in moved]
    assert sequence_numbers == sorted(sequence_numbers)
    assert len(set(sequence_numbers)) == 3
    assert claim_fifo(store, source, now_ms=AFTER_LEASE) == []


def test_a_fifo_group_stops_moving_at_a_message_not_received_enough_times(store: QueueStore) -> None:
    source, dead = create_fifo_queue(store, "source.fifo"), create_fifo_queue(store, "source-dlq.fifo")
    put_fifo(store, source, new_fifo_message("received"))
    assert bodies(claim_fifo(store, source)) == ["received"]
    put_fifo(store, source, new_fifo_message("fresh"), new_fifo_message("behind"), now_ms=T0 + 1)

    outcome = move_messages(store, source, _into_dead_letter(source), to_queue(dead), now_ms=AFTER_LEASE)

    assert outcome.moved == 1
    assert bodies(claim_fifo(store, dead, now_ms=AFTER_LEASE)) == ["received"]
    assert bodies(claim_fifo(store, source, now_ms=AFTER_LEASE)) == ["fresh", "behind"]


def test_a_deleted_dead_letter_queue_is_a_missing_destination(store: QueueStore) -> None:
    source, dead = create_queue(store, "source"), create_queue(store, "source-dlq")
    put(store, source, new_message("kept"))
    claim(store, source)
    assert store.delete_queue("source-dlq", now_ms=T0)

    outcome = move_messages(store, source, _into_dead_letter(source), to_queue(dead), now_ms=AFTER_LEASE)

    assert outcome.moved == 0
    assert outcome.missing_destination is not None
    [kept] = claim(store, source, now_ms=AFTER_LEASE)
    assert kept.body == "kept"
    assert kept.receive_count == 2


# --- redrive out of a dead-letter queue ----------------------------------------------------


def test_redrive_returns_each_message_to_its_own_source_as_a_new_delivery(store: QueueStore) -> None:
    orders, invoices = create_queue(store, "orders"), create_queue(store, "invoices")
    dead = create_queue(store, "dlq")
    sent = new_message("order", attributes=ATTRIBUTES, system_attributes={"AWSTraceHeader": "Root=1-abc"})
    put(store, orders, sent)
    claim(store, orders, dead_letter=_dead_letter(orders, dead))
    claim(store, orders, now_ms=AFTER_LEASE, dead_letter=_dead_letter(orders, dead))
    _send_to_dead_letter(store, invoices, dead, "invoice")

    outcome = move_messages(store, dead, REDRIVE, back_to_sources(orders, invoices), now_ms=AFTER_SECOND_LEASE)

    assert outcome.moved == 2
    assert outcome.missing_destination is None
    assert claim(store, dead, now_ms=AFTER_SECOND_LEASE) == []
    [order] = claim(store, orders, now_ms=LATER)
    assert order.message_id == sent.message_id
    assert order.body == "order"
    assert order.attributes == ATTRIBUTES
    assert order.sent_at_ms == T0
    assert order.receive_count == 1
    assert order.first_received_at_ms == LATER
    assert order.system_attributes["AWSTraceHeader"] == "Root=1-abc"
    assert "DeadLetterQueueSourceArn" not in order.system_attributes
    assert bodies(claim(store, invoices, now_ms=LATER)) == ["invoice"]


def test_redrive_to_one_destination_moves_every_visible_message_there(store: QueueStore) -> None:
    source, dead = create_queue(store, "source"), create_queue(store, "dlq")
    elsewhere = create_queue(store, "elsewhere")
    _send_to_dead_letter(store, source, dead, "a", "b")
    put(store, dead, new_message("sent-directly", sent_at_ms=AFTER_LEASE))

    outcome = move_messages(store, dead, REDRIVE, to_queue(elsewhere), now_ms=AFTER_LEASE)

    assert outcome.moved == 3
    assert sorted(bodies(claim(store, elsewhere, now_ms=AFTER_LEASE))) == ["a", "b", "sent-directly"]
    assert claim(store, source, now_ms=AFTER_LEASE) == []


def test_in_flight_delayed_and_expired_messages_stay(store: QueueStore) -> None:
    dead, target = create_queue(store, "dlq"), create_queue(store, "target")
    expiring_at_ms = T0 + RETENTION_MS
    put(store, dead, new_message("in-flight", sent_at_ms=expiring_at_ms))
    assert bodies(claim(store, dead, now_ms=expiring_at_ms)) == ["in-flight"]
    put(
        store,
        dead,
        new_message("expired", sent_at_ms=T0 - 1),
        new_message("delayed", sent_at_ms=expiring_at_ms, visible_at_ms=expiring_at_ms + 60_000),
        new_message("visible", sent_at_ms=expiring_at_ms),
    )

    outcome = move_messages(store, dead, REDRIVE, to_queue(target), now_ms=expiring_at_ms)

    assert outcome.moved == 1
    assert bodies(claim(store, target, now_ms=expiring_at_ms)) == ["visible"]
    counts = store.count_messages(dead, now_ms=expiring_at_ms, retention_ms=RETENTION_MS)
    assert (counts.visible, counts.in_flight, counts.delayed) == (0, 1, 1)


def test_a_move_takes_at_most_its_limit(store: QueueStore) -> None:
    dead, target = create_queue(store, "dlq"), create_queue(store, "target")
    put(store, dead, *(new_message(f"m{index}") for index in range(5)))

    moved = [move_messages(store, dead, REDRIVE, to_queue(target), limit=2).moved for _ in range(4)]

    assert moved == [2, 2, 1, 0]
    assert _visible(store, target, T0) == 5


def test_a_missing_source_stops_the_redrive_and_leaves_its_message(store: QueueStore) -> None:
    orders, dead = create_queue(store, "orders"), create_queue(store, "dlq")
    ghost = create_queue(store, "ghost")
    _send_to_dead_letter(store, ghost, dead, "orphan")
    assert store.delete_queue("ghost", now_ms=T0)

    outcome = move_messages(store, dead, REDRIVE, back_to_sources(orders), now_ms=AFTER_LEASE)

    assert outcome.moved == 0
    assert outcome.missing_destination == GHOST_ARN
    [orphan] = claim(store, dead, now_ms=AFTER_LEASE)
    assert orphan.body == "orphan"
    assert orphan.receive_count == 2
    assert orphan.system_attributes["DeadLetterQueueSourceArn"] == GHOST_ARN


def test_a_redrive_stops_at_the_first_message_without_a_destination(store: QueueStore) -> None:
    orders, dead = create_queue(store, "orders"), create_queue(store, "dlq")
    _send_to_dead_letter(store, orders, dead, "a", "b", "c")
    put(store, dead, new_message("no-source", sent_at_ms=AFTER_LEASE))

    outcome = move_messages(store, dead, REDRIVE, back_to_sources(orders), now_ms=AFTER_LEASE)

    assert outcome.missing_destination is not None
    assert outcome.moved <= 3
    assert _visible(store, orders, AFTER_LEASE) == outcome.moved
    assert _visible(store, dead, AFTER_LEASE) == 4 - outcome.moved
    assert "no-source" in bodies(claim(store, dead, now_ms=AFTER_LEASE))


def test_no_destination_at_all_moves_nothing(store: QueueStore) -> None:
    source, dead = create_queue(store, "source"), create_queue(store, "dlq")
    _send_to_dead_letter(store, source, dead, "a")

    outcome = move_messages(store, dead, REDRIVE, to_queue(None), now_ms=AFTER_LEASE)

    assert outcome.moved == 0
    assert outcome.missing_destination is not None
    assert _visible(store, dead, AFTER_LEASE) == 1


def test_a_fifo_redrive_appends_each_group_in_order_behind_the_destination_group(store: QueueStore) -> None:
    source, dead = create_fifo_queue(store, "source.fifo"), create_fifo_queue(store, "dlq.fifo")
    _send_to_fifo_dead_letter(store, source, dead, "first", "second")
    put_fifo(store, source, new_fifo_message("already-there"), now_ms=AFTER_LEASE)

    outcome = move_messages(store, dead, REDRIVE, back_to_sources(source), now_ms=AFTER_SECOND_LEASE)

    assert outcome.moved == 2
    redriven = claim_fifo(store, source, now_ms=AFTER_SECOND_LEASE)
    assert bodies(redriven) == ["already-there", "first", "second"]
    assert [message.receive_count for message in redriven] == [1, 1, 1]
    assert redriven[1].sent_at_ms == AFTER_SECOND_LEASE
    assert "DeadLetterQueueSourceArn" not in redriven[1].system_attributes
    sequence_numbers = [message.sequence_number or "" for message in redriven]
    assert sequence_numbers == sorted(sequence_numbers)


def test_a_fifo_move_takes_only_the_visible_head_run_of_each_group(store: QueueStore) -> None:
    dead, target = create_fifo_queue(store, "dlq.fifo"), create_fifo_queue(store, "target.fifo")
    put_fifo(store, dead, new_fifo_message("g1-in-flight", group_id="g1"))
    assert bodies(claim_fifo(store, dead)) == ["g1-in-flight"]
    put_fifo(
        store,
        dead,
        new_fifo_message("g1-behind", group_id="g1"),
        new_fifo_message("g2-head", group_id="g2"),
        new_fifo_message("g2-delayed", group_id="g2", visible_at_ms=T0 + 60_000),
        new_fifo_message("g2-behind", group_id="g2"),
    )

    outcome = move_messages(store, dead, REDRIVE, to_queue(target))

    assert outcome.moved == 1
    assert bodies(claim_fifo(store, target)) == ["g2-head"]
    counts = store.count_messages(dead, now_ms=T0, retention_ms=RETENTION_MS)
    assert (counts.visible, counts.in_flight, counts.delayed) == (2, 1, 1)


def test_an_expired_fifo_message_is_not_moved(store: QueueStore) -> None:
    dead, target = create_fifo_queue(store, "dlq.fifo"), create_fifo_queue(store, "target.fifo")
    expiring_at_ms = T0 + RETENTION_MS
    put_fifo(store, dead, new_fifo_message("expired", group_id="g1"))
    put_fifo(store, dead, new_fifo_message("fresh", group_id="g2", sent_at_ms=expiring_at_ms), now_ms=expiring_at_ms)

    outcome = move_messages(store, dead, REDRIVE, to_queue(target), now_ms=expiring_at_ms + 1)

    assert outcome.moved == 1
    assert bodies(claim_fifo(store, target, now_ms=expiring_at_ms + 1)) == ["fresh"]


def test_a_fifo_redrive_stops_at_a_missing_source_and_keeps_the_rest_of_the_group_behind_it(
    store: QueueStore,
) -> None:
    orders, ghost = create_fifo_queue(store, "orders.fifo"), create_fifo_queue(store, "ghost.fifo")
    dead = create_fifo_queue(store, "dlq.fifo")
    for index, source in enumerate([orders, ghost, orders]):
        put_fifo(store, source, new_fifo_message(f"m{index}"), now_ms=T0 + index)
        assert len(claim_fifo(store, source, now_ms=T0 + index)) == 1
        moved_at_ms = AFTER_LEASE + index
        assert claim_fifo(store, source, now_ms=moved_at_ms, dead_letter=_dead_letter(source, dead)) == []
    assert store.delete_queue("ghost.fifo", now_ms=T0)

    outcome = move_messages(store, dead, REDRIVE, back_to_sources(orders), now_ms=LATER)

    assert outcome.moved == 1
    assert outcome.missing_destination == queue_arn(ghost)
    assert bodies(claim_fifo(store, orders, now_ms=LATER)) == ["m0"]
    assert bodies(claim_fifo(store, dead, now_ms=LATER)) == ["m1", "m2"]


def test_a_fifo_move_takes_at_most_its_limit_in_group_order(store: QueueStore) -> None:
    dead, target = create_fifo_queue(store, "dlq.fifo"), create_fifo_queue(store, "target.fifo")
    put_fifo(store, dead, *(new_fifo_message(f"m{index}") for index in range(5)))

    moved = [move_messages(store, dead, REDRIVE, to_queue(target), limit=2).moved for _ in range(4)]

    assert moved == [2, 2, 1, 0]
    assert bodies(claim_fifo(store, target)) == [f"m{index}" for index in range(5)]


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_concurrent_moves_of_one_queue_move_each_message_once(
    store: QueueStore, monkeypatch: pytest.MonkeyPatch, fifo: bool
) -> None:
    serialize_moto_requests(monkeypatch)
    if fifo:
        dead, target = create_fifo_queue(store, "dlq.fifo"), create_fifo_queue(store, "target.fifo")
        sent = [new_fifo_message(f"m{index}", group_id=f"g{index % 4}") for index in range(24)]
        put_fifo(store, dead, *sent)
    else:
        dead, target = create_queue(store, "dlq"), create_queue(store, "target")
        sent = put(store, dead, *(new_message(f"m{index}") for index in range(24)))
    start = threading.Barrier(3)
    moved: list[int] = []

    def move() -> None:
        start.wait(JOIN_SECONDS)
        for _ in range(len(sent)):
            outcome = move_messages(store, dead, REDRIVE, to_queue(target), limit=5)
            moved.append(outcome.moved)
            if outcome.moved == 0:
                return

    threads = [threading.Thread(target=move, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads)

    assert sum(moved) == len(sent)
    assert _visible(store, target, T0) == len(sent)
    assert ids(_receive_all(store, target)) == ids(sent)


def _receive_all(store: QueueStore, queue: QueueRecord) -> list[StoredMessage]:
    """Every message of the queue, each deleted once received so FIFO groups move on."""
    received: list[StoredMessage] = []
    for _ in range(_visible(store, queue, T0) + 1):
        batch = (claim_fifo if queue.fifo else claim)(store, queue, max_count=10)
        if not batch:
            break
        for message in batch:
            assert _delete(store, queue, message)
        received += batch
    return received


def _delete(store: QueueStore, queue: QueueRecord, message: StoredMessage) -> bool:
    if not queue.fifo:
        return store.delete_message(queue, message.message_id)
    outcome = store.delete_leased_message(queue, message.message_id, lease_token=message.lease_token, now_ms=T0)
    return outcome is VisibilityOutcome.CHANGED


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_a_move_racing_receives_moves_only_messages_nobody_received(
    store: QueueStore, monkeypatch: pytest.MonkeyPatch, fifo: bool
) -> None:
    serialize_moto_requests(monkeypatch)
    if fifo:
        dead, target = create_fifo_queue(store, "dlq.fifo"), create_fifo_queue(store, "target.fifo")
        sent = [new_fifo_message(f"m{index}", group_id=f"g{index % 6}") for index in range(24)]
        put_fifo(store, dead, *sent)
    else:
        dead, target = create_queue(store, "dlq"), create_queue(store, "target")
        sent = put(store, dead, *(new_message(f"m{index}") for index in range(24)))
    start = threading.Barrier(2)
    received: list[StoredMessage] = []
    moved: list[int] = []

    def receive() -> None:
        start.wait(JOIN_SECONDS)
        for _ in range(len(sent)):
            batch = (claim_fifo if fifo else claim)(store, dead, max_count=2)
            received.extend(batch)
            if not batch:
                return

    def move() -> None:
        start.wait(JOIN_SECONDS)
        for _ in range(len(sent)):
            moved.append(move_messages(store, dead, REDRIVE, to_queue(target), limit=2).moved)
            if moved[-1] == 0:
                return

    threads = [threading.Thread(target=work, daemon=True) for work in (receive, move)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads)

    assert _visible(store, target, T0) == sum(moved)
    arrived = _receive_all(store, target)
    assert len(arrived) == sum(moved)
    assert not ids(arrived) & ids(received)
    assert len(received) == len(ids(received))
    leftover = store.count_messages(dead, now_ms=T0, retention_ms=RETENTION_MS)
    assert len(received) + len(arrived) + leftover.visible == len(sent)
    assert leftover.in_flight == len(received)
