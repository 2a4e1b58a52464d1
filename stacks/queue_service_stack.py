"""QueueServiceStack: the deployable service, composed of constructs; owns tags, outputs and cdk-nag acknowledgments."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct, IConstruct

from stacks.constructs.data_key import DataKey
from stacks.constructs.monitoring import ServiceMonitoring
from stacks.constructs.queue_api import QueueApi
from stacks.constructs.queue_table import QueueTable
from stacks.constructs.receipt_secret import ReceiptSecret
from stacks.constructs.service_function import ServiceFunction
from stacks.settings import StackSettings

ENDPOINT_OUTPUT = "EndpointUrl"


class QueueServiceStack(cdk.Stack):
    """API Gateway HTTP API -> API function -> one DynamoDB table, with alarms and a dashboard."""

    def __init__(self, scope: Construct, id: str, *, settings: StackSettings, **kwargs: Any) -> None:
        super().__init__(scope, id, description=f"dynaqueue SQS-compatible queue service ({settings.stage})", **kwargs)
        self.key = DataKey(self, "DataKey", settings=settings)
        self.table = QueueTable(self, "QueueTable", key=self.key, settings=settings)
        self.receipt_secret = ReceiptSecret(self, "ReceiptSecret", key=self.key, settings=settings)
        self.api = QueueApi(self, "Api", table=self.table, receipt_secret=self.receipt_secret, settings=settings)
        self.monitoring = ServiceMonitoring(
            self, "Monitoring", api=self.api, table=self.table, key=self.key, settings=settings
        )

        endpoint = cdk.CfnOutput(self, ENDPOINT_OUTPUT, value=self.api.endpoint_url, description="SQS endpoint URL")
        endpoint.override_logical_id(ENDPOINT_OUTPUT)
        cdk.Tags.of(self).add("service", "dynaqueue")
        cdk.Tags.of(self).add("stage", settings.stage)
        self._acknowledge_nag_findings()

    def _acknowledge_nag_findings(self) -> None:
        """Every cdk-nag finding this stack accepts, each on the construct it concerns, with the reason."""
        acknowledgments: list[tuple[IConstruct, str, str]] = [
            (
                self.api.http_api,
                "AwsSolutions::AwsSolutions-APIG4",
                "SQS clients sign requests with SigV4 for the service 'sqs', which the HTTP API's IAM "
                "authorizer cannot verify; the function is to verify signatures itself (planned).",
            ),
            (
                self.api.function.role,
                "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                "X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no "
                "resource-level permissions, so their resource must be '*'.",
            ),
            (
                self.api.function,
                "AwsSolutions::AwsSolutions-L1",
                f"{ServiceFunction.RUNTIME.name}, not 3.14: every dependency has 3.14 wheels, but the asset's "
                "bytecode is precompiled by a matching interpreter and the build machines have no 3.14 yet.",
            ),
            (
                self.receipt_secret,
                "AwsSolutions::AwsSolutions-SMG4",
                "Rotating the receipt-signing key would invalidate every receipt handle in flight; rotation "
                "needs the runtime to accept the previous key during a grace period, which it does not yet.",
            ),
        ]
        for construct, rule, reason in acknowledgments:
            cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
