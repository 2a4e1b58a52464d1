"""AuditLog: the functions' audit events, filtered out of their log groups and kept in an encrypted S3 bucket."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.settings import StackSettings

_Stream = firehose.CfnDeliveryStream

# The functions write audit events as JSON log lines carrying this field.
AUDIT_FILTER_PATTERN = '{ $.log_type = "AUDIT" }'
OBJECT_PREFIX = "audit/!{timestamp:yyyy/MM/dd}/"
ERROR_PREFIX = "delivery-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
# Audit events are few; five minutes keeps objects few and the delay acceptable for an audit trail.
BUFFER_SECONDS = 300
BUFFER_MEGABYTES = 5
DELIVERY_ERRORS_STREAM = "S3Delivery"
# What Firehose needs to write objects, per its documentation for an S3 destination.
BUCKET_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:PutObject",
)


class AuditLog(Construct):
    """Subscription filters -> Firehose (CloudWatch Logs records unpacked) -> versioned, KMS-encrypted bucket."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        log_groups: Mapping[str, logs.ILogGroup],
        key: kms.IKey,
        settings: StackSettings,
    ) -> None:
        super().__init__(scope, id)
        expiry = cdk.Duration.days(settings.audit_log_expiry_days)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            versioned=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=expiry,
                    noncurrent_version_expiration=expiry,
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            # An audit trail must outlive the stack it audits, in every stage; its lifecycle expires it.
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.delivery_errors = logs.LogGroup(
            self, "DeliveryErrors", retention=settings.log_retention, removal_policy=settings.removal_policy
        )
        errors_stream = logs.LogStream(
            self,
            "DeliveryErrorsStream",
            log_group=self.delivery_errors,
            log_stream_name=DELIVERY_ERRORS_STREAM,
            removal_policy=settings.removal_policy,
        )
        self.delivery_role = self._delivery_role(key)
        self.stream = firehose.CfnDeliveryStream(
            self,
            "Stream",
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=_Stream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="AWS_OWNED_CMK"
            ),
            extended_s3_destination_configuration=_Stream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=self.bucket.bucket_arn,
                role_arn=self.delivery_role.role_arn,
                prefix=OBJECT_PREFIX,
                error_output_prefix=ERROR_PREFIX,
                compression_format="GZIP",
                buffering_hints=_Stream.BufferingHintsProperty(
                    interval_in_seconds=BUFFER_SECONDS, size_in_m_bs=BUFFER_MEGABYTES
                ),
                encryption_configuration=_Stream.EncryptionConfigurationProperty(
                    kms_encryption_config=_Stream.KMSEncryptionConfigProperty(awskms_key_arn=key.key_arn)
                ),
                # CloudWatch Logs sends gzipped batches of log events; store the audit lines themselves.
                processing_configuration=_Stream.ProcessingConfigurationProperty(
                    enabled=True,
                    processors=[
                        _processor("Decompression", CompressionFormat="GZIP"),
                        _processor("CloudWatchLogProcessing", DataMessageExtraction="true"),
                        # One audit event per line, so the objects read as JSON lines.
                        _processor("AppendDelimiterToRecord"),
                    ],
                ),
                cloud_watch_logging_options=_Stream.CloudWatchLoggingOptionsProperty(
                    enabled=True,
                    log_group_name=self.delivery_errors.log_group_name,
                    log_stream_name=errors_stream.log_stream_name,
                ),
            ),
        )
        # Firehose checks its access to the bucket when the stream is created.
        self.stream.node.add_dependency(self.delivery_role)

        subscription_role = iam.Role(
            self,
            "SubscriptionRole",
            assumed_by=iam.ServicePrincipal(
                "logs.amazonaws.com",
                conditions={
                    "StringLike": {
                        "aws:SourceArn": f"arn:{cdk.Aws.PARTITION}:logs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:*"
                    }
                },
            ),
        )
        subscription_role.add_to_policy(
            iam.PolicyStatement(
                actions=["firehose:PutRecord", "firehose:PutRecordBatch"], resources=[self.stream.attr_arn]
            )
        )
        for name, log_group in log_groups.items():
            subscription = logs.CfnSubscriptionFilter(
                self,
                f"{name}Filter",
                log_group_name=log_group.log_group_name,
                filter_pattern=AUDIT_FILTER_PATTERN,
                destination_arn=self.stream.attr_arn,
                role_arn=subscription_role.role_arn,
            )
            # CloudWatch Logs tests delivery when the filter is created, so the role must already allow it.
            subscription.node.add_dependency(subscription_role)

    def _delivery_role(self, key: kms.IKey) -> iam.Role:
        role = iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}
            ),
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=list(BUCKET_ACTIONS),
                resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects("*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[key.key_arn],
                conditions={
                    "StringEquals": {"kms:ViaService": f"s3.{cdk.Aws.REGION}.amazonaws.com"},
                    # Without an S3 Bucket Key, S3 asks KMS for each object, naming the object.
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": self.bucket.arn_for_objects("*")},
                },
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:PutLogEvents"],
                resources=[self.delivery_errors.log_group_arn],
            )
        )
        return role


def _processor(kind: str, **parameters: str) -> _Stream.ProcessorProperty:
    return _Stream.ProcessorProperty(
        type=kind,
        parameters=[
            _Stream.ProcessorParameterProperty(parameter_name=name, parameter_value=value)
            for name, value in parameters.items()
        ],
    )
