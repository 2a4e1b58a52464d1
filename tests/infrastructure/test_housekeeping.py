"""The housekeeping function: the API function's runtime and access, a one-minute timeout, run every minute."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

HANDLER = "dynaqueue.handlers.housekeeping.lambda_handler"


def housekeeping_function(resources: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    ((logical_id, properties),) = (
        (logical_id, resource["Properties"])
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function" and resource["Properties"]["Handler"] == HANDLER
    )
    return logical_id, properties


def test_housekeeping_runs_python_on_arm64_with_tracing_json_logs_and_a_60_second_timeout(
    resources: dict[str, dict[str, Any]],
) -> None:
    _, function = housekeeping_function(resources)

    assert (function["Runtime"], function["Architectures"], function["Timeout"]) == ("python3.13", ["arm64"], 60)
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert function["LoggingConfig"]["LogGroup"]["Ref"].startswith("HousekeepingFunctionLogs")


def test_housekeeping_logs_are_kept_as_long_as_the_stage_says(resources: dict[str, dict[str, Any]]) -> None:
    _, function = housekeeping_function(resources)
    log_group = resources[function["LoggingConfig"]["LogGroup"]["Ref"]]

    assert log_group["Properties"]["RetentionInDays"] == 7


def test_an_eventbridge_rule_invokes_housekeeping_every_minute(
    template: Template, resources: dict[str, dict[str, Any]]
) -> None:
    logical_id, _ = housekeeping_function(resources)

    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(1 minute)",
            "State": "ENABLED",
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [logical_id, "Arn"]}})],
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "FunctionName": {"Fn::GetAtt": [logical_id, "Arn"]},
        },
    )


def test_housekeeping_may_use_the_table_and_read_the_receipt_key_through_its_own_role(
    resources: dict[str, dict[str, Any]],
) -> None:
    _, function = housekeeping_function(resources)
    role = function["Role"]["Fn::GetAtt"][0]
    policies = [
        resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"]["Roles"]
    ]
    actions = {
        action
        for policy in policies
        for statement in policy["PolicyDocument"]["Statement"]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }

    assert role.startswith("HousekeepingFunctionRole")
    assert {"dynamodb:Query", "dynamodb:UpdateItem", "secretsmanager:GetSecretValue", "kms:Decrypt"} <= actions
    assert not {action for action in actions if action.startswith(("s3:", "firehose:", "sqs:"))}


def test_every_function_runs_the_one_bundled_asset(declared_resources: dict[str, dict[str, Any]]) -> None:
    codes = [
        resource["Properties"]["Code"]
        for resource in declared_resources.values()
        if resource["Type"] == "AWS::Lambda::Function"
    ]

    assert len(codes) == 3
    assert all(code == codes[0] for code in codes)
