"""FIFO lease tokens: where the leased message lives (group digest, sequence number) and which lease it is."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

# A receipt handle carries message id and lease token only; naming the message's item in the token lets a
# delete or visibility change go straight to the group without a lookup by message id.
_TOKEN = re.compile(r"(?P<group>[A-Za-z0-9_-]{22})\.(?P<sequence>[0-9]{20})\.(?P<nonce>[A-Za-z0-9_-]+)")
# Tells apart successive leases of one message; stored in the group item once per received message.
_NONCE_BYTES = 6


@dataclass(frozen=True, slots=True)
class FifoLease:
    """A parsed lease token."""

    group_digest: str
    sequence: str
    nonce: str

    @property
    def token(self) -> str:
        return f"{self.group_digest}.{self.sequence}.{self.nonce}"


def new_nonce() -> str:
    return secrets.token_urlsafe(_NONCE_BYTES)


def parse_lease(token: str) -> FifoLease | None:
    """The lease a token names, or None for a token no FIFO claim issued."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    return FifoLease(match["group"], match["sequence"], match["nonce"])
