"""Service results rendered as AWS JSON 1.0 output members.

SQS omits a member rather than send it empty or null, and SDKs depend on that (the PHP SDK
rejects MessageAttributes without MD5OfMessageAttributes), so every optional member here is
written only when it has a value.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from dynaqueue.domain.model import BatchResult, MessageAttributeValue, ReceivedMessage, SendResult
from dynaqueue.domain.move_tasks import MoveTaskView
from dynaqueue.protocol.errors import query_code

T = TypeVar("T")

Document = dict[str, Any]


def without_empty(**members: Any) -> Document:
    """The members that have a value; None, empty lists and empty maps are left out."""
    return {name: value for name, value in members.items() if value is not None and value != [] and value != {}}


def send_result(result: SendResult) -> Document:
    return without_empty(
        MessageId=result.message_id,
        MD5OfMessageBody=result.md5_of_message_body,
        MD5OfMessageAttributes=result.md5_of_message_attributes,
        MD5OfMessageSystemAttributes=result.md5_of_message_system_attributes,
        SequenceNumber=result.sequence_number,
    )


def received_messages(messages: list[ReceivedMessage]) -> Document:
    return without_empty(Messages=[received_message(message) for message in messages])


def received_message(message: ReceivedMessage) -> Document:
    return without_empty(
        MessageId=message.message_id,
        ReceiptHandle=message.receipt_handle,
        MD5OfBody=message.md5_of_body,
        Body=message.body,
        Attributes=dict(message.attributes),
        MD5OfMessageAttributes=message.md5_of_message_attributes,
        MessageAttributes=message_attributes(message.message_attributes),
    )


def message_attributes(attributes: Mapping[str, MessageAttributeValue]) -> Document:
    return {
        name: without_empty(
            DataType=value.data_type,
            StringValue=value.string_value,
            BinaryValue=None if value.binary_value is None else base64.b64encode(value.binary_value).decode("ascii"),
        )
        for name, value in attributes.items()
    }


def batch_result(result: BatchResult[T], render_success: Callable[[T], Document]) -> Document:
    """Successful and Failed entries; batch entry error codes are the query-style codes."""
    return without_empty(
        Successful=[{"Id": entry_id, **render_success(value)} for entry_id, value in result.successful],
        Failed=[
            {"Id": failure.id, "SenderFault": failure.sender_fault, "Code": query_code(failure.code)}
            | without_empty(Message=failure.message)
            for failure in result.failed
        ],
    )


def no_members(_: object) -> Document:
    """The members of a result that has none (settled batch entries carry only their Id)."""
    return {}


def move_task(task: MoveTaskView) -> Document:
    return without_empty(
        TaskHandle=task.task_handle,
        Status=task.status,
        SourceArn=task.source_arn,
        DestinationArn=task.destination_arn,
        MaxNumberOfMessagesPerSecond=task.max_per_second,
        ApproximateNumberOfMessagesMoved=task.messages_moved,
        ApproximateNumberOfMessagesToMove=task.messages_to_move,
        FailureReason=task.failure_reason,
        StartedTimestamp=task.started_at_ms,
    )
