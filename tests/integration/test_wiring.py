"""Wiring against moto: the receipt key a deployed function reads from Secrets Manager."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from dynaqueue import wiring
from dynaqueue.config import ConfigurationError, Settings


@mock_aws
def test_the_receipt_key_is_read_from_the_secret_the_stack_generated():
    secret_arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="receipt", SecretString="00ff" * 16
    )["ARN"]

    key = wiring.receipt_secret(Settings(store="dynamodb", table_name="t", receipt_secret_arn=secret_arn))

    assert key == b"\x00\xff" * 16


@mock_aws
def test_a_secret_that_is_not_hex_is_a_configuration_error():
    secret_arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="receipt", SecretString="not a key"
    )["ARN"]

    with pytest.raises(ConfigurationError, match="DYNAQUEUE_RECEIPT_SECRET_ARN"):
        wiring.receipt_secret(Settings(store="dynamodb", table_name="t", receipt_secret_arn=secret_arn))
