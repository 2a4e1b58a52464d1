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


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(context=app_context(), outdir=str(outdir))
    stack = build(app)
    assembly = app.synth()
    return Synthesis(
        stack=stack,
        outdir=outdir,
        template_path=Path(assembly.get_stack_artifact(stack.artifact_id).template_full_path),
    )


@pytest.fixture(scope="session")
def template(synthesis: Synthesis) -> Template:
    return Template.from_stack(synthesis.stack)


@pytest.fixture(scope="session")
def resources(template: Template) -> dict[str, dict[str, Any]]:
    """The synthesized resources by logical id, for assertions the Template API cannot express."""
    return template.to_json()["Resources"]
