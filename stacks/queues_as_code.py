"""Queues as code: queues declared in the CDK app, created, updated and deleted at deploy time by the service itself.

Each declared queue is a CloudFormation custom resource whose service token is a small function running
`dynaqueue.handlers.queue_resources` on the stack's table, so a declared queue is a queue like any other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from constructs import Construct, Node

from stacks.constructs.queue_table import QueueTable
from stacks.constructs.receipt_secret import ReceiptSecret
from stacks.constructs.runtime_environment import queue_service_function
from stacks.settings import StackSettings, StackSettingsError

QUEUE_RESOURCES_HANDLER = "dynaqueue.handlers.queue_resources.lambda_handler"
RESOURCE_TYPE = "Custom::DynaqueueQueue"
# CloudFormation waits an hour for an unanswered request; the handler answers well within this.
QUEUE_RESOURCES_TIMEOUT = cdk.Duration.seconds(60)
FIFO_SUFFIX = ".fifo"
DEFAULT_MAX_RECEIVE_COUNT = 5
CONTEXT_KEY = "queues"

# Typed declaration fields and the SQS attributes they set.
_ATTRIBUTE_FIELDS = {
    "visibility_timeout_seconds": "VisibilityTimeout",
    "retention_seconds": "MessageRetentionPeriod",
    "delay_seconds": "DelaySeconds",
    "maximum_message_size": "MaximumMessageSize",
    "receive_wait_time_seconds": "ReceiveMessageWaitTimeSeconds",
    "content_based_deduplication": "ContentBasedDeduplication",
}
# The keys a declaration in CDK context may use, and the fields they fill.
_CONTEXT_KEYS = {
    "name": "name",
    "fifo": "fifo",
    "visibilityTimeout": "visibility_timeout_seconds",
    "messageRetentionPeriod": "retention_seconds",
    "delaySeconds": "delay_seconds",
    "maximumMessageSize": "maximum_message_size",
    "receiveMessageWaitTimeSeconds": "receive_wait_time_seconds",
    "contentBasedDeduplication": "content_based_deduplication",
    "attributes": "attributes",
    "deadLetterQueue": "dead_letter_queue",
    "maxReceiveCount": "max_receive_count",
    "tags": "tags",
    "retain": "retain",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueDeclaration:
    """One queue as the app declares it; the service validates attribute values when the stack deploys."""

    name: str
    fifo: bool = False
    visibility_timeout_seconds: int | None = None
    retention_seconds: int | None = None
    delay_seconds: int | None = None
    maximum_message_size: int | None = None
    receive_wait_time_seconds: int | None = None
    content_based_deduplication: bool | None = None
    # Any other SQS attribute by its SQS name (DeduplicationScope, RedriveAllowPolicy, ...).
    attributes: Mapping[str, str] = field(default_factory=dict)
    # The name of another declared queue that receives messages received `max_receive_count` times.
    dead_letter_queue: str | None = None
    max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT
    tags: Mapping[str, str] = field(default_factory=dict)
    # Keep the queue (and its messages) when the declaration or the stack is deleted.
    retain: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            raise StackSettingsError("a declared queue needs a name")
        if self.fifo != self.name.endswith(FIFO_SUFFIX):
            raise StackSettingsError(f"queue {self.name!r}: a FIFO queue's name, and only its, ends in '.fifo'")
        if self.content_based_deduplication is not None and not self.fifo:
            raise StackSettingsError(f"queue {self.name!r}: content-based deduplication needs a FIFO queue")
        if self.dead_letter_queue == self.name:
            raise StackSettingsError(f"queue {self.name!r} cannot be its own dead-letter queue")
        if not 1 <= self.max_receive_count <= 1000:
            raise StackSettingsError(f"queue {self.name!r}: maxReceiveCount must be between 1 and 1000")
        if "RedrivePolicy" in self.attributes or "FifoQueue" in self.attributes:
            raise StackSettingsError(
                f"queue {self.name!r}: declare 'dead_letter_queue' and 'fifo' instead of their raw attributes"
            )

    def sqs_attributes(self) -> dict[str, str]:
        """The declared SQS attributes, as the strings SQS takes (without FifoQueue and RedrivePolicy)."""
        attributes = dict(self.attributes)
        for field_name, attribute in _ATTRIBUTE_FIELDS.items():
            value = getattr(self, field_name)
            if value is not None:
                attributes[attribute] = str(value).lower() if isinstance(value, bool) else str(value)
        return attributes

    @classmethod
    def from_context(cls, raw: Mapping[str, Any]) -> QueueDeclaration:
        unknown = set(raw) - set(_CONTEXT_KEYS)
        if unknown:
            raise StackSettingsError(f"context 'queues': unknown keys {sorted(unknown)}")
        values = {_CONTEXT_KEYS[key]: value for key, value in raw.items()}
        values.setdefault("fifo", str(raw.get("name", "")).endswith(FIFO_SUFFIX))
        try:
            return cls(**values)
        except TypeError as error:
            raise StackSettingsError(f"context 'queues': {error}") from None


def declarations_from_context(node: Node) -> list[QueueDeclaration]:
    """The queues in context key `queues`: a JSON list (from `-c queues='[...]'`) or a list in cdk.json."""
    raw: Any = node.try_get_context(CONTEXT_KEY)
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise StackSettingsError(f"context {CONTEXT_KEY!r} is not JSON: {error}") from None
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise StackSettingsError(f"context {CONTEXT_KEY!r} must be a list of queue declarations")
    return [QueueDeclaration.from_context(entry) for entry in raw]


class DeclaredQueue(Construct):
    """One declared queue: a custom resource whose attributes are the queue's URL, ARN and name."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        declaration: QueueDeclaration,
        service_token: str,
        endpoint_url: str,
        dead_letter_queue: DeclaredQueue | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.declaration = declaration
        attributes: dict[str, Any] = declaration.sqs_attributes()
        if dead_letter_queue is not None:
            # The other queue's ARN from its resource makes CloudFormation create it first (and delete it last).
            attributes["RedrivePolicy"] = cdk.Stack.of(self).to_json_string(
                {"deadLetterTargetArn": dead_letter_queue.queue_arn, "maxReceiveCount": declaration.max_receive_count}
            )
        self.resource = cdk.CustomResource(
            self,
            "Resource",
            service_token=service_token,
            resource_type=RESOURCE_TYPE,
            properties={
                "QueueName": declaration.name,
                "FifoQueue": str(declaration.fifo).lower(),
                "Attributes": attributes,
                "Tags": dict(declaration.tags),
                "Endpoint": endpoint_url,
                "RetainOnDelete": str(declaration.retain).lower(),
            },
        )

    @property
    def queue_arn(self) -> str:
        return self.resource.get_att_string("Arn")

    @property
    def queue_url(self) -> str:
        return self.resource.get_att_string("QueueUrl")

    @property
    def queue_name(self) -> str:
        return self.resource.get_att_string("QueueName")


class QueueDeclarations(Construct):
    """The function that keeps declared queues, and one DeclaredQueue per declaration, dead-letter queues first."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        declarations: Sequence[QueueDeclaration],
        table: QueueTable,
        receipt_secret: ReceiptSecret,
        endpoint_url: str,
        settings: StackSettings,
    ) -> None:
        super().__init__(scope, id)
        self.function = queue_service_function(
            self,
            handler=QUEUE_RESOURCES_HANDLER,
            description="dynaqueue queues as code: CloudFormation custom resources",
            timeout=QUEUE_RESOURCES_TIMEOUT,
            table=table,
            receipt_secret=receipt_secret,
            settings=settings,
        )
        self.queues: dict[str, DeclaredQueue] = {}
        for declaration in dead_letter_queues_first(declarations):
            target = declaration.dead_letter_queue
            self.queues[declaration.name] = DeclaredQueue(
                self,
                f"Queue-{declaration.name}",
                declaration=declaration,
                service_token=self.function.function_arn,
                endpoint_url=endpoint_url,
                dead_letter_queue=self.queues[target] if target else None,
            )


def dead_letter_queues_first(declarations: Sequence[QueueDeclaration]) -> list[QueueDeclaration]:
    """The declarations ordered so each dead-letter queue precedes its sources; rejects unknown names and cycles."""
    by_name: dict[str, QueueDeclaration] = {}
    for declaration in declarations:
        if declaration.name in by_name:
            raise StackSettingsError(f"queue {declaration.name!r} is declared twice")
        by_name[declaration.name] = declaration
    ordered: list[QueueDeclaration] = []
    placed: set[str] = set()
    for declaration in declarations:
        chain: list[QueueDeclaration] = []
        current: QueueDeclaration | None = declaration
        while current is not None and current.name not in placed:
            if current.name in {link.name for link in chain}:
                raise StackSettingsError(f"dead-letter queues form a cycle through {current.name!r}")
            chain.append(current)
            target = current.dead_letter_queue
            if target is not None and target not in by_name:
                raise StackSettingsError(f"queue {current.name!r}: dead-letter queue {target!r} is not declared")
            if target is not None and by_name[target].fifo != current.fifo:
                raise StackSettingsError(f"queue {current.name!r}: a dead-letter queue must be of the same type")
            current = by_name[target] if target is not None else None
        for queued in reversed(chain):
            ordered.append(queued)
            placed.add(queued.name)
    return ordered
