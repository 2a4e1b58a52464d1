"""Pytest plugin (`-p tests.compatibility --compatibility-report=FILE`) recording compatibility-marked outcomes."""

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


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RECORDS] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    marker = item.get_closest_marker("compatibility")
    if marker is None:
        return report
    callspec = getattr(item, "callspec", None)
    record = item.config.stash[RECORDS].setdefault(
        item.nodeid,
        {
            "test": item.nodeid,
            "client": marker.kwargs["client"],
            "protocol": marker.kwargs["protocol"],
            "actions": list(marker.kwargs["actions"]),
            "store": callspec.params.get("server") if callspec else None,
            "outcome": "passed",
        },
    )
    if report.when == "call" or report.outcome != "passed":
        record["outcome"] = min(record["outcome"], report.outcome, key=OUTCOME_RANK.__getitem__)
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    destination = session.config.getoption("--compatibility-report")
    if destination:
        records = sorted(session.config.stash[RECORDS].values(), key=lambda record: record["test"])
        Path(destination).write_text(json.dumps(records, indent=2))
