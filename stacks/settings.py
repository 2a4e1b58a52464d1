"""StackSettings: the deployment's choices, read from CDK context (`cdk.json` or `-c key=value`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from constructs import Node

DEFAULT_REGION = "us-east-1"
STAGES = ("dev", "prod")

# CloudWatch Logs accepts only these retention periods.
RETENTION_BY_DAYS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
LOG_LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS = 3600


class StackSettingsError(ValueError):
    """Raised when a context value is missing or malformed; names the context key."""


@dataclass(frozen=True, slots=True)
class StagePreset:
    """The defaults of one stage; every field can be overridden by a context key."""

    log_retention_days: int
    throttle_rate_limit: int
    throttle_burst_limit: int
    audit_log_expiry_days: int


# The account-wide HTTP API default is 10,000 requests/s with a 5,000 burst; a stage takes a share of it.
PRESETS = {
    "dev": StagePreset(
        log_retention_days=7, throttle_rate_limit=50, throttle_burst_limit=100, audit_log_expiry_days=30
    ),
    "prod": StagePreset(
        log_retention_days=90, throttle_rate_limit=1000, throttle_burst_limit=2000, audit_log_expiry_days=365
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StackSettings:
    """Everything that differs between deployments; constructs read it, never the context itself."""

    stage: str
    log_retention_days: int
    throttle_rate_limit: int
    throttle_burst_limit: int
    ready_index_shards: int = 4
    log_level: str = "INFO"
    alarm_email: str | None = None
    # Older than this, the oldest message of some queue means its consumers are not keeping up.
    oldest_message_age_alarm_seconds: int = DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS
    audit_log_expiry_days: int = 30

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise StackSettingsError(f"context 'stage' must be one of {', '.join(STAGES)}, not {self.stage!r}")
        if self.log_retention_days not in RETENTION_BY_DAYS:
            allowed = ", ".join(map(str, RETENTION_BY_DAYS))
            raise StackSettingsError(f"context 'logRetentionDays' must be one of {allowed}")
        if self.throttle_rate_limit < 1 or self.throttle_burst_limit < 1:
            raise StackSettingsError("context 'throttleRateLimit' and 'throttleBurstLimit' must be positive")
        # The runtime accepts 1-256 shards (dynaqueue.config); fail at synth, not at the first request.
        if not 1 <= self.ready_index_shards <= 256:
            raise StackSettingsError("context 'readyIndexShards' must be between 1 and 256")
        if self.log_level not in LOG_LEVELS:
            raise StackSettingsError(f"context 'logLevel' must be one of {', '.join(LOG_LEVELS)}")
        if self.oldest_message_age_alarm_seconds < 60:
            # Housekeeping measures once a minute; a lower threshold would alarm on ordinary latency.
            raise StackSettingsError("context 'oldestMessageAgeAlarmSeconds' must be at least 60")
        if self.audit_log_expiry_days < 1:
            raise StackSettingsError("context 'auditLogExpiryDays' must be positive")

    @classmethod
    def from_context(cls, node: Node) -> StackSettings:
        stage = str(node.try_get_context("stage") or "dev")
        preset = PRESETS.get(stage, PRESETS["dev"])
        return cls(
            stage=stage,
            log_retention_days=_int(node, "logRetentionDays", preset.log_retention_days),
            throttle_rate_limit=_int(node, "throttleRateLimit", preset.throttle_rate_limit),
            throttle_burst_limit=_int(node, "throttleBurstLimit", preset.throttle_burst_limit),
            ready_index_shards=_int(node, "readyIndexShards", 4),
            log_level=str(node.try_get_context("logLevel") or "INFO").upper(),
            alarm_email=node.try_get_context("alarmEmail") or None,
            oldest_message_age_alarm_seconds=_int(
                node, "oldestMessageAgeAlarmSeconds", DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS
            ),
            audit_log_expiry_days=_int(node, "auditLogExpiryDays", preset.audit_log_expiry_days),
        )

    @property
    def is_production(self) -> bool:
        return self.stage == "prod"

    @property
    def stack_name(self) -> str:
        return f"dynaqueue-{self.stage}"

    @property
    def removal_policy(self) -> cdk.RemovalPolicy:
        """Dev stacks clean up after themselves; production data and logs outlive the stack."""
        return cdk.RemovalPolicy.RETAIN if self.is_production else cdk.RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return RETENTION_BY_DAYS[self.log_retention_days]


def deployment_environment(node: Node, environ: Mapping[str, str]) -> cdk.Environment:
    """Account and region: context first, then what the CDK CLI detected, then the default region.

    The region is never left open: a TableV2 encrypted with a customer-managed key cannot be
    synthesized region-agnostic. The account may stay open (synth then needs no credentials).
    """
    account = node.try_get_context("account") or environ.get("CDK_DEFAULT_ACCOUNT")
    region = node.try_get_context("region") or environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION
    return cdk.Environment(account=account, region=region)


def _int(node: Node, key: str, default: int) -> int:
    raw: Any = node.try_get_context(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise StackSettingsError(f"context {key!r} must be an integer, not {raw!r}") from None
