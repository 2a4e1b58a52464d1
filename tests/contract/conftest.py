"""One storage contract, two adapters: every test in this folder runs against both stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from dynaqueue.domain.ports import QueueStore
from dynaqueue.storage.dynamo import DynamoStore
from dynaqueue.storage.embedded import EmbeddedStore

TABLE_NAME = "dynaqueue-contract"


@pytest.fixture(params=["embedded", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[QueueStore]:
    if request.param == "embedded":
        embedded = EmbeddedStore(tmp_path / "store.db")
        yield embedded
        embedded.close()
        return
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        DynamoStore.create_table(client, TABLE_NAME)
        yield DynamoStore(table_name=TABLE_NAME, client=client, shards=4)


@pytest.fixture
def reopen(tmp_path: Path):
    """For durability cases: a factory that reopens the embedded store file."""

    def _open() -> EmbeddedStore:
        return EmbeddedStore(tmp_path / "store.db")

    return _open
