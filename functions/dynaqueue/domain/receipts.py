"""Receipt handles: opaque to clients, authenticated, and carrying what a settle needs.

A handle names the queue incarnation, the message and the lease (token and receive time), and
ends in an HMAC under a per-deployment secret. Verifying the MAC tells a forged or garbled
handle (`ReceiptHandleIsInvalid`) from a genuine but stale one without any storage read, and
the receive time lets ChangeMessageVisibility enforce the 12-hour ceiling from the receive.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from dynaqueue.domain.errors import ReceiptHandleIsInvalid

_VERSION = "1"
_SEPARATOR = "\x1f"
_MAC_BYTES = 16
_MAX_HANDLE_CHARS = 1024


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a receipt handle proves: this queue issued this lease on this message."""

    queue_id: str
    message_id: str
    lease_token: str
    received_at_ms: int


class ReceiptSigner:
    """Issues and verifies receipt handles with one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the receipt secret must be at least 16 bytes")
        self._secret = secret

    def issue(self, receipt: Receipt) -> str:
        fields = (_VERSION, receipt.queue_id, receipt.message_id, receipt.lease_token, str(receipt.received_at_ms))
        payload = _SEPARATOR.join(fields).encode()
        return base64.urlsafe_b64encode(payload + self._mac(payload)).decode().rstrip("=")

    def verify(self, handle: str, queue_id: str) -> Receipt:
        """The receipt inside `handle`, if this deployment issued it for queue `queue_id`."""
        receipt = self._decode(handle)
        if receipt is None:
            raise ReceiptHandleIsInvalid(f'The input receipt handle "{handle}" is not a valid receipt handle.')
        if receipt.queue_id != queue_id:
            raise ReceiptHandleIsInvalid(f'The receipt handle "{handle}" is not valid for this queue.')
        return receipt

    def _decode(self, handle: str) -> Receipt | None:
        if not handle or len(handle) > _MAX_HANDLE_CHARS:
            return None
        try:
            raw = base64.urlsafe_b64decode(handle + "=" * (-len(handle) % 4))
        except (binascii.Error, ValueError):
            return None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        fields = payload.decode().split(_SEPARATOR)
        if len(fields) != 5 or fields[0] != _VERSION or not fields[4].isdigit():
            return None
        return Receipt(queue_id=fields[1], message_id=fields[2], lease_token=fields[3], received_at_ms=int(fields[4]))

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_MAC_BYTES]
