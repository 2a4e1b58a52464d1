"""Queue attribute and queue tag rules: which names apply where, which values are valid, how they render."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dynaqueue.domain import limits
from dynaqueue.domain.addressing import queue_name_from_arn
from dynaqueue.domain.errors import InvalidAttributeName, InvalidAttributeValue, InvalidParameterValue
from dynaqueue.domain.model import MessageCounts, QueueRecord

_ALL = "All"
_FIFO_SUFFIX = ".fifo"
_QUEUE_NAME_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_ACCOUNT_ID = re.compile(r"\d{12}", re.ASCII)

_COUNTERS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
# Settable on FIFO queues only; on a standard queue SQS names the first two "Unknown".
_FIFO_ONLY = ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
_FIFO_ONLY_NAMED = ("DeduplicationScope", "FifoThroughputLimit")
# `""` removes these (only `""`: SQS rejects `{}` as a RedrivePolicy).
_REMOVABLE = ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId")
_JSON_VALUED = ("Policy", "RedrivePolicy", "RedriveAllowPolicy")
# GetQueueAttributes lists the KMS data key reuse period only once set; until then it is 300.
_IMPLICIT_VALUES = {"KmsDataKeyReusePeriodSeconds": "300"}

_STANDARD_DEFAULTS = {
    "DelaySeconds": "0",
    "MaximumMessageSize": str(limits.MAX_MESSAGE_BYTES),
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
_FIFO_DEFAULTS = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}

_SSE_CONFLICT = (
    "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE."
)
_REDRIVE_PERMISSIONS = ("allowAll", "denyAll", "byQueue")
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
_RESERVED_TAG_PREFIX = "aws:"


def is_fifo_request(attributes: Mapping[str, str]) -> bool:
    # AWS accepted "True": the queue type is read case-insensitively.
    return attributes.get("FifoQueue", "").lower() == "true"


def validate_queue_name(name: str, *, fifo: bool) -> None:
    """1-80 characters of [A-Za-z0-9_-]; FIFO names end in `.fifo`, which counts toward the 80."""
    if _is_queue_name(name, fifo=fifo):
        return
    if fifo:
        raise InvalidParameterValue(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
            f"must end with {_FIFO_SUFFIX} suffix and be 1 to {limits.MAX_QUEUE_NAME_LENGTH} in length"
        )
    raise InvalidParameterValue(
        "Can only include alphanumeric characters, hyphens, or underscores. "
        f"1 to {limits.MAX_QUEUE_NAME_LENGTH} in length"
    )


def default_attributes(*, fifo: bool) -> dict[str, str]:
    """The settable attributes of a new queue before the request's own are applied."""
    return {**_STANDARD_DEFAULTS, **_FIFO_DEFAULTS} if fifo else dict(_STANDARD_DEFAULTS)


def validate_attributes(attributes: Mapping[str, str], *, fifo: bool, creating: bool) -> dict[str, str]:
    """Check CreateQueue / SetQueueAttributes attributes and return their canonical values.

    Canonical: integers normalised, booleans lower-case, JSON policies compact, and `""` for a
    removable attribute the request clears. Names are all checked before any value.
    """
    for name in attributes:
        _check_name(name, fifo=fifo)
    canonical = {name: _VALUE_RULES[name](name, value) for name, value in attributes.items()}
    if canonical.get("KmsMasterKeyId") and canonical.get("SqsManagedSseEnabled") == "true":
        raise InvalidAttributeName(_SSE_CONFLICT)
    if creating:
        _check_throughput_limit({**default_attributes(fifo=fifo), **canonical})
    return canonical


def apply_attribute_changes(current: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """Merge canonical `changes` into `current`, applying removals and the SSE side effects."""
    merged = dict(current)
    for name, value in changes.items():
        if name in _REMOVABLE and not value:
            merged.pop(name, None)
        else:
            merged[name] = value
    kms_key = changes.get("KmsMasterKeyId")
    if kms_key == "":
        # AWS: clearing the key also drops the reuse period from the listing.
        merged.pop("KmsDataKeyReusePeriodSeconds", None)
    elif kms_key is not None:
        # AWS: SqsManagedSseEnabled becomes false with a KMS key and stays false after it is removed.
        merged["SqsManagedSseEnabled"] = "false"
    elif changes.get("SqsManagedSseEnabled") == "true" and "KmsMasterKeyId" in merged:
        raise InvalidAttributeName(_SSE_CONFLICT)
    _check_throughput_limit(merged)
    return merged


def conflicting_attribute(current: Mapping[str, str], requested: Mapping[str, str]) -> str | None:
    """The first requested attribute whose value differs from the queue's current one, else None."""
    for name, value in requested.items():
        if not _same_value(name, current.get(name, _IMPLICIT_VALUES.get(name, "")), value):
            return name
    return None


def needs_counts(names: Sequence[str]) -> bool:
    """Whether GetQueueAttributes for `names` must count the queue's messages."""
    return any(name == _ALL or name in _COUNTERS for name in names)


def render_attributes(
    record: QueueRecord, names: Sequence[str], *, arn: str, counts: MessageCounts | None
) -> dict[str, str]:
    """GetQueueAttributes: the requested attributes that apply to this queue and are set.

    The Approximate* counters come from `counts`; pass them whenever `needs_counts(names)`.
    """
    for name in names:
        if name != _ALL and name not in _RENDER_ORDER:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
    values = _current_values(record, arn=arn, counts=counts)
    wanted = _RENDER_ORDER if _ALL in names else names
    return {name: values[name] for name in _RENDER_ORDER if name in wanted and name in values}


def validate_tags(tags: Mapping[str, str]) -> None:
    """Keys 1-128 and values 0-256 Unicode letters, digits, white space and `_ . : / = + - @`."""
    for key, value in tags.items():
        _validate_tag_key(key)
        if len(value) > limits.MAX_TAG_VALUE_LENGTH:
            raise InvalidParameterValue(
                f"Tag values must be between 0 and {limits.MAX_TAG_VALUE_LENGTH} characters in length."
            )
        _validate_tag_text("value", value)


def validate_tag_keys(keys: Sequence[str]) -> None:
    for key in keys:
        _validate_tag_key(key)


def check_tag_count(queue_name: str, merged: Mapping[str, str]) -> None:
    if len(merged) > limits.MAX_TAGS:
        raise InvalidParameterValue(f"Too many tags added for queue {queue_name}.")


# --- names --------------------------------------------------------------------------------


def _check_name(name: str, *, fifo: bool) -> None:
    if not fifo and name in _FIFO_ONLY_NAMED:
        raise InvalidAttributeName(f"You can specify the {name} only when FifoQueue is set to true.")
    # Read-only names and `All` are as unknown to Create/Set as a misspelling.
    if name not in _VALUE_RULES or (not fifo and name in _FIFO_ONLY):
        raise InvalidAttributeName(f"Unknown Attribute {name}.")


def _is_queue_name(name: str, *, fifo: bool) -> bool:
    base = name.removesuffix(_FIFO_SUFFIX) if fifo else name
    return (
        len(name) <= limits.MAX_QUEUE_NAME_LENGTH
        and (base != name) == fifo
        and _QUEUE_NAME_CHARACTERS.fullmatch(base) is not None
    )


def _is_queue_arn(value: Any) -> bool:
    """`arn:<partition>:sqs:<region>:<12-digit account>:<queue name>`; whether the queue exists is not asked."""
    parsed = queue_name_from_arn(value) if isinstance(value, str) else None
    if parsed is None:
        return False
    region, account_id, name = parsed
    return (
        bool(region)
        and _ACCOUNT_ID.fullmatch(account_id) is not None
        and (_is_queue_name(name, fifo=False) or _is_queue_name(name, fifo=True))
    )


# --- values -------------------------------------------------------------------------------


def _invalid_value(name: str) -> InvalidAttributeValue:
    return InvalidAttributeValue(f"Invalid value for the parameter {name}.")


def _integer_between(low: int, high: int) -> Callable[[str, str], str]:
    def canonical(name: str, value: str) -> str:
        if not _INTEGER.fullmatch(value) or not low <= int(value) <= high:
            raise _invalid_value(name)
        return str(int(value))

    return canonical


def _boolean(name: str, value: str) -> str:
    # Booleans are read case-insensitively and always written lower-case.
    if value.lower() not in ("true", "false"):
        raise _invalid_value(name)
    return value.lower()


def _one_of(*choices: str) -> Callable[[str, str], str]:
    def canonical(name: str, value: str) -> str:
        if value not in choices:
            raise _invalid_value(name)
        return value

    return canonical


def _fifo_queue(name: str, value: str) -> str:
    # Only a FIFO queue gets this far: "true" is a no-op, anything else would change its type.
    if value.lower() != "true":
        raise InvalidAttributeValue(
            f"Invalid value for the parameter {name}. Reason: Modifying queue type is not supported."
        )
    return "true"


def _kms_master_key_id(name: str, value: str) -> str:
    # Kept as given (key id, alias or ARN): KMS resolves it when the first message is sealed with it, and a
    # key that does not exist or is disabled fails that send with SQS's KMS error (storage.encryption).
    return value


def _policy(name: str, value: str) -> str:
    if value == "":
        return ""
    policy = _json_object(value)
    if policy is None:
        raise _invalid_value(name)
    return _compact_json(policy)


def _redrive_policy(name: str, value: str) -> str:
    if value == "":
        return ""
    policy = _json_object(value)
    if policy is None:
        raise _invalid_policy(name, value, "Redrive policy is not a valid JSON map.")
    # AWS names maxReceiveCount first when both keys are missing (`{}`).
    for key in ("maxReceiveCount", "deadLetterTargetArn"):
        if key not in policy:
            raise _invalid_policy(name, value, f"Redrive policy does not contain mandatory attribute: {key}.")
    max_receive_count = _max_receive_count(policy["maxReceiveCount"])
    if max_receive_count is None:
        raise _invalid_policy(
            name,
            value,
            f"Invalid value for maxReceiveCount: {_json_text(policy['maxReceiveCount'])}, valid values are from "
            f"{limits.MIN_MAX_RECEIVE_COUNT} to {limits.MAX_MAX_RECEIVE_COUNT} both inclusive.",
        )
    target = policy["deadLetterTargetArn"]
    if not _is_queue_arn(target):
        raise _invalid_policy(name, value, f"Invalid value for deadLetterTargetArn: {_json_text(target)}.")
    # AWS returns maxReceiveCount as a JSON number, whichever form it was sent in.
    return _compact_json({"deadLetterTargetArn": target, "maxReceiveCount": max_receive_count})


def _redrive_allow_policy(name: str, value: str) -> str:
    if value == "":
        return ""
    policy = _json_object(value)
    if policy is None:
        raise _invalid_policy(name, value, "Redrive allow policy is not a valid JSON map.")
    permission = policy.get("redrivePermission")
    if permission is None:
        raise _invalid_policy(
            name, value, "Redrive allow policy does not contain mandatory attribute: redrivePermission."
        )
    if permission not in _REDRIVE_PERMISSIONS:
        raise _invalid_policy(
            name,
            value,
            f"Invalid value for redrivePermission: {permission}, valid values are {', '.join(_REDRIVE_PERMISSIONS)}.",
        )
    source_arns = policy.get("sourceQueueArns")
    if permission != "byQueue":
        if source_arns is not None:
            raise _invalid_policy(
                name, value, "sourceQueueArns can be specified only when redrivePermission is byQueue."
            )
        return _compact_json({"redrivePermission": permission})
    if (
        not isinstance(source_arns, list)
        or not 1 <= len(source_arns) <= limits.MAX_REDRIVE_SOURCE_QUEUE_ARNS
        or not all(_is_queue_arn(arn) for arn in source_arns)
    ):
        raise _invalid_policy(
            name,
            value,
            "sourceQueueArns must list 1 to "
            f"{limits.MAX_REDRIVE_SOURCE_QUEUE_ARNS} queue ARNs when redrivePermission is byQueue.",
        )
    return _compact_json({"redrivePermission": permission, "sourceQueueArns": source_arns})


def _invalid_policy(name: str, value: str, reason: str) -> InvalidParameterValue:
    # Policy content errors are InvalidParameterValue, not InvalidAttributeValue.
    return InvalidParameterValue(f"Value {value} for parameter {name} is invalid. Reason: {reason}")


def _max_receive_count(value: Any) -> int | None:
    """maxReceiveCount may arrive as a JSON number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        value = int(value)
    if isinstance(value, int) and limits.MIN_MAX_RECEIVE_COUNT <= value <= limits.MAX_MAX_RECEIVE_COUNT:
        return value
    return None


def _json_object(value: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _json_text(value: Any) -> str:
    """A JSON value as it reads in an error: strings bare, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _compact_json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _check_throughput_limit(attributes: Mapping[str, str]) -> None:
    # High-throughput FIFO: perMessageGroupId is valid only with DeduplicationScope=messageGroup.
    if (
        attributes.get("FifoThroughputLimit") == "perMessageGroupId"
        and attributes.get("DeduplicationScope") != "messageGroup"
    ):
        raise InvalidAttributeValue(
            "Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId can be used "
            "only when DeduplicationScope is messageGroup."
        )


def _same_value(name: str, current: str, requested: str) -> bool:
    if name in _JSON_VALUED and current and requested:
        # Equal policies compare equal however their keys are ordered.
        return json.loads(current) == json.loads(requested)
    return current == requested


_VALUE_RULES: dict[str, Callable[[str, str], str]] = {
    "DelaySeconds": _integer_between(0, limits.MAX_DELAY_SECONDS),
    "MaximumMessageSize": _integer_between(limits.MIN_MAXIMUM_MESSAGE_SIZE, limits.MAX_MESSAGE_BYTES),
    "MessageRetentionPeriod": _integer_between(limits.MIN_RETENTION_SECONDS, limits.MAX_RETENTION_SECONDS),
    "ReceiveMessageWaitTimeSeconds": _integer_between(0, limits.MAX_WAIT_TIME_SECONDS),
    "VisibilityTimeout": _integer_between(0, limits.MAX_VISIBILITY_TIMEOUT_SECONDS),
    "Policy": _policy,
    "RedrivePolicy": _redrive_policy,
    "RedriveAllowPolicy": _redrive_allow_policy,
    "KmsMasterKeyId": _kms_master_key_id,
    "KmsDataKeyReusePeriodSeconds": _integer_between(
        limits.MIN_KMS_DATA_KEY_REUSE_SECONDS, limits.MAX_KMS_DATA_KEY_REUSE_SECONDS
    ),
    "SqsManagedSseEnabled": _boolean,
    "FifoQueue": _fifo_queue,
    "ContentBasedDeduplication": _boolean,
    "DeduplicationScope": _one_of("messageGroup", "queue"),
    "FifoThroughputLimit": _one_of("perQueue", "perMessageGroupId"),
}

# --- rendering ----------------------------------------------------------------------------

_RENDER_ORDER = (
    "QueueArn",
    *_COUNTERS,
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    *_VALUE_RULES,
)


def _current_values(record: QueueRecord, *, arn: str, counts: MessageCounts | None) -> dict[str, str]:
    values = {
        name: value
        for name, value in record.attributes.items()
        if name in _VALUE_RULES and (record.fifo or name not in _FIFO_ONLY)
    }
    # SQS reports both timestamps in epoch seconds (messages use milliseconds).
    values["QueueArn"] = arn
    values["CreatedTimestamp"] = str(record.created_at_ms // 1000)
    values["LastModifiedTimestamp"] = str(record.last_modified_at_ms // 1000)
    if counts is not None:
        values.update(zip(_COUNTERS, map(str, (counts.visible, counts.in_flight, counts.delayed)), strict=True))
    return values


# --- tags ---------------------------------------------------------------------------------


def _validate_tag_key(key: str) -> None:
    if not 1 <= len(key) <= limits.MAX_TAG_KEY_LENGTH:
        raise InvalidParameterValue(f"Tag keys must be between 1 and {limits.MAX_TAG_KEY_LENGTH} characters in length.")
    _validate_tag_text("key", key)


def _validate_tag_text(kind: str, text: str) -> None:
    if not all(char.isalpha() or char.isdecimal() or char.isspace() or char in _TAG_PUNCTUATION for char in text):
        raise InvalidParameterValue(
            f"Tag {kind} '{text}' is invalid. Tag keys and values can only contain Unicode letters, digits, "
            "white space, and any of the following: _ . : / = + - @"
        )
    if text.lower().startswith(_RESERVED_TAG_PREFIX):
        raise InvalidParameterValue(
            f"Tag {kind} '{text}' is invalid. The prefix '{_RESERVED_TAG_PREFIX}' is reserved for AWS use."
        )
