"""ServiceMonitoring: alarms on the request path (API, function, table) and on the queues, and one dashboard."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from dynaqueue.metric_names import (
    DEAD_LETTER_QUEUE_MESSAGES,
    MESSAGES_EXPIRED,
    MESSAGES_MOVED_TO_DLQ,
    MESSAGES_RECLAIMED,
    MESSAGES_REDRIVEN,
    OLDEST_MESSAGE_AGE,
)
from stacks.constructs.housekeeping import Housekeeping
from stacks.constructs.queue_api import QueueApi
from stacks.constructs.queue_table import QueueTable
from stacks.constructs.service_function import METRICS_NAMESPACE, SERVICE_NAME
from stacks.settings import StackSettings

PERIOD = cdk.Duration.minutes(5)
# The operations the DynamoDB store issues; throttling on any of them reaches a client as an error.
STORE_OPERATIONS = (
    dynamodb.Operation.GET_ITEM,
    dynamodb.Operation.PUT_ITEM,
    dynamodb.Operation.UPDATE_ITEM,
    dynamodb.Operation.DELETE_ITEM,
    dynamodb.Operation.QUERY,
    dynamodb.Operation.BATCH_WRITE_ITEM,
    dynamodb.Operation.TRANSACT_WRITE_ITEMS,
)
# A handful of 5xx in five minutes can be a client retrying one bad request; more is an outage.
API_SERVER_ERRORS_THRESHOLD = 5


def service_metric(name: str, *, statistic: str) -> cloudwatch.Metric:
    """A metric the functions publish through Powertools (EMF), without a per-queue dimension."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": SERVICE_NAME},
        statistic=statistic,
        period=PERIOD,
    )


class ServiceMonitoring(Construct):
    """Alarms notify an encrypted SNS topic (and `alarm_email`, when set); the dashboard shows the request path."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        api: QueueApi,
        housekeeping: Housekeeping,
        table: QueueTable,
        key: kms.IKey,
        settings: StackSettings,
    ) -> None:
        super().__init__(scope, id)
        self.topic = sns.Topic(self, "AlarmTopic", master_key=key, enforce_ssl=True)
        # CloudWatch publishes to the encrypted topic itself, so the key must let it encrypt.
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey")
        if settings.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))

        function = api.function
        table_throttles = table.metric_throttled_requests_for_operations(
            operations=list(STORE_OPERATIONS), period=PERIOD
        )
        self.alarms = [
            self._alarm(
                "ApiServerErrors",
                api.http_api.metric_server_error(period=PERIOD, statistic="Sum"),
                threshold=API_SERVER_ERRORS_THRESHOLD,
                description="The SQS API answered with 5xx responses.",
            ),
            self._alarm(
                "FunctionErrors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                threshold=1,
                description="The API function crashed or timed out.",
            ),
            self._alarm(
                "FunctionThrottles",
                function.metric_throttles(period=PERIOD, statistic="Sum"),
                threshold=1,
                description="The API function hit its concurrency limit; requests were rejected.",
            ),
            self._alarm(
                "TableThrottles",
                table_throttles,
                threshold=1,
                description="DynamoDB throttled requests of the queue table.",
            ),
            self._alarm(
                "DeadLetterMessages",
                service_metric(DEAD_LETTER_QUEUE_MESSAGES, statistic="Maximum"),
                threshold=1,
                description="Messages are waiting in a dead-letter queue: some consumer failed them repeatedly.",
            ),
            self._alarm(
                "OldestMessageAge",
                service_metric(OLDEST_MESSAGE_AGE, statistic="Maximum"),
                threshold=settings.oldest_message_age_alarm_seconds,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"A queue's oldest message is older than {settings.oldest_message_age_alarm_seconds} "
                "seconds: its consumers are not keeping up.",
            ),
            self._alarm(
                "HousekeepingErrors",
                housekeeping.function.metric_errors(period=PERIOD, statistic="Sum"),
                threshold=1,
                description="The housekeeping function crashed or timed out.",
            ),
        ]

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=cdk.Duration.hours(3))
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24, height=3),
        )
        self.dashboard.add_widgets(
            _graph(
                "API requests",
                api.http_api.metric_count(period=PERIOD),
                api.http_api.metric_client_error(period=PERIOD),
                api.http_api.metric_server_error(period=PERIOD),
            ),
            _graph(
                "API latency p99 (ms)",
                api.http_api.metric_latency(period=PERIOD, statistic="p99"),
                api.http_api.metric_integration_latency(period=PERIOD, statistic="p99"),
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "Function invocations",
                function.metric_invocations(period=PERIOD),
                function.metric_errors(period=PERIOD),
                function.metric_throttles(period=PERIOD),
            ),
            _graph(
                "Function duration (ms)",
                function.metric_duration(period=PERIOD, statistic="p50"),
                function.metric_duration(period=PERIOD, statistic="p99"),
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "Table capacity units",
                table.metric_consumed_read_capacity_units(period=PERIOD),
                table.metric_consumed_write_capacity_units(period=PERIOD),
            ),
            _graph("Table throttled requests", table_throttles),
        )
        self.dashboard.add_widgets(
            _graph(
                "Housekeeping: messages per 5 minutes",
                *(
                    service_metric(name, statistic="Sum")
                    for name in (MESSAGES_MOVED_TO_DLQ, MESSAGES_EXPIRED, MESSAGES_REDRIVEN, MESSAGES_RECLAIMED)
                ),
            ),
            _graph(
                "Queues: dead-letter messages and oldest message age (s)",
                service_metric(DEAD_LETTER_QUEUE_MESSAGES, statistic="Maximum"),
                service_metric(OLDEST_MESSAGE_AGE, statistic="Maximum"),
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "Housekeeping function",
                housekeeping.function.metric_invocations(period=PERIOD),
                housekeeping.function.metric_errors(period=PERIOD),
                housekeeping.function.metric_duration(period=PERIOD, statistic="Maximum"),
            ),
        )

    def _alarm(
        self,
        id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: int,
        description: str,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=comparison,
            # No requests, no errors: an idle queue service is healthy.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
        alarm.add_ok_action(cloudwatch_actions.SnsAction(self.topic))
        return alarm


def _graph(title: str, *metrics: cloudwatch.IMetric) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=12, height=6)
