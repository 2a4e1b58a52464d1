"""Dead-letter moves on receive: over-received messages go to the dead-letter queue whole, never lost."""

from __future__ import annotations

from dynaqueue.domain.model import MessageAttributeValue
from dynaqueue.domain.ports import QueueStore
from tests.contract.builders import (
    T0,
    VISIBILITY_TIMEOUT_MS,
    bodies,
    claim,
    claim_fifo,
    create_fifo_queue,
    create_queue,
    dead_letter_target,
    new_fifo_message,
    new_message,
    put,
    put_fifo,
)

AFTER_LEASE = T0 + VISIBILITY_TIMEOUT_MS
AFTER_SECOND_LEASE = AFTER_LEASE + VISIBILITY_TIMEOUT_MS
ATTRIBUTES = {"colour": MessageAttributeValue("String", string_value="blue")}


def test_a_standard_message_received_max_times_moves_with_its_content_and_count(store: QueueStore) -> None:
    source = create_queue(store, "source")
    dead = create_queue(store, "source-dlq")
    target = dead_letter_target(dead, max_receive_count=1)
    sent = new_message("poison", attributes=ATTRIBUTES, system_attributes={"AWSTraceHeader": "Root=1-abc"})
    put(store, source, sent)

    assert bodies(claim(store, source, dead_letter=target)) == ["poison"]
    assert claim(store, source, now_ms=AFTER_LEASE, dead_letter=target) == []

    [moved] = claim(store, dead, now_ms=AFTER_LEASE)
    assert moved.message_id == sent.message_id
    assert moved.body == "poison"
    assert moved.attributes == ATTRIBUTES
    assert moved.sent_at_ms == T0
    assert moved.receive_count == 2
    assert moved.system_attributes["AWSTraceHeader"] == "Root=1-abc"
    assert moved.system_attributes["DeadLetterQueueSourceArn"] == target.source_arn
    assert claim(store, source, now_ms=AFTER_SECOND_LEASE, dead_letter=target) == []


def test_messages_under_the_limit_are_leased_and_the_rest_move(store: QueueStore) -> None:
    source = create_queue(store, "source")
    dead = create_queue(store, "source-dlq")
    target = dead_letter_target(dead, max_receive_count=2)
    put(store, source, new_message("a"))

    assert bodies(claim(store, source, dead_letter=target)) == ["a"]
    assert bodies(claim(store, source, now_ms=AFTER_LEASE, dead_letter=target)) == ["a"]
    put(store, source, new_message("b", sent_at_ms=AFTER_LEASE))
    assert bodies(claim(store, source, now_ms=AFTER_SECOND_LEASE, dead_letter=target)) == ["b"]
    assert bodies(claim(store, dead, now_ms=AFTER_SECOND_LEASE)) == ["a"]


def test_a_standard_message_stays_when_the_dead_letter_queue_is_gone(store: QueueStore) -> None:
    source = create_queue(store, "source")
    dead = create_queue(store, "source-dlq")
    target = dead_letter_target(dead, max_receive_count=1)
    put(store, source, new_message("kept"))
    claim(store, source, dead_letter=target)
    assert store.delete_queue("source-dlq", now_ms=T0)

    [redelivered] = claim(store, source, now_ms=AFTER_LEASE, dead_letter=target)
    assert redelivered.body == "kept"
    assert redelivered.receive_count == 2


def test_a_fifo_move_unblocks_the_group_and_keeps_order_in_the_dead_letter_group(store: QueueStore) -> None:
    source = create_fifo_queue(store, "source.fifo")
    dead = create_fifo_queue(store, "source-dlq.fifo")
    target = dead_letter_target(dead, max_receive_count=1)
    first = new_fifo_message("first", system_attributes={"MessageDeduplicationId": "d1", "MessageGroupId": "g1"})
    put_fifo(store, source, first, new_fifo_message("second"), new_fifo_message("third"))

    assert bodies(claim_fifo(store, source, max_count=2, dead_letter=target)) == ["first", "second"]
    assert bodies(claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=target)) == ["third"]

    moved = claim_fifo(store, dead, now_ms=AFTER_LEASE)
    assert bodies(moved) == ["first", "second"]
    assert moved[0].message_id == first.message_id
    assert moved[0].receive_count == 2
    assert moved[0].system_attributes["MessageDeduplicationId"] == "d1"
    assert moved[0].system_attributes["MessageGroupId"] == "g1"
    assert moved[0].system_attributes["DeadLetterQueueSourceArn"] == target.source_arn
    assert moved[0].sequence_number is not None and moved[1].sequence_number is not None
    assert moved[0].sequence_number < moved[1].sequence_number


def test_a_moved_fifo_message_retention_restarts_at_the_move(store: QueueStore) -> None:
    source = create_fifo_queue(store, "source.fifo")
    dead = create_fifo_queue(store, "source-dlq.fifo")
    target = dead_letter_target(dead, max_receive_count=1)
    put_fifo(store, source, new_fifo_message("old"))
    claim_fifo(store, source, dead_letter=target)
    claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=target)

    [moved] = claim_fifo(store, dead, now_ms=AFTER_LEASE, retention_ms=VISIBILITY_TIMEOUT_MS // 2)
    assert moved.sent_at_ms == AFTER_LEASE


def test_a_fifo_message_stays_when_the_dead_letter_queue_is_gone(store: QueueStore) -> None:
    source = create_fifo_queue(store, "source.fifo")
    dead = create_fifo_queue(store, "source-dlq.fifo")
    target = dead_letter_target(dead, max_receive_count=1)
    put_fifo(store, source, new_fifo_message("kept"))
    claim_fifo(store, source, dead_letter=target)
    assert store.delete_queue("source-dlq.fifo", now_ms=T0)

    [redelivered] = claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=target)
    assert redelivered.body == "kept"
    assert redelivered.receive_count == 2
