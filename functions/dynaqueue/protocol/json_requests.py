"""Request members of the message actions turned into domain commands (the service validates values)."""

from __future__ import annotations

from dynaqueue.domain.model import (
    MessageAttributeValue,
    ReceiptBatchEntry,
    ReceiveRequest,
    SendBatchEntry,
    SendRequest,
)
from dynaqueue.protocol.request_members import RequestMembers


def send_request(members: RequestMembers) -> SendRequest:
    return SendRequest(
        body=members.required_string("MessageBody"),
        delay_seconds=members.optional_integer("DelaySeconds"),
        attributes=message_attributes(members, "MessageAttributes"),
        system_attributes=message_attributes(members, "MessageSystemAttributes"),
        deduplication_id=members.optional_string("MessageDeduplicationId"),
        group_id=members.optional_string("MessageGroupId"),
    )


def send_batch_entries(members: RequestMembers) -> list[SendBatchEntry]:
    return [
        SendBatchEntry(id=entry.required_string("Id"), request=send_request(entry))
        for entry in members.object_list("Entries", "SendMessageBatchRequestEntry")
    ]


def receive_request(members: RequestMembers) -> ReceiveRequest:
    # AttributeNames is the deprecated spelling of MessageSystemAttributeNames; clients such
    # as sqs-consumer send both, so the union is what was asked for.
    system_names = [*members.string_list("AttributeNames"), *members.string_list("MessageSystemAttributeNames")]
    return ReceiveRequest(
        max_number_of_messages=members.optional_integer("MaxNumberOfMessages"),
        visibility_timeout=members.optional_integer("VisibilityTimeout"),
        wait_time_seconds=members.optional_integer("WaitTimeSeconds"),
        system_attribute_names=tuple(dict.fromkeys(system_names)),
        message_attribute_names=tuple(members.string_list("MessageAttributeNames")),
        receive_request_attempt_id=members.optional_string("ReceiveRequestAttemptId"),
    )


def delete_batch_entries(members: RequestMembers) -> list[ReceiptBatchEntry]:
    return [
        ReceiptBatchEntry(id=entry.required_string("Id"), receipt_handle=entry.required_string("ReceiptHandle"))
        for entry in members.object_list("Entries", "DeleteMessageBatchRequestEntry")
    ]


def change_visibility_batch_entries(members: RequestMembers) -> list[ReceiptBatchEntry]:
    return [
        ReceiptBatchEntry(
            id=entry.required_string("Id"),
            receipt_handle=entry.required_string("ReceiptHandle"),
            visibility_timeout=entry.optional_integer("VisibilityTimeout"),
        )
        for entry in members.object_list("Entries", "ChangeMessageVisibilityBatchRequestEntry")
    ]


def message_attributes(members: RequestMembers, name: str) -> dict[str, MessageAttributeValue]:
    """User or system message attributes; binary values arrive base64-encoded.

    The list-valued members of MessageAttributeValue are reserved by SQS and never stored.
    """
    return {
        attribute_name: MessageAttributeValue(
            data_type=value.required_string("DataType"),
            string_value=value.optional_string("StringValue"),
            binary_value=value.optional_blob("BinaryValue"),
        )
        for attribute_name, value in members.object_map(name).items()
    }
