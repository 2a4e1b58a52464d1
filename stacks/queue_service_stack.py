"""QueueServiceStack: the deployable service, composed of constructs; owns tags, outputs and cdk-nag acknowledgments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct, IConstruct

from stacks.constructs.audit_log import AuditLog
from stacks.constructs.data_key import DataKey
from stacks.constructs.housekeeping import Housekeeping
from stacks.constructs.monitoring import ServiceMonitoring
from stacks.constructs.queue_api import QueueApi
from stacks.constructs.queue_table import QueueTable
from stacks.constructs.receipt_secret import ReceiptSecret
from stacks.constructs.service_function import ServiceFunction
from stacks.queues_as_code import QueueDeclaration, QueueDeclarations
from stacks.settings import StackSettings

ENDPOINT_OUTPUT = "EndpointUrl"
TABLE_OUTPUT = "TableName"
AUDIT_BUCKET_OUTPUT = "AuditLogBucket"
DATA_KEY_OUTPUT = "DataKeyArn"


class QueueServiceStack(cdk.Stack):
    """API Gateway HTTP API -> API function -> one DynamoDB table, with housekeeping, audit log, alarms, dashboard."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: StackSettings,
        queues: Sequence[QueueDeclaration] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, description=f"dynaqueue SQS-compatible queue service ({settings.stage})", **kwargs)
        self.key = DataKey(self, "DataKey", settings=settings)
        self.table = QueueTable(self, "QueueTable", key=self.key, settings=settings)
        self.receipt_secret = ReceiptSecret(self, "ReceiptSecret", key=self.key, settings=settings)
        self.api = QueueApi(self, "Api", table=self.table, receipt_secret=self.receipt_secret, settings=settings)
        self.housekeeping = Housekeeping(
            self, "Housekeeping", table=self.table, receipt_secret=self.receipt_secret, settings=settings
        )
        # Without declarations nothing is added, so the stack of an app that declares no queues is unchanged.
        self.declared_queues = (
            QueueDeclarations(
                self,
                "Queues",
                declarations=queues,
                table=self.table,
                receipt_secret=self.receipt_secret,
                endpoint_url=self.api.endpoint_url,
                settings=settings,
            )
            if queues
            else None
        )
        self.audit_log = AuditLog(
            self,
            "AuditLog",
            log_groups={
                "Api": self.api.function.log_group,
                "Housekeeping": self.housekeeping.function.log_group,
            },
            key=self.key,
            settings=settings,
        )
        self.monitoring = ServiceMonitoring(
            self,
            "Monitoring",
            api=self.api,
            housekeeping=self.housekeeping,
            table=self.table,
            key=self.key,
            settings=settings,
        )

        self._output(ENDPOINT_OUTPUT, self.api.endpoint_url, "SQS endpoint URL")
        self._output(TABLE_OUTPUT, self.table.table_name, "DynamoDB table (for `dynaqueue keys create`)")
        self._output(AUDIT_BUCKET_OUTPUT, self.audit_log.bucket.bucket_name, "S3 bucket receiving audit events")
        self._output(DATA_KEY_OUTPUT, self.key.key_arn, "KMS key of the data at rest (and of access-key secrets)")
        cdk.Tags.of(self).add("service", "dynaqueue")
        cdk.Tags.of(self).add("stage", settings.stage)
        self._acknowledge_nag_findings()

    @property
    def functions(self) -> list[ServiceFunction]:
        functions = [self.api.function, self.housekeeping.function]
        if self.declared_queues is not None:
            functions.append(self.declared_queues.function)
        return functions

    def _output(self, name: str, value: str, description: str) -> None:
        output = cdk.CfnOutput(self, name, value=value, description=description)
        # Stable names, so scripts and docs can query them.
        output.override_logical_id(name)

    def _nag_account_keys_arn(self) -> str:
        """The account's key ARN pattern as cdk-nag prints it: unresolved pseudo parameters as <AWS::Name>."""
        parts = [(self.partition, "Partition"), (self.region, "Region"), (self.account, "AccountId")]
        partition, region, account = (
            f"<AWS::{name}>" if cdk.Token.is_unresolved(value) else value for value, name in parts
        )
        return f"arn:{partition}:kms:{region}:{account}:key/*"

    def _logical_id(self, construct: IConstruct) -> str:
        """The logical id cdk-nag names a resource by in its findings."""
        return self.resolve(self.get_logical_id(construct.node.default_child))  # type: ignore[arg-type]

    def _acknowledge_nag_findings(self) -> None:
        """Every cdk-nag finding this stack accepts, each on the construct it concerns, with the reason."""
        acknowledgments: list[tuple[IConstruct, str, str]] = [
            (
                self.api.http_api,
                "AwsSolutions::AwsSolutions-APIG4",
                "SQS clients sign requests with SigV4 for the service 'sqs', which the HTTP API's IAM "
                "authorizer cannot verify; the function verifies them itself, against the table's access keys.",
            ),
            (
                self.receipt_secret,
                "AwsSolutions::AwsSolutions-SMG4",
                "Rotating the receipt-signing key would invalidate every receipt handle in flight; rotation "
                "needs the runtime to accept the previous key during a grace period, which it does not yet.",
            ),
            (
                self.audit_log.bucket,
                "AwsSolutions::AwsSolutions-S1",
                "Only the Firehose delivery role writes this bucket and nobody reads it in normal operation; "
                "S3 server access logs would need a second bucket that itself has no access logs. Use "
                "CloudTrail S3 data events to audit reads of the audit trail.",
            ),
            (
                self.audit_log.delivery_role,
                f"AwsSolutions::AwsSolutions-IAM5[Resource::<{self._logical_id(self.audit_log.bucket)}.Arn>/*]",
                "Firehose writes a new object per delivery under date-based keys, so the object resource "
                "must be the bucket's key space; the role can touch no other bucket.",
            ),
        ]
        for function in self.functions:
            acknowledgments += [
                (
                    function.role,
                    "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                    "X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no "
                    "resource-level permissions, so their resource must be '*'.",
                ),
                (
                    function.role,
                    f"AwsSolutions::AwsSolutions-IAM5[Resource::{self._nag_account_keys_arn()}]",
                    "SSE-KMS queues name their KMS key at run time (KmsMasterKeyId), so message data keys may come "
                    "from any key of the account; the grant is limited to GenerateDataKey and Decrypt under the "
                    "message data-key encryption context, and each key's own policy still applies.",
                ),
                (
                    function,
                    "AwsSolutions::AwsSolutions-L1",
                    f"{ServiceFunction.RUNTIME.name}, not 3.14: every dependency has 3.14 wheels, but the asset's "
                    "bytecode is precompiled by a matching interpreter and the build machines have no 3.14 yet.",
                ),
            ]
        for construct, rule, reason in acknowledgments:
            cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
