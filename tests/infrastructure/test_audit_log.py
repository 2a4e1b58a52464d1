"""Audit events: subscription filters on the function log groups, through Firehose into an encrypted, private bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

AUDIT_PATTERN = '{ $.log_type = "AUDIT" }'


def of_type(resources: dict[str, dict[str, Any]], kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(logical_id, resource) for logical_id, resource in resources.items() if resource["Type"] == kind]


def test_audit_lines_of_the_api_and_housekeeping_logs_go_to_the_delivery_stream(
    resources: dict[str, dict[str, Any]],
) -> None:
    filters = [resource["Properties"] for _, resource in of_type(resources, "AWS::Logs::SubscriptionFilter")]
    ((stream_id, _),) = of_type(resources, "AWS::KinesisFirehose::DeliveryStream")

    assert {subscription["LogGroupName"]["Ref"].split("Function")[0] for subscription in filters} == {
        "Api",
        "Housekeeping",
    }
    for subscription in filters:
        assert subscription["FilterPattern"] == AUDIT_PATTERN
        assert subscription["DestinationArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}


def test_delivery_unpacks_cloudwatch_records_and_encrypts_with_the_data_key(
    resources: dict[str, dict[str, Any]],
) -> None:
    ((_, stream),) = of_type(resources, "AWS::KinesisFirehose::DeliveryStream")
    properties = stream["Properties"]
    destination = properties["ExtendedS3DestinationConfiguration"]

    assert properties["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
    assert destination["BucketARN"]["Fn::GetAtt"][0].startswith("AuditLogBucket")
    assert destination["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"]["Fn::GetAtt"][0].startswith(
        "DataKey"
    )
    processors = {processor["Type"] for processor in destination["ProcessingConfiguration"]["Processors"]}
    assert processors == {"Decompression", "CloudWatchLogProcessing", "AppendDelimiterToRecord"}


def test_bucket_is_encrypted_versioned_private_tls_only_and_expires_objects(
    template: Template, resources: dict[str, dict[str, Any]]
) -> None:
    ((bucket_id, bucket),) = of_type(resources, "AWS::S3::Bucket")
    properties = bucket["Properties"]

    assert bucket["DeletionPolicy"] == "Retain"
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert (rule["ExpirationInDays"], rule["NoncurrentVersionExpiration"]["NoncurrentDays"]) == (30, 30)
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            },
        },
    )


def test_expiry_comes_from_context(declared_resources: dict[str, dict[str, Any]]) -> None:
    ((_, bucket),) = of_type(declared_resources, "AWS::S3::Bucket")

    (rule,) = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 90


def test_roles_may_only_deliver(resources: dict[str, dict[str, Any]]) -> None:
    policies = {
        policy["Properties"]["Roles"][0]["Ref"]: policy["Properties"]["PolicyDocument"]["Statement"]
        for _, policy in of_type(resources, "AWS::IAM::Policy")
    }
    subscription = next(statements for role, statements in policies.items() if role.startswith("AuditLogSubscription"))
    delivery = next(statements for role, statements in policies.items() if role.startswith("AuditLogDelivery"))

    assert [statement["Action"] for statement in subscription] == [["firehose:PutRecord", "firehose:PutRecordBatch"]]
    delivery_actions = {
        action
        for statement in delivery
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    assert {action.split(":")[0] for action in delivery_actions} == {"s3", "kms", "logs"}
    assert "s3:DeleteObject" not in delivery_actions
