"""The CloudFormation custom resource behind queues as code: one declared queue, kept by the queue service itself.

CloudFormation sends Create, Update and Delete requests with the declaration as `ResourceProperties` and
waits for an answer PUT to the pre-signed `ResponseURL`. Every request is answered, SUCCESS or FAILED with
the SQS error text; an unanswered request would leave the stack waiting for an hour.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dynaqueue.domain.addressing import queue_name_from_arn, queue_url
from dynaqueue.domain.errors import MissingParameter, QueueDoesNotExist, QueueServiceError
from dynaqueue.domain.queue_attributes import default_attributes
from dynaqueue.domain.service import QueueService
from dynaqueue.observability import logger
from dynaqueue.wiring import get_service

FIFO_SUFFIX = ".fifo"
# CloudFormation rejects response bodies over 4,096 bytes; the reason is the only unbounded part.
MAX_REASON_CHARS = 1_000
RESPONSE_ATTEMPTS = 3
RESPONSE_TIMEOUT_SECONDS = 5
# Time kept back from the work for answering, so a slow store still gets a FAILED answer out.
RESPONSE_RESERVE_SECONDS = RESPONSE_ATTEMPTS * RESPONSE_TIMEOUT_SECONDS + 1
MIN_WORK_SECONDS = 1.0
# Set only when the queue is created, never by SetQueueAttributes.
CREATE_ONLY_ATTRIBUTES = frozenset({"FifoQueue"})


@dataclass(frozen=True, slots=True)
class Declaration:
    """A queue as the resource properties declare it; CloudFormation passes every value as a string."""

    name: str
    fifo: bool
    attributes: dict[str, str]
    tags: dict[str, str]
    endpoint: str
    retain: bool

    @classmethod
    def from_properties(cls, properties: Mapping[str, Any]) -> Declaration:
        name = str(properties.get("QueueName") or "")
        if not name:
            raise MissingParameter("The request must contain the parameter QueueName.")
        attributes = {key: _text(value) for key, value in (properties.get("Attributes") or {}).items()}
        fifo = _flag(properties.get("FifoQueue")) or _flag(attributes.get("FifoQueue")) or name.endswith(FIFO_SUFFIX)
        if fifo:
            attributes["FifoQueue"] = "true"
        return cls(
            name=name,
            fifo=fifo,
            attributes=attributes,
            tags={key: _text(value) for key, value in (properties.get("Tags") or {}).items()},
            endpoint=str(properties.get("Endpoint") or ""),
            retain=_flag(properties.get("RetainOnDelete")),
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What CloudFormation is told about one request."""

    status: str
    physical_resource_id: str
    reason: str = ""
    data: dict[str, str] = field(default_factory=dict)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(
        request_type=event.get("RequestType"),
        logical_resource_id=event.get("LogicalResourceId"),
        queue_name=(event.get("ResourceProperties") or {}).get("QueueName"),
    )
    budget_seconds = max(MIN_WORK_SECONDS, context.get_remaining_time_in_millis() / 1000 - RESPONSE_RESERVE_SECONDS)
    outcome = handle_within(event, get_service, budget_seconds)
    logger.info("queue resource request answered", extra={"status": outcome.status, "reason": outcome.reason})
    send_response(event, outcome)
    return {"Status": outcome.status, "PhysicalResourceId": outcome.physical_resource_id}


def handle_within(
    event: Mapping[str, Any], service_factory: Callable[[], QueueService], budget_seconds: float
) -> Outcome:
    """`handle`, or FAILED once `budget_seconds` have passed: a timed-out function would never answer."""
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = executor.submit(handle, event, service_factory)
    try:
        return future.result(timeout=budget_seconds)
    except concurrent.futures.TimeoutError:
        logger.error("queue resource request ran out of time", extra={"budget_seconds": budget_seconds})
        return _failed(event, f"InternalError: no outcome within {budget_seconds:.0f} s; the request may be retried")
    finally:
        executor.shutdown(wait=False)


def handle(event: Mapping[str, Any], service_factory: Callable[[], QueueService]) -> Outcome:
    """Carry out one request; any error becomes a FAILED outcome carrying its SQS code and message."""
    try:
        service = service_factory()
        request_type = event["RequestType"]
        if request_type == "Create":
            return create(service, Declaration.from_properties(event["ResourceProperties"]))
        if request_type == "Update":
            return update(service, event)
        if request_type == "Delete":
            return delete(service, event)
        return _failed(event, f"InvalidAction: unknown request type {request_type!r}")
    except QueueServiceError as error:
        return _failed(event, f"{error.code}: {error.message}")
    except Exception as error:
        logger.exception("queue resource request failed")
        return _failed(event, f"InternalError: {type(error).__name__}: {error}")


def create(service: QueueService, declaration: Declaration) -> Outcome:
    """CreateQueue, which succeeds on an existing queue whose attributes match; then the declared tags."""
    service.create_queue(declaration.name, declaration.attributes, declaration.tags)
    if declaration.tags:
        # CreateQueue leaves the tags of an existing queue alone; the declaration is authoritative.
        service.tag_queue(declaration.name, declaration.tags)
    return _success(service, declaration)


def update(service: QueueService, event: Mapping[str, Any]) -> Outcome:
    """Attributes and tags in place; a new queue (and a new physical id) when the name or FIFO-ness changes."""
    new = Declaration.from_properties(event["ResourceProperties"])
    old = Declaration.from_properties(event.get("OldResourceProperties") or {})
    if (new.name, new.fifo) != (old.name, old.fifo):
        # CloudFormation sees the new physical id and then deletes the old queue itself.
        return create(service, new)
    changes = {key: value for key, value in new.attributes.items() if key not in CREATE_ONLY_ATTRIBUTES}
    changes.update(_reset_values(removed=old.attributes.keys() - new.attributes.keys(), fifo=new.fifo))
    if changes:
        service.set_queue_attributes(new.name, changes)
    if new.tags:
        service.tag_queue(new.name, new.tags)
    removed_tags = sorted(old.tags.keys() - new.tags.keys())
    if removed_tags:
        service.untag_queue(new.name, removed_tags)
    return _success(service, new)


def delete(service: QueueService, event: Mapping[str, Any]) -> Outcome:
    """DeleteQueue unless the declaration retains the queue; a queue already gone is deleted."""
    physical_id = str(event.get("PhysicalResourceId") or "")
    parsed = queue_name_from_arn(physical_id)
    retain = _flag((event.get("ResourceProperties") or {}).get("RetainOnDelete"))
    # Not an ARN: the create failed, so there is no queue behind this resource.
    if parsed is not None and not retain:
        with contextlib.suppress(QueueDoesNotExist):
            service.delete_queue(parsed[2])
    return Outcome(status="SUCCESS", physical_resource_id=physical_id)


def _reset_values(*, removed: set[str], fifo: bool) -> dict[str, str]:
    """What undeclaring an attribute means: back to its default, or removed where SQS allows that."""
    defaults = default_attributes(fifo=fifo)
    return {name: defaults.get(name, "") for name in removed if name not in CREATE_ONLY_ATTRIBUTES}


def _success(service: QueueService, declaration: Declaration) -> Outcome:
    arn = service.queue_arn(declaration.name)
    return Outcome(
        status="SUCCESS",
        physical_resource_id=arn,
        data={
            "QueueName": declaration.name,
            "Arn": arn,
            "QueueUrl": queue_url(declaration.endpoint, service.account_id, declaration.name),
        },
    )


def _failed(event: Mapping[str, Any], reason: str) -> Outcome:
    # A failed Create has no queue; this id tells the rollback's Delete that there is nothing to remove.
    physical_id = event.get("PhysicalResourceId") or f"{event.get('LogicalResourceId', 'Queue')}-not-created"
    return Outcome(status="FAILED", physical_resource_id=str(physical_id), reason=reason[:MAX_REASON_CHARS])


def response_body(event: Mapping[str, Any], outcome: Outcome) -> bytes:
    """The JSON document CloudFormation expects at the ResponseURL."""
    document = {
        "Status": outcome.status,
        "Reason": outcome.reason or outcome.status,
        "PhysicalResourceId": outcome.physical_resource_id,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
        "NoEcho": False,
        "Data": outcome.data,
    }
    return json.dumps(document).encode()


def send_response(event: Mapping[str, Any], outcome: Outcome) -> None:
    """PUT the answer to the pre-signed URL, retrying briefly; failures are logged, as nothing else can report them."""
    body = response_body(event, outcome)
    # The URL is signed for an empty Content-Type; urllib would otherwise send a form content type.
    request = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    for attempt in range(1, RESPONSE_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=RESPONSE_TIMEOUT_SECONDS) as response:
                response.read()
            return
        except OSError:
            logger.exception("answering CloudFormation failed", extra={"attempt": attempt})


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


def _text(value: Any) -> str:
    """CloudFormation stringifies property values, but a template written by hand may hold JSON booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
