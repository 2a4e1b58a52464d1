"""One synthesis of the dev stack per session, with cdk.json's feature flags and cdk-nag, bundling skipped."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# jsii prints an end-of-life banner on Node 20 in every process that loads it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk.assertions import Template

from app import build
from stacks.queue_service_stack import QueueServiceStack

ROOT = Path(__file__).resolve().parents[2]


def app_context(**overrides: Any) -> dict[str, Any]:
    """cdk.json's context (the pinned feature flags), with the local bundler switched off."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return {**context, "aws:cdk:bundling-stacks": [], **overrides}


@dataclass(frozen=True)
class Synthesis:
    stack: QueueServiceStack
    outdir: Path
    template_path: Path


def synthesize(outdir: Path, **context: Any) -> Synthesis:
    app = cdk.App(context=app_context(**context), outdir=str(outdir))
    stack = build(app)
    assembly = app.synth()
    return Synthesis(
        stack=stack,
        outdir=outdir,
        template_path=Path(assembly.get_stack_artifact(stack.artifact_id).template_full_path),
    )


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


# The example queues plus a FIFO pair from context, and every new context key set away from its default.
DECLARED_CONTEXT = {
    "exampleQueues": "true",
    "queues": json.dumps(
        [
            {"name": "jobs-dlq.fifo", "retain": True},
            {
                "name": "jobs.fifo",
                "contentBasedDeduplication": True,
                "deadLetterQueue": "jobs-dlq.fifo",
                "maxReceiveCount": 3,
                "attributes": {"DeduplicationScope": "messageGroup"},
                "tags": {"team": "billing"},
            },
        ]
    ),
    "oldestMessageAgeAlarmSeconds": "600",
    "auditLogExpiryDays": "90",
}


@pytest.fixture(scope="session")
def declared_synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    """The stack with declared queues and non-default alarm and audit settings."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"), **DECLARED_CONTEXT)


@pytest.fixture(scope="session")
def declared_resources(declared_synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    return Template.from_stack(declared_synthesis.stack).to_json()["Resources"]


@pytest.fixture(scope="session")
def template(synthesis: Synthesis) -> Template:
    return Template.from_stack(synthesis.stack)


@pytest.fixture(scope="session")
def resources(template: Template) -> dict[str, dict[str, Any]]:
    """The synthesized resources by logical id, for assertions the Template API cannot express."""
    return template.to_json()["Resources"]
