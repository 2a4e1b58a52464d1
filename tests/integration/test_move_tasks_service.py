"""Message-move tasks through the service on the embedded store: validation, redrive, rate, cancel, failure."""

from __future__ import annotations

import base64
import json

import pytest

from dynaqueue.domain import errors
from dynaqueue.domain.housekeeping import Housekeeper
from dynaqueue.domain.model import MessageAttributeValue, ReceiveRequest, SendRequest
from dynaqueue.domain.move_tasks import decode_task_handle, encode_task_handle
from dynaqueue.domain.service import QueueService
from tests.fakes import FakeClock
from tests.integration.conftest import ACCOUNT

ATTRIBUTES = {"colour": MessageAttributeValue("String", string_value="blue")}
RUN_MS = 10_000


@pytest.fixture
def housekeeper(service: QueueService) -> Housekeeper:
    return service.housekeeper()


def arn(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


def redrive_policy(dead_letter_queue: str, max_receive_count: int = 1) -> str:
    return json.dumps({"deadLetterTargetArn": arn(dead_letter_queue), "maxReceiveCount": max_receive_count})


def receive_all(service: QueueService, queue: str, *, visibility: int = 30) -> list:
    """Every message receivable now (bounded: at most 20 receives of 10)."""
    received = []
    for _ in range(20):
        batch = service.receive_message(
            queue,
            ReceiveRequest(
                max_number_of_messages=10,
                visibility_timeout=visibility,
                system_attribute_names=["All"],
                message_attribute_names=["All"],
            ),
        )
        if not batch:
            break
        received += batch
    return received


def dead_letter(service: QueueService, clock: FakeClock, source: str, bodies: list[str], **send: object) -> list[str]:
    """Send `bodies` to `source` (maxReceiveCount 1) and receive them twice, so they land in its DLQ."""
    ids = [service.send_message(source, SendRequest(body, attributes=ATTRIBUTES, **send)).message_id for body in bodies]  # type: ignore[arg-type]
    assert len(receive_all(service, source, visibility=1)) == len(bodies)
    clock.advance(2)
    assert receive_all(service, source) == []
    return ids


def make_pair(service: QueueService, source: str = "orders", dlq: str = "orders-dlq", fifo: bool = False) -> None:
    suffix = ".fifo" if fifo else ""
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    service.create_queue(dlq + suffix, attributes, {})
    service.create_queue(source + suffix, {**attributes, "RedrivePolicy": redrive_policy(dlq + suffix)}, {})


def run_until_done(housekeeper: Housekeeper, clock: FakeClock, service: QueueService, dlq_arn: str) -> dict:
    for _ in range(30):
        clock.advance(1)
        housekeeper.run(time_budget_ms=RUN_MS)
        [task] = service.list_message_move_tasks(dlq_arn, None)
        if task.status != "RUNNING":
            return task
    raise AssertionError("the task did not finish within 30 runs")


def test_redrive_returns_each_message_to_its_original_queue_as_new(
    service: QueueService, clock: FakeClock, housekeeper: Housekeeper
) -> None:
    make_pair(service)
    service.create_queue("billing", {"RedrivePolicy": redrive_policy("orders-dlq")}, {})
    order_ids = dead_letter(service, clock, "orders", ["o1", "o2"])
    billing_ids = dead_letter(service, clock, "billing", ["b1"])

    handle = service.start_message_move_task(arn("orders-dlq"), None, None)
    task = run_until_done(housekeeper, clock, service, arn("orders-dlq"))

    assert task.status == "COMPLETED"
    assert (task.messages_moved, task.messages_to_move) == (3, 3)
    assert task.task_handle is None and task.destination_arn is None
    assert decode_task_handle(handle)[1] == arn("orders-dlq")
    orders = receive_all(service, "orders")
    billing = receive_all(service, "billing")
    assert sorted(message.message_id for message in orders) == sorted(order_ids)
    assert [message.message_id for message in billing] == billing_ids
    for message in orders + billing:
        assert message.attributes["ApproximateReceiveCount"] == "1"
        assert "DeadLetterQueueSourceArn" not in message.attributes
        assert message.message_attributes == ATTRIBUTES
    assert receive_all(service, "orders-dlq") == []


def test_an_explicit_destination_takes_every_message(
    service: QueueService, clock: FakeClock, housekeeper: Housekeeper
) -> None:
    make_pair(service)
    service.create_queue("replay", {}, {})
    ids = dead_letter(service, clock, "orders", ["a", "b"])

    service.start_message_move_task(arn("orders-dlq"), arn("replay"), None)
    task = run_until_done(housekeeper, clock, service, arn("orders-dlq"))

    assert task.destination_arn == arn("replay")
    assert sorted(message.message_id for message in receive_all(service, "replay")) == sorted(ids)
    assert receive_all(service, "orders") == []


def test_fifo_redrive_keeps_the_order_of_each_group(
    service: QueueService, clock: FakeClock, housekeeper: Housekeeper
) -> None:
    make_pair(service, fifo=True)
    for group in ("g1", "g2"):
        for index in range(3):
            service.send_message("orders.fifo", SendRequest(f"{group}-{index}", group_id=group))
    for _ in range(6):  # each group is delivered one message at a time while its head is in flight
        receive_all(service, "orders.fifo", visibility=1)
        clock.advance(2)
    for _ in range(6):
        receive_all(service, "orders.fifo")
        clock.advance(31)
    assert service.get_queue_attributes("orders-dlq.fifo", ["ApproximateNumberOfMessages"]) == {
        "ApproximateNumberOfMessages": "6"
    }

    service.start_message_move_task(arn("orders-dlq.fifo"), None, None)
    assert run_until_done(housekeeper, clock, service, arn("orders-dlq.fifo")).status == "COMPLETED"

    bodies: dict[str, list[str]] = {"g1": [], "g2": []}
    for _ in range(10):
        batch = receive_all(service, "orders.fifo", visibility=30)
        for message in batch:
            bodies[message.attributes["MessageGroupId"]].append(message.body)
            service.delete_message("orders.fifo", message.receipt_handle)
        if not batch:
            break
    assert bodies == {"g1": ["g1-0", "g1-1", "g1-2"], "g2": ["g2-0", "g2-1", "g2-2"]}


def test_the_rate_limits_how_many_move_per_second(
    service: QueueService, clock: FakeClock, housekeeper: Housekeeper
) -> None:
    make_pair(service)
    dead_letter(service, clock, "orders", [f"m{index}" for index in range(10)])
    service.start_message_move_task(arn("orders-dlq"), None, 2)

    clock.advance(3)
    housekeeper.run(time_budget_ms=RUN_MS)
    [task] = service.list_message_move_tasks(arn("orders-dlq"), None)

    assert (task.status, task.messages_moved, task.max_per_second) == ("RUNNING", 6, 2)
    assert task.task_handle is not None
    assert len(receive_all(service, "orders")) == 6


def test_only_messages_present_at_the_start_are_moved(
    service: QueueService, clock: FakeClock, housekeeper: Housekeeper
) -> None:
    make_pair(service)
    dead_letter(service, clock, "orders", ["early"])
    service.start_message_move_task(arn("orders-dlq"), None, None)
    dead_letter(service, clock, "orders", ["late"])

    task = run_until_done(housekeeper, clock, service, arn("orders-dlq"))

    assert (task.status, task.messages_moved, task.messages_to_move) == ("COMPLETED", 1, 1)
    assert len(receive_all(service, "orders-dlq")) == 1


def test_cancel_stops_a_running_task(service: QueueService, clock: FakeClock, housekeeper: Housekeeper) -> None:
    make_pair(service)
    dead_letter(service, clock, "orders", [f"m{index}" for index in range(10)])
    handle = service.start_message_move_task(arn("orders-dlq"), None, 1)
    clock.advance(2)
    housekeeper.run(time_budget_ms=RUN_MS)

    assert service.cancel_message_move_task(handle) == 2
    [cancelling] = service.list_message_move_tasks(arn("orders-dlq"), None)
    assert cancelling.status == "CANCELLING"
    clock.advance(60)
    housekeeper.run(time_budget_ms=RUN_MS)

    [cancelled] = service.list_message_move_tasks(arn("orders-dlq"), None)
    assert (cancelled.status, cancelled.messages_moved, cancelled.task_handle) == ("CANCELLED", 2, None)
    assert len(receive_all(service, "orders")) == 2
    assert len(receive_all(service, "orders-dlq")) == 8
    with pytest.raises(errors.InvalidParameterValue):
        service.cancel_message_move_task(handle)
    # A cancelled task frees the queue for the next one.
    assert service.start_message_move_task(arn("orders-dlq"), None, None)


def test_a_deleted_destination_fails_the_task(
    service: QueueService, clock: FakeClock, housekeeper: Housekeeper
) -> None:
    make_pair(service)
    service.create_queue("replay", {}, {})
    dead_letter(service, clock, "orders", ["a"])
    service.start_message_move_task(arn("orders-dlq"), arn("replay"), None)
    service.delete_queue("replay")

    task = run_until_done(housekeeper, clock, service, arn("orders-dlq"))

    assert (task.status, task.failure_reason) == ("FAILED", "AWS.SimpleQueueService.NonExistentQueue")
    assert len(receive_all(service, "orders-dlq")) == 1


def test_list_is_newest_first_and_bounded(service: QueueService, clock: FakeClock, housekeeper: Housekeeper) -> None:
    make_pair(service)
    for _ in range(3):
        service.start_message_move_task(arn("orders-dlq"), None, None)
        run_until_done(housekeeper, clock, service, arn("orders-dlq"))
        clock.advance(1)

    tasks = service.list_message_move_tasks(arn("orders-dlq"), 10)

    assert len(tasks) == 3
    assert [task.started_at_ms for task in tasks] == sorted((task.started_at_ms for task in tasks), reverse=True)
    assert len(service.list_message_move_tasks(arn("orders-dlq"), None)) == 1


@pytest.mark.parametrize(
    ("source", "destination", "rate", "error", "message"),
    [
        ("not-an-arn", None, None, errors.InvalidParameterValue, "You must use this format to specify the SourceArn"),
        (arn("nowhere"), None, None, errors.ResourceNotFoundException, "SourceArn parameter doesn't exist"),
        (arn("orders"), None, None, errors.InvalidParameterValue, "Source queue must be configured as a Dead Letter"),
        (arn("orders-dlq"), arn("nowhere"), None, errors.ResourceNotFoundException, "DestinationArn parameter"),
        (arn("orders-dlq"), None, 0, errors.InvalidParameterValue, "MaxNumberOfMessagesPerSecond"),
        (arn("orders-dlq"), None, 501, errors.InvalidParameterValue, "MaxNumberOfMessagesPerSecond"),
    ],
)
def test_start_validation(
    service: QueueService, source: str, destination: str | None, rate: int | None, error: type, message: str
) -> None:
    make_pair(service)
    with pytest.raises(error, match=message):
        service.start_message_move_task(source, destination, rate)


def test_one_active_task_per_queue(service: QueueService) -> None:
    make_pair(service)
    service.start_message_move_task(arn("orders-dlq"), None, None)
    with pytest.raises(errors.InvalidParameterValue, match="There is already a task running"):
        service.start_message_move_task(arn("orders-dlq"), None, None)


@pytest.mark.parametrize(
    ("handle", "error", "message"),
    [
        ("%%%", errors.InvalidParameterValue, "Value for parameter TaskHandle is invalid."),
        (base64.b64encode(b"[1]").decode(), errors.InvalidParameterValue, "TaskHandle is invalid"),
        (encode_task_handle("t-1", arn("nowhere")), errors.ResourceNotFoundException, "SourceArn parameter"),
        (encode_task_handle("t-1", arn("orders-dlq")), errors.ResourceNotFoundException, "Task does not exist."),
    ],
)
def test_cancel_validation(service: QueueService, handle: str, error: type, message: str) -> None:
    make_pair(service)
    with pytest.raises(error, match=message):
        service.cancel_message_move_task(handle)


def test_list_validation(service: QueueService) -> None:
    make_pair(service)
    with pytest.raises(errors.InvalidParameterValue, match="between 1 and 10"):
        service.list_message_move_tasks(arn("orders-dlq"), 11)
    with pytest.raises(errors.ResourceNotFoundException):
        service.list_message_move_tasks(arn("nowhere"), None)
    with pytest.raises(errors.InvalidParameterValue, match="format"):
        service.list_message_move_tasks("arn:nope", None)


def test_deleting_the_dead_letter_queue_forgets_its_tasks(service: QueueService, clock: FakeClock) -> None:
    make_pair(service)
    service.start_message_move_task(arn("orders-dlq"), None, None)
    service.delete_queue("orders-dlq")
    clock.advance(61)
    service.create_queue("orders-dlq", {}, {})

    assert service.list_message_move_tasks(arn("orders-dlq"), 10) == []
