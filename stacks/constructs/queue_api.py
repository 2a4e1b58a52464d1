"""QueueApi: the SQS-compatible endpoint, an API Gateway HTTP API in front of the API function."""

from __future__ import annotations

import json

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.constructs.queue_table import QueueTable
from stacks.constructs.receipt_secret import ReceiptSecret
from stacks.constructs.runtime_environment import queue_service_function
from stacks.settings import StackSettings

API_HANDLER = "dynaqueue.handlers.api.lambda_handler"
# Long polls wait up to 20 s; the function must answer before the HTTP API gives up on it, after the
# default (and maximum) integration timeout of 30 s, which CDK cannot even set (it caps it at 29 s).
API_FUNCTION_TIMEOUT = cdk.Duration.seconds(28)

# SDKs post every action to the endpoint root; older clients and tools post to the queue URL.
ROOT_PATH = "/"
QUEUE_URL_PATH = "/{account}/{queue}"

# Variables from the HTTP API list, which differs from the REST API's (no $context.identity.user here).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "sourceIp": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "httpMethod": "$context.httpMethod",
    "path": "$context.path",
    "routeKey": "$context.routeKey",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "integrationError": "$context.integration.error",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    """IAccessLogSettings is an interface in Python, so a stage's log settings need a class."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._log_group = log_group

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return apigwv2.LogGroupLogDestination(self._log_group)

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))


class QueueApi(Construct):
    """POST and GET / and ANY /{account}/{queue} to the API function; the default stage logs and throttles."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        table: QueueTable,
        receipt_secret: ReceiptSecret,
        settings: StackSettings,
    ) -> None:
        super().__init__(scope, id)
        self.function = queue_service_function(
            self,
            handler=API_HANDLER,
            description="dynaqueue SQS-compatible API",
            timeout=API_FUNCTION_TIMEOUT,
            table=table,
            receipt_secret=receipt_secret,
            settings=settings,
        )
        # The API verifies request signatures against the access keys in the table.
        table.grant_access_key_secrets(self.function)

        self.http_api = apigwv2.HttpApi(self, "HttpApi", description="dynaqueue", create_default_stage=False)
        integration = integrations.HttpLambdaIntegration(
            "ApiFunction",
            self.function,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
        )
        # The Query protocol also arrives as GET with its parameters in the query string.
        self.http_api.add_routes(
            path=ROOT_PATH, methods=[apigwv2.HttpMethod.POST, apigwv2.HttpMethod.GET], integration=integration
        )
        self.http_api.add_routes(path=QUEUE_URL_PATH, methods=[apigwv2.HttpMethod.ANY], integration=integration)

        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=settings.log_retention, removal_policy=settings.removal_policy
        )
        apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            access_log_settings=_AccessLogSettings(access_logs),
            throttle=apigwv2.ThrottleSettings(
                rate_limit=settings.throttle_rate_limit,
                burst_limit=settings.throttle_burst_limit,
            ),
        )

    @property
    def endpoint_url(self) -> str:
        return self.http_api.api_endpoint
