"""CDK entry point: the queue service stack for the stage in context, checked by cdk-nag's AwsSolutions pack."""

from __future__ import annotations

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.queue_service_stack import QueueServiceStack
from stacks.settings import StackSettings, deployment_environment


def build(app: cdk.App) -> QueueServiceStack:
    """Add the stack to `app` and make synthesis fail on any unacknowledged cdk-nag finding."""
    settings = StackSettings.from_context(app.node)
    stack = QueueServiceStack(
        app,
        settings.stack_name,
        settings=settings,
        env=deployment_environment(app.node, os.environ),
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return stack


if __name__ == "__main__":
    cdk_app = cdk.App()
    build(cdk_app)
    cdk_app.synth()
