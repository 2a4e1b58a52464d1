"""Both access-key stores: secrets encrypted at rest, listed without secrets, changes seen now or after the cache."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from dynaqueue.domain.access_keys import AccessKeyStore, Principal, new_access_key
from dynaqueue.storage.access_keys_dynamo import DynamoAccessKeys
from dynaqueue.storage.access_keys_embedded import AccessKeyUnreadable, EmbeddedAccessKeys
from tests.fakes import FakeClock

TABLE = "access-keys"
CACHE_SECONDS = 30.0


@pytest.fixture
def kms(client: Any) -> Any:
    return boto3.client("kms", region_name="us-east-1")


@pytest.fixture
def kms_key_id(kms: Any) -> str:
    return kms.create_key(Description="access keys")["KeyMetadata"]["KeyId"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def dynamo_keys(client: Any, kms: Any, kms_key_id: str, clock: FakeClock) -> DynamoAccessKeys:
    return DynamoAccessKeys(
        table_name=TABLE, client=client, kms=kms, kms_key_id=kms_key_id, clock=clock, cache_seconds=CACHE_SECONDS
    )


@pytest.fixture
def embedded_keys(tmp_path: Path) -> Iterator[EmbeddedAccessKeys]:
    keys = EmbeddedAccessKeys(tmp_path / "keys.db", b"k" * 32)
    yield keys
    keys.close()


@pytest.fixture(params=["embedded", "dynamo"])
def keys(request: pytest.FixtureRequest) -> AccessKeyStore:
    return request.getfixturevalue(f"{request.param}_keys")


def test_a_stored_key_reads_back_with_its_secret_and_principal(keys):
    key = new_access_key(Principal("111111111111", "alice"), now_ms=1_000)
    keys.add(key)

    assert keys.get(key.access_key_id) == key
    assert keys.get("AKDQNOSUCHKEY0000000") is None


def test_listing_shows_every_key_without_its_secret(keys):
    made = [new_access_key(Principal("000000000000"), now_ms=n) for n in range(3)]
    for key in made:
        keys.add(key)

    listed = keys.list()

    assert [key.access_key_id for key in listed] == sorted(key.access_key_id for key in made)
    assert {key.secret_access_key for key in listed} == {""}


def test_disabling_enabling_and_deleting(keys):
    key = new_access_key(Principal("000000000000"), now_ms=1)
    keys.add(key)

    assert keys.set_enabled(key.access_key_id, False)
    assert keys.get(key.access_key_id).enabled is False
    assert keys.set_enabled(key.access_key_id, True)
    assert keys.delete(key.access_key_id)
    assert keys.get(key.access_key_id) is None
    assert not keys.delete(key.access_key_id)
    assert not keys.set_enabled(key.access_key_id, True)


def test_the_embedded_secret_is_not_stored_in_the_clear_and_needs_its_sealing_key(embedded_keys, tmp_path):
    key = new_access_key(Principal("000000000000"), now_ms=1)
    embedded_keys.add(key)

    assert key.secret_access_key.encode() not in (tmp_path / "keys.db").read_bytes()
    other = EmbeddedAccessKeys(tmp_path / "keys.db", b"x" * 32)
    with pytest.raises(AccessKeyUnreadable):
        other.get(key.access_key_id)
    other.close()


def test_a_sealed_secret_moved_onto_another_key_does_not_open(embedded_keys, tmp_path):
    first, second = (new_access_key(Principal("000000000000"), now_ms=n) for n in range(2))
    embedded_keys.add(first)
    embedded_keys.add(second)
    with sqlite3.connect(tmp_path / "keys.db") as database:
        sealed = database.execute(
            "SELECT sealed_secret FROM access_keys WHERE access_key_id = ?", (first.access_key_id,)
        ).fetchone()[0]
        database.execute(
            "UPDATE access_keys SET sealed_secret = ? WHERE access_key_id = ?", (sealed, second.access_key_id)
        )

    with pytest.raises(AccessKeyUnreadable):
        embedded_keys.get(second.access_key_id)


def test_the_dynamodb_secret_is_a_kms_ciphertext_bound_to_its_key_id(dynamo_keys, client, kms):
    key = new_access_key(Principal("000000000000"), now_ms=1)
    dynamo_keys.add(key)

    item = client.get_item(TableName=TABLE, Key={"pk": {"S": "K"}, "sk": {"S": key.access_key_id}})["Item"]
    ciphertext = item["ks"]["B"]
    assert key.secret_access_key.encode() not in ciphertext
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=ciphertext, EncryptionContext={"dynaqueue:access-key-id": "AKDQOTHER"})


def test_a_lambda_keeps_a_key_for_the_cache_time_then_sees_it_disabled(client, kms, kms_key_id, clock):
    admin = DynamoAccessKeys(
        table_name=TABLE, client=client, kms=kms, kms_key_id=kms_key_id, clock=clock, cache_seconds=0
    )
    lambda_keys = DynamoAccessKeys(
        table_name=TABLE, client=client, kms=kms, kms_key_id=kms_key_id, clock=clock, cache_seconds=CACHE_SECONDS
    )
    key = new_access_key(Principal("000000000000"), now_ms=1)
    admin.add(key)
    assert lambda_keys.get(key.access_key_id).enabled

    admin.set_enabled(key.access_key_id, False)
    assert lambda_keys.get(key.access_key_id).enabled
    clock.advance(CACHE_SECONDS + 1)
    assert not lambda_keys.get(key.access_key_id).enabled


def test_an_unknown_key_is_remembered_only_briefly(client, kms, kms_key_id, clock, dynamo_keys):
    admin = DynamoAccessKeys(
        table_name=TABLE, client=client, kms=kms, kms_key_id=kms_key_id, clock=clock, cache_seconds=0
    )
    key = new_access_key(Principal("000000000000"), now_ms=1)
    assert dynamo_keys.get(key.access_key_id) is None

    admin.add(key)
    clock.advance(6)

    assert dynamo_keys.get(key.access_key_id) == key
