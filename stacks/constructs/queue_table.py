"""QueueTable: the one DynamoDB table of the service, as the PynamoDB models in dynaqueue.storage.tables declare it."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.settings import StackSettings

# Mirrors of dynaqueue.storage.tables, which stacks may not import (it pulls in PynamoDB);
# tests/infrastructure/test_queue_table.py proves the synthesized table equals the models.
HASH_KEY = "pk"
RANGE_KEY = "sk"
READY_INDEX = "GSI1"
READY_KEY = "g1p"
VISIBLE_AT = "va"
READY_INDEX_ATTRIBUTES = ("st", "rc")
EXPIRES_AT = "xa"

# The calls the DynamoDB store makes (TransactWriteItems is authorized per item as Put/Update/Delete);
# test_api_function.py checks this list against the store's source.
DATA_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchWriteItem",
)
# The encryption context `dynaqueue keys create` seals each access-key secret under (with the table key);
# a mirror of dynaqueue.storage.access_keys_dynamo, checked by tests/infrastructure/test_api_function.py.
ACCESS_KEY_CONTEXT = "dynaqueue:access-key-id"
# storage/data_keys_kms.py DATA_KEY_CONTEXT: the context every message data key is made under.
DATA_KEY_PURPOSE = "dynaqueue:purpose"
DATA_KEY_PURPOSE_VALUE = "message-data-key"
# What a caller needs of a customer-managed table key for item reads and writes: no ReEncrypt,
# no grants, and only through DynamoDB.
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")


class QueueTable(dynamodb.TableV2):
    """On-demand, point-in-time recoverable, encrypted with `key`; protected from deletion outside dev."""

    def __init__(self, scope: Construct, id: str, *, key: kms.IKey, settings: StackSettings) -> None:
        super().__init__(
            scope,
            id,
            partition_key=dynamodb.Attribute(name=HASH_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=RANGE_KEY, type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=READY_INDEX,
                    partition_key=dynamodb.Attribute(name=READY_KEY, type=dynamodb.AttributeType.STRING),
                    sort_key=dynamodb.Attribute(name=VISIBLE_AT, type=dynamodb.AttributeType.NUMBER),
                    projection_type=dynamodb.ProjectionType.INCLUDE,
                    non_key_attributes=list(READY_INDEX_ATTRIBUTES),
                )
            ],
            time_to_live_attribute=EXPIRES_AT,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=settings.is_production,
            removal_policy=settings.removal_policy,
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(key),
        )
        self._key = key

    def grant_queue_data(self, grantee: iam.IGrantable) -> iam.Grant:
        """Item reads and writes on the table and its ready index, nothing else (no Scan, no streams)."""
        data = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(DATA_ACTIONS),
            resource_arns=[self.table_arn, f"{self.table_arn}/index/{READY_INDEX}"],
        )
        key = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(KEY_ACTIONS),
            resource_arns=[self._key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{self.stack.region}.amazonaws.com"}},
        )
        return data.combine(key)

    @property
    def key(self) -> kms.IKey:
        """The stack's customer-managed key: the table's, and the one SSE-SQS queues' data keys come from."""
        return self._key

    def grant_message_data_keys(self, grantee: iam.IGrantable) -> iam.Grant:
        """Data keys for message envelopes (SSE-SQS and SSE-KMS queues), only under their encryption context.

        SSE-KMS queues name their own keys at run time, so the grant covers the account's keys; the
        encryption context keeps it to message data keys.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resource_arns=[
                self._key.key_arn,
                f"arn:{self.stack.partition}:kms:{self.stack.region}:{self.stack.account}:key/*",
            ],
            conditions={"StringEquals": {f"kms:EncryptionContext:{DATA_KEY_PURPOSE}": DATA_KEY_PURPOSE_VALUE}},
        )

    def grant_access_key_secrets(self, grantee: iam.IGrantable) -> iam.Grant:
        """Decrypting the access-key secrets stored in the table, and nothing else sealed with its key."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["kms:Decrypt"],
            resource_arns=[self._key.key_arn],
            conditions={"StringLike": {f"kms:EncryptionContext:{ACCESS_KEY_CONTEXT}": "*"}},
        )
