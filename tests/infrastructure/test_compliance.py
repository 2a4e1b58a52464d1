"""The synthesized template passes cfn-lint, and cdk-nag's AwsSolutions pack reports nothing unacknowledged."""

from __future__ import annotations

import json
import re
from typing import Any

from cfnlint.api import ManualArgs, lint_file

from tests.infrastructure.conftest import Synthesis

# CDK adds DependsOn on a function's role policy that a GetAtt already implies; harmless and not ours.
IGNORED_LINT_CHECKS = ["W3005"]
ACKNOWLEDGED_RULES = {
    "AwsSolutions-APIG4",
    "AwsSolutions-IAM5[Resource::*]",
    # SSE-KMS queues name their key at run time: message data keys from any key of the account.
    "AwsSolutions-IAM5[Resource::arn:aws:kms:us-east-1:<AWS::AccountId>:key/*]",
    "AwsSolutions-L1",
    "AwsSolutions-SMG4",
    "AwsSolutions-S1",
}
# Firehose writes new objects under date-based keys; the finding names the bucket's logical id.
AUDIT_OBJECTS_RULE = re.compile(r"AwsSolutions-IAM5\[Resource::<AuditLogBucket[0-9A-F]{8}\.Arn>/\*\]")


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

    rules = {violation["ruleName"] for violation in suppressed}
    (audit_objects,) = (rule for rule in rules if AUDIT_OBJECTS_RULE.fullmatch(rule))
    assert rules - {audit_objects} == ACKNOWLEDGED_RULES
    assert all(len(violation["reason"]) >= 40 for violation in suppressed)
