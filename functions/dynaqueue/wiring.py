"""Builds the queue service from configuration, once per process (a Lambda cold start or a local server)."""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path
from typing import Any

import botocore.session

from dynaqueue.config import ENV_RECEIPT_SECRET, ENV_RECEIPT_SECRET_ARN, ENV_STORE, ConfigurationError, Settings
from dynaqueue.domain.access_keys import AccessKeyStore
from dynaqueue.domain.clock import SystemClock
from dynaqueue.domain.housekeeping import Housekeeper
from dynaqueue.domain.ports import QueueStore
from dynaqueue.domain.service import QueueService
from dynaqueue.metric_names import MESSAGES_MOVED_TO_DLQ
from dynaqueue.observability import count
from dynaqueue.protocol.authentication import Authenticator
from dynaqueue.storage.access_keys_dynamo import DynamoAccessKeys
from dynaqueue.storage.access_keys_embedded import SEALING_KEY_BYTES, EmbeddedAccessKeys
from dynaqueue.storage.audit_log import AuditLog, FileAuditLog, StreamAuditLog
from dynaqueue.storage.data_keys import DATA_KEY_BYTES, KeyProvider, LocalKeyProvider
from dynaqueue.storage.data_keys_cache import DataKeyCache
from dynaqueue.storage.data_keys_kms import KmsKeyProvider
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.embedded import EmbeddedStore
from dynaqueue.storage.encryption import EncryptingStore

EMBEDDED_DATABASE_FILE = "dynaqueue.db"
RECEIPT_KEY_FILE = "receipt.key"
MASTER_KEY_FILE = "master.key"
RECEIPT_SECRET_BYTES = 32
ACCESS_KEYS_DATABASE_FILE = "access-keys.db"
ACCESS_KEYS_SEALING_KEY_FILE = "access-keys.key"
AUDIT_LOG_FILE = "audit.jsonl"

# At most one service set by configure(); get_service() prefers it to building one.
_configured: list[QueueService] = []


@functools.cache
def get_service() -> QueueService:
    """The process's queue service: the configured one, else one built from the environment."""
    if _configured:
        return _configured[0]
    settings = Settings.from_env(os.environ)
    return build_service(settings, open_store(settings), receipt_secret(settings))


@functools.cache
def get_housekeeper() -> Housekeeper:
    """The process's housekeeping runner, over the process's queue service."""
    return get_service().housekeeper()


def configure(service: QueueService | None) -> None:
    """Make get_service() return `service` (None: build from the environment again)."""
    _configured.clear()
    if service is not None:
        _configured.append(service)
    get_service.cache_clear()
    get_housekeeper.cache_clear()
    reset_access()


@functools.cache
def get_authenticator() -> Authenticator:
    """Who sent each request: with authentication on, checked against the access keys of the configured store."""
    settings = Settings.from_env(os.environ)
    keys = open_access_keys(settings) if settings.auth else None
    return Authenticator(keys, owner_account_id=settings.account_id, clock=SystemClock())


@functools.cache
def get_audit_log() -> AuditLog:
    """The configured JSON-lines file, else standard output."""
    settings = Settings.from_env(os.environ)
    return FileAuditLog(Path(settings.audit_log)) if settings.audit_log else StreamAuditLog()


def reset_access() -> None:
    """Build the authenticator and the audit log from the environment again on next use."""
    get_authenticator.cache_clear()
    get_audit_log.cache_clear()


def open_access_keys(settings: Settings) -> AccessKeyStore:
    """DynamoDB items with KMS-encrypted secrets on the DynamoDB store; else a file in the data directory."""
    if settings.store == "dynamodb":
        return DynamoAccessKeys(
            table_name=settings.table_name,
            client=dynamodb_client(settings),
            kms=aws_client("kms", settings),
            kms_key_id=settings.keys_kms_key_id,
            clock=SystemClock(),
            cache_seconds=settings.keys_cache_seconds,
        )
    data_dir = Path(settings.data_dir)
    return EmbeddedAccessKeys(data_dir / ACCESS_KEYS_DATABASE_FILE, stored_access_keys_sealing_key(data_dir))


def stored_access_keys_sealing_key(data_dir: Path) -> bytes:
    """The key sealing local access-key secrets, in `<data_dir>/access-keys.key` (owner-only), made on first use."""
    path = data_dir / ACCESS_KEYS_SEALING_KEY_FILE
    if not path.exists():
        _publish_new_key(path)
    key = _hex_key(path.read_text(), str(path))
    if len(key) != SEALING_KEY_BYTES:
        raise ConfigurationError(f"{path} must hold a {SEALING_KEY_BYTES}-byte hexadecimal key")
    return key


def aws_client(service: str, settings: Settings, *, endpoint_url: str | None = None) -> Any:
    """A botocore client; boto3 itself is not imported, which keeps ~0.15 s (s3transfer) off every cold start."""
    return _botocore_session().create_client(service, region_name=settings.region, endpoint_url=endpoint_url)


@functools.cache
def _botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


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
        return encrypting_store(settings, embedded_store(settings))
    return encrypting_store(settings, dynamodb_store(settings, dynamodb_client(settings)))


def encrypting_store(settings: Settings, store: QueueStore) -> EncryptingStore:
    """`store` with encryption at rest for the queues that ask for it (SSE-KMS or SSE-SQS)."""
    # DynamoDB bills every stored kilobyte on write and read; a local disk does not, and there
    # compressing a 64 KB body would cost more CPU than everything else its request does.
    compress = settings.store != "embedded"
    return EncryptingStore(store, DataKeyCache(key_provider(settings), SystemClock()), compress=compress)


def key_provider(settings: Settings) -> KeyProvider:
    """KMS when the deployment names its key (the embedded store never uses KMS), else the local master key."""
    if settings.kms_key_id and settings.store != "embedded":
        kms = aws_client("kms", settings)
        return KmsKeyProvider(kms, deployment_key_id=settings.kms_key_id)
    return LocalKeyProvider(stored_master_key(Path(settings.data_dir)))


def stored_master_key(data_dir: Path) -> bytes:
    """The key wrapping local data keys, kept in `<data_dir>/master.key` (owner-only), generated on first use.

    Losing it makes every encrypted message in the data directory unreadable.
    """
    path = data_dir / MASTER_KEY_FILE
    if not path.exists():
        _publish_new_key(path)
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError:
        key = b""
    if len(key) != DATA_KEY_BYTES:
        raise ConfigurationError(f"{path} must hold a {DATA_KEY_BYTES}-byte hexadecimal master key")
    return key


def embedded_store(settings: Settings) -> EmbeddedStore:
    return EmbeddedStore(Path(settings.data_dir) / EMBEDDED_DATABASE_FILE, on_dead_letter_moves=count_moves_on_receive)


def dynamodb_client(settings: Settings) -> Any:
    return aws_client("dynamodb", settings, endpoint_url=settings.dynamodb_endpoint)


def dynamodb_store(settings: Settings, client: Any) -> DynamoStore:
    return DynamoStore(
        table_name=settings.table_name,
        client=client,
        shards=settings.shards,
        queue_cache_seconds=settings.queue_cache_seconds,
        on_dead_letter_moves=count_moves_on_receive,
    )


def count_moves_on_receive(moved: int) -> None:
    """Receives move over-received messages too; the metric counts them with the housekeeping run's."""
    count(MESSAGES_MOVED_TO_DLQ, moved)


def receipt_secret(settings: Settings) -> bytes:
    """The key receipt handles are signed with, as hex: configured, in Secrets Manager, or kept locally.

    On DynamoDB every Lambda instance must sign alike, so the key must come from configuration
    or Secrets Manager; the other stores live on one machine and keep a generated key next to
    their data.
    """
    if settings.receipt_secret:
        return _hex_key(settings.receipt_secret, ENV_RECEIPT_SECRET)
    if settings.receipt_secret_arn:
        secrets_manager = aws_client("secretsmanager", settings)
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
