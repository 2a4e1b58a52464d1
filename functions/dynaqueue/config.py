"""Runtime configuration: environment variable names and the one parser of the environment.

Standard library only, so the CDK stacks and the tests can import the names cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

ENV_STORE = "DYNAQUEUE_STORE"
ENV_TABLE_NAME = "DYNAQUEUE_TABLE_NAME"
ENV_DYNAMODB_ENDPOINT = "DYNAQUEUE_DYNAMODB_ENDPOINT"
ENV_DATA_DIR = "DYNAQUEUE_DATA_DIR"
ENV_ACCOUNT_ID = "DYNAQUEUE_ACCOUNT_ID"
ENV_REGION = "DYNAQUEUE_REGION"
ENV_RECEIPT_SECRET = "DYNAQUEUE_RECEIPT_SECRET"
ENV_RECEIPT_SECRET_ARN = "DYNAQUEUE_RECEIPT_SECRET_ARN"
ENV_SHARDS = "DYNAQUEUE_SHARDS"
ENV_QUEUE_CACHE_SECONDS = "DYNAQUEUE_QUEUE_CACHE_SECONDS"
ENV_HOUSEKEEPING_INTERVAL = "DYNAQUEUE_HOUSEKEEPING_INTERVAL"
# The deployment's own KMS key (id, alias or ARN): SSE-SQS queues' data keys are made under it.
ENV_KMS_KEY_ID = "DYNAQUEUE_KMS_KEY_ID"
# SigV4 verification of every request: "on" or "off"; on by default inside Lambda (the deployment).
ENV_AUTH = "DYNAQUEUE_AUTH"
# The KMS key (id, alias or ARN) access-key secrets are encrypted under in the DynamoDB table.
ENV_KEYS_KMS_KEY_ID = "DYNAQUEUE_KEYS_KMS_KEY_ID"
# How long a Lambda keeps a decrypted access key before reading it again (a disabled key stops working then).
ENV_KEYS_CACHE_SECONDS = "DYNAQUEUE_KEYS_CACHE_SECONDS"
# A JSON-lines file for audit events; empty: standard output (in Lambda, the log group).
ENV_AUDIT_LOG = "DYNAQUEUE_AUDIT_LOG"
# A PEM certificate chain and its private key: `dynaqueue serve` speaks HTTPS.
ENV_TLS_CERT = "DYNAQUEUE_TLS_CERT"
ENV_TLS_KEY = "DYNAQUEUE_TLS_KEY"

# Set by the Lambda runtime in every function's environment.
LAMBDA_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"

STORES = ("embedded", "dynamodb", "moto")
DEFAULT_ACCOUNT_ID = "000000000000"
DEFAULT_REGION = "us-east-1"


class ConfigurationError(ValueError):
    """Raised when an environment variable is missing or malformed; names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the runtime reads from its environment, parsed once."""

    store: str = "embedded"
    table_name: str = ""
    dynamodb_endpoint: str | None = None
    data_dir: str = ".dynaqueue"
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION
    receipt_secret: str = ""
    receipt_secret_arn: str = ""
    shards: int = 4
    queue_cache_seconds: float = 0.0
    # Seconds between housekeeping runs inside `dynaqueue serve`; 0 turns them off. On AWS a schedule runs it.
    housekeeping_interval: float = 1.0
    # Empty: no KMS; data keys are wrapped with the master key kept in the data directory.
    kms_key_id: str = ""
    auth: bool = False
    keys_kms_key_id: str = ""
    keys_cache_seconds: float = 60.0
    audit_log: str = ""
    tls_cert: str = ""
    tls_key: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        store = environ.get(ENV_STORE, "embedded")
        if store not in STORES:
            raise ConfigurationError(f"{ENV_STORE} must be one of {', '.join(STORES)}, not {store!r}")
        account_id = environ.get(ENV_ACCOUNT_ID, DEFAULT_ACCOUNT_ID)
        if not re.fullmatch(r"\d{12}", account_id):
            raise ConfigurationError(f"{ENV_ACCOUNT_ID} must be 12 digits, not {account_id!r}")
        table_name = environ.get(ENV_TABLE_NAME, "")
        if store == "dynamodb" and not table_name:
            raise ConfigurationError(f"{ENV_TABLE_NAME} is required when {ENV_STORE}=dynamodb")
        return cls(
            store=store,
            table_name=table_name,
            dynamodb_endpoint=environ.get(ENV_DYNAMODB_ENDPOINT) or None,
            data_dir=environ.get(ENV_DATA_DIR, ".dynaqueue"),
            account_id=account_id,
            region=environ.get(ENV_REGION) or environ.get("AWS_REGION") or DEFAULT_REGION,
            receipt_secret=environ.get(ENV_RECEIPT_SECRET, ""),
            receipt_secret_arn=environ.get(ENV_RECEIPT_SECRET_ARN, ""),
            shards=_int(environ, ENV_SHARDS, 4, low=1, high=256),
            queue_cache_seconds=float(_int(environ, ENV_QUEUE_CACHE_SECONDS, 0, low=0, high=300)),
            housekeeping_interval=_seconds(environ, ENV_HOUSEKEEPING_INTERVAL, 1.0, high=3600.0),
            kms_key_id=environ.get(ENV_KMS_KEY_ID, ""),
            # Fail safe: a deployed function authenticates unless told otherwise.
            auth=_switch(environ, ENV_AUTH, default=LAMBDA_FUNCTION_NAME in environ),
            keys_kms_key_id=environ.get(ENV_KEYS_KMS_KEY_ID, ""),
            keys_cache_seconds=_seconds(environ, ENV_KEYS_CACHE_SECONDS, 60.0, high=3600.0),
            audit_log=environ.get(ENV_AUDIT_LOG, ""),
            tls_cert=environ.get(ENV_TLS_CERT, ""),
            tls_key=environ.get(ENV_TLS_KEY, ""),
        )


def _int(environ: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _seconds(environ: Mapping[str, str], name: str, default: float, *, high: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 <= value <= high:
        raise ConfigurationError(f"{name} must be between 0 and {high:g} seconds, not {raw}")
    return value


def _switch(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise ConfigurationError(f"{name} must be on or off, not {raw!r}")
    return raw == "on"
