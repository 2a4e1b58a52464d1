"""The storage contract for queues: create, look up, list, update, delete and purge, on every store."""

from __future__ import annotations

from dynaqueue.domain.model import MessageCounts, PurgeOutcome
from dynaqueue.domain.ports import QueueStore

from .builders import RETENTION_MS, T0, claim, create_queue, ids, new_message, put, queue_record

PURGE_INTERVAL_MS = 60_000


def test_created_queue_is_returned_by_name_exactly_as_stored(store: QueueStore) -> None:
    record = queue_record("orders", tags={"team": "payments", "cost-centre": "ü-42"})

    stored, created = store.create_queue(record)

    assert created
    assert stored == record
    assert store.get_queue("orders") == record


def test_creating_an_existing_name_returns_the_stored_queue_unchanged(store: QueueStore) -> None:
    first = create_queue(store, "orders")

    stored, created = store.create_queue(queue_record("orders", tags={"other": "tags"}))

    assert not created
    assert stored == first
    assert store.get_queue("orders") == first


def test_unknown_queue_is_none(store: QueueStore) -> None:
    create_queue(store, "orders")

    assert store.get_queue("Orders") is None
    assert store.get_queue("order") is None


def test_queue_names_are_listed_sorted_and_filtered_by_literal_prefix(store: QueueStore) -> None:
    for name in ("b", "ab", "a", "a_b", "axb", "c-1"):
        create_queue(store, name)

    assert store.list_queue_names("", None, 100) == ["a", "a_b", "ab", "axb", "b", "c-1"]
    assert store.list_queue_names("a", None, 100) == ["a", "a_b", "ab", "axb"]
    assert store.list_queue_names("a_", None, 100) == ["a_b"]
    assert store.list_queue_names("z", None, 100) == []


def test_queue_names_page_strictly_after_the_given_name_up_to_the_limit(store: QueueStore) -> None:
    for index in range(5):
        create_queue(store, f"queue-{index}")

    assert store.list_queue_names("queue-", None, 2) == ["queue-0", "queue-1"]
    assert store.list_queue_names("queue-", "queue-1", 2) == ["queue-2", "queue-3"]
    assert store.list_queue_names("queue-", "queue-3", 2) == ["queue-4"]
    assert store.list_queue_names("queue-", "queue-4", 2) == []


def test_update_replaces_only_what_is_given(store: QueueStore) -> None:
    record = create_queue(store, "orders")
    attributes = {**record.attributes, "VisibilityTimeout": "45"}

    with_attributes = store.update_queue("orders", attributes=attributes)
    with_tags = store.update_queue("orders", tags={"team": "search"})
    with_time = store.update_queue("orders", modified_at_ms=T0 + 5_000)

    assert with_attributes is not None and with_tags is not None and with_time is not None
    assert (with_attributes.attributes, with_attributes.tags, with_attributes.last_modified_at_ms) == (
        attributes,
        record.tags,
        record.last_modified_at_ms,
    )
    assert (with_tags.attributes, with_tags.tags) == (attributes, {"team": "search"})
    assert (with_time.attributes, with_time.tags, with_time.last_modified_at_ms) == (
        attributes,
        {"team": "search"},
        T0 + 5_000,
    )
    assert store.get_queue("orders") == with_time
    assert (with_time.queue_id, with_time.created_at_ms) == (record.queue_id, record.created_at_ms)


def test_update_replaces_attributes_and_tags_whole(store: QueueStore) -> None:
    create_queue(store, "orders")
    store.update_queue("orders", tags={"a": "1", "b": "2"})

    updated = store.update_queue("orders", attributes={"DelaySeconds": "5"}, tags={"b": "3"})

    assert updated is not None
    assert (updated.attributes, updated.tags) == ({"DelaySeconds": "5"}, {"b": "3"})


def test_update_of_a_missing_queue_is_none(store: QueueStore) -> None:
    assert store.update_queue("orders", tags={"team": "search"}) is None


def test_deleted_queue_is_gone_and_its_deletion_time_remembered(store: QueueStore) -> None:
    create_queue(store, "orders")
    create_queue(store, "orders-dlq")

    assert store.delete_queue("orders", now_ms=T0 + 1_000)

    assert store.get_queue("orders") is None
    assert store.list_queue_names("orders", None, 10) == ["orders-dlq"]
    assert store.update_queue("orders", tags={"team": "search"}) is None
    assert store.queue_deleted_at("orders") == T0 + 1_000
    assert store.queue_deleted_at("orders-dlq") is None
    assert not store.delete_queue("orders", now_ms=T0 + 2_000)
    assert store.queue_deleted_at("orders") == T0 + 1_000


def test_recreated_queue_is_a_new_queue_without_the_old_messages(store: QueueStore) -> None:
    old = create_queue(store, "orders")
    put(store, old, new_message("old"))
    store.delete_queue("orders", now_ms=T0 + 1_000)

    new = create_queue(store, "orders")
    put(store, new, new_message("new", sent_at_ms=T0 + 70_000))

    assert new.queue_id != old.queue_id
    assert store.get_queue("orders") == new
    assert [message.body for message in claim(store, new, now_ms=T0 + 70_000)] == ["new"]
    assert store.queue_deleted_at("orders") == T0 + 1_000


def test_purge_makes_messages_sent_before_it_unreachable(store: QueueStore) -> None:
    record = create_queue(store, "orders")
    before = put(store, record, new_message("waiting"), new_message("at the purge instant", sent_at_ms=T0 + 1_000))
    in_flight = put(store, record, new_message("in flight", sent_at_ms=T0 + 500))
    claim(store, record, now_ms=T0 + 500, max_count=1)

    assert store.purge_queue("orders", now_ms=T0 + 1_000, min_interval_ms=PURGE_INTERVAL_MS) is PurgeOutcome.PURGED

    purged = store.get_queue("orders")
    assert purged is not None
    assert purged.last_purged_at_ms == T0 + 1_000
    later = T0 + 1_000 + 60 * 60_000
    assert claim(store, purged, now_ms=later) == []
    assert store.count_messages(purged, now_ms=later, retention_ms=RETENTION_MS) == MessageCounts()
    assert [store.delete_message(purged, message.message_id) for message in before + in_flight] == [False] * 3


def test_messages_sent_after_a_purge_are_kept(store: QueueStore) -> None:
    put(store, create_queue(store, "orders"), new_message("purged"))
    store.purge_queue("orders", now_ms=T0 + 1_000, min_interval_ms=PURGE_INTERVAL_MS)
    purged = store.get_queue("orders")
    assert purged is not None

    kept = put(store, purged, new_message("kept", sent_at_ms=T0 + 1_001))

    assert ids(claim(store, purged, now_ms=T0 + 2_000)) == ids(kept)


def test_purge_within_the_interval_is_too_soon(store: QueueStore) -> None:
    create_queue(store, "orders")
    interval = PURGE_INTERVAL_MS

    assert store.purge_queue("orders", now_ms=T0, min_interval_ms=interval) is PurgeOutcome.PURGED
    assert store.purge_queue("orders", now_ms=T0 + interval - 1, min_interval_ms=interval) is PurgeOutcome.TOO_SOON
    assert store.purge_queue("orders", now_ms=T0 + interval, min_interval_ms=interval) is PurgeOutcome.PURGED
    record = store.get_queue("orders")
    assert record is not None
    assert record.last_purged_at_ms == T0 + interval


def test_purge_too_soon_keeps_the_messages(store: QueueStore) -> None:
    create_queue(store, "orders")
    store.purge_queue("orders", now_ms=T0, min_interval_ms=PURGE_INTERVAL_MS)
    current = store.get_queue("orders")
    assert current is not None
    kept = put(store, current, new_message(sent_at_ms=T0 + 1))

    outcome = store.purge_queue("orders", now_ms=T0 + 2, min_interval_ms=PURGE_INTERVAL_MS)

    assert outcome is PurgeOutcome.TOO_SOON
    assert store.get_queue("orders") == current
    assert ids(claim(store, current, now_ms=T0 + 3)) == ids(kept)


def test_purge_of_an_unknown_queue_is_gone(store: QueueStore) -> None:
    create_queue(store, "orders")
    store.delete_queue("orders", now_ms=T0)

    assert store.purge_queue("orders", now_ms=T0, min_interval_ms=PURGE_INTERVAL_MS) is PurgeOutcome.GONE
    assert store.purge_queue("never-was", now_ms=T0, min_interval_ms=PURGE_INTERVAL_MS) is PurgeOutcome.GONE
