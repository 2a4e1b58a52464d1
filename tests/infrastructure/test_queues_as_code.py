"""Queues as code: declarations become custom resources served by the queue-resources function, DLQs first."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from cfnlint.api import ManualArgs, lint_file

from stacks.queues_as_code import QueueDeclaration, dead_letter_queues_first, declarations_from_context
from stacks.settings import StackSettingsError
from tests.infrastructure.conftest import Synthesis
from tests.infrastructure.test_compliance import IGNORED_LINT_CHECKS, nag_report

QUEUE = "Custom::DynaqueueQueue"
HANDLER = "dynaqueue.handlers.queue_resources.lambda_handler"


def declared_queues(resources: dict[str, dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Logical id and properties of each declared queue, by queue name."""
    return {
        resource["Properties"]["QueueName"]: (logical_id, resource["Properties"])
        for logical_id, resource in resources.items()
        if resource["Type"] == QUEUE
    }


def functions_by_handler(resources: dict[str, dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        resource["Properties"]["Handler"]: (logical_id, resource["Properties"])
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function"
    }


def test_without_declarations_the_stack_has_no_queue_resources_and_no_extra_function(
    resources: dict[str, dict[str, Any]],
) -> None:
    assert declared_queues(resources) == {}
    assert HANDLER not in functions_by_handler(resources)


def test_each_declaration_is_a_custom_resource_served_by_the_queue_resources_function(
    declared_resources: dict[str, dict[str, Any]],
) -> None:
    queues = declared_queues(declared_resources)
    function_id, function = functions_by_handler(declared_resources)[HANDLER]
    api_environment = functions_by_handler(declared_resources)["dynaqueue.handlers.api.lambda_handler"][1]

    assert set(queues) == {"example-orders-dlq", "example-orders", "jobs-dlq.fifo", "jobs.fifo"}
    for _, properties in queues.values():
        assert properties["ServiceToken"] == {"Fn::GetAtt": [function_id, "Arn"]}
        assert properties["Endpoint"]["Fn::GetAtt"][1] == "ApiEndpoint"
    # Same table, same key, same code as the API.
    assert function["Environment"] == api_environment["Environment"]
    assert (function["Runtime"], function["Architectures"]) == ("python3.13", ["arm64"])


def test_dead_letter_wiring_references_the_other_resource_so_cloudformation_orders_them(
    declared_resources: dict[str, dict[str, Any]],
) -> None:
    queues = declared_queues(declared_resources)
    dlq_id, _ = queues["example-orders-dlq"]
    _, source = queues["example-orders"]

    redrive = source["Attributes"]["RedrivePolicy"]["Fn::Join"][1]
    assert {"Fn::GetAtt": [dlq_id, "Arn"]} in redrive
    rendered = "".join(part if isinstance(part, str) else "ARN" for part in redrive)
    assert json.loads(rendered) == {"deadLetterTargetArn": "ARN", "maxReceiveCount": 5}


def test_declared_attributes_tags_fifo_and_retention_reach_the_resource(
    declared_resources: dict[str, dict[str, Any]],
) -> None:
    queues = declared_queues(declared_resources)
    _, example = queues["example-orders"]
    _, jobs = queues["jobs.fifo"]
    _, jobs_dlq = queues["jobs-dlq.fifo"]

    assert example["Attributes"]["VisibilityTimeout"] == "60"
    assert example["Attributes"]["ReceiveMessageWaitTimeSeconds"] == "20"
    assert (example["FifoQueue"], example["RetainOnDelete"], example["Tags"]) == ("false", "false", {"example": "true"})
    assert jobs["FifoQueue"] == "true"
    assert jobs["Attributes"]["ContentBasedDeduplication"] == "true"
    assert jobs["Attributes"]["DeduplicationScope"] == "messageGroup"
    assert jobs["Tags"] == {"team": "billing"}
    assert jobs_dlq["RetainOnDelete"] == "true"


def test_stack_with_declared_queues_passes_cfn_lint_and_cdk_nag(declared_synthesis: Synthesis) -> None:
    findings = lint_file(declared_synthesis.template_path, config=ManualArgs(ignore_checks=IGNORED_LINT_CHECKS))
    report = nag_report(declared_synthesis)

    assert [str(finding) for finding in findings] == []
    assert (report["conclusion"], report["violations"]) == ("success", [])


def test_oldest_message_age_threshold_comes_from_context(declared_resources: dict[str, dict[str, Any]]) -> None:
    (alarm,) = (
        resource["Properties"]
        for resource in declared_resources.values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        and resource["Properties"].get("MetricName") == "ApproximateAgeOfOldestMessage"
    )

    assert alarm["Threshold"] == 600


def test_dead_letter_queues_come_before_their_sources() -> None:
    declarations = [
        QueueDeclaration(name="a", dead_letter_queue="b"),
        QueueDeclaration(name="b", dead_letter_queue="c"),
        QueueDeclaration(name="c"),
    ]

    assert [declaration.name for declaration in dead_letter_queues_first(declarations)] == ["c", "b", "a"]


@pytest.mark.parametrize(
    "declarations",
    [
        [QueueDeclaration(name="a", dead_letter_queue="missing")],
        [QueueDeclaration(name="a", dead_letter_queue="b"), QueueDeclaration(name="b", dead_letter_queue="a")],
        [QueueDeclaration(name="a"), QueueDeclaration(name="a")],
        [QueueDeclaration(name="a.fifo", fifo=True, dead_letter_queue="b"), QueueDeclaration(name="b")],
    ],
    ids=["unknown-target", "cycle", "declared-twice", "fifo-into-standard"],
)
def test_inconsistent_dead_letter_wiring_fails_synthesis(declarations: list[QueueDeclaration]) -> None:
    with pytest.raises(StackSettingsError):
        dead_letter_queues_first(declarations)


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "jobs.fifo"},
        {"name": "jobs", "fifo": True},
        {"name": "jobs", "content_based_deduplication": True},
        {"name": "jobs", "dead_letter_queue": "jobs"},
        {"name": "jobs", "max_receive_count": 0},
        {"name": "jobs", "attributes": {"RedrivePolicy": "{}"}},
    ],
)
def test_inconsistent_declaration_is_rejected(fields: dict[str, Any]) -> None:
    with pytest.raises(StackSettingsError):
        QueueDeclaration(**fields)


def test_typed_fields_become_sqs_attribute_strings() -> None:
    declaration = QueueDeclaration(
        name="jobs.fifo",
        fifo=True,
        visibility_timeout_seconds=45,
        retention_seconds=60,
        delay_seconds=2,
        maximum_message_size=2048,
        receive_wait_time_seconds=10,
        content_based_deduplication=False,
        attributes={"FifoThroughputLimit": "perMessageGroupId"},
    )

    assert declaration.sqs_attributes() == {
        "VisibilityTimeout": "45",
        "MessageRetentionPeriod": "60",
        "DelaySeconds": "2",
        "MaximumMessageSize": "2048",
        "ReceiveMessageWaitTimeSeconds": "10",
        "ContentBasedDeduplication": "false",
        "FifoThroughputLimit": "perMessageGroupId",
    }


def test_context_declarations_come_as_json_text_or_as_a_list() -> None:
    entry = {"name": "jobs.fifo", "visibilityTimeout": 30, "deadLetterQueue": "dlq.fifo"}

    from_text = declarations_from_context(cdk.App(context={"queues": json.dumps([entry])}).node)
    from_list = declarations_from_context(cdk.App(context={"queues": [entry]}).node)

    assert from_text == from_list
    (declaration,) = from_text
    assert (declaration.fifo, declaration.visibility_timeout_seconds, declaration.dead_letter_queue) == (
        True,
        30,
        "dlq.fifo",
    )
    assert declarations_from_context(cdk.App().node) == []


@pytest.mark.parametrize("raw", ["not json", json.dumps({"name": "a"}), json.dumps([{"name": "a", "colour": "red"}])])
def test_malformed_context_declarations_fail_synthesis(raw: str) -> None:
    with pytest.raises(StackSettingsError):
        declarations_from_context(cdk.App(context={"queues": raw}).node)
