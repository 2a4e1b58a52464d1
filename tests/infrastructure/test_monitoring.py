"""Alarms on the request path notify an encrypted topic; one dashboard shows API, function and table."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

ALARM = "AWS::CloudWatch::Alarm"


def alarms(resources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [resource["Properties"] for resource in resources.values() if resource["Type"] == ALARM]


def metric_names(alarm: dict[str, Any]) -> set[str]:
    if "MetricName" in alarm:
        return {alarm["MetricName"]}
    return {query["MetricStat"]["Metric"]["MetricName"] for query in alarm["Metrics"] if "MetricStat" in query}


def test_alarms_watch_api_errors_function_errors_and_throttles_and_table_throttles(
    resources: dict[str, dict[str, Any]],
) -> None:
    watched = [(alarm.get("Namespace"), frozenset(metric_names(alarm))) for alarm in alarms(resources)]

    assert sorted(watched, key=str) == sorted(
        [
            ("AWS/ApiGateway", frozenset({"5xx"})),
            ("AWS/Lambda", frozenset({"Errors"})),
            ("AWS/Lambda", frozenset({"Throttles"})),
            (None, frozenset({"ThrottledRequests"})),
        ],
        key=str,
    )


def test_every_alarm_notifies_the_alarm_topic(resources: dict[str, dict[str, Any]]) -> None:
    for alarm in alarms(resources):
        (action,) = alarm["AlarmActions"]
        assert action["Ref"].startswith("MonitoringAlarmTopic")
        assert alarm["TreatMissingData"] == "notBreaching"


def test_alarm_topic_is_encrypted_and_requires_tls(template: Template) -> None:
    template.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^DataKey"), "Arn"]}}
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def test_cloudwatch_may_use_the_key_to_publish_alarms(template: Template) -> None:
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [Match.object_like({"Principal": {"Service": "cloudwatch.amazonaws.com"}})]
                )
            }
        },
    )


def test_one_dashboard(template: Template) -> None:
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
