"""The synthesized template passes cfn-lint, and cdk-nag's AwsSolutions pack reports nothing unacknowledged."""

from __future__ import annotations

import json
from typing import Any

from cfnlint.api import ManualArgs, lint_file

from tests.infrastructure.conftest import Synthesis

# CDK adds DependsOn on a function's role policy that a GetAtt already implies; harmless and not ours.
IGNORED_LINT_CHECKS = ["W3005"]
ACKNOWLEDGED_RULES = {
    "AwsSolutions-APIG4",
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-L1",
    "AwsSolutions-SMG4",
}


def nag_report(synthesis: Synthesis) -> dict[str, Any]:
    report = json.loads((synthesis.outdir / "validation-report.json").read_text())
    (plugin,) = (plugin for plugin in report["pluginReports"] if plugin["pluginName"] == "AwsSolutions")
    return plugin


def test_template_passes_cfn_lint(synthesis: Synthesis) -> None:
    findings = lint_file(synthesis.template_path, config=ManualArgs(ignore_checks=IGNORED_LINT_CHECKS))

    assert [str(finding) for finding in findings] == []


def test_cdk_nag_concludes_success(synthesis: Synthesis) -> None:
    report = nag_report(synthesis)

    assert report["conclusion"] == "success"
    assert report["violations"] == []


def test_only_the_expected_findings_are_acknowledged_each_with_a_reason(synthesis: Synthesis) -> None:
    suppressed = nag_report(synthesis)["suppressedViolations"]

    assert {violation["ruleName"] for violation in suppressed} == ACKNOWLEDGED_RULES
    assert all(len(violation["reason"]) >= 40 for violation in suppressed)
