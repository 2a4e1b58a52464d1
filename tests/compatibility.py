"""Pytest plugin (`-p tests.compatibility`) recording what the compatibility-marked tests cover and how they fared.

A test is marked `@pytest.mark.compatibility(client=…, protocol=…, actions=[…], errors=[…])`: `actions` are the
actions it saw succeed, `errors` the actions whose error responses it asserts. `--compatibility-report=FILE`
writes the outcomes of a run; `--compatibility-declared=FILE` writes, at collection, what every test declares.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

# Worst first: an action a test failed on is reported failed, whatever other phases said.
OUTCOME_RANK = {"failed": 0, "skipped": 1, "passed": 2}
RECORDS = pytest.StashKey[dict[str, dict[str, Any]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--compatibility-report", metavar="FILE", help="write compatibility-marked outcomes as JSON")
    parser.addoption(
        "--compatibility-declared", metavar="FILE", help="write what compatibility-marked tests declare, as JSON"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RECORDS] = {}


def declared(item: pytest.Item) -> dict[str, Any] | None:
    """What a test declares it covers, or None when it is not compatibility-marked."""
    marker = item.get_closest_marker("compatibility")
    if marker is None:
        return None
    callspec = getattr(item, "callspec", None)
    return {
        "test": item.nodeid,
        "client": marker.kwargs["client"],
        "protocol": marker.kwargs["protocol"],
        "actions": list(marker.kwargs.get("actions", [])),
        "errors": list(marker.kwargs.get("errors", [])),
        "store": callspec.params.get("server") if callspec else None,
    }


def pytest_collection_finish(session: pytest.Session) -> None:
    destination = session.config.getoption("--compatibility-declared")
    if destination:
        records = [record for record in map(declared, session.items) if record is not None]
        Path(destination).write_text(json.dumps(records, indent=2))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    records = item.config.stash[RECORDS]
    if item.nodeid not in records:
        record = declared(item)
        if record is None:
            return report
        records[item.nodeid] = {**record, "outcome": "passed"}
    record = records[item.nodeid]
    if report.when == "call" or report.outcome != "passed":
        record["outcome"] = min(record["outcome"], report.outcome, key=OUTCOME_RANK.__getitem__)
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    destination = session.config.getoption("--compatibility-report")
    if destination:
        records = sorted(session.config.stash[RECORDS].values(), key=lambda record: record["test"])
        Path(destination).write_text(json.dumps(records, indent=2))
