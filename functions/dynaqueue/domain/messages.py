"""What SQS accepts in a message as sent, and which of its attributes a receive returns."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from decimal import Decimal

from dynaqueue.domain import limits
from dynaqueue.domain.checksums import attribute_value_bytes
from dynaqueue.domain.errors import (
    BatchEntryIdsNotDistinct,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
    TooManyEntriesInBatchRequest,
)
from dynaqueue.domain.model import MessageAttributeValue

# The XML 1.0 `Char` production; everything else, lone surrogates included, is refused.
_OUTSIDE_XML_CHARACTERS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ALLOWED_CHARACTERS = "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]"
# The same set seen in strict UTF-8, checked by C loops instead of the regex, which is ten times
# slower on a 64 KB body: every byte but the C0 controls other than tab, LF and CR, and no U+FFFE or
# U+FFFF (lone surrogates cannot be encoded at all).
_ALLOWED_UTF8_BYTES = bytes([0x9, 0xA, 0xD, *range(0x20, 0x100)])
_NONCHARACTERS_UTF8 = ("\ufffe".encode(), "\uffff".encode())
_NEVER_ESCAPED_BYTES = bytes(byte for byte in range(0x100) if byte >= 0x20 and byte not in b'"\\')
_SHORT_ESCAPED_CONTROLS = (b"\b", b"\f", b"\n", b"\r", b"\t")

_ATTRIBUTE_TYPES = ("String", "Number", "Binary")
_NAME_PUNCTUATION = frozenset("_-.")
_RESERVED_NAME_PREFIXES = ("aws.", "amazon.")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)

_GROUP_ID = re.compile(f"[A-Za-z0-9{re.escape(string.punctuation)}]{{1,{limits.MAX_GROUP_ID_LENGTH}}}", re.ASCII)
_BATCH_ENTRY_ID = re.compile(f"[A-Za-z0-9_-]{{1,{limits.MAX_BATCH_ENTRY_ID_LENGTH}}}", re.ASCII)

_SELECT_ALL = frozenset({"All", ".*", "*"})
_PREFIX_WILDCARD = ".*"
_TRACE_HEADER = "AWSTraceHeader"

SYSTEM_ATTRIBUTE_NAMES = frozenset(
    {
        "SenderId",
        "SentTimestamp",
        "ApproximateReceiveCount",
        "ApproximateFirstReceiveTimestamp",
        "SequenceNumber",
        "MessageDeduplicationId",
        "MessageGroupId",
        _TRACE_HEADER,
        "DeadLetterQueueSourceArn",
    }
)


def validate_body(body: str | None) -> None:
    if not body:
        raise MissingParameter("The request must contain the parameter MessageBody.")
    invalid = _first_invalid_character(body)
    if invalid is not None:
        raise InvalidMessageContents(
            f"Invalid binary character '{invalid}' was found in the message body, "
            f"the set of allowed characters is {_ALLOWED_CHARACTERS}."
        )


def validate_message_attributes(attributes: Mapping[str, MessageAttributeValue]) -> None:
    """User message attributes: count, names, data types and values; all InvalidParameterValue."""
    if len(attributes) > limits.MAX_MESSAGE_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum "
            f"[{limits.MAX_MESSAGE_ATTRIBUTES}]."
        )
    for name, attribute in attributes.items():
        problem = _attribute_name_problem(name)
        if problem is not None:
            raise InvalidParameterValue(problem)
        _validate_data_type(name, attribute.data_type)
        _validate_value(name, attribute)


def validate_system_attributes(attributes: Mapping[str, MessageAttributeValue]) -> None:
    """SendMessage accepts one system attribute, AWSTraceHeader, as a non-empty String."""
    for name, attribute in attributes.items():
        if name != _TRACE_HEADER:
            raise InvalidParameterValue(
                f"Message system attribute name '{name}' is invalid. "
                f"The only supported message system attribute is {_TRACE_HEADER}."
            )
        if attribute.data_type != "String":
            raise InvalidParameterValue(
                f"The type of message (system) attribute '{name}' is invalid. "
                "You must use only the following supported type: String."
            )
        _required_string(name, "system", "String", attribute.string_value)


def message_size(body: str, attributes: Mapping[str, MessageAttributeValue]) -> int:
    """Bytes counted against MaximumMessageSize: body plus each user attribute's name, type and value."""
    return _byte_length(body) + sum(
        _byte_length(name) + _byte_length(attribute.data_type) + len(attribute_value_bytes(attribute))
        for name, attribute in attributes.items()
    )


def validate_group_id(value: str, parameter: str) -> None:
    """MessageGroupId, MessageDeduplicationId and ReceiveRequestAttemptId share one rule."""
    if not _GROUP_ID.fullmatch(value):
        raise InvalidParameterValue(
            f"Value {value} for parameter {parameter} is invalid. Reason: {parameter} can only include "
            f"alphanumeric and punctuation characters. 1 to {limits.MAX_GROUP_ID_LENGTH} in length."
        )


def validate_batch_entry_ids(ids: Sequence[str], entry_name: str) -> None:
    """The whole-request checks every batch action makes before touching any entry."""
    if not ids:
        raise EmptyBatchRequest(f"There should be at least one {entry_name} in the request.")
    if len(ids) > limits.MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are {limits.MAX_BATCH_ENTRIES}. You have sent {len(ids)}."
        )
    if not all(_BATCH_ENTRY_ID.fullmatch(entry_id) for entry_id in ids):
        raise InvalidBatchEntryId(
            "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
            f"It can be at most {limits.MAX_BATCH_ENTRY_ID_LENGTH} letters long."
        )
    seen: set[str] = set()
    for entry_id in ids:
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)


def select_message_attributes(
    attributes: Mapping[str, MessageAttributeValue], names: Sequence[str]
) -> dict[str, MessageAttributeValue]:
    """The user attributes a receive returns for MessageAttributeNames.

    SQS: `All`, `.*` and `*` select everything; `<prefix>.*` selects every name that starts
    with `<prefix>` as a plain string (`Hel.*` returns `Hello` and `Help.Me`); any other entry
    is an exact name. Syntactically invalid filters (`AWS.`, `..foo`) select nothing, silently.
    """
    if _SELECT_ALL.intersection(names):
        return dict(attributes)
    return {name: value for name, value in attributes.items() if any(_selects(entry, name) for entry in names)}


def select_system_attribute_names(names: Sequence[str]) -> frozenset[str]:
    """The system attributes a receive returns; names that are not system attributes are ignored."""
    if "All" in names:
        return SYSTEM_ATTRIBUTE_NAMES
    return SYSTEM_ATTRIBUTE_NAMES.intersection(names)


def _selects(entry: str, name: str) -> bool:
    if entry.endswith(_PREFIX_WILDCARD):
        prefix = entry.removesuffix(_PREFIX_WILDCARD)
        return _attribute_name_problem(prefix) is None and name.startswith(prefix)
    return entry == name


def _attribute_name_problem(name: str) -> str | None:
    """Why SQS refuses `name` as a user attribute name, or None when it is acceptable."""
    if not name:
        return "The request must contain non-empty message attribute name."
    if len(name) > limits.MAX_MESSAGE_ATTRIBUTE_NAME_LENGTH:
        return (
            f"Message (user) attribute name '{name}' is too long. "
            f"It can be at most {limits.MAX_MESSAGE_ATTRIBUTE_NAME_LENGTH} characters long."
        )
    # AWS accepts letters and digits beyond ASCII (`attr.1øßä`) but no other punctuation.
    if not all(char.isalpha() or char.isdecimal() or char in _NAME_PUNCTUATION for char in name):
        return (
            f"Message (user) attribute name '{name}' can only contain alphanumeric characters, "
            "hyphens (-), underscores (_) and periods (.)."
        )
    if name.lower().startswith(_RESERVED_NAME_PREFIXES) or name.startswith(".") or name.endswith("."):
        return (
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. "
            "These strings are reserved for internal use. Additionally, they cannot start or end with '.'."
        )
    if ".." in name:
        return f"Message (user) attribute name '{name}' can't contain two consecutive periods."
    return None


def _validate_data_type(name: str, data_type: str) -> None:
    if not data_type:
        raise InvalidParameterValue(f"Message (user) attribute '{name}' must contain a non-empty data type.")
    if _base_type(data_type) not in _ATTRIBUTE_TYPES:
        raise InvalidParameterValue(
            f"The type of message (user) attribute '{name}' is invalid. "
            "You must use only the following supported type prefixes: Binary, Number, String."
        )
    if len(data_type) > limits.MAX_MESSAGE_ATTRIBUTE_TYPE_LENGTH:
        raise InvalidParameterValue(
            f"The type of message (user) attribute '{name}' is too long. "
            f"It can be at most {limits.MAX_MESSAGE_ATTRIBUTE_TYPE_LENGTH} characters long."
        )


def _validate_value(name: str, attribute: MessageAttributeValue) -> None:
    base_type = _base_type(attribute.data_type)
    if base_type == "Binary":
        if not attribute.binary_value:
            raise InvalidParameterValue(
                f"Message (user) attribute '{name}' must contain a non-empty value of type 'Binary'."
            )
        return
    value = _required_string(name, "user", base_type, attribute.string_value)
    if base_type == "Number":
        _validate_number(name, value)


def _required_string(name: str, kind: str, base_type: str, value: str | None) -> str:
    """The attribute's StringValue, once known to be non-empty and of allowed characters."""
    if not value:
        raise InvalidParameterValue(
            f"Message ({kind}) attribute '{name}' must contain a non-empty value of type '{base_type}'."
        )
    # The body's character set applies to string values too, reported as InvalidParameterValue.
    invalid = _first_invalid_character(value)
    if invalid is not None:
        raise InvalidParameterValue(
            f"Invalid binary character '{invalid}' was found in the value of message ({kind}) attribute "
            f"'{name}', the set of allowed characters is {_ALLOWED_CHARACTERS}."
        )
    return value


def _validate_number(name: str, value: str) -> None:
    if not _NUMBER.fullmatch(value):
        raise InvalidParameterValue(f"Can't cast the value of message (user) attribute '{name}' to a number.")
    number = Decimal(value)
    significant_digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    if (
        len(significant_digits) > limits.MAX_NUMBER_SIGNIFICANT_DIGITS
        or not limits.MIN_NUMBER_VALUE <= number <= limits.MAX_NUMBER_VALUE
    ):
        raise InvalidParameterValue(
            f"Value {value} of message (user) attribute '{name}' is out of range. Numbers can have up to "
            f"{limits.MAX_NUMBER_SIGNIFICANT_DIGITS} significant digits and range from -10^128 to 10^126."
        )


def _base_type(data_type: str) -> str:
    """`Number` for `Number.float`: custom labels follow the first period."""
    return data_type.partition(".")[0]


def _first_invalid_character(text: str) -> str | None:
    """The first character outside the allowed set, written as SQS writes it (`#x7`)."""
    if _only_allowed_characters(text):
        return None
    match = _OUTSIDE_XML_CHARACTERS.search(text)
    return None if match is None else f"#x{ord(match.group()):X}"


def _only_allowed_characters(text: str) -> bool:
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    if encoded.translate(None, _ALLOWED_UTF8_BYTES):
        return False
    return not any(noncharacter in encoded for noncharacter in _NONCHARACTERS_UTF8)


def _byte_length(text: str) -> int:
    # Sizes are taken before validation, so a lone surrogate must not break the count.
    return len(text.encode("utf-8", "surrogatepass"))


def response_size_estimate(body: str, attributes: Mapping[str, MessageAttributeValue]) -> int:
    """An upper bound of the bytes a received message adds to a response on its way to the client.

    The body is JSON-escaped once by the wire protocol and again when the Lambda response is
    serialized, so each quote or backslash can grow fourfold and other characters twofold at
    most; binary attribute values travel base64-encoded.
    """
    return _escaped_twice_length(body) + 2 * message_size("", attributes) + 1024


def _escaped_twice_length(text: str) -> int:
    """UTF-8 length of `json.dumps(json.dumps(text, ensure_ascii=False), ensure_ascii=False)`, by counting.

    Serializing a 64 KB body twice just to measure it costs more than everything else its receive
    does. Escapes are ASCII and other characters pass unchanged, so counts give the exact length:
    once escaped, a quote or backslash takes 2 bytes, \\b \\f \\n \\r \\t take 2 and other C0 controls 6
    (\\u001f); escaping that again doubles every quote and backslash it now holds, plus the quotes
    around each string.
    """
    encoded = text.encode("utf-8", "surrogatepass")
    # One pass keeps only the bytes JSON escapes (usually few); counting them is then cheap.
    escaped = encoded.translate(None, _NEVER_ESCAPED_BYTES)
    quotes_and_backslashes = escaped.count(b'"') + escaped.count(b"\\")
    short_escapes = sum(escaped.count(control) for control in _SHORT_ESCAPED_CONTROLS)
    other_controls = len(escaped) - quotes_and_backslashes - short_escapes
    return len(encoded) + 3 * quotes_and_backslashes + 2 * short_escapes + 6 * other_controls + 6
