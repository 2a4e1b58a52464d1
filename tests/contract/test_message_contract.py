"""The storage contract for messages: put, claim, settle, count and long-poll tokens, on every store."""

from __future__ import annotations

from dynaqueue.domain.model import LeasedReceipt, MessageAttributeValue, MessageCounts, VisibilityOutcome
from dynaqueue.domain.ports import QueueStore

from .builders import RETENTION_MS, T0, VISIBILITY_TIMEOUT_MS, claim, create_queue, ids, new_message, put

ONE_MIB = 1024 * 1024


def _unicode_body(utf8_bytes: int) -> str:
    """A body of exactly `utf8_bytes` UTF-8 bytes mixing 1-, 2-, 3- and 4-byte characters."""
    pattern = "a\u00e9\u20ac\U0001f600\n\U00010348\u4e2d\t"
    pattern_bytes = len(pattern.encode())
    body = pattern * (utf8_bytes // pattern_bytes)
    return body + "z" * (utf8_bytes - len(body.encode()))


def test_claim_returns_the_message_as_put_with_a_lease(store: QueueStore) -> None:
    record = create_queue(store)
    (sent,) = put(
        store, record, new_message("hello", sent_at_ms=T0 - 5_000, system_attributes={"AWSTraceHeader": "Root=1-5"})
    )

    (claimed,) = claim(store, record, now_ms=T0)

    assert (claimed.message_id, claimed.body, claimed.system_attributes, claimed.sent_at_ms) == (
        sent.message_id,
        "hello",
        {"AWSTraceHeader": "Root=1-5"},
        T0 - 5_000,
    )
    assert (claimed.receive_count, claimed.first_received_at_ms) == (1, T0)
    assert claimed.lease_token


def test_claim_leases_at_most_max_count_messages(store: QueueStore) -> None:
    record = create_queue(store)
    sent = put(store, record, *(new_message(f"message {index}") for index in range(5)))

    batches = [claim(store, record, max_count=2) for _ in range(4)]

    assert [len(batch) for batch in batches] == [2, 2, 1, 0]
    assert set().union(*(ids(batch) for batch in batches)) == ids(sent)


def test_delayed_message_is_claimable_from_its_visible_at(store: QueueStore) -> None:
    record = create_queue(store)
    delayed = put(store, record, new_message(visible_at_ms=T0 + 10_000))

    assert claim(store, record, now_ms=T0 + 9_999) == []
    assert ids(claim(store, record, now_ms=T0 + 10_000)) == ids(delayed)


def test_claimed_message_is_hidden_until_its_visibility_timeout_ends(store: QueueStore) -> None:
    record = create_queue(store)
    put(store, record, new_message())
    (first,) = claim(store, record, now_ms=T0, visibility_timeout_ms=VISIBILITY_TIMEOUT_MS)

    assert claim(store, record, now_ms=T0 + VISIBILITY_TIMEOUT_MS - 1) == []
    (second,) = claim(store, record, now_ms=T0 + VISIBILITY_TIMEOUT_MS, visibility_timeout_ms=0)
    (third,) = claim(store, record, now_ms=T0 + VISIBILITY_TIMEOUT_MS)

    assert second.message_id == first.message_id == third.message_id
    assert [lease.receive_count for lease in (first, second, third)] == [1, 2, 3]
    assert {lease.first_received_at_ms for lease in (first, second, third)} == {T0}
    assert len({lease.lease_token for lease in (first, second, third)}) == 3


def test_expired_messages_are_never_claimed(store: QueueStore) -> None:
    record = create_queue(store)
    put(store, record, *(new_message(f"expired {index}", sent_at_ms=T0 - 1) for index in range(3)))
    fresh = put(store, record, new_message("fresh", sent_at_ms=T0))

    assert ids(claim(store, record, now_ms=T0 + RETENTION_MS)) == ids(fresh)
    assert claim(store, record, now_ms=T0 + RETENTION_MS) == []


def test_message_is_claimable_until_its_retention_period_ends(store: QueueStore) -> None:
    record = create_queue(store)
    sent = put(store, record, new_message(sent_at_ms=T0))

    assert ids(claim(store, record, now_ms=T0 + RETENTION_MS, visibility_timeout_ms=0)) == ids(sent)
    assert claim(store, record, now_ms=T0 + RETENTION_MS + 1) == []


def test_messages_belong_to_their_queue(store: QueueStore) -> None:
    orders, invoices = create_queue(store, "orders"), create_queue(store, "invoices")
    (order,) = put(store, orders, new_message("order"))

    assert claim(store, invoices) == []
    assert not store.delete_message(invoices, order.message_id)
    assert store.count_messages(invoices, now_ms=T0, retention_ms=RETENTION_MS) == MessageCounts()
    assert ids(claim(store, orders)) == {order.message_id}


def test_visibility_change_with_the_current_lease_makes_the_message_visible_again(store: QueueStore) -> None:
    record = create_queue(store)
    put(store, record, new_message())
    (lease,) = claim(store, record)

    outcome = store.change_visibility(record, lease.message_id, lease_token=lease.lease_token, visible_at_ms=T0)

    assert outcome is VisibilityOutcome.CHANGED
    assert ids(claim(store, record, now_ms=T0)) == {lease.message_id}


def test_visibility_change_can_extend_a_lease(store: QueueStore) -> None:
    record = create_queue(store)
    put(store, record, new_message())
    (lease,) = claim(store, record)

    outcome = store.change_visibility(
        record, lease.message_id, lease_token=lease.lease_token, visible_at_ms=T0 + 2 * VISIBILITY_TIMEOUT_MS
    )

    assert outcome is VisibilityOutcome.CHANGED
    assert claim(store, record, now_ms=T0 + VISIBILITY_TIMEOUT_MS) == []
    assert ids(claim(store, record, now_ms=T0 + 2 * VISIBILITY_TIMEOUT_MS)) == {lease.message_id}


def test_visibility_change_with_an_earlier_lease_is_stale(store: QueueStore) -> None:
    record = create_queue(store)
    put(store, record, new_message())
    (earlier,) = claim(store, record, now_ms=T0)
    (current,) = claim(store, record, now_ms=T0 + VISIBILITY_TIMEOUT_MS)

    outcome = store.change_visibility(record, earlier.message_id, lease_token=earlier.lease_token, visible_at_ms=T0)

    assert outcome is VisibilityOutcome.STALE
    assert claim(store, record, now_ms=T0 + VISIBILITY_TIMEOUT_MS) == []
    assert (
        store.change_visibility(record, current.message_id, lease_token=current.lease_token, visible_at_ms=T0)
        is VisibilityOutcome.CHANGED
    )


def test_visibility_change_of_an_unknown_message_is_gone(store: QueueStore) -> None:
    record = create_queue(store)

    outcome = store.change_visibility(
        record, "00000000-0000-4000-8000-000000000000", lease_token="no-such-lease", visible_at_ms=T0
    )

    assert outcome is VisibilityOutcome.GONE


def test_deleted_message_can_no_longer_be_claimed_or_leased(store: QueueStore) -> None:
    record = create_queue(store, "orders")
    (message,) = put(store, record, new_message())
    (claimed,) = claim(store, record)

    assert store.delete_message(record, message.message_id)
    assert not store.delete_message(record, message.message_id)
    assert claim(store, record, now_ms=T0 + 60_000) == []
    outcome = store.change_visibility(record, message.message_id, lease_token=claimed.lease_token, visible_at_ms=T0)
    assert outcome is VisibilityOutcome.GONE


def test_unclaimed_and_unknown_messages_are_deleted_whatever_their_state(store: QueueStore) -> None:
    record = create_queue(store, "orders")
    visible, delayed = put(store, record, new_message("visible"), new_message("delayed", visible_at_ms=T0 + 60_000))

    assert store.delete_message(record, visible.message_id)
    assert store.delete_message(record, delayed.message_id)
    assert not store.delete_message(record, "00000000-0000-4000-8000-000000000000")
    assert claim(store, record, now_ms=T0 + 120_000) == []


def test_a_batch_delete_deletes_whatever_the_lease_and_tells_which_were_gone(store: QueueStore) -> None:
    record = create_queue(store, "orders")
    put(store, record, new_message("a"), new_message("b"), new_message("c"))
    (claimed,) = claim(store, record, max_count=1)
    other_lease, kept = [message for message in claim(store, record) if message.message_id != claimed.message_id]
    leases = [
        LeasedReceipt(claimed.message_id, "an-older-lease", T0),
        LeasedReceipt(other_lease.message_id, "not-its-lease", T0),
        LeasedReceipt(claimed.message_id, claimed.lease_token, T0),
        LeasedReceipt("00000000-0000-4000-8000-000000000000", "", T0),
    ]

    outcomes = store.delete_messages(record, leases, now_ms=T0)

    assert outcomes == [
        VisibilityOutcome.CHANGED,
        VisibilityOutcome.CHANGED,
        VisibilityOutcome.GONE,
        VisibilityOutcome.GONE,
    ]
    assert [message.body for message in claim(store, record, now_ms=T0 + 60_000)] == [kept.body]


def test_message_attributes_round_trip_exactly(store: QueueStore) -> None:
    record = create_queue(store)
    attributes = {
        "text": MessageAttributeValue("String", string_value="naïve café \U0001f600 \u4e2d\u6587"),
        "price": MessageAttributeValue("Number.float", string_value="-12.50e3"),
        "count": MessageAttributeValue("Number", string_value="0042"),
        "picture": MessageAttributeValue("Binary.gif", binary_value=bytes(range(256)) + b"\x00\xff"),
        "empty-looking": MessageAttributeValue("String.custom-type_1", string_value=" "),
    }
    system_attributes = {"AWSTraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}
    put(store, record, new_message(attributes=attributes, system_attributes=system_attributes))

    (claimed,) = claim(store, record)

    assert claimed.attributes == attributes
    assert claimed.system_attributes == system_attributes


def test_one_mebibyte_unicode_body_round_trips_exactly(store: QueueStore) -> None:
    record = create_queue(store)
    body = _unicode_body(ONE_MIB)
    attribute = {"checksum": MessageAttributeValue("String", string_value="\U0001f600" * 64)}
    (sent,) = put(store, record, new_message(body, attributes=attribute))

    (claimed,) = claim(store, record)

    assert len(body.encode()) == ONE_MIB
    assert claimed.message_id == sent.message_id
    assert claimed.body == body
    assert claimed.attributes == attribute
    assert store.delete_message(record, sent.message_id)
    assert claim(store, record, now_ms=T0 + VISIBILITY_TIMEOUT_MS) == []


def test_counts_split_visible_in_flight_and_delayed(store: QueueStore) -> None:
    record = create_queue(store)
    put(store, record, new_message("in flight"), new_message("lease ended"), new_message("postponed"))
    in_flight, lease_ended, postponed = sorted(
        claim(store, record, visibility_timeout_ms=10_000), key=lambda message: message.body
    )
    store.change_visibility(record, postponed.message_id, lease_token=postponed.lease_token, visible_at_ms=T0 + 60_000)
    store.change_visibility(record, lease_ended.message_id, lease_token=lease_ended.lease_token, visible_at_ms=T0)
    put(
        store,
        record,
        new_message("visible"),
        new_message("delayed", visible_at_ms=T0 + 5_000),
        new_message("expired", sent_at_ms=T0 - RETENTION_MS - 1),
        new_message("expired and delayed", sent_at_ms=T0 - RETENTION_MS - 1, visible_at_ms=T0 + 5_000),
    )

    counts = store.count_messages(record, now_ms=T0, retention_ms=RETENTION_MS)

    assert (in_flight.body, lease_ended.body, postponed.body) == ("in flight", "lease ended", "postponed")
    assert counts == MessageCounts(visible=2, in_flight=2, delayed=1)
    assert store.count_messages(record, now_ms=T0 + 60_000, retention_ms=RETENTION_MS) == MessageCounts(visible=5)


def test_availability_token_changes_when_a_message_is_put(store: QueueStore) -> None:
    record = create_queue(store)
    before = store.availability_token(record)

    put(store, record, new_message(visible_at_ms=T0 + 60_000))

    assert store.availability_token(record) != before


def test_availability_token_changes_when_a_lease_is_cut_short(store: QueueStore) -> None:
    record = create_queue(store)
    put(store, record, new_message())
    (lease,) = claim(store, record)
    before = store.availability_token(record)

    store.change_visibility(record, lease.message_id, lease_token=lease.lease_token, visible_at_ms=T0)

    assert store.availability_token(record) != before
