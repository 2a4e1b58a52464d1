"""Rows of the embedded store as domain records, and records as column values."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Mapping

from dynaqueue.domain.model import MessageAttributeValue, QueueRecord, StoredMessage


def queue_record(row: sqlite3.Row) -> QueueRecord:
    return QueueRecord(
        name=row["name"],
        queue_id=row["queue_id"],
        fifo=bool(row["fifo"]),
        attributes=json.loads(row["attributes"]),
        tags=json.loads(row["tags"]),
        created_at_ms=row["created_at_ms"],
        last_modified_at_ms=row["last_modified_at_ms"],
        generation=row["generation"],
        last_purged_at_ms=row["last_purged_at_ms"],
    )


def stored_message(row: sqlite3.Row, content: sqlite3.Row) -> StoredMessage:
    """A message from its row in `messages` and its row in `message_contents`."""
    return StoredMessage(
        message_id=row["message_id"],
        body=content["body"],
        attributes=decode_message_attributes(content["attributes"]),
        system_attributes=json.loads(row["system_attributes"]),
        sent_at_ms=row["sent_at_ms"],
        receive_count=row["receive_count"],
        first_received_at_ms=row["first_received_at_ms"],
        lease_token=row["lease_token"],
        sequence_number=None if row["sequence"] is None else sequence_number(row["sequence"]),
    )


def sequence_number(sequence: int) -> str:
    """The SQS form of a stored sequence: 20 decimal digits, so text order is numeric order."""
    return f"{sequence:020d}"


def encode_strings(values: Mapping[str, str]) -> str:
    return json.dumps(dict(values), ensure_ascii=False)


def encode_message_attributes(attributes: Mapping[str, MessageAttributeValue]) -> str:
    return json.dumps(
        {
            name: {
                "data_type": value.data_type,
                "string_value": value.string_value,
                "binary_value": None if value.binary_value is None else base64.b64encode(value.binary_value).decode(),
            }
            for name, value in attributes.items()
        },
        ensure_ascii=False,
    )


def decode_message_attributes(encoded: str) -> dict[str, MessageAttributeValue]:
    return {
        name: MessageAttributeValue(
            data_type=value["data_type"],
            string_value=value["string_value"],
            binary_value=None if value["binary_value"] is None else base64.b64decode(value["binary_value"]),
        )
        for name, value in json.loads(encoded).items()
    }
