"""Shared fixtures of the integration tests: a DynamoDB client on moto with the service's table, and the
queue service on an embedded store under a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dynaqueue.domain.service import QueueService
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.embedded import EmbeddedStore
from tests.fakes import FakeClock

SECRET = b"0123456789abcdef0123456789abcdef"
ACCOUNT = "123456789012"


@pytest.fixture
def client(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A moto DynamoDB client whose table is named by the test module's TABLE."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        DynamoStore.create_table(dynamodb, request.module.TABLE)
        yield dynamodb


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[EmbeddedStore]:
    embedded = EmbeddedStore(tmp_path / "service.db", clock=clock)
    yield embedded
    embedded.close()


def service_over(store: Any, clock: FakeClock) -> QueueService:
    """The queue service of account ACCOUNT over `store` (the embedded store, or a wrapper of it)."""
    return QueueService(store, clock=clock, account_id=ACCOUNT, region="us-east-1", receipt_secret=SECRET)


@pytest.fixture
def service(store: EmbeddedStore, clock: FakeClock) -> QueueService:
    return service_over(store, clock)
