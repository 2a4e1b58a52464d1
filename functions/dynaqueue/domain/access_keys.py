"""Access keys: who a signing key belongs to, how keys are made, and the port that keeps them.

A key belongs to a principal: an account id and, optionally, a user name in that account.
Keys of the deployment's own account are the owner's; keys of other accounts may do only what
queue policies grant them.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Protocol

from dynaqueue.domain.errors import InvalidParameterValue

ACCESS_KEY_PREFIX = "AKDQ"
_ACCESS_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ACCESS_KEY_RANDOM_CHARS = 16
_SECRET_BYTES = 30  # 40 characters of URL-safe base64, as long as an AWS secret access key
_ACCOUNT_ID = re.compile(r"\d{12}")
# IAM's user-name rule.
_USER_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who signed a request: an account, or a named user in it."""

    account_id: str
    user_name: str | None = None

    def __post_init__(self) -> None:
        if not _ACCOUNT_ID.fullmatch(self.account_id):
            raise InvalidParameterValue(f"Value {self.account_id} for parameter AccountId is invalid: not 12 digits.")
        if self.user_name is not None and not _USER_NAME.fullmatch(self.user_name):
            raise InvalidParameterValue(f"Value {self.user_name} for parameter UserName is invalid.")

    @property
    def arn(self) -> str:
        if self.user_name:
            return f"arn:aws:iam::{self.account_id}:user/{self.user_name}"
        return f"arn:aws:iam::{self.account_id}:root"


@dataclass(frozen=True, slots=True)
class AccessKey:
    """One access key and its secret, in the clear; stores keep the secret encrypted."""

    access_key_id: str
    secret_access_key: str
    principal: Principal
    enabled: bool
    created_at_ms: int


def new_access_key(principal: Principal, now_ms: int) -> AccessKey:
    """A fresh enabled key with a random id and secret."""
    suffix = "".join(secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(_ACCESS_KEY_RANDOM_CHARS))
    return AccessKey(
        access_key_id=ACCESS_KEY_PREFIX + suffix,
        secret_access_key=secrets.token_urlsafe(_SECRET_BYTES),
        principal=principal,
        enabled=True,
        created_at_ms=now_ms,
    )


class AccessKeyStore(Protocol):
    """Where access keys live; secrets are encrypted at rest by the store."""

    def add(self, key: AccessKey) -> None:
        """Store a new key (its id is fresh)."""
        ...

    def get(self, access_key_id: str) -> AccessKey | None:
        """The key with that id, or None."""
        ...

    def list(self) -> list[AccessKey]:
        """Every key, by id, without its secret (empty): listing never decrypts."""
        ...

    def set_enabled(self, access_key_id: str, enabled: bool) -> bool:
        """Enable or disable a key; False when there is no such key."""
        ...

    def delete(self, access_key_id: str) -> bool:
        """Forget a key; False when there was no such key."""
        ...
