"""The HTTP API: SQS routes to the API function, a logged and throttled default stage, a stable endpoint output."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match, Template

from stacks.queue_service_stack import AUDIT_BUCKET_OUTPUT, DATA_KEY_OUTPUT, ENDPOINT_OUTPUT, TABLE_OUTPUT


def test_sqs_routes_reach_the_api_function(template: Template) -> None:
    for route_key in ("POST /", "GET /", "ANY /{account}/{queue}"):
        template.has_resource_properties("AWS::ApiGatewayV2::Route", {"RouteKey": route_key})
    template.resource_count_is("AWS::ApiGatewayV2::Route", 3)
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Integration",
        {
            "IntegrationType": "AWS_PROXY",
            "PayloadFormatVersion": "2.0",
            "IntegrationUri": {"Fn::GetAtt": [Match.string_like_regexp("^ApiFunction"), "Arn"]},
        },
    )


def test_api_gateway_may_invoke_the_function_on_each_route(resources: dict[str, dict[str, Any]]) -> None:
    permissions = [
        resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::Permission"
        and resource["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]

    assert len(permissions) == 3
    for permission in permissions:
        assert permission["Action"] == "lambda:InvokeFunction"
        assert permission["FunctionName"]["Fn::GetAtt"][0].startswith("ApiFunction")


def test_default_stage_deploys_itself_throttles_and_logs_json(
    template: Template, resources: dict[str, dict[str, Any]]
) -> None:
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            "DefaultRouteSettings": {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100},
            "AccessLogSettings": {
                "DestinationArn": {"Fn::GetAtt": [Match.string_like_regexp("^ApiAccessLogs"), "Arn"]},
                "Format": Match.any_value(),
            },
        },
    )
    (stage,) = (resource for resource in resources.values() if resource["Type"] == "AWS::ApiGatewayV2::Stage")
    access_log_format = json.loads(stage["Properties"]["AccessLogSettings"]["Format"])
    assert access_log_format["requestId"] == "$context.requestId"
    assert access_log_format["status"] == "$context.status"


def test_endpoint_url_output_has_a_stable_name(template: Template) -> None:
    template.has_output(
        ENDPOINT_OUTPUT, {"Value": {"Fn::GetAtt": [Match.string_like_regexp("^ApiHttpApi"), "ApiEndpoint"]}}
    )


def test_outputs_name_the_table_the_key_and_the_audit_bucket(template: Template) -> None:
    template.has_output(TABLE_OUTPUT, {"Value": {"Ref": Match.string_like_regexp("^QueueTable")}})
    template.has_output(DATA_KEY_OUTPUT, {"Value": {"Fn::GetAtt": [Match.string_like_regexp("^DataKey"), "Arn"]}})
    template.has_output(AUDIT_BUCKET_OUTPUT, {"Value": {"Ref": Match.string_like_regexp("^AuditLogBucket")}})
