"""The store a local server runs on: the embedded file, moto's in-process DynamoDB, or a DynamoDB endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from dynaqueue import wiring
from dynaqueue.config import Settings
from dynaqueue.domain.ports import QueueStore
from dynaqueue.local.serialized_client import SerializedClient
from dynaqueue.storage.dynamo import DynamoStore

# Bounds the wait for a table created on a real endpoint to become ACTIVE (moto's is at once).
TABLE_WAIT_DELAY_SECONDS = 2
TABLE_WAIT_ATTEMPTS = 60


@contextmanager
def local_store(settings: Settings) -> Iterator[QueueStore]:
    """Open the configured store for the server's lifetime; on exit it is closed, or the mock stopped."""
    with ExitStack() as stack:
        if settings.store == "embedded":
            store = wiring.embedded_store(settings)
            # Closing checkpoints SQLite's write-ahead log into the database file.
            stack.callback(store.close)
            yield encrypting_store(settings, store)
            return
        if settings.store == "moto":
            # Imported only here: moto is an optional extra, needed by nothing else.
            from moto import mock_aws

            stack.enter_context(mock_aws())
            client = SerializedClient(wiring.dynamodb_client(settings))
        else:
            client = wiring.dynamodb_client(settings)
        ensure_table(client, settings.table_name)
        yield encrypting_store(settings, wiring.dynamodb_store(settings, client))


def encrypting_store(settings: Settings, store: QueueStore) -> QueueStore:
    """`store` with encryption at rest; moto's KMS starts empty, so `--store moto` keeps data keys local."""
    if settings.store == "moto":
        settings = replace(settings, kms_key_id="")
    return wiring.encrypting_store(settings, store)


def ensure_table(client: Any, table_name: str) -> None:
    """Create the queue table unless it exists, and wait until it can be used."""
    try:
        client.describe_table(TableName=table_name)
        return
    except client.exceptions.ResourceNotFoundException:
        DynamoStore.create_table(client, table_name)
    client.get_waiter("table_exists").wait(
        TableName=table_name,
        WaiterConfig={"Delay": TABLE_WAIT_DELAY_SECONDS, "MaxAttempts": TABLE_WAIT_ATTEMPTS},
    )


def local_receipt_secret(settings: Settings) -> bytes:
    """A configured key, else the one kept in the data directory, whatever the store."""
    if settings.receipt_secret or settings.receipt_secret_arn:
        return wiring.receipt_secret(settings)
    return wiring.stored_receipt_secret(Path(settings.data_dir))


def describe_data(settings: Settings) -> str:
    """Where the server's queues live, for the start-up banner."""
    if settings.store == "embedded":
        return f"queues stored in {(Path(settings.data_dir) / wiring.EMBEDDED_DATABASE_FILE).resolve()}"
    if settings.store == "moto":
        return "queues kept in memory by moto's DynamoDB; they are gone when the server stops"
    endpoint = settings.dynamodb_endpoint or "the AWS endpoint"
    return f"queues stored in DynamoDB table {settings.table_name} at {endpoint}"
