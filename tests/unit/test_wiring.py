"""Wiring: the receipt key, the store choice and the one cached service."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dynaqueue import wiring
from dynaqueue.config import ConfigurationError, Settings
from dynaqueue.domain.service import QueueService
from dynaqueue.storage.embedded import EmbeddedStore
from dynaqueue.storage.encryption import EncryptingStore


def test_a_receipt_key_is_generated_once_owner_only_and_reused(tmp_path: Path):
    first = wiring.stored_receipt_secret(tmp_path / "data")
    second = wiring.stored_receipt_secret(tmp_path / "data")

    key_file = tmp_path / "data" / wiring.RECEIPT_KEY_FILE
    assert first == second
    assert len(first) == wiring.RECEIPT_SECRET_BYTES
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [path.name for path in key_file.parent.iterdir()] == [wiring.RECEIPT_KEY_FILE]


def test_a_damaged_receipt_key_is_a_configuration_error(tmp_path: Path):
    (tmp_path / wiring.RECEIPT_KEY_FILE).write_text("not hex")

    with pytest.raises(ConfigurationError, match="receipt key"):
        wiring.stored_receipt_secret(tmp_path)


def test_a_configured_receipt_secret_wins_and_must_be_hex(tmp_path: Path):
    assert wiring.receipt_secret(Settings(receipt_secret="00ff", data_dir=str(tmp_path))) == b"\x00\xff"
    with pytest.raises(ConfigurationError, match="hexadecimal"):
        wiring.receipt_secret(Settings(receipt_secret="xyz"))


def test_dynamodb_needs_a_configured_receipt_secret_so_every_instance_signs_alike():
    with pytest.raises(ConfigurationError, match="DYNAQUEUE_RECEIPT_SECRET"):
        wiring.receipt_secret(Settings(store="dynamodb", table_name="t"))


def test_the_embedded_store_lives_in_the_data_directory(tmp_path: Path):
    store = wiring.open_store(Settings(data_dir=str(tmp_path / "data")))
    try:
        assert isinstance(store, EncryptingStore) and isinstance(store.inner, EmbeddedStore)
        assert (tmp_path / "data" / wiring.EMBEDDED_DATABASE_FILE).exists()
    finally:
        store.close()


def test_the_service_is_built_once_from_the_environment_and_can_be_replaced(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DYNAQUEUE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DYNAQUEUE_ACCOUNT_ID", "111111111111")
    wiring.configure(None)
    try:
        built = wiring.get_service()
        assert isinstance(built, QueueService)
        assert wiring.get_service() is built
        assert built.account_id == "111111111111"

        replacement = object()
        wiring.configure(replacement)  # type: ignore[arg-type]
        assert wiring.get_service() is replacement
    finally:
        wiring.configure(None)
        built.store.close()
