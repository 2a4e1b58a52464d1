"""The environment and permissions every function running the queue service needs: the table and the receipt key."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from dynaqueue.config import (
    ENV_ACCOUNT_ID,
    ENV_KMS_KEY_ID,
    ENV_QUEUE_CACHE_SECONDS,
    ENV_RECEIPT_SECRET_ARN,
    ENV_REGION,
    ENV_SHARDS,
    ENV_STORE,
    ENV_TABLE_NAME,
)
from stacks.constructs.queue_table import QueueTable
from stacks.constructs.receipt_secret import ReceiptSecret
from stacks.constructs.service_function import ServiceFunction
from stacks.settings import StackSettings

# SQS attribute changes may take up to 60 s to propagate, so caching queues for 30 s stays compatible.
QUEUE_CACHE_SECONDS = 30


def runtime_environment(*, table: QueueTable, receipt_secret: ReceiptSecret, settings: StackSettings) -> dict[str, str]:
    """What `dynaqueue.wiring.get_service()` reads to open this stack's table as the service's store."""
    return {
        ENV_STORE: "dynamodb",
        ENV_TABLE_NAME: table.table_name,
        ENV_ACCOUNT_ID: cdk.Aws.ACCOUNT_ID,
        ENV_REGION: cdk.Aws.REGION,
        ENV_RECEIPT_SECRET_ARN: receipt_secret.secret_arn,
        ENV_QUEUE_CACHE_SECONDS: str(QUEUE_CACHE_SECONDS),
        ENV_SHARDS: str(settings.ready_index_shards),
        ENV_KMS_KEY_ID: table.key.key_arn,
    }


def grant_runtime_access(grantee: iam.IGrantable, *, table: QueueTable, receipt_secret: ReceiptSecret) -> None:
    """Item reads and writes on the table; message data keys; the receipt key, read at cold start."""
    table.grant_queue_data(grantee)
    table.grant_message_data_keys(grantee)
    receipt_secret.grant_read(grantee)


def queue_service_function(
    scope: Construct,
    *,
    handler: str,
    description: str,
    timeout: cdk.Duration,
    table: QueueTable,
    receipt_secret: ReceiptSecret,
    settings: StackSettings,
) -> ServiceFunction:
    """A function running the queue service on this stack's table, with the environment and grants that needs."""
    function = ServiceFunction(
        scope,
        "Function",
        handler=handler,
        description=description,
        timeout=timeout,
        settings=settings,
        environment=runtime_environment(table=table, receipt_secret=receipt_secret, settings=settings),
    )
    grant_runtime_access(function, table=table, receipt_secret=receipt_secret)
    return function
