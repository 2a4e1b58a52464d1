"""Queue names, queue attributes and tags follow SQS's rules, codes and texts."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from dynaqueue.domain.errors import (
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
    QueueServiceError,
)
from dynaqueue.domain.model import MessageCounts, QueueRecord
from dynaqueue.domain.queue_attributes import (
    apply_attribute_changes,
    check_tag_count,
    conflicting_attribute,
    default_attributes,
    is_fifo_request,
    needs_counts,
    render_attributes,
    validate_attributes,
    validate_queue_name,
    validate_tag_keys,
    validate_tags,
)

DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:dead-letters"
SSE_CONFLICT = (
    "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE."
)
STANDARD_NAME_TEXT = "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
FIFO_NAME_TEXT = (
    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
    "must end with .fifo suffix and be 1 to 80 in length"
)


def rejection(call: Callable[..., object], *args: object, **kwargs: object) -> QueueServiceError:
    with pytest.raises(QueueServiceError) as raised:
        call(*args, **kwargs)
    return raised.value


def validated(attributes: dict[str, str], *, fifo: bool = False, creating: bool = True) -> dict[str, str]:
    return validate_attributes(attributes, fifo=fifo, creating=creating)


def rejected(attributes: dict[str, str], *, fifo: bool = False, creating: bool = True) -> QueueServiceError:
    return rejection(validate_attributes, attributes, fifo=fifo, creating=creating)


def redrive_text(value: str, reason: str) -> str:
    return f"Value {value} for parameter RedrivePolicy is invalid. Reason: {reason}"


# --- queue type and name -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "fifo"),
    [
        ({"FifoQueue": "true"}, True),
        ({"FifoQueue": "True"}, True),
        ({"FifoQueue": "TRUE"}, True),
        ({"FifoQueue": "false"}, False),
        ({"FifoQueue": "yes"}, False),
        ({}, False),
        ({"VisibilityTimeout": "5"}, False),
    ],
)
def test_queue_type_comes_from_fifo_queue_case_insensitively(attributes: dict[str, str], fifo: bool) -> None:
    assert is_fifo_request(attributes) is fifo


@pytest.mark.parametrize("name", ["q", "my-queue_1", "A" * 80, "0"])
def test_valid_standard_queue_names(name: str) -> None:
    validate_queue_name(name, fifo=False)


@pytest.mark.parametrize("name", ["", "A" * 81, "has space", "with/slash", "dot.ted", "q.fifo", "ünï", "q*"])
def test_invalid_standard_queue_names(name: str) -> None:
    error = rejection(validate_queue_name, name, fifo=False)

    assert isinstance(error, InvalidParameterValue)
    assert error.message == STANDARD_NAME_TEXT


@pytest.mark.parametrize("name", ["q.fifo", "my-queue_1.fifo", "A" * 75 + ".fifo"])
def test_valid_fifo_queue_names(name: str) -> None:
    validate_queue_name(name, fifo=True)


@pytest.mark.parametrize("name", ["q", "A" * 76 + ".fifo", ".fifo", "q.FIFO", "q.fifo.fifo", "bad name.fifo", "q_fifo"])
def test_invalid_fifo_queue_names(name: str) -> None:
    error = rejection(validate_queue_name, name, fifo=True)

    assert isinstance(error, InvalidParameterValue)
    assert error.message == FIFO_NAME_TEXT


# --- defaults ------------------------------------------------------------------------------------


def test_standard_defaults() -> None:
    assert default_attributes(fifo=False) == {
        "DelaySeconds": "0",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "0",
        "VisibilityTimeout": "30",
        "SqsManagedSseEnabled": "true",
    }


def test_fifo_defaults_add_the_fifo_attributes() -> None:
    assert default_attributes(fifo=True) == {
        **default_attributes(fifo=False),
        "FifoQueue": "true",
        "ContentBasedDeduplication": "false",
        "DeduplicationScope": "queue",
        "FifoThroughputLimit": "perQueue",
    }


def test_defaults_are_a_fresh_copy() -> None:
    default_attributes(fifo=False)["DelaySeconds"] = "5"

    assert default_attributes(fifo=False)["DelaySeconds"] == "0"


# --- names in Create / Set ---------------------------------------------------------------------


@pytest.mark.parametrize("creating", [True, False])
@pytest.mark.parametrize(
    "name",
    [
        "Foobar",
        "All",
        "QueueArn",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "visibilitytimeout",
    ],
)
def test_unknown_and_read_only_names_are_unknown_attributes(name: str, creating: bool) -> None:
    error = rejected({name: "1"}, creating=creating)

    assert isinstance(error, InvalidAttributeName)
    assert error.code == "InvalidAttributeName"
    assert error.message == f"Unknown Attribute {name}."


@pytest.mark.parametrize("creating", [True, False])
@pytest.mark.parametrize("name", ["FifoQueue", "ContentBasedDeduplication"])
@pytest.mark.parametrize("value", ["true", "false"])
def test_standard_queue_refuses_fifo_only_names_as_unknown(name: str, value: str, creating: bool) -> None:
    error = rejected({name: value}, creating=creating)

    assert isinstance(error, InvalidAttributeName)
    assert error.message == f"Unknown Attribute {name}."


@pytest.mark.parametrize("creating", [True, False])
@pytest.mark.parametrize(("name", "value"), [("DeduplicationScope", "queue"), ("FifoThroughputLimit", "perQueue")])
def test_standard_queue_refuses_high_throughput_names_naming_fifo_queue(name: str, value: str, creating: bool) -> None:
    error = rejected({name: value}, creating=creating)

    assert isinstance(error, InvalidAttributeName)
    assert error.message == f"You can specify the {name} only when FifoQueue is set to true."


def test_names_are_checked_before_values() -> None:
    error = rejected({"VisibilityTimeout": "not a number", "Foobar": "1"})

    assert isinstance(error, InvalidAttributeName)


def test_empty_request_is_valid() -> None:
    assert validated({}) == {}


# --- integers, booleans and choices ---------------------------------------------------------------

INTEGER_RANGES = [
    ("DelaySeconds", 0, 900),
    ("MaximumMessageSize", 1024, 1_048_576),
    ("MessageRetentionPeriod", 60, 1_209_600),
    ("ReceiveMessageWaitTimeSeconds", 0, 20),
    ("VisibilityTimeout", 0, 43_200),
    ("KmsDataKeyReusePeriodSeconds", 60, 86_400),
]


@pytest.mark.parametrize(("name", "low", "high"), INTEGER_RANGES)
def test_integer_bounds_are_accepted(name: str, low: int, high: int) -> None:
    assert validated({name: str(low)}) == {name: str(low)}
    assert validated({name: str(high)}, creating=False) == {name: str(high)}


@pytest.mark.parametrize(("name", "low", "high"), INTEGER_RANGES)
@pytest.mark.parametrize("creating", [True, False])
def test_integers_one_past_the_bounds_are_invalid_values(name: str, low: int, high: int, creating: bool) -> None:
    for value in (low - 1, high + 1):
        error = rejected({name: str(value)}, creating=creating)

        assert isinstance(error, InvalidAttributeValue)
        assert error.code == "InvalidAttributeValue"
        assert error.message == f"Invalid value for the parameter {name}."


@pytest.mark.parametrize("value", ["", "abc", "1.5", " 30", "30 ", "3_0", "٣٠", "0x1e", "99999"])
def test_malformed_integers_are_invalid_values(value: str) -> None:
    error = rejected({"VisibilityTimeout": value})

    assert isinstance(error, InvalidAttributeValue)
    assert error.message == "Invalid value for the parameter VisibilityTimeout."


@pytest.mark.parametrize(("value", "canonical"), [("030", "30"), ("+5", "5"), ("-0", "0"), ("0", "0")])
def test_integers_are_normalised(value: str, canonical: str) -> None:
    assert validated({"DelaySeconds": value}) == {"DelaySeconds": canonical}


@pytest.mark.parametrize(("value", "canonical"), [("true", "true"), ("True", "true"), ("FALSE", "false")])
@pytest.mark.parametrize(("name", "fifo"), [("SqsManagedSseEnabled", False), ("ContentBasedDeduplication", True)])
def test_booleans_are_read_case_insensitively_and_written_lower_case(
    name: str, fifo: bool, value: str, canonical: str
) -> None:
    assert validated({name: value}, fifo=fifo) == {name: canonical}


@pytest.mark.parametrize("value", ["", "yes", "1", "t"])
@pytest.mark.parametrize(("name", "fifo"), [("SqsManagedSseEnabled", False), ("ContentBasedDeduplication", True)])
def test_non_booleans_are_invalid_values(name: str, fifo: bool, value: str) -> None:
    error = rejected({name: value}, fifo=fifo)

    assert isinstance(error, InvalidAttributeValue)
    assert error.message == f"Invalid value for the parameter {name}."


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DeduplicationScope", "messageGroup"),
        ("DeduplicationScope", "queue"),
        ("FifoThroughputLimit", "perQueue"),
    ],
)
def test_fifo_choices_are_accepted(name: str, value: str) -> None:
    assert validated({name: value}, fifo=True) == {name: value}


@pytest.mark.parametrize(
    ("name", "value"),
    [("DeduplicationScope", "Queue"), ("DeduplicationScope", "group"), ("FifoThroughputLimit", "perqueue")],
)
def test_other_fifo_choices_are_invalid_values(name: str, value: str) -> None:
    error = rejected({name: value}, fifo=True)

    assert isinstance(error, InvalidAttributeValue)
    assert error.message == f"Invalid value for the parameter {name}."


def test_high_throughput_fifo_is_accepted_with_message_group_scope() -> None:
    attributes = {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}

    assert validated(attributes, fifo=True) == attributes


def test_per_message_group_limit_needs_message_group_scope_when_creating() -> None:
    error = rejected({"FifoThroughputLimit": "perMessageGroupId"}, fifo=True)

    assert isinstance(error, InvalidAttributeValue)
    assert error.message.startswith("Invalid value for the parameter FifoThroughputLimit.")


def test_per_message_group_limit_alone_is_left_to_the_merge_when_setting() -> None:
    assert validated({"FifoThroughputLimit": "perMessageGroupId"}, fifo=True, creating=False) == {
        "FifoThroughputLimit": "perMessageGroupId"
    }


# --- FifoQueue on a FIFO queue ----------------------------------------------------------------------


@pytest.mark.parametrize("creating", [True, False])
@pytest.mark.parametrize("value", ["true", "True"])
def test_fifo_queue_true_is_accepted_on_a_fifo_queue(value: str, creating: bool) -> None:
    assert validated({"FifoQueue": value}, fifo=True, creating=creating) == {"FifoQueue": "true"}


@pytest.mark.parametrize("value", ["false", "False", ""])
def test_changing_a_fifo_queue_into_a_standard_queue_is_refused(value: str) -> None:
    error = rejected({"FifoQueue": value}, fifo=True, creating=False)

    assert isinstance(error, InvalidAttributeValue)
    assert error.message == "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."


# --- Policy -------------------------------------------------------------------------------------------


def test_policy_is_stored_as_compact_json() -> None:
    policy = '{\n  "Version": "2012-10-17",\n  "Statement": [ {"Effect": "Allow", "Action": "sqs:SendMessage"} ]\n}'

    assert validated({"Policy": policy}) == {
        "Policy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage"}]}'
    }


def test_empty_policy_means_remove() -> None:
    assert validated({"Policy": ""}, creating=False) == {"Policy": ""}


@pytest.mark.parametrize("value", ["not json", "[]", '"text"', "{", "42"])
def test_policy_that_is_not_a_json_object_is_an_invalid_value(value: str) -> None:
    error = rejected({"Policy": value})

    assert isinstance(error, InvalidAttributeValue)
    assert error.message == "Invalid value for the parameter Policy."


# --- RedrivePolicy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 10, 1000, "1", "10", "1000"])
def test_redrive_policy_stores_max_receive_count_as_a_json_integer(count: int | str) -> None:
    value = json.dumps({"maxReceiveCount": count, "deadLetterTargetArn": DLQ_ARN})

    assert validated({"RedrivePolicy": value}) == {
        "RedrivePolicy": f'{{"deadLetterTargetArn":"{DLQ_ARN}","maxReceiveCount":{int(count)}}}'
    }


def test_empty_redrive_policy_means_remove() -> None:
    assert validated({"RedrivePolicy": ""}, creating=False) == {"RedrivePolicy": ""}


def test_empty_object_is_not_a_removal_and_names_max_receive_count() -> None:
    error = rejected({"RedrivePolicy": "{}"}, creating=False)

    assert isinstance(error, InvalidParameterValue)
    assert error.code == "InvalidParameterValue"
    assert error.message == (
        "Value {} for parameter RedrivePolicy is invalid. "
        "Reason: Redrive policy does not contain mandatory attribute: maxReceiveCount."
    )


@pytest.mark.parametrize(
    ("policy", "missing"),
    [
        ({"deadLetterTargetArn": DLQ_ARN}, "maxReceiveCount"),
        ({"MaxReceiveCount": "4", "DeadLetterTargetArn": DLQ_ARN}, "maxReceiveCount"),
        ({"maxReceiveCount": 5}, "deadLetterTargetArn"),
    ],
)
def test_redrive_policy_mandatory_attributes(policy: dict[str, object], missing: str) -> None:
    value = json.dumps(policy)

    error = rejected({"RedrivePolicy": value})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == redrive_text(value, f"Redrive policy does not contain mandatory attribute: {missing}.")


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "0"), (1001, "1001"), ("0", "0"), ("abc", "abc"), (True, "true"), (1.5, "1.5"), (-1, "-1")]
)
def test_max_receive_count_out_of_range_is_refused(count: object, shown: str) -> None:
    value = json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": count})

    error = rejected({"RedrivePolicy": value})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == redrive_text(
        value, f"Invalid value for maxReceiveCount: {shown}, valid values are from 1 to 1000 both inclusive."
    )


@pytest.mark.parametrize(
    "arn",
    [
        "dummy",
        "arn:aws:sns:us-east-1:123456789012:topic",
        "arn:aws:sqs:us-east-1:1234:dlq",
        "arn:aws:sqs::123456789012:dlq",
        "arn:aws:sqs:us-east-1:123456789012:",
        "arn:aws:sqs:us-east-1:123456789012:bad name",
        "arn:aws:sqs:us-east-1:123456789012:" + "q" * 81,
        42,
    ],
)
def test_dead_letter_target_must_be_a_queue_arn(arn: object) -> None:
    value = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})

    error = rejected({"RedrivePolicy": value})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == redrive_text(value, f"Invalid value for deadLetterTargetArn: {arn}.")


@pytest.mark.parametrize(
    "arn", ["arn:aws:sqs:eu-west-1:123456789012:dlq.fifo", "arn:aws-cn:sqs:cn-north-1:123456789012:d" + "q" * 79]
)
def test_dead_letter_target_may_be_any_well_formed_queue_arn(arn: str) -> None:
    value = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})

    assert json.loads(validated({"RedrivePolicy": value})["RedrivePolicy"])["deadLetterTargetArn"] == arn


@pytest.mark.parametrize("value", ["not json", "[]", "null"])
def test_redrive_policy_must_be_a_json_object(value: str) -> None:
    error = rejected({"RedrivePolicy": value})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == redrive_text(value, "Redrive policy is not a valid JSON map.")


# --- RedriveAllowPolicy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("permission", ["allowAll", "denyAll"])
def test_redrive_allow_policy_without_sources(permission: str) -> None:
    value = json.dumps({"redrivePermission": permission})

    assert validated({"RedriveAllowPolicy": value}) == {"RedriveAllowPolicy": f'{{"redrivePermission":"{permission}"}}'}


@pytest.mark.parametrize("count", [1, 10])
def test_redrive_allow_policy_by_queue_lists_1_to_10_sources(count: int) -> None:
    sources = [f"arn:aws:sqs:us-east-1:123456789012:source-{index}" for index in range(count)]
    value = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": sources})

    assert json.loads(validated({"RedriveAllowPolicy": value})["RedriveAllowPolicy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": sources,
    }


@pytest.mark.parametrize(
    "sources",
    [
        [],
        [f"arn:aws:sqs:us-east-1:123456789012:source-{index}" for index in range(11)],
        ["not-an-arn"],
        "arn:aws:sqs:us-east-1:123456789012:source",
        None,
    ],
)
def test_redrive_allow_policy_by_queue_needs_valid_sources(sources: object) -> None:
    policy = (
        {"redrivePermission": "byQueue"}
        if sources is None
        else {"redrivePermission": "byQueue", "sourceQueueArns": sources}
    )
    value = json.dumps(policy)

    error = rejected({"RedriveAllowPolicy": value})

    assert isinstance(error, InvalidParameterValue)
    assert error.message.startswith(f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: ")


@pytest.mark.parametrize(
    "policy",
    [
        {},
        {"redrivePermission": "allowSome"},
        {"redrivePermission": "allowAll", "sourceQueueArns": ["arn:aws:sqs:us-east-1:123456789012:source"]},
    ],
)
def test_invalid_redrive_allow_policies(policy: dict[str, object]) -> None:
    value = json.dumps(policy)

    error = rejected({"RedriveAllowPolicy": value}, creating=False)

    assert isinstance(error, InvalidParameterValue)
    assert error.message.startswith(f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: ")


def test_empty_redrive_allow_policy_means_remove() -> None:
    assert validated({"RedriveAllowPolicy": ""}, creating=False) == {"RedriveAllowPolicy": ""}


# --- server-side encryption ------------------------------------------------------------------------------


@pytest.mark.parametrize("enabled", ["true", "True"])
def test_kms_key_together_with_sqs_managed_sse_is_an_invalid_name(enabled: str) -> None:
    error = rejected({"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": enabled})

    assert isinstance(error, InvalidAttributeName)
    assert error.message == SSE_CONFLICT


def test_kms_key_with_sqs_managed_sse_disabled_is_accepted() -> None:
    attributes = {"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "false"}

    assert validated(attributes) == attributes


def test_removing_the_kms_key_while_enabling_sqs_sse_is_accepted() -> None:
    attributes = {"KmsMasterKeyId": "", "SqsManagedSseEnabled": "true"}

    assert validated(attributes, creating=False) == attributes


# --- applying changes ------------------------------------------------------------------------------------


def test_changes_are_merged_without_touching_the_current_mapping() -> None:
    current = default_attributes(fifo=False)

    merged = apply_attribute_changes(current, {"VisibilityTimeout": "60", "Policy": "{}"})

    assert merged == {**default_attributes(fifo=False), "VisibilityTimeout": "60", "Policy": "{}"}
    assert current == default_attributes(fifo=False)


@pytest.mark.parametrize("name", ["Policy", "RedrivePolicy", "RedriveAllowPolicy"])
def test_empty_value_removes_a_policy(name: str) -> None:
    assert apply_attribute_changes({"DelaySeconds": "0", name: "{}"}, {name: ""}) == {"DelaySeconds": "0"}


def test_removing_an_absent_policy_changes_nothing() -> None:
    assert apply_attribute_changes({"DelaySeconds": "0"}, {"Policy": ""}) == {"DelaySeconds": "0"}


def test_setting_a_kms_key_disables_sqs_managed_sse() -> None:
    merged = apply_attribute_changes(default_attributes(fifo=False), {"KmsMasterKeyId": "alias/key"})

    assert merged["KmsMasterKeyId"] == "alias/key"
    assert merged["SqsManagedSseEnabled"] == "false"


def test_removing_the_kms_key_drops_its_reuse_period_and_leaves_sse_disabled() -> None:
    current = {"SqsManagedSseEnabled": "false", "KmsMasterKeyId": "alias/key", "KmsDataKeyReusePeriodSeconds": "600"}

    merged = apply_attribute_changes(current, {"KmsMasterKeyId": "", "KmsDataKeyReusePeriodSeconds": "300"})

    assert merged == {"SqsManagedSseEnabled": "false"}


def test_enabling_sqs_sse_while_a_kms_key_remains_is_an_invalid_name() -> None:
    current = {"SqsManagedSseEnabled": "false", "KmsMasterKeyId": "alias/key"}

    error = rejection(apply_attribute_changes, current, {"SqsManagedSseEnabled": "true"})

    assert isinstance(error, InvalidAttributeName)
    assert error.message == SSE_CONFLICT


def test_re_enabling_sqs_sse_after_the_kms_key_is_gone() -> None:
    merged = apply_attribute_changes({"SqsManagedSseEnabled": "false"}, {"SqsManagedSseEnabled": "true"})

    assert merged == {"SqsManagedSseEnabled": "true"}


def test_merged_throughput_limit_must_match_the_scope() -> None:
    high_throughput = {
        **default_attributes(fifo=True),
        "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId",
    }

    assert (
        apply_attribute_changes(
            default_attributes(fifo=True),
            {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"},
        )
        == high_throughput
    )
    assert (
        apply_attribute_changes(
            {**high_throughput, "FifoThroughputLimit": "perQueue"}, {"FifoThroughputLimit": "perMessageGroupId"}
        )
        == high_throughput
    )
    error = rejection(apply_attribute_changes, high_throughput, {"DeduplicationScope": "queue"})
    assert isinstance(error, InvalidAttributeValue)


def test_create_applies_validated_attributes_over_defaults() -> None:
    requested = validated({"VisibilityTimeout": "045", "ContentBasedDeduplication": "True"}, fifo=True)

    assert apply_attribute_changes(default_attributes(fifo=True), requested) == {
        **default_attributes(fifo=True),
        "VisibilityTimeout": "45",
        "ContentBasedDeduplication": "true",
    }


# --- idempotent CreateQueue ----------------------------------------------------------------------------------


def test_no_requested_attributes_never_conflict() -> None:
    assert conflicting_attribute(default_attributes(fifo=False), {}) is None


def test_equal_requested_values_do_not_conflict() -> None:
    current = {**default_attributes(fifo=False), "VisibilityTimeout": "45"}

    assert conflicting_attribute(current, validated({"VisibilityTimeout": "045", "DelaySeconds": "0"})) is None


def test_first_differing_attribute_is_named() -> None:
    current = default_attributes(fifo=False)

    requested = validated({"MessageRetentionPeriod": "345600", "DelaySeconds": "5", "VisibilityTimeout": "5"})

    assert conflicting_attribute(current, requested) == "DelaySeconds"


def test_fifo_attributes_are_compared_too() -> None:
    current = default_attributes(fifo=True)

    requested = validated({"FifoQueue": "true", "ContentBasedDeduplication": "true"}, fifo=True)

    assert conflicting_attribute(current, requested) == "ContentBasedDeduplication"


def test_policies_compare_by_content_not_by_key_order() -> None:
    current = {"Policy": validated({"Policy": '{"Version": "2012-10-17", "Id": "p"}'})["Policy"]}

    assert conflicting_attribute(current, validated({"Policy": '{"Id":"p","Version":"2012-10-17"}'})) is None
    assert conflicting_attribute(current, validated({"Policy": '{"Id":"other"}'})) == "Policy"


def test_requesting_an_unset_policy_as_empty_does_not_conflict() -> None:
    assert conflicting_attribute(default_attributes(fifo=False), {"Policy": ""}) is None
    assert conflicting_attribute({"Policy": "{}"}, {"Policy": ""}) == "Policy"


def test_unset_kms_reuse_period_compares_as_its_300_second_default() -> None:
    current = default_attributes(fifo=False)

    assert conflicting_attribute(current, {"KmsDataKeyReusePeriodSeconds": "300"}) is None
    assert conflicting_attribute(current, {"KmsDataKeyReusePeriodSeconds": "600"}) == "KmsDataKeyReusePeriodSeconds"


# --- GetQueueAttributes ----------------------------------------------------------------------------------

ARN = "arn:aws:sqs:us-east-1:123456789012:q"


def record(*, fifo: bool = False, **attributes: str) -> QueueRecord:
    return QueueRecord(
        name="q.fifo" if fifo else "q",
        queue_id="id",
        fifo=fifo,
        attributes={**default_attributes(fifo=fifo), **attributes},
        tags={},
        created_at_ms=1_700_000_000_999,
        last_modified_at_ms=1_700_000_123_456,
    )


def test_all_on_a_fresh_standard_queue_matches_aws() -> None:
    assert render_attributes(record(), ["All"], arn=ARN, counts=MessageCounts()) == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "CreatedTimestamp": "1700000000",
        "DelaySeconds": "0",
        "LastModifiedTimestamp": "1700000123",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "QueueArn": ARN,
        "ReceiveMessageWaitTimeSeconds": "0",
        "SqsManagedSseEnabled": "true",
        "VisibilityTimeout": "30",
    }


def test_all_on_a_fresh_fifo_queue_adds_the_fifo_attributes() -> None:
    standard = render_attributes(record(), ["All"], arn=ARN, counts=MessageCounts())

    assert render_attributes(record(fifo=True), ["All"], arn=ARN, counts=MessageCounts()) == {
        **standard,
        "ContentBasedDeduplication": "false",
        "DeduplicationScope": "queue",
        "FifoQueue": "true",
        "FifoThroughputLimit": "perQueue",
    }


def test_counters_come_from_the_counts() -> None:
    rendered = render_attributes(
        record(),
        ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        arn=ARN,
        counts=MessageCounts(visible=4, in_flight=2, delayed=1),
    )

    assert rendered == {
        "ApproximateNumberOfMessages": "4",
        "ApproximateNumberOfMessagesNotVisible": "2",
        "ApproximateNumberOfMessagesDelayed": "1",
    }


def test_specific_names_return_only_those_attributes() -> None:
    rendered = render_attributes(
        record(VisibilityTimeout="45"), ["VisibilityTimeout", "QueueArn"], arn=ARN, counts=None
    )

    assert rendered == {"VisibilityTimeout": "45", "QueueArn": ARN}


def test_unset_attributes_are_omitted() -> None:
    assert render_attributes(record(), ["Policy", "RedrivePolicy", "KmsMasterKeyId"], arn=ARN, counts=None) == {}


def test_set_optional_attributes_are_listed_under_all() -> None:
    policy = '{"Version":"2012-10-17"}'

    rendered = render_attributes(
        record(Policy=policy, KmsDataKeyReusePeriodSeconds="600"), ["All"], arn=ARN, counts=None
    )

    assert rendered["Policy"] == policy
    assert rendered["KmsDataKeyReusePeriodSeconds"] == "600"


def test_fifo_only_attributes_are_not_returned_for_standard_queues() -> None:
    names = ["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"]

    assert render_attributes(record(), names, arn=ARN, counts=None) == {}


def test_no_names_return_nothing() -> None:
    assert render_attributes(record(), [], arn=ARN, counts=None) == {}


@pytest.mark.parametrize("names", [["Foobar"], ["All", "Foobar"], ["VisibilityTimeout", "visibilitytimeout"]])
def test_unknown_names_are_invalid_attribute_names(names: list[str]) -> None:
    error = rejection(render_attributes, record(), names, arn=ARN, counts=None)

    assert isinstance(error, InvalidAttributeName)
    assert error.message == f"Unknown Attribute {names[-1]}."


@pytest.mark.parametrize(
    ("names", "needed"),
    [
        ([], False),
        (["VisibilityTimeout", "QueueArn"], False),
        (["All"], True),
        (["ApproximateNumberOfMessages"], True),
        (["Policy", "ApproximateNumberOfMessagesNotVisible"], True),
        (["ApproximateNumberOfMessagesDelayed"], True),
    ],
)
def test_counts_are_needed_only_for_all_and_the_counters(names: list[str], needed: bool) -> None:
    assert needs_counts(names) is needed


# --- tags --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tags",
    [
        {},
        {"MyTag": "value", "mytag": ""},
        {"k" * 128: "v" * 256},
        {"team name": "Ünïcode 123 _.:/=+-@"},
        {"env:stage/x": "a=b+c@d"},
    ],
)
def test_valid_tags_are_accepted(tags: dict[str, str]) -> None:
    validate_tags(tags)


@pytest.mark.parametrize("key", ["", "k" * 129])
def test_tag_keys_must_be_1_to_128_characters(key: str) -> None:
    for call, argument in ((validate_tags, {key: "v"}), (validate_tag_keys, [key])):
        error = rejection(call, argument)

        assert isinstance(error, InvalidParameterValue)
        assert error.message == "Tag keys must be between 1 and 128 characters in length."


def test_tag_values_must_be_at_most_256_characters() -> None:
    error = rejection(validate_tags, {"k": "v" * 257})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == "Tag values must be between 0 and 256 characters in length."


@pytest.mark.parametrize("text", ["semi;colon", "quote'", "star*", "hash#", "bang!"])
def test_tags_with_other_punctuation_are_rejected(text: str) -> None:
    for tags in ({text: "v"}, {"k": text}):
        error = rejection(validate_tags, tags)

        assert isinstance(error, InvalidParameterValue)
        assert f"'{text}' is invalid" in error.message


@pytest.mark.parametrize("text", ["aws:created", "AWS:team"])
def test_reserved_aws_prefix_is_rejected_in_keys_and_values(text: str) -> None:
    for call, argument in ((validate_tags, {text: "v"}), (validate_tags, {"k": text}), (validate_tag_keys, [text])):
        error = rejection(call, argument)

        assert isinstance(error, InvalidParameterValue)
        assert "reserved" in error.message


def test_fifty_tags_are_accepted_and_fifty_one_rejected() -> None:
    check_tag_count("q", {f"k{index}": "v" for index in range(50)})

    error = rejection(check_tag_count, "q", {f"k{index}": "v" for index in range(51)})

    assert isinstance(error, InvalidParameterValue)
    assert error.message == "Too many tags added for queue q."
