"""DataKey: the customer-managed KMS key that encrypts the service's data at rest."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.settings import StackSettings


class DataKey(kms.Key):
    """A rotating symmetric key for the queue table, the receipt secret and the alarm topic."""

    def __init__(self, scope: Construct, id: str, *, settings: StackSettings) -> None:
        super().__init__(
            scope,
            id,
            description="dynaqueue data at rest: queue table, receipt secret, alarm topic",
            enable_key_rotation=True,
            removal_policy=settings.removal_policy,
        )
