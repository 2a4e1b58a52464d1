"""Alarms on the request path and on the queues notify an encrypted topic; one dashboard shows them all."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

from dynaqueue.metric_names import DEAD_LETTER_QUEUE_MESSAGES, OLDEST_MESSAGE_AGE, SERVICE_NAME
from stacks.constructs.service_function import METRICS_NAMESPACE
from stacks.settings import DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS

ALARM = "AWS::CloudWatch::Alarm"


def alarms(resources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [resource["Properties"] for resource in resources.values() if resource["Type"] == ALARM]


def metric_names(alarm: dict[str, Any]) -> set[str]:
    if "MetricName" in alarm:
        return {alarm["MetricName"]}
    return {query["MetricStat"]["Metric"]["MetricName"] for query in alarm["Metrics"] if "MetricStat" in query}


def test_alarms_watch_the_request_path_the_housekeeping_function_and_the_queues(
    resources: dict[str, dict[str, Any]],
) -> None:
    watched = [(alarm.get("Namespace"), frozenset(metric_names(alarm))) for alarm in alarms(resources)]

    assert sorted(watched, key=str) == sorted(
        [
            ("AWS/ApiGateway", frozenset({"5xx"})),
            ("AWS/Lambda", frozenset({"Errors"})),
            ("AWS/Lambda", frozenset({"Errors"})),
            ("AWS/Lambda", frozenset({"Throttles"})),
            (None, frozenset({"ThrottledRequests"})),
            (METRICS_NAMESPACE, frozenset({DEAD_LETTER_QUEUE_MESSAGES})),
            (METRICS_NAMESPACE, frozenset({OLDEST_MESSAGE_AGE})),
        ],
        key=str,
    )


def test_each_function_has_its_own_errors_alarm(resources: dict[str, dict[str, Any]]) -> None:
    watched_functions = {
        alarm["Dimensions"][0]["Value"]["Ref"] for alarm in alarms(resources) if alarm.get("MetricName") == "Errors"
    }

    assert {name.split("Function")[0] for name in watched_functions} == {"Api", "Housekeeping"}


def test_any_dead_letter_message_raises_the_alarm(resources: dict[str, dict[str, Any]]) -> None:
    (alarm,) = (alarm for alarm in alarms(resources) if alarm.get("MetricName") == DEAD_LETTER_QUEUE_MESSAGES)

    # Powertools adds the service dimension to every metric; an alarm without it would watch nothing.
    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE_NAME}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Maximum",
        "GreaterThanOrEqualToThreshold",
        1,
    )


def test_oldest_message_age_alarms_above_the_default_threshold(resources: dict[str, dict[str, Any]]) -> None:
    (alarm,) = (alarm for alarm in alarms(resources) if alarm.get("MetricName") == OLDEST_MESSAGE_AGE)

    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE_NAME}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS,
    )


def test_functions_publish_metrics_where_the_alarms_look(resources: dict[str, dict[str, Any]]) -> None:
    namespaces = {
        resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::Function"
    }

    assert namespaces == {METRICS_NAMESPACE}


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


def test_one_dashboard_shows_the_queue_metrics_too(resources: dict[str, dict[str, Any]]) -> None:
    (dashboard,) = (resource for resource in resources.values() if resource["Type"] == "AWS::CloudWatch::Dashboard")
    body = str(dashboard["Properties"]["DashboardBody"])

    for name in (DEAD_LETTER_QUEUE_MESSAGES, OLDEST_MESSAGE_AGE, "MessagesMovedToDLQ", "MessagesExpired"):
        assert name in body
