"""Shared fixtures of the integration tests: a DynamoDB client on moto with the service's table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dynaqueue.storage.dynamo import DynamoStore


@pytest.fixture
def client(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A moto DynamoDB client whose table is named by the test module's TABLE."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        DynamoStore.create_table(dynamodb, request.module.TABLE)
        yield dynamodb
