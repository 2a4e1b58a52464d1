"""Message validation and attribute selection follow SQS's rules, codes and texts."""

from __future__ import annotations

from collections.abc import Callable
from string import punctuation

import pytest

from dynaqueue.domain import limits
from dynaqueue.domain.errors import (
    BatchEntryIdsNotDistinct,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
    QueueServiceError,
    TooManyEntriesInBatchRequest,
)
from dynaqueue.domain.messages import (
    SYSTEM_ATTRIBUTE_NAMES,
    message_size,
    select_message_attributes,
    select_system_attribute_names,
    validate_batch_entry_ids,
    validate_body,
    validate_group_id,
    validate_message_attributes,
    validate_system_attributes,
)
from dynaqueue.domain.model import MessageAttributeValue

ALLOWED_CHARACTERS = "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]"


def string(value: str | None, data_type: str = "String") -> MessageAttributeValue:
    return MessageAttributeValue(data_type=data_type, string_value=value)


def binary(value: bytes | None, data_type: str = "Binary") -> MessageAttributeValue:
    return MessageAttributeValue(data_type=data_type, binary_value=value)


def rejection(call: Callable[..., None], *args: object) -> QueueServiceError:
    with pytest.raises(QueueServiceError) as raised:
        call(*args)
    return raised.value


# --- body -----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, ""])
def test_missing_or_empty_body_is_a_missing_parameter(body: str | None) -> None:
    error = rejection(validate_body, body)

    assert isinstance(error, MissingParameter)
    assert error.code == "MissingParameter"
    assert error.message == "The request must contain the parameter MessageBody."


@pytest.mark.parametrize(
    "body",
    [
        "a",
        "tab\tnew line\ncarriage return\r",
        "\x20\ud7ff\ue000\ufffd",
        "\U00010000\U0010ffff",
        "emoji 🚀 and ünïcödé",
        '<xml attr="&quot;"/>',
    ],
)
def test_bodies_within_the_xml_character_set_are_accepted(body: str) -> None:
    validate_body(body)


@pytest.mark.parametrize(
    ("body", "reported"),
    [
        ("bell \x07", "#x7"),
        ("\x00", "#x0"),
        ("ok\x08then\x0b", "#x8"),
        ("\x1f", "#x1F"),
        ("\ufffe", "#xFFFE"),
        ("\uffff", "#xFFFF"),
        ("lone \ud800 surrogate", "#xD800"),
        ("\udfff", "#xDFFF"),
    ],
)
def test_characters_outside_the_xml_set_are_invalid_message_contents(body: str, reported: str) -> None:
    error = rejection(validate_body, body)

    assert isinstance(error, InvalidMessageContents)
    assert error.code == "InvalidMessageContents"
    assert error.message == (
        f"Invalid binary character '{reported}' was found in the message body, "
        f"the set of allowed characters is {ALLOWED_CHARACTERS}."
    )


def test_invalid_message_contents_text_matches_aws_for_a_bell() -> None:
    assert rejection(validate_body, "\x07").message == (
        "Invalid binary character '#x7' was found in the message body, the set of allowed characters is "
        "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."
    )


# --- message attributes: count and names -------------------------------------------------------


def test_ten_attributes_are_accepted() -> None:
    validate_message_attributes({f"a{index}": string("v") for index in range(10)})


def test_eleven_attributes_are_rejected_with_aws_text() -> None:
    error = rejection(validate_message_attributes, {f"a{index}": string("v") for index in range(11)})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == "Number of message attributes [11] exceeds the allowed maximum [10]."


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "attr.1øßä",
        "with-hyphen_and_underscore",
        "Help.Me",
        "CamelCase123",
        "awsome",
        "AWS",
        "amazonian.value",
        "L" * 256,
    ],
)
def test_valid_attribute_names_are_accepted(name: str) -> None:
    validate_message_attributes({name: string("v")})


@pytest.mark.parametrize(
    "name",
    [
        "AWS.x",
        "aws.x",
        "aWs.-Invalid-attr",
        "Amazon.x",
        "AMAZON.-Invalid-attr",
        ".-Invalid-attr",
        ".leading",
        "Invalid.",
    ],
)
def test_reserved_prefixes_and_edge_periods_are_rejected(name: str) -> None:
    error = rejection(validate_message_attributes, {name: string("v")})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == (
        "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. "
        "These strings are reserved for internal use. Additionally, they cannot start or end with '.'."
    )


@pytest.mark.parametrize("character", ["!", '"', "§", "(", "?", " ", "*", "/", ":"])
def test_names_with_other_punctuation_are_rejected(character: str) -> None:
    name = f"Invalid-{character}-attr"

    error = rejection(validate_message_attributes, {name: string("v")})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == (
        f"Message (user) attribute name '{name}' can only contain alphanumeric characters, "
        "hyphens (-), underscores (_) and periods (.)."
    )


def test_name_longer_than_256_characters_is_rejected() -> None:
    name = "L" * 257

    error = rejection(validate_message_attributes, {name: string("v")})

    assert isinstance(error, InvalidParameterValue)
    assert "at most 256 characters" in error.message


def test_empty_name_is_rejected_with_aws_text() -> None:
    error = rejection(validate_message_attributes, {"": string("v")})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == "The request must contain non-empty message attribute name."


def test_consecutive_periods_are_rejected() -> None:
    error = rejection(validate_message_attributes, {"Invalid..Name": string("v")})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == "Message (user) attribute name 'Invalid..Name' can't contain two consecutive periods."


# --- message attributes: data types and values ---------------------------------------------------


@pytest.mark.parametrize(
    "attribute",
    [
        string("red"),
        string("red", "String.color"),
        string("3.14", "Number.float"),
        string("42", "Number"),
        binary(b"\x00\x01", "Binary"),
        binary(b"GIF89a", "Binary.gif"),
        string("v", "String." + "L" * 249),
    ],
)
def test_supported_data_types_are_accepted(attribute: MessageAttributeValue) -> None:
    validate_message_attributes({"name": attribute})


@pytest.mark.parametrize("data_type", ["Invalid", "string", "STRING", "Str", "Integer", ".String"])
def test_unsupported_data_type_is_rejected_with_aws_text(data_type: str) -> None:
    error = rejection(validate_message_attributes, {"my-attribute": string("v", data_type)})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == (
        "The type of message (user) attribute 'my-attribute' is invalid. "
        "You must use only the following supported type prefixes: Binary, Number, String."
    )


def test_data_type_of_256_characters_is_accepted_and_257_rejected() -> None:
    validate_message_attributes({"n": string("1", "Number." + "L" * 249)})

    error = rejection(validate_message_attributes, {"n": string("1", "Number." + "L" * 250)})

    assert isinstance(error, InvalidParameterValue)
    assert "at most 256 characters" in error.message


def test_missing_data_type_is_rejected() -> None:
    error = rejection(validate_message_attributes, {"n": string("1", "")})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == "Message (user) attribute 'n' must contain a non-empty data type."


@pytest.mark.parametrize(
    ("attribute", "type_name"),
    [
        (string(""), "String"),
        (string(None), "String"),
        (string("", "String.label"), "String"),
        (string("", "Number"), "Number"),
        (binary(b""), "Binary"),
        (binary(None, "Binary.gif"), "Binary"),
        (string("text-but-binary-type", "Binary"), "Binary"),
        (binary(b"bytes-but-string-type", "String"), "String"),
    ],
)
def test_value_must_be_present_and_match_the_type(attribute: MessageAttributeValue, type_name: str) -> None:
    error = rejection(validate_message_attributes, {"ErrorDetails": attribute})

    assert isinstance(error, InvalidParameterValue)
    assert (
        error.message
        == f"Message (user) attribute 'ErrorDetails' must contain a non-empty value of type '{type_name}'."
    )


@pytest.mark.parametrize(
    ("value", "reported"), [("Invalid-\x08,\x0b", "#x8"), ("\ud800", "#xD800"), ("\uffff", "#xFFFF")]
)
def test_string_values_outside_the_character_set_are_invalid_parameter_values(value: str, reported: str) -> None:
    error = rejection(validate_message_attributes, {"attr1": string(value)})

    assert isinstance(error, InvalidParameterValue)
    assert error.code == "InvalidParameterValue"
    assert error.message == (
        f"Invalid binary character '{reported}' was found in the value of message (user) attribute 'attr1', "
        f"the set of allowed characters is {ALLOWED_CHARACTERS}."
    )


def test_binary_values_may_hold_any_bytes() -> None:
    validate_message_attributes({"raw": binary(bytes(range(256)))})


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "-1",
        "+7",
        "3.14",
        ".5",
        "5.",
        "1e10",
        "-2.5E-3",
        "1" * 38,
        "1" + "0" * 100,
        "0.000000000000000000000000000000000000000000001",
        "1" * 38 + "000",
        "1e126",
        "-1e128",
    ],
)
def test_numbers_within_precision_and_range_are_accepted(value: str) -> None:
    validate_message_attributes({"n": string(value, "Number")})


@pytest.mark.parametrize("value", ["abc", "1_000", "NaN", "Infinity", "1,5", "0x10", " 1", "1 ", "1e", "--1", "١٢"])
def test_values_that_are_not_numbers_are_rejected(value: str) -> None:
    error = rejection(validate_message_attributes, {"count": string(value, "Number.int")})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == "Can't cast the value of message (user) attribute 'count' to a number."


@pytest.mark.parametrize(
    "value", ["1" * 39, "1.00000000000000000000000000000000000001", "1.1e126", "-1.1e128", "1e127"]
)
def test_numbers_beyond_precision_or_range_are_rejected(value: str) -> None:
    error = rejection(validate_message_attributes, {"n": string(value, "Number")})

    assert isinstance(error, InvalidParameterValue)
    assert error.message.startswith(f"Value {value} of message (user) attribute 'n' is out of range.")


# --- system attributes ------------------------------------------------------------------------------


def test_trace_header_system_attribute_is_accepted() -> None:
    validate_system_attributes({"AWSTraceHeader": string("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")})


def test_no_system_attributes_are_accepted() -> None:
    validate_system_attributes({})


@pytest.mark.parametrize("name", ["SenderId", "awstraceheader", "Custom"])
def test_only_aws_trace_header_is_a_sendable_system_attribute(name: str) -> None:
    error = rejection(validate_system_attributes, {name: string("x")})

    assert isinstance(error, InvalidParameterValue)
    assert f"'{name}' is invalid" in error.message


@pytest.mark.parametrize("attribute", [string("x", "Number"), string("x", "String.label"), binary(b"x")])
def test_trace_header_must_be_a_plain_string(attribute: MessageAttributeValue) -> None:
    error = rejection(validate_system_attributes, {"AWSTraceHeader": attribute})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == (
        "The type of message (system) attribute 'AWSTraceHeader' is invalid. "
        "You must use only the following supported type: String."
    )


def test_trace_header_must_not_be_empty() -> None:
    error = rejection(validate_system_attributes, {"AWSTraceHeader": string("")})

    assert isinstance(error, InvalidParameterValue)
    assert (
        error.message == "Message (system) attribute 'AWSTraceHeader' must contain a non-empty value of type 'String'."
    )


# --- size -----------------------------------------------------------------------------------------


def test_size_counts_utf8_body_bytes() -> None:
    assert message_size("héllo🚀", {}) == len("héllo🚀".encode())


def test_size_adds_each_attribute_name_type_and_value() -> None:
    attributes = {
        "Zeta": string("héllo"),
        "alpha": string("3.14", "Number.float"),
        "Blob": binary(b"\x00\xff\x10"),
    }

    assert message_size("body", attributes) == 4 + (4 + 6 + 6) + (5 + 12 + 4) + (4 + 6 + 3)


def test_message_exactly_at_the_limit_and_one_byte_over() -> None:
    attributes = {"k": string("v")}
    body = "x" * (limits.MAX_MESSAGE_BYTES - (1 + 6 + 1))

    assert message_size(body, attributes) == limits.MAX_MESSAGE_BYTES
    assert message_size(body + "x", attributes) == limits.MAX_MESSAGE_BYTES + 1


def test_size_of_unvalidated_content_does_not_fail() -> None:
    assert message_size("\ud800", {"n": string(None), "b": binary(None)}) == 3 + (1 + 6) + (1 + 6)


# --- group ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["g", "group-1", punctuation, "A" * 128, "a1!~"])
@pytest.mark.parametrize("parameter", ["MessageGroupId", "MessageDeduplicationId", "ReceiveRequestAttemptId"])
def test_group_ids_of_letters_digits_and_punctuation_are_accepted(value: str, parameter: str) -> None:
    validate_group_id(value, parameter)


@pytest.mark.parametrize("value", ["", "group 123", "a" * 129, "tab\t", "ünï", "x\x08"])
@pytest.mark.parametrize("parameter", ["MessageGroupId", "MessageDeduplicationId", "ReceiveRequestAttemptId"])
def test_invalid_group_ids_are_rejected_with_aws_text(value: str, parameter: str) -> None:
    error = rejection(validate_group_id, value, parameter)

    assert isinstance(error, InvalidParameterValue)
    assert error.message == (
        f"Value {value} for parameter {parameter} is invalid. Reason: {parameter} can only include "
        "alphanumeric and punctuation characters. 1 to 128 in length."
    )


def test_group_id_text_matches_aws_capture() -> None:
    assert rejection(validate_group_id, "group 123", "MessageGroupId").message == (
        "Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include "
        "alphanumeric and punctuation characters. 1 to 128 in length."
    )


# --- batch entry ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry_name",
    ["SendMessageBatchRequestEntry", "DeleteMessageBatchRequestEntry", "ChangeMessageVisibilityBatchRequestEntry"],
)
def test_empty_batch_names_the_entry(entry_name: str) -> None:
    error = rejection(validate_batch_entry_ids, [], entry_name)

    assert isinstance(error, EmptyBatchRequest)
    assert error.message == f"There should be at least one {entry_name} in the request."


def test_ten_entries_are_accepted_and_eleven_rejected() -> None:
    validate_batch_entry_ids([str(index) for index in range(10)], "SendMessageBatchRequestEntry")

    error = rejection(validate_batch_entry_ids, [str(index) for index in range(11)], "SendMessageBatchRequestEntry")

    assert isinstance(error, TooManyEntriesInBatchRequest)
    assert error.message == "Maximum number of entries per request are 10. You have sent 11."


def test_too_many_entries_is_checked_before_ids() -> None:
    error = rejection(validate_batch_entry_ids, ["bad id!"] * 20, "SendMessageBatchRequestEntry")

    assert isinstance(error, TooManyEntriesInBatchRequest)
    assert error.message == "Maximum number of entries per request are 10. You have sent 20."


@pytest.mark.parametrize("entry_id", ["a", "A-b_9", "x" * 80])
def test_valid_entry_ids_are_accepted(entry_id: str) -> None:
    validate_batch_entry_ids([entry_id], "DeleteMessageBatchRequestEntry")


@pytest.mark.parametrize("entry_id", ["", "x" * 81, "has space", "dot.ted", "ünï", "a!"])
def test_invalid_entry_ids_are_rejected_with_aws_text(entry_id: str) -> None:
    error = rejection(validate_batch_entry_ids, ["ok", entry_id], "SendMessageBatchRequestEntry")

    assert isinstance(error, InvalidBatchEntryId)
    assert error.code == "InvalidBatchEntryId"
    assert error.message == (
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
        "It can be at most 80 letters long."
    )


def test_duplicate_ids_are_rejected_naming_the_id() -> None:
    error = rejection(
        validate_batch_entry_ids,
        ["688a1987-8bce-4093-99ac-8acf3bebd17e", "b", "688a1987-8bce-4093-99ac-8acf3bebd17e"],
        "SendMessageBatchRequestEntry",
    )

    assert isinstance(error, BatchEntryIdsNotDistinct)
    assert error.message == "Id 688a1987-8bce-4093-99ac-8acf3bebd17e repeated."


def test_invalid_ids_are_reported_before_duplicates() -> None:
    error = rejection(validate_batch_entry_ids, ["a", "a", "b!"], "SendMessageBatchRequestEntry")

    assert isinstance(error, InvalidBatchEntryId)


def test_ids_differing_only_in_case_are_distinct() -> None:
    validate_batch_entry_ids(["id", "ID"], "SendMessageBatchRequestEntry")


# --- attribute selection on receive --------------------------------------------------------------------

KENOBI = {"Help.Me": string("Me"), "Hello": string("There"), "General": string("Kenobi")}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], set()),
        (["All"], {"Help.Me", "Hello", "General"}),
        (["*"], {"Help.Me", "Hello", "General"}),
        ([".*"], {"Help.Me", "Hello", "General"}),
        (["Foo", "Help"], set()),
        (["Hello", "General"], {"Hello", "General"}),
        (["Foo", "Hello"], {"Hello"}),
        (["Hel.*"], {"Hello", "Help.Me"}),
        (["Help.*"], {"Help.Me"}),
        (["Help.Me.*"], {"Help.Me"}),
        (["Gen.*", "Hello"], {"General", "Hello"}),
        (["hello"], set()),
        (["AWS."], set()),
        (["..foo"], set()),
        (["AWS.*"], set()),
        (["Hel*"], set()),
        (["H..*"], set()),
        (["Foo", "All"], {"Help.Me", "Hello", "General"}),
    ],
)
def test_message_attribute_filters_match_aws(names: list[str], expected: set[str]) -> None:
    selected = select_message_attributes(KENOBI, names)

    assert set(selected) == expected
    assert all(selected[name] is KENOBI[name] for name in selected)


def test_prefix_filter_must_be_a_valid_name_prefix() -> None:
    attributes = {"a.b": string("1")}

    assert select_message_attributes(attributes, ["a.*"]) == attributes
    assert select_message_attributes(attributes, ["a..*"]) == {}


def test_selection_of_no_attributes_is_empty() -> None:
    assert select_message_attributes({}, ["All"]) == {}


def test_all_system_attribute_names() -> None:
    assert (
        frozenset(
            {
                "SenderId",
                "SentTimestamp",
                "ApproximateReceiveCount",
                "ApproximateFirstReceiveTimestamp",
                "SequenceNumber",
                "MessageDeduplicationId",
                "MessageGroupId",
                "AWSTraceHeader",
                "DeadLetterQueueSourceArn",
            }
        )
        == SYSTEM_ATTRIBUTE_NAMES
    )


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], frozenset()),
        (["All"], SYSTEM_ATTRIBUTE_NAMES),
        (["SenderId", "All"], SYSTEM_ATTRIBUTE_NAMES),
        (["SenderId"], frozenset({"SenderId"})),
        (["SenderId", "SequenceNumber"], frozenset({"SenderId", "SequenceNumber"})),
        (["SqsManagedSseEnabled", "Foo", "SentTimestamp"], frozenset({"SentTimestamp"})),
        (["all", "senderid"], frozenset()),
    ],
)
def test_system_attribute_selection(names: list[str], expected: frozenset[str]) -> None:
    assert select_system_attribute_names(names) == expected
