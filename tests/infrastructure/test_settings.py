"""StackSettings from CDK context: stage presets, overrides, validation, and the deployment environment."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from stacks.settings import DEFAULT_REGION, StackSettings, StackSettingsError, deployment_environment


def settings_from(**context: object) -> StackSettings:
    return StackSettings.from_context(cdk.App(context=context).node)


def test_stage_defaults_to_dev_which_is_disposable() -> None:
    settings = settings_from()

    assert settings.stage == "dev"
    assert settings.removal_policy == cdk.RemovalPolicy.DESTROY
    assert settings.stack_name == "dynaqueue-dev"


def test_prod_retains_data_and_keeps_logs_longer() -> None:
    settings = settings_from(stage="prod")

    assert settings.is_production
    assert settings.removal_policy == cdk.RemovalPolicy.RETAIN
    assert settings.log_retention == cdk.aws_logs.RetentionDays.THREE_MONTHS
    assert (settings_from().audit_log_expiry_days, settings.audit_log_expiry_days) == (30, 365)


def test_alarm_threshold_and_audit_expiry_come_from_context() -> None:
    settings = settings_from(oldestMessageAgeAlarmSeconds="900", auditLogExpiryDays="7")

    assert (settings.oldest_message_age_alarm_seconds, settings.audit_log_expiry_days) == (900, 7)


def test_command_line_context_strings_override_the_preset() -> None:
    settings = settings_from(
        stage="prod", throttleRateLimit="200", throttleBurstLimit="400", logRetentionDays="30", logLevel="debug"
    )

    assert (settings.throttle_rate_limit, settings.throttle_burst_limit) == (200, 400)
    assert settings.log_retention == cdk.aws_logs.RetentionDays.ONE_MONTH
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    "context",
    [
        {"stage": "staging"},
        {"logRetentionDays": "8"},
        {"throttleRateLimit": "0"},
        {"throttleBurstLimit": "many"},
        {"readyIndexShards": "257"},
        {"logLevel": "CHATTY"},
        {"oldestMessageAgeAlarmSeconds": "59"},
        {"auditLogExpiryDays": "0"},
    ],
)
def test_malformed_context_fails_synthesis(context: dict[str, str]) -> None:
    with pytest.raises(StackSettingsError):
        settings_from(**context)


def test_environment_prefers_context_then_the_cli_defaults() -> None:
    cli = {"CDK_DEFAULT_ACCOUNT": "111111111111", "CDK_DEFAULT_REGION": "eu-west-1"}

    from_context = deployment_environment(cdk.App(context={"region": "eu-central-1"}).node, cli)
    from_cli = deployment_environment(cdk.App().node, cli)

    assert (from_context.account, from_context.region) == ("111111111111", "eu-central-1")
    assert (from_cli.account, from_cli.region) == ("111111111111", "eu-west-1")


def test_region_is_never_left_open() -> None:
    environment = deployment_environment(cdk.App().node, {})

    assert environment.account is None
    assert environment.region == DEFAULT_REGION
