"""Turning a SendMessage request into a message to store: validation, delay, system attributes, digests."""

from __future__ import annotations

import uuid

from dynaqueue.domain import fifo, limits
from dynaqueue.domain.checksums import md5_of_attributes, md5_of_body
from dynaqueue.domain.errors import InvalidParameterValue
from dynaqueue.domain.messages import (
    message_size,
    validate_body,
    validate_group_id,
    validate_message_attributes,
    validate_system_attributes,
)
from dynaqueue.domain.model import NewMessage, QueueRecord, SendRequest, SendResult


def prepare_message(
    record: QueueRecord, request: SendRequest, now_ms: int, *, in_batch: bool, sender_id: str
) -> tuple[NewMessage, SendResult]:
    """The message to store and the digests to answer with; raises the error SQS gives for bad input."""
    validate_body(request.body)
    validate_message_attributes(request.attributes)
    validate_system_attributes(request.system_attributes)
    maximum = int(record.attributes["MaximumMessageSize"])
    if message_size(request.body, request.attributes) > maximum:
        wording = "cannot be validated" if in_batch else "are invalid"
        raise InvalidParameterValue(
            f"One or more parameters {wording}. Reason: Message must be shorter than {maximum} bytes."
        )
    system = {"SenderId": sender_id}
    group_id = deduplication_key = None
    if record.fifo:
        fifo.check_delay(request.delay_seconds)
        delay_seconds = int(record.attributes["DelaySeconds"])
        group_id, deduplication_id, deduplication_key = fifo.group_and_deduplication(record, request)
        system["MessageGroupId"] = group_id
        system["MessageDeduplicationId"] = deduplication_id
    else:
        delay_seconds = _standard_delay(record, request.delay_seconds)
        if request.deduplication_id is not None:
            raise InvalidParameterValue(
                f"Value {request.deduplication_id} for parameter MessageDeduplicationId is invalid. "
                "Reason: The request includes a parameter that is not valid for this queue type."
            )
        if request.group_id is not None:
            # Fair queues: a group id on a standard queue is validated and echoed back.
            validate_group_id(request.group_id, "MessageGroupId")
            system["MessageGroupId"] = request.group_id
    trace = request.system_attributes.get("AWSTraceHeader")
    if trace is not None and trace.string_value is not None:
        system["AWSTraceHeader"] = trace.string_value
    message = NewMessage(
        message_id=str(uuid.uuid4()),
        body=request.body,
        attributes=dict(request.attributes),
        system_attributes=system,
        sent_at_ms=now_ms,
        visible_at_ms=now_ms + delay_seconds * 1000,
        group_id=group_id,
        deduplication_key=deduplication_key,
    )
    result = SendResult(
        message_id=message.message_id,
        md5_of_message_body=md5_of_body(request.body),
        md5_of_message_attributes=md5_of_attributes(request.attributes),
        md5_of_message_system_attributes=md5_of_attributes(request.system_attributes),
    )
    return message, result


def _standard_delay(record: QueueRecord, delay_seconds: int | None) -> int:
    if delay_seconds is None:
        return int(record.attributes["DelaySeconds"])
    if not 0 <= delay_seconds <= limits.MAX_DELAY_SECONDS:
        raise InvalidParameterValue(
            f"Value {delay_seconds} for parameter DelaySeconds is invalid. "
            f"Reason: DelaySeconds must be >= 0 and <= {limits.MAX_DELAY_SECONDS}."
        )
    return delay_seconds
