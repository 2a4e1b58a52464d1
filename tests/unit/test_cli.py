"""The command line: options become settings, and bad input is a usage error before anything starts."""

from __future__ import annotations

import argparse

import pytest

from dynaqueue.cli.main import DEFAULT_PORT, _parser, _settings_overrides, main
from dynaqueue.config import Settings


def settings_for(argv: list[str], environ: dict[str, str] | None = None) -> tuple[Settings, argparse.Namespace]:
    args = _parser().parse_args(argv)
    environment = environ or {}
    return Settings.from_env({**environment, **_settings_overrides(args, environment)}), args


def test_serve_defaults_to_the_embedded_store_on_localhost():
    settings, args = settings_for(["serve"])

    assert (args.host, args.port) == ("127.0.0.1", DEFAULT_PORT)
    assert (settings.store, settings.data_dir) == ("embedded", ".dynaqueue")


def test_options_win_over_the_environment():
    settings, _ = settings_for(
        ["serve", "--store", "dynamodb", "--dynamodb-endpoint", "http://127.0.0.1:8000", "--data-dir", "/d"],
        {"DYNAQUEUE_DATA_DIR": "/env", "DYNAQUEUE_STORE": "moto"},
    )

    assert (settings.store, settings.dynamodb_endpoint, settings.data_dir) == (
        "dynamodb",
        "http://127.0.0.1:8000",
        "/d",
    )
    assert settings.table_name == "dynaqueue"


def test_the_environment_fills_in_what_the_options_leave_out():
    settings, _ = settings_for(["serve"], {"DYNAQUEUE_DATA_DIR": "/env", "DYNAQUEUE_TABLE_NAME": "mine"})

    assert (settings.data_dir, settings.table_name) == ("/env", "mine")


def test_an_unknown_store_is_a_usage_error():
    with pytest.raises(SystemExit) as raised:
        main(["serve", "--store", "floppy"])

    assert raised.value.code == 2


def test_bad_configuration_is_reported_before_serving(monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("DYNAQUEUE_ACCOUNT_ID", "12")

    assert main(["serve"]) == 2
    assert "DYNAQUEUE_ACCOUNT_ID" in capsys.readouterr().err


def test_the_housekeeping_interval_defaults_to_a_second_and_can_be_set_or_turned_off():
    assert settings_for(["serve"])[0].housekeeping_interval == 1.0
    assert settings_for(["serve", "--housekeeping-interval", "0.25"])[0].housekeeping_interval == 0.25
    assert settings_for(["serve"], {"DYNAQUEUE_HOUSEKEEPING_INTERVAL": "0"})[0].housekeeping_interval == 0.0


def test_a_bad_housekeeping_interval_is_reported_before_serving(capsys):
    assert main(["serve", "--housekeeping-interval", "soon"]) == 2
    assert "DYNAQUEUE_HOUSEKEEPING_INTERVAL" in capsys.readouterr().err
