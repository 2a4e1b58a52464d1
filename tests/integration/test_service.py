"""The queue service's SQS semantics, over the embedded store and a fake clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dynaqueue.domain import errors
from dynaqueue.domain.clock import SystemClock
from dynaqueue.domain.model import (
    MessageAttributeValue,
    ReceiptBatchEntry,
    ReceiveRequest,
    SendBatchEntry,
    SendRequest,
)
from dynaqueue.domain.service import QueueService
from dynaqueue.storage.embedded import EmbeddedStore
from tests.fakes import FakeClock
from tests.integration.conftest import SECRET


def receive_one(service: QueueService, queue: str, **kwargs: object):
    messages = service.receive_message(queue, ReceiveRequest(**kwargs))  # type: ignore[arg-type]
    assert len(messages) == 1
    return messages[0]


# --- queue management -------------------------------------------------------------------


def test_create_queue_is_idempotent_with_equal_attributes(service: QueueService) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "45"}, {})
    assert service.create_queue("orders", {"VisibilityTimeout": "45"}, {}) == "orders"
    assert service.create_queue("orders", {}, {}) == "orders"


def test_create_queue_with_a_different_attribute_value_is_rejected(service: QueueService) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "45"}, {})
    with pytest.raises(errors.QueueNameExists, match="different value for attribute VisibilityTimeout"):
        service.create_queue("orders", {"VisibilityTimeout": "46"}, {})


def test_create_queue_compares_against_current_values_after_set(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    service.set_queue_attributes("orders", {"DelaySeconds": "5"})
    assert service.create_queue("orders", {"DelaySeconds": "5"}, {}) == "orders"
    with pytest.raises(errors.QueueNameExists):
        service.create_queue("orders", {"DelaySeconds": "0"}, {})


def test_a_deleted_name_cannot_be_recreated_for_60_seconds(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {}, {})
    service.delete_queue("orders")
    clock.advance(59)
    with pytest.raises(errors.QueueDeletedRecently):
        service.create_queue("orders", {}, {})
    clock.advance(1)
    assert service.create_queue("orders", {}, {}) == "orders"


def test_a_recreated_queue_does_not_accept_receipts_of_its_predecessor(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {}, {})
    service.send_message("orders", SendRequest(body="old"))
    handle = receive_one(service, "orders").receipt_handle
    service.delete_queue("orders")
    clock.advance(60)
    service.create_queue("orders", {}, {})
    with pytest.raises(errors.ReceiptHandleIsInvalid):
        service.delete_message("orders", handle)


def test_operations_on_a_missing_queue_raise_queue_does_not_exist(service: QueueService) -> None:
    with pytest.raises(errors.QueueDoesNotExist):
        service.send_message("nope", SendRequest(body="x"))
    with pytest.raises(errors.QueueDoesNotExist):
        service.delete_queue("nope")
    with pytest.raises(errors.QueueDoesNotExist):
        service.get_queue_url("nope")


def test_get_queue_url_for_another_account_does_not_resolve(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    assert service.get_queue_url("orders", "123456789012") == "orders"
    with pytest.raises(errors.QueueDoesNotExist):
        service.get_queue_url("orders", "210987654321")


def test_list_queues_pages_with_max_results_and_next_token(service: QueueService) -> None:
    for name in ("a1", "a2", "a3", "b1"):
        service.create_queue(name, {}, {})
    page, token = service.list_queues("a", 2, None)
    assert page == ["a1", "a2"]
    assert token is not None
    page, token = service.list_queues("a", 2, token)
    assert (page, token) == (["a3"], None)
    assert service.list_queues(None, None, None) == (["a1", "a2", "a3", "b1"], None)


@pytest.mark.parametrize("max_results", [0, 1001])
def test_list_queues_rejects_out_of_range_max_results(service: QueueService, max_results: int) -> None:
    with pytest.raises(errors.InvalidParameterValue):
        service.list_queues(None, max_results, None)


def test_list_queues_rejects_a_garbled_next_token(service: QueueService) -> None:
    with pytest.raises(errors.InvalidParameterValue):
        service.list_queues(None, 5, "%%%")


def test_get_queue_attributes_all_for_a_fresh_queue(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {}, {})
    attributes = service.get_queue_attributes("orders", ["All"])
    assert attributes["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:orders"
    assert attributes["CreatedTimestamp"] == str(clock.now_ms() // 1000)
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["VisibilityTimeout"] == "30"
    assert "FifoQueue" not in attributes


def test_set_queue_attributes_updates_last_modified(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {}, {})
    clock.advance(10)
    service.set_queue_attributes("orders", {"VisibilityTimeout": "60"})
    attributes = service.get_queue_attributes("orders", ["VisibilityTimeout", "LastModifiedTimestamp"])
    assert attributes == {"VisibilityTimeout": "60", "LastModifiedTimestamp": str(clock.now_ms() // 1000)}


def test_set_queue_attributes_requires_attributes(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    with pytest.raises(errors.MissingParameter):
        service.set_queue_attributes("orders", {})


def test_redrive_policy_must_name_an_existing_queue(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    policy = '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:missing","maxReceiveCount":3}'
    with pytest.raises(errors.InvalidParameterValue, match="Dead letter target does not exist"):
        service.set_queue_attributes("orders", {"RedrivePolicy": policy})
    service.create_queue("orders-dlq", {}, {})
    service.set_queue_attributes("orders", {"RedrivePolicy": policy.replace("missing", "orders-dlq")})
    assert '"maxReceiveCount":3' in service.get_queue_attributes("orders", ["RedrivePolicy"])["RedrivePolicy"]


def test_purge_removes_messages_and_is_allowed_once_per_minute(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {}, {})
    service.send_message("orders", SendRequest(body="before"))
    service.purge_queue("orders")
    clock.advance(1)
    service.send_message("orders", SendRequest(body="after"))
    assert [m.body for m in service.receive_message("orders", ReceiveRequest(max_number_of_messages=10))] == ["after"]
    clock.advance(30)
    with pytest.raises(errors.PurgeQueueInProgress, match="Only one PurgeQueue operation on orders"):
        service.purge_queue("orders")
    clock.advance(30)
    service.purge_queue("orders")


def test_tags_are_merged_removed_and_listed(service: QueueService) -> None:
    service.create_queue("orders", {}, {"team": "a"})
    service.tag_queue("orders", {"env": "dev", "team": "b"})
    service.untag_queue("orders", ["env", "absent"])
    assert service.list_queue_tags("orders") == {"team": "b"}


def test_tag_queue_enforces_the_50_tag_limit(service: QueueService) -> None:
    service.create_queue("orders", {}, {f"k{i}": "v" for i in range(50)})
    with pytest.raises(errors.InvalidParameterValue, match="Too many tags"):
        service.tag_queue("orders", {"one-more": "v"})


# --- messages ---------------------------------------------------------------------------


def test_send_returns_digests_and_receive_returns_the_message(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    attributes = {"Color": MessageAttributeValue("String", string_value="red")}
    result = service.send_message("orders", SendRequest(body="hello", attributes=attributes))
    assert result.md5_of_message_body == "5d41402abc4b2a76b9719d911017c592"
    assert result.md5_of_message_attributes is not None
    assert result.md5_of_message_system_attributes is None
    message = receive_one(service, "orders", message_attribute_names=["All"], system_attribute_names=["All"])
    assert message.message_id == result.message_id
    assert message.body == "hello"
    assert message.message_attributes == attributes
    assert message.md5_of_message_attributes == result.md5_of_message_attributes
    assert message.attributes["ApproximateReceiveCount"] == "1"
    assert message.attributes["SenderId"] == "123456789012"


def test_receive_returns_only_requested_attributes(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    attributes = {
        "Hello": MessageAttributeValue("String", string_value="There"),
        "Help.Me": MessageAttributeValue("String", string_value="Me"),
        "General": MessageAttributeValue("String", string_value="Kenobi"),
    }
    service.send_message("orders", SendRequest(body="x", attributes=attributes))
    message = receive_one(
        service, "orders", message_attribute_names=["Hel.*"], system_attribute_names=["SentTimestamp"]
    )
    assert set(message.message_attributes) == {"Hello", "Help.Me"}
    assert message.md5_of_message_attributes == "83fee93c1bcd8b9a5a923ffacdc636c7"
    assert set(message.attributes) == {"SentTimestamp"}


def test_receive_without_names_returns_no_attributes_or_digest(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    attributes = {"Hello": MessageAttributeValue("String", string_value="There")}
    service.send_message("orders", SendRequest(body="x", attributes=attributes))
    message = receive_one(service, "orders")
    assert message.message_attributes == {}
    assert message.md5_of_message_attributes is None
    assert message.attributes == {}


def test_trace_header_is_kept_and_digested(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    trace = {"AWSTraceHeader": MessageAttributeValue("String", string_value=header)}
    result = service.send_message("orders", SendRequest(body="x", system_attributes=trace))
    assert result.md5_of_message_system_attributes == "5ae4d5d7636402d80f4eb6d213245a88"
    assert result.md5_of_message_attributes is None
    message = receive_one(service, "orders", system_attribute_names=["AWSTraceHeader"])
    assert message.attributes == {"AWSTraceHeader": header}


def test_a_received_message_is_hidden_until_its_visibility_timeout_expires(
    service: QueueService, clock: FakeClock
) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "20"}, {})
    service.send_message("orders", SendRequest(body="x"))
    first = receive_one(service, "orders")
    clock.advance(19)
    assert service.receive_message("orders", ReceiveRequest()) == []
    clock.advance(1)
    second = receive_one(service, "orders", system_attribute_names=["ApproximateReceiveCount"])
    assert second.receipt_handle != first.receipt_handle
    assert second.attributes["ApproximateReceiveCount"] == "2"


def test_receive_visibility_timeout_overrides_the_queue_default(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {}, {})
    service.send_message("orders", SendRequest(body="x"))
    receive_one(service, "orders", visibility_timeout=5)
    clock.advance(5)
    receive_one(service, "orders")


def test_delayed_messages_become_visible_after_the_delay(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {"DelaySeconds": "10"}, {})
    service.send_message("orders", SendRequest(body="queue delay"))
    service.send_message("orders", SendRequest(body="no delay", delay_seconds=0))
    assert [m.body for m in service.receive_message("orders", ReceiveRequest(max_number_of_messages=10))] == [
        "no delay"
    ]
    assert service.get_queue_attributes("orders", ["ApproximateNumberOfMessagesDelayed"]) == {
        "ApproximateNumberOfMessagesDelayed": "1"
    }
    clock.advance(10)
    assert receive_one(service, "orders").body == "queue delay"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"max_number_of_messages": 11}, "MaxNumberOfMessages"),
        ({"max_number_of_messages": 0}, "MaxNumberOfMessages"),
        ({"wait_time_seconds": 21}, "WaitTimeSeconds"),
        ({"wait_time_seconds": -1}, "WaitTimeSeconds"),
        ({"visibility_timeout": 43201}, "VisibilityTimeout"),
    ],
)
def test_receive_rejects_out_of_range_parameters(service: QueueService, kwargs: dict, parameter: str) -> None:
    service.create_queue("orders", {}, {})
    with pytest.raises(errors.InvalidParameterValue, match=f"parameter {parameter} is invalid"):
        service.receive_message("orders", ReceiveRequest(**kwargs))


def test_messages_past_retention_are_never_delivered(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {"MessageRetentionPeriod": "60"}, {})
    service.send_message("orders", SendRequest(body="x"))
    clock.advance(61)
    assert service.receive_message("orders", ReceiveRequest()) == []
    assert service.get_queue_attributes("orders", ["ApproximateNumberOfMessages"]) == {
        "ApproximateNumberOfMessages": "0"
    }


def test_lowering_retention_expires_older_messages(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {}, {})
    service.send_message("orders", SendRequest(body="x"))
    clock.advance(120)
    service.set_queue_attributes("orders", {"MessageRetentionPeriod": "60"})
    assert service.receive_message("orders", ReceiveRequest()) == []


def test_send_rejects_a_message_over_the_queue_maximum(service: QueueService) -> None:
    service.create_queue("orders", {"MaximumMessageSize": "1024"}, {})
    service.send_message("orders", SendRequest(body="x" * 1024))
    with pytest.raises(errors.InvalidParameterValue, match="Message must be shorter than 1024 bytes"):
        service.send_message("orders", SendRequest(body="x" * 1025))


def test_message_size_counts_attributes(service: QueueService) -> None:
    service.create_queue("orders", {"MaximumMessageSize": "1024"}, {})
    attributes = {"ab": MessageAttributeValue("String", string_value="x" * 10)}  # 2 + 6 + 10 bytes
    service.send_message("orders", SendRequest(body="x" * (1024 - 18), attributes=attributes))
    with pytest.raises(errors.InvalidParameterValue):
        service.send_message("orders", SendRequest(body="x" * (1024 - 17), attributes=attributes))


def test_send_rejects_delay_out_of_range_and_dedup_id_on_standard(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    with pytest.raises(errors.InvalidParameterValue, match="DelaySeconds must be >= 0 and <= 900"):
        service.send_message("orders", SendRequest(body="x", delay_seconds=901))
    with pytest.raises(errors.InvalidParameterValue, match="MessageDeduplicationId"):
        service.send_message("orders", SendRequest(body="x", deduplication_id="d1"))


def test_send_rejects_an_empty_body_and_invalid_characters(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    with pytest.raises(errors.MissingParameter):
        service.send_message("orders", SendRequest(body=""))
    with pytest.raises(errors.InvalidMessageContents):
        service.send_message("orders", SendRequest(body="bell\x07"))


def test_group_id_on_a_standard_queue_is_echoed(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    service.send_message("orders", SendRequest(body="x", group_id="tenant-1"))
    message = receive_one(service, "orders", system_attribute_names=["All"])
    assert message.attributes["MessageGroupId"] == "tenant-1"


# --- receipt handles --------------------------------------------------------------------


def test_delete_removes_the_message_and_repeating_it_succeeds(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "0"}, {})
    service.send_message("orders", SendRequest(body="x"))
    handle = receive_one(service, "orders").receipt_handle
    service.delete_message("orders", handle)
    service.delete_message("orders", handle)
    assert service.receive_message("orders", ReceiveRequest()) == []


def test_delete_with_an_expired_handle_still_deletes_on_a_standard_queue(
    service: QueueService, clock: FakeClock
) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "1"}, {})
    service.send_message("orders", SendRequest(body="x"))
    handle = receive_one(service, "orders").receipt_handle
    clock.advance(5)
    service.delete_message("orders", handle)
    assert service.receive_message("orders", ReceiveRequest()) == []


@pytest.mark.parametrize("handle", ["garbage", "", "A" * 2000])
def test_a_garbage_handle_is_invalid(service: QueueService, handle: str) -> None:
    service.create_queue("orders", {}, {})
    with pytest.raises(errors.ReceiptHandleIsInvalid):
        service.delete_message("orders", handle)
    with pytest.raises(errors.ReceiptHandleIsInvalid):
        service.change_message_visibility("orders", handle, 10)


def test_a_handle_from_another_queue_is_invalid(service: QueueService) -> None:
    service.create_queue("a", {}, {})
    service.create_queue("b", {}, {})
    service.send_message("a", SendRequest(body="x"))
    handle = receive_one(service, "a").receipt_handle
    with pytest.raises(errors.ReceiptHandleIsInvalid, match="not valid for this queue"):
        service.delete_message("b", handle)


def test_a_tampered_handle_is_invalid(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    service.send_message("orders", SendRequest(body="x"))
    handle = receive_one(service, "orders").receipt_handle
    tampered = handle[:-2] + ("AA" if handle[-2:] != "AA" else "BB")
    with pytest.raises(errors.ReceiptHandleIsInvalid):
        service.delete_message("orders", tampered)


def test_change_visibility_zero_makes_the_message_receivable_at_once(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    service.send_message("orders", SendRequest(body="x"))
    handle = receive_one(service, "orders").receipt_handle
    service.change_message_visibility("orders", handle, 0)
    receive_one(service, "orders")


def test_change_visibility_extends_the_lease(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "10"}, {})
    service.send_message("orders", SendRequest(body="x"))
    handle = receive_one(service, "orders").receipt_handle
    service.change_message_visibility("orders", handle, 100)
    clock.advance(50)
    assert service.receive_message("orders", ReceiveRequest()) == []
    clock.advance(50)
    receive_one(service, "orders")


def test_visibility_cannot_exceed_12_hours_from_the_receive(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("orders", {}, {})
    service.send_message("orders", SendRequest(body="x"))
    handle = receive_one(service, "orders").receipt_handle
    service.change_message_visibility("orders", handle, 43_200)
    clock.advance(1)
    with pytest.raises(errors.InvalidParameterValue, match=r"beyond the limit \[43200 seconds\]"):
        service.change_message_visibility("orders", handle, 43_200)
    service.change_message_visibility("orders", handle, 43_199)


def test_change_visibility_of_a_deleted_message_is_rejected(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    service.send_message("orders", SendRequest(body="x"))
    handle = receive_one(service, "orders").receipt_handle
    service.delete_message("orders", handle)
    with pytest.raises(errors.InvalidParameterValue, match="Message does not exist"):
        service.change_message_visibility("orders", handle, 10)


def test_change_visibility_with_a_superseded_handle_is_rejected(service: QueueService) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "0"}, {})
    service.send_message("orders", SendRequest(body="x"))
    old = receive_one(service, "orders").receipt_handle
    receive_one(service, "orders")
    with pytest.raises(errors.InvalidParameterValue, match="The receipt handle has expired"):
        service.change_message_visibility("orders", old, 10)


def test_change_visibility_with_an_expired_but_current_handle_hides_it_again(
    service: QueueService, clock: FakeClock
) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "1"}, {})
    service.send_message("orders", SendRequest(body="x"))
    handle = receive_one(service, "orders").receipt_handle
    clock.advance(2)
    service.change_message_visibility("orders", handle, 30)
    assert service.receive_message("orders", ReceiveRequest()) == []


# --- batches ----------------------------------------------------------------------------


def test_send_batch_reports_per_entry_failures(service: QueueService) -> None:
    service.create_queue("orders", {"MaximumMessageSize": "1024"}, {})
    result = service.send_message_batch(
        "orders",
        [
            SendBatchEntry("ok", SendRequest(body="fine")),
            SendBatchEntry("big", SendRequest(body="x" * 1025)),
            SendBatchEntry("bad", SendRequest(body="\x00")),
        ],
    )
    assert [entry_id for entry_id, _ in result.successful] == ["ok"]
    failures = {failure.id: failure for failure in result.failed}
    assert failures["big"].code == "InvalidParameterValue"
    assert "cannot be validated" in failures["big"].message
    assert failures["bad"].code == "InvalidMessageContents"
    assert all(failure.sender_fault for failure in result.failed)
    assert len(service.receive_message("orders", ReceiveRequest(max_number_of_messages=10))) == 1


def test_send_batch_whole_request_errors(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    with pytest.raises(errors.EmptyBatchRequest):
        service.send_message_batch("orders", [])
    with pytest.raises(errors.TooManyEntriesInBatchRequest):
        service.send_message_batch("orders", [SendBatchEntry(str(i), SendRequest(body="x")) for i in range(11)])
    with pytest.raises(errors.BatchEntryIdsNotDistinct):
        service.send_message_batch("orders", [SendBatchEntry("a", SendRequest(body="x"))] * 2)
    with pytest.raises(errors.InvalidBatchEntryId):
        service.send_message_batch("orders", [SendBatchEntry("a b", SendRequest(body="x"))])
    with pytest.raises(errors.BatchRequestTooLong, match="You have sent 1048577 bytes"):
        service.send_message_batch(
            "orders",
            [
                SendBatchEntry("a", SendRequest(body="x" * 524_288)),
                SendBatchEntry("b", SendRequest(body="x" * 524_289)),
            ],
        )
    assert service.receive_message("orders", ReceiveRequest()) == []


def test_delete_and_change_visibility_batches(service: QueueService) -> None:
    service.create_queue("orders", {}, {})
    for body in ("a", "b"):
        service.send_message("orders", SendRequest(body=body))
    handles = [m.receipt_handle for m in service.receive_message("orders", ReceiveRequest(max_number_of_messages=2))]
    changed = service.change_message_visibility_batch(
        "orders",
        [
            ReceiptBatchEntry("one", handles[0], visibility_timeout=0),
            ReceiptBatchEntry("bad", "garbage", visibility_timeout=0),
        ],
    )
    assert [entry_id for entry_id, _ in changed.successful] == ["one"]
    assert [(f.id, f.code) for f in changed.failed] == [("bad", "ReceiptHandleIsInvalid")]
    deleted = service.delete_message_batch(
        "orders", [ReceiptBatchEntry("x", handles[1]), ReceiptBatchEntry("y", "garbage")]
    )
    assert [entry_id for entry_id, _ in deleted.successful] == ["x"]
    assert [(f.id, f.code) for f in deleted.failed] == [("y", "ReceiptHandleIsInvalid")]
    with pytest.raises(errors.EmptyBatchRequest, match="DeleteMessageBatchRequestEntry"):
        service.delete_message_batch("orders", [])


# --- long polling -----------------------------------------------------------------------


@pytest.fixture
def real_time_service(tmp_path: Path) -> Iterator[QueueService]:
    clock = SystemClock()
    embedded = EmbeddedStore(tmp_path / "real-time.db", clock=clock)
    yield QueueService(embedded, clock=clock, account_id="123456789012", region="us-east-1", receipt_secret=SECRET)
    embedded.close()


def test_a_long_poll_returns_a_message_sent_while_it_waits(real_time_service: QueueService) -> None:
    service = real_time_service
    service.create_queue("orders", {}, {})
    received: list = []
    poller = threading.Thread(
        target=lambda: received.extend(service.receive_message("orders", ReceiveRequest(wait_time_seconds=10)))
    )
    poller.start()
    service.send_message("orders", SendRequest(body="wake up"))
    poller.join(timeout=15)
    assert not poller.is_alive()
    assert [m.body for m in received] == ["wake up"]


def test_a_long_poll_on_an_empty_queue_returns_nothing_when_the_wait_ends(real_time_service: QueueService) -> None:
    service = real_time_service
    service.create_queue("orders", {"ReceiveMessageWaitTimeSeconds": "1"}, {})
    assert service.receive_message("orders", ReceiveRequest()) == []


def test_a_receive_answer_stays_within_the_response_budget(service: QueueService) -> None:
    # Six messages of 1,000,000 bytes would not fit in one Lambda response (6 MB): SQS may return fewer.
    service.create_queue("big", {}, {})
    for _ in range(6):
        service.send_message("big", SendRequest(body="y" * 1_000_000))
    first = service.receive_message("big", ReceiveRequest(max_number_of_messages=10))
    assert 1 <= len(first) < 6
    # The rest were released, not hidden: the next receive gets them at once.
    rest = service.receive_message("big", ReceiveRequest(max_number_of_messages=10))
    assert len(first) + len(rest) == 6
    assert {m.message_id for m in first}.isdisjoint(m.message_id for m in rest)


def test_one_message_over_the_budget_is_still_delivered(service: QueueService) -> None:
    service.create_queue("quotes", {}, {})
    service.send_message("quotes", SendRequest(body='"' * 1_048_576))
    assert len(service.receive_message("quotes", ReceiveRequest(max_number_of_messages=10))) == 1


# --- permissions and dead-letter sources ------------------------------------------------


def test_add_permission_builds_the_policy_sqs_generates(service: QueueService) -> None:
    service.create_queue("shared", {}, {})
    service.add_permission("shared", "one", ["111111111111"], ["SendMessage"])
    service.add_permission("shared", "two", ["111111111111", "222222222222"], ["ReceiveMessage", "DeleteMessage"])
    policy = json.loads(service.get_queue_attributes("shared", ["Policy"])["Policy"])
    arn = "arn:aws:sqs:us-east-1:123456789012:shared"
    assert policy["Version"] == "2008-10-17"
    assert policy["Id"] == f"{arn}/SQSDefaultPolicy"
    assert policy["Statement"] == [
        {
            "Sid": "one",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": "SQS:SendMessage",
            "Resource": arn,
        },
        {
            "Sid": "two",
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]},
            "Action": ["SQS:ReceiveMessage", "SQS:DeleteMessage"],
            "Resource": arn,
        },
    ]


def test_permission_errors(service: QueueService) -> None:
    service.create_queue("shared", {}, {})
    service.add_permission("shared", "one", ["111111111111"], ["*"])
    with pytest.raises(errors.InvalidParameterValue, match="Reason: Already exists"):
        service.add_permission("shared", "one", ["111111111111"], ["SendMessage"])
    with pytest.raises(errors.InvalidParameterValue, match="ActionName"):
        service.add_permission("shared", "bad", ["111111111111"], ["CreateQueue"])
    with pytest.raises(errors.OverLimit, match="8 Actions were found, maximum allowed is 7"):
        service.add_permission("shared", "many", ["111111111111"], ["SendMessage"] * 8)
    with pytest.raises(errors.InvalidParameterValue, match="PrincipalId"):
        service.add_permission("shared", "nobody", [], ["SendMessage"])
    with pytest.raises(errors.InvalidParameterValue, match="find label"):
        service.remove_permission("shared", "absent")


def test_removing_the_last_statement_removes_the_policy(service: QueueService) -> None:
    service.create_queue("shared", {}, {})
    service.add_permission("shared", "one", ["111111111111"], ["SendMessage"])
    service.add_permission("shared", "two", ["111111111111"], ["ReceiveMessage"])
    service.remove_permission("shared", "one")
    statements = json.loads(service.get_queue_attributes("shared", ["Policy"])["Policy"])["Statement"]
    assert [statement["Sid"] for statement in statements] == ["two"]
    service.remove_permission("shared", "two")
    assert service.get_queue_attributes("shared", ["Policy"]) == {}


def test_dead_letter_source_queues_are_listed_and_paged(service: QueueService) -> None:
    service.create_queue("dlq", {}, {})
    service.create_queue("unrelated", {}, {})
    policy = '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":3}'
    for name in ("src-a", "src-b", "src-c"):
        service.create_queue(name, {"RedrivePolicy": policy}, {})
    assert service.list_dead_letter_source_queues("dlq", None, None) == (["src-a", "src-b", "src-c"], None)
    page, token = service.list_dead_letter_source_queues("dlq", 2, None)
    assert page == ["src-a", "src-b"]
    assert service.list_dead_letter_source_queues("dlq", 2, token) == (["src-c"], None)
    assert service.list_dead_letter_source_queues("unrelated", None, None) == ([], None)
    with pytest.raises(errors.QueueDoesNotExist):
        service.list_dead_letter_source_queues("missing", None, None)
