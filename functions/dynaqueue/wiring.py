"""Builds the queue service from configuration, once per process (a Lambda cold start or a local server)."""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path
from typing import Any

import boto3

from dynaqueue.config import ENV_RECEIPT_SECRET, ENV_RECEIPT_SECRET_ARN, ENV_STORE, ConfigurationError, Settings
from dynaqueue.domain.clock import SystemClock
from dynaqueue.domain.ports import QueueStore
from dynaqueue.domain.service import QueueService
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.embedded import EmbeddedStore

EMBEDDED_DATABASE_FILE = "dynaqueue.db"
RECEIPT_KEY_FILE = "receipt.key"
RECEIPT_SECRET_BYTES = 32

# At most one service set by configure(); get_service() prefers it to building one.
_configured: list[QueueService] = []


@functools.cache
def get_service() -> QueueService:
    """The process's queue service: the configured one, else one built from the environment."""
    if _configured:
        return _configured[0]
    settings = Settings.from_env(os.environ)
    return build_service(settings, open_store(settings), receipt_secret(settings))


def configure(service: QueueService | None) -> None:
    """Make get_service() return `service` (None: build from the environment again)."""
    _configured.clear()
    if service is not None:
        _configured.append(service)
    get_service.cache_clear()


def build_service(settings: Settings, store: QueueStore, secret: bytes) -> QueueService:
    return QueueService(
        store,
        clock=SystemClock(),
        account_id=settings.account_id,
        region=settings.region,
        receipt_secret=secret,
    )


def open_store(settings: Settings) -> QueueStore:
    """The configured store; "moto" opens the DynamoDB store, so moto's mock must already be running."""
    if settings.store == "embedded":
        return embedded_store(settings)
    return dynamodb_store(settings, dynamodb_client(settings))


def embedded_store(settings: Settings) -> EmbeddedStore:
    return EmbeddedStore(Path(settings.data_dir) / EMBEDDED_DATABASE_FILE)


def dynamodb_client(settings: Settings) -> Any:
    return boto3.client("dynamodb", endpoint_url=settings.dynamodb_endpoint, region_name=settings.region)


def dynamodb_store(settings: Settings, client: Any) -> DynamoStore:
    return DynamoStore(
        table_name=settings.table_name,
        client=client,
        shards=settings.shards,
        queue_cache_seconds=settings.queue_cache_seconds,
    )


def receipt_secret(settings: Settings) -> bytes:
    """The key receipt handles are signed with, as hex: configured, in Secrets Manager, or kept locally.

    On DynamoDB every Lambda instance must sign alike, so the key must come from configuration
    or Secrets Manager; the other stores live on one machine and keep a generated key next to
    their data.
    """
    if settings.receipt_secret:
        return _hex_key(settings.receipt_secret, ENV_RECEIPT_SECRET)
    if settings.receipt_secret_arn:
        secrets_manager = boto3.client("secretsmanager", region_name=settings.region)
        secret = secrets_manager.get_secret_value(SecretId=settings.receipt_secret_arn)["SecretString"]
        return _hex_key(secret, f"the secret {ENV_RECEIPT_SECRET_ARN} names")
    if settings.store == "dynamodb":
        raise ConfigurationError(
            f"{ENV_RECEIPT_SECRET} or {ENV_RECEIPT_SECRET_ARN} is required when {ENV_STORE}=dynamodb"
        )
    return stored_receipt_secret(Path(settings.data_dir))


def stored_receipt_secret(data_dir: Path) -> bytes:
    """The key kept in `<data_dir>/receipt.key` (owner-only), generated on first use."""
    path = data_dir / RECEIPT_KEY_FILE
    if not path.exists():
        _publish_new_key(path)
    return _hex_key(path.read_text(), str(path))


def _hex_key(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if not key:
        raise ConfigurationError(f"{source} must hold a hexadecimal receipt key")
    return key


def _publish_new_key(path: Path) -> None:
    """Write a fresh key beside `path` and link it into place, so no reader sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{os.getpid()}.draft")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as key_file:
        key_file.write(secrets.token_hex(RECEIPT_SECRET_BYTES))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process published its key first; everyone uses that one
    finally:
        draft.unlink()
