"""Every action of botocore's SQS model has a success test and an error test on each wire protocol.

Coverage is read from the `compatibility` markers of the tests behind docs/compatibility.md, as pytest collects
them, so what this test counts is what the matrix shows.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import botocore.session
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTION_TIMEOUT_SECONDS = 120
PROTOCOLS = ("json", "query")
CASES = ("success", "error")
MARKED = re.compile(r"pytest\.mark\.compatibility\(")


def matrix_script() -> ModuleType:
    """scripts/compatibility_matrix.py, which names the tests behind the matrix and how a tag counts."""
    spec = importlib.util.spec_from_file_location("compatibility_matrix", REPO_ROOT / "scripts/compatibility_matrix.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def model_actions() -> list[str]:
    return list(botocore.session.get_session().get_service_model("sqs").operation_names)


@pytest.fixture(scope="module")
def covered(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str, str]]:
    """(protocol, action, case) of every compatibility-marked test, as collected (nothing is run)."""
    script = matrix_script()
    declared = tmp_path_factory.mktemp("coverage") / "declared.json"
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "tests.compatibility", f"--compatibility-declared={declared}", *script.TEST_PATHS]
    completed = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=COLLECTION_TIMEOUT_SECONDS
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return {
        (record["protocol"], action, case)
        for record in json.loads(declared.read_text())
        for action, case in script.covered_cases(record)
    }


def test_every_compatibility_marked_test_file_is_behind_the_matrix() -> None:
    marked = {
        path.relative_to(REPO_ROOT)
        for path in (REPO_ROOT / "tests").rglob("test_*.py")
        if MARKED.search(path.read_text())
    }
    behind = [REPO_ROOT / test_path for test_path in matrix_script().TEST_PATHS]

    left_out = sorted(str(path) for path in marked if not any((REPO_ROOT / path).is_relative_to(p) for p in behind))

    assert left_out == [], "add them to TEST_PATHS in scripts/compatibility_matrix.py"


def test_the_model_has_the_23_actions_of_sqs() -> None:
    assert len(model_actions()) == 23


def test_tests_are_tagged_only_with_actions_of_the_model_and_known_protocols(
    covered: set[tuple[str, str, str]],
) -> None:
    assert {action for _, action, _ in covered} <= set(model_actions())
    assert {protocol for protocol, _, _ in covered} <= set(PROTOCOLS)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_action_has_a_tagged_test(covered: set[tuple[str, str, str]], protocol: str, case: str) -> None:
    untested = [action for action in model_actions() if (protocol, action, case) not in covered]

    assert untested == [], f"no {case} test on {protocol} for {untested}"
