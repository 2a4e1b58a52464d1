"""The queues-as-code custom resource: CloudFormation requests against an embedded store, answered by PUT."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dynaqueue import wiring
from dynaqueue.domain.errors import QueueDoesNotExist
from dynaqueue.domain.service import QueueService
from dynaqueue.handlers.queue_resources import handle, handle_within, lambda_handler
from dynaqueue.local.gateway import LocalLambdaContext
from dynaqueue.storage.embedded import EmbeddedStore
from tests.fakes import FakeClock

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/dynaqueue-dev/1"


@dataclass
class Answers:
    """What CloudFormation's pre-signed URL received."""

    url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    content_types: list[str | None] = field(default_factory=list)

    def last(self) -> dict[str, Any]:
        return self.bodies[-1]


@pytest.fixture
def answers() -> Iterator[Answers]:
    received = Answers(url="")

    class ResponseUrl(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers["Content-Length"])
            received.bodies.append(json.loads(self.rfile.read(length)))
            received.content_types.append(self.headers.get("Content-Type"))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ResponseUrl)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/response?X-Amz-Signature=abc"
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[QueueService]:
    clock = FakeClock()
    store = EmbeddedStore(tmp_path / "store.db", clock=clock)
    queue_service = QueueService(store, clock=clock, account_id=ACCOUNT_ID, region=REGION, receipt_secret=b"k" * 32)
    wiring.configure(queue_service)
    try:
        yield queue_service
    finally:
        wiring.configure(None)
        store.close()


def arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"


def properties(name: str, **extra: Any) -> dict[str, Any]:
    return {"ServiceToken": "arn:aws:lambda:fn", "QueueName": name, "Endpoint": ENDPOINT, **extra}


def send(answers: Answers, request_type: str, props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    event = {
        "RequestType": request_type,
        "ResponseURL": answers.url,
        "StackId": STACK_ID,
        "RequestId": f"request-{len(answers.bodies)}",
        "LogicalResourceId": "OrdersQueue",
        "ResourceType": "Custom::DynaqueueQueue",
        "ResourceProperties": props,
        **extra,
    }
    # The deployed function's one minute, most of which the handler may spend before answering FAILED.
    context = LocalLambdaContext(region=REGION, account_id=ACCOUNT_ID, deadline=time.monotonic() + 60)
    lambda_handler(event, context)
    return answers.last()


def test_create_makes_the_queue_and_answers_with_its_url_arn_and_name(answers: Answers, service: QueueService) -> None:
    # Given a declaration with attributes and tags
    props = properties("orders", Attributes={"VisibilityTimeout": "60", "DelaySeconds": 5}, Tags={"team": "shop"})

    # When CloudFormation creates the resource
    answer = send(answers, "Create", props)

    # Then the queue exists as declared and CloudFormation got everything it needs
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == arn("orders")
    assert answer["Data"] == {
        "QueueName": "orders",
        "Arn": arn("orders"),
        "QueueUrl": f"{ENDPOINT}/{ACCOUNT_ID}/orders",
    }
    assert (answer["StackId"], answer["RequestId"], answer["LogicalResourceId"]) == (
        STACK_ID,
        "request-0",
        "OrdersQueue",
    )
    attributes = service.get_queue_attributes("orders", ["All"])
    assert (attributes["VisibilityTimeout"], attributes["DelaySeconds"]) == ("60", "5")
    assert service.list_queue_tags("orders") == {"team": "shop"}
    # The pre-signed URL is signed for an empty content type.
    assert answers.content_types == [""]


def test_create_of_a_fifo_queue_with_content_based_deduplication(answers: Answers, service: QueueService) -> None:
    answer = send(
        answers,
        "Create",
        properties("orders.fifo", FifoQueue="true", Attributes={"ContentBasedDeduplication": "true"}),
    )

    assert answer["Status"] == "SUCCESS"
    attributes = service.get_queue_attributes("orders.fifo", ["All"])
    assert (attributes["FifoQueue"], attributes["ContentBasedDeduplication"]) == ("true", "true")


def test_create_wires_a_dead_letter_queue_by_arn(answers: Answers, service: QueueService) -> None:
    send(answers, "Create", properties("orders-dlq"))
    redrive = json.dumps({"deadLetterTargetArn": arn("orders-dlq"), "maxReceiveCount": 3})

    answer = send(answers, "Create", properties("orders", Attributes={"RedrivePolicy": redrive}))

    assert answer["Status"] == "SUCCESS"
    policy = json.loads(service.get_queue_attributes("orders", ["RedrivePolicy"])["RedrivePolicy"])
    assert policy["deadLetterTargetArn"] == arn("orders-dlq")
    assert int(policy["maxReceiveCount"]) == 3


def test_create_is_idempotent_when_the_attributes_match(answers: Answers, service: QueueService) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "60"}, {})

    answer = send(answers, "Create", properties("orders", Attributes={"VisibilityTimeout": "60"}))

    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == arn("orders")


def test_create_against_a_queue_with_other_attributes_fails_with_the_sqs_error(
    answers: Answers, service: QueueService
) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "60"}, {})

    answer = send(answers, "Create", properties("orders", Attributes={"VisibilityTimeout": "30"}))

    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("QueueNameExists: ")
    assert "VisibilityTimeout" in answer["Reason"]
    # The rollback's Delete for this id must find nothing to remove.
    assert not answer["PhysicalResourceId"].startswith("arn:")


def test_invalid_attribute_value_fails_with_the_sqs_error_and_creates_nothing(
    answers: Answers, service: QueueService
) -> None:
    answer = send(answers, "Create", properties("orders", Attributes={"VisibilityTimeout": "99999"}))

    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("InvalidAttributeValue: ")
    with pytest.raises(QueueDoesNotExist):
        service.get_queue_url("orders")


def test_missing_queue_name_fails(answers: Answers, service: QueueService) -> None:
    answer = send(answers, "Create", {"ServiceToken": "arn:aws:lambda:fn", "Endpoint": ENDPOINT})

    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("MissingParameter: ")


def test_update_changes_attributes_and_tags_in_place(answers: Answers, service: QueueService) -> None:
    # Given a declared queue
    old = properties("orders", Attributes={"VisibilityTimeout": "60", "DelaySeconds": "5"}, Tags={"a": "1", "b": "2"})
    send(answers, "Create", old)

    # When the declaration changes one attribute, drops another, and changes the tags
    new = properties("orders", Attributes={"VisibilityTimeout": "90"}, Tags={"a": "10", "c": "3"})
    answer = send(answers, "Update", new, OldResourceProperties=old, PhysicalResourceId=arn("orders"))

    # Then the same queue carries the new declaration, and the undeclared attribute is back to its default
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == arn("orders")
    attributes = service.get_queue_attributes("orders", ["All"])
    assert (attributes["VisibilityTimeout"], attributes["DelaySeconds"]) == ("90", "0")
    assert service.list_queue_tags("orders") == {"a": "10", "c": "3"}


def test_update_removes_an_undeclared_redrive_policy(answers: Answers, service: QueueService) -> None:
    send(answers, "Create", properties("orders-dlq"))
    redrive = json.dumps({"deadLetterTargetArn": arn("orders-dlq"), "maxReceiveCount": 3})
    old = properties("orders", Attributes={"RedrivePolicy": redrive})
    send(answers, "Create", old)

    answer = send(answers, "Update", properties("orders"), OldResourceProperties=old, PhysicalResourceId=arn("orders"))

    assert answer["Status"] == "SUCCESS"
    assert "RedrivePolicy" not in service.get_queue_attributes("orders", ["All"])


def test_update_with_a_new_name_replaces_the_queue_and_the_old_one_goes_on_delete(
    answers: Answers, service: QueueService
) -> None:
    # Given a declared queue
    old = properties("orders", Tags={"team": "shop"})
    send(answers, "Create", old)

    # When the declaration renames it
    new = properties("purchases", Tags={"team": "shop"})
    answer = send(answers, "Update", new, OldResourceProperties=old, PhysicalResourceId=arn("orders"))

    # Then a new queue exists under a new physical id, and CloudFormation's cleanup Delete removes the old one
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == arn("purchases")
    assert answer["Data"]["QueueUrl"] == f"{ENDPOINT}/{ACCOUNT_ID}/purchases"
    assert service.list_queue_tags("purchases") == {"team": "shop"}
    cleanup = send(answers, "Delete", old, PhysicalResourceId=arn("orders"))
    assert cleanup["Status"] == "SUCCESS"
    with pytest.raises(QueueDoesNotExist):
        service.get_queue_url("orders")
    assert service.get_queue_url("purchases") == "purchases"


def test_update_from_standard_to_fifo_replaces_the_queue(answers: Answers, service: QueueService) -> None:
    old = properties("orders")
    send(answers, "Create", old)

    answer = send(
        answers, "Update", properties("orders.fifo"), OldResourceProperties=old, PhysicalResourceId=arn("orders")
    )

    assert answer["PhysicalResourceId"] == arn("orders.fifo")
    assert service.get_queue_attributes("orders.fifo", ["FifoQueue"]) == {"FifoQueue": "true"}


def test_failed_update_reports_the_error_and_keeps_the_physical_id(answers: Answers, service: QueueService) -> None:
    old = properties("orders")
    send(answers, "Create", old)

    answer = send(
        answers,
        "Update",
        properties("orders", Attributes={"MessageRetentionPeriod": "5"}),
        OldResourceProperties=old,
        PhysicalResourceId=arn("orders"),
    )

    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("InvalidAttributeValue: ")
    assert answer["PhysicalResourceId"] == arn("orders")


def test_delete_removes_the_queue_and_succeeds_when_it_is_already_gone(answers: Answers, service: QueueService) -> None:
    send(answers, "Create", properties("orders"))

    first = send(answers, "Delete", properties("orders"), PhysicalResourceId=arn("orders"))
    second = send(answers, "Delete", properties("orders"), PhysicalResourceId=arn("orders"))

    assert (first["Status"], second["Status"]) == ("SUCCESS", "SUCCESS")
    with pytest.raises(QueueDoesNotExist):
        service.get_queue_url("orders")


def test_delete_keeps_a_retained_queue(answers: Answers, service: QueueService) -> None:
    props = properties("orders", RetainOnDelete="true")
    send(answers, "Create", props)

    answer = send(answers, "Delete", props, PhysicalResourceId=arn("orders"))

    assert answer["Status"] == "SUCCESS"
    assert service.get_queue_url("orders") == "orders"


def test_delete_after_a_failed_create_succeeds_without_touching_queues(answers: Answers, service: QueueService) -> None:
    service.create_queue("orders", {"VisibilityTimeout": "60"}, {})
    failed = send(answers, "Create", properties("orders", Attributes={"VisibilityTimeout": "30"}))

    answer = send(answers, "Delete", properties("orders"), PhysicalResourceId=failed["PhysicalResourceId"])

    assert answer["Status"] == "SUCCESS"
    assert service.get_queue_url("orders") == "orders"


def test_a_service_that_cannot_be_built_is_reported_as_failed_not_raised() -> None:
    def unavailable() -> QueueService:
        raise RuntimeError("table not found")

    outcome = handle(
        {"RequestType": "Create", "LogicalResourceId": "OrdersQueue", "ResourceProperties": properties("orders")},
        unavailable,
    )

    assert outcome.status == "FAILED"
    assert outcome.reason == "InternalError: RuntimeError: table not found"


def test_a_request_that_outlives_its_budget_is_answered_failed_in_time() -> None:
    release = threading.Event()

    def stuck() -> QueueService:
        release.wait(timeout=10)
        raise QueueDoesNotExist()

    try:
        outcome = handle_within(
            {"RequestType": "Delete", "PhysicalResourceId": arn("orders"), "ResourceProperties": properties("orders")},
            stuck,
            budget_seconds=0.2,
        )
    finally:
        release.set()

    assert outcome.status == "FAILED"
    assert outcome.reason.startswith("InternalError: no outcome within")
    assert outcome.physical_resource_id == arn("orders")
