"""CDK entry point: the queue service stack for the stage in context, checked by cdk-nag's AwsSolutions pack."""

from __future__ import annotations

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import Node

from stacks.queue_service_stack import QueueServiceStack
from stacks.queues_as_code import QueueDeclaration, declarations_from_context
from stacks.settings import StackSettings, deployment_environment

# Declared with `-c exampleQueues=true`: a work queue whose failures land in a dead-letter queue.
EXAMPLE_QUEUES = (
    QueueDeclaration(name="example-orders-dlq", retention_seconds=1_209_600, tags={"example": "true"}),
    QueueDeclaration(
        name="example-orders",
        visibility_timeout_seconds=60,
        receive_wait_time_seconds=20,
        dead_letter_queue="example-orders-dlq",
        max_receive_count=5,
        tags={"example": "true"},
    ),
)


def declared_queues(node: Node) -> list[QueueDeclaration]:
    """The queues the app declares: context key `queues`, plus the example ones when asked for. None by default."""
    example = str(node.try_get_context("exampleQueues") or "").lower() == "true"
    return [*(EXAMPLE_QUEUES if example else ()), *declarations_from_context(node)]


def build(app: cdk.App) -> QueueServiceStack:
    """Add the stack to `app` and make synthesis fail on any unacknowledged cdk-nag finding."""
    settings = StackSettings.from_context(app.node)
    stack = QueueServiceStack(
        app,
        settings.stack_name,
        settings=settings,
        queues=declared_queues(app.node),
        env=deployment_environment(app.node, os.environ),
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return stack


if __name__ == "__main__":
    cdk_app = cdk.App()
    build(cdk_app)
    cdk_app.synth()
