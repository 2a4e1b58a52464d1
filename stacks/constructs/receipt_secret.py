"""ReceiptSecret: the generated key every API function instance signs receipt handles with."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.settings import StackSettings

# 32 random bytes written as 64 lowercase hex digits, the form the runtime parses.
SECRET_HEX_DIGITS = 64
_NOT_HEX = "ghijklmnopqrstuvwxyz"


class ReceiptSecret(secretsmanager.Secret):
    """A Secrets Manager secret holding the receipt-signing key, generated at deploy time."""

    def __init__(self, scope: Construct, id: str, *, key: kms.IKey, settings: StackSettings) -> None:
        super().__init__(
            scope,
            id,
            description="dynaqueue receipt-handle signing key (hex)",
            encryption_key=key,
            removal_policy=settings.removal_policy,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=SECRET_HEX_DIGITS,
                exclude_uppercase=True,
                exclude_punctuation=True,
                exclude_characters=_NOT_HEX,
                include_space=False,
            ),
        )
