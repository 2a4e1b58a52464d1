"""Receipt handles: round trip, forgery and cross-queue detection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynaqueue.domain.errors import ReceiptHandleIsInvalid
from dynaqueue.domain.receipts import Receipt, ReceiptSigner

SIGNER = ReceiptSigner(b"k" * 32)
RECEIPT = Receipt(queue_id="q1", message_id="m-1", lease_token="t0k3n", received_at_ms=1_767_225_600_123)

ids = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\x1f"), min_size=1)


@given(queue_id=ids, message_id=ids, token=ids, received_at_ms=st.integers(min_value=0, max_value=2**53))
def test_an_issued_handle_verifies_to_the_same_receipt(
    queue_id: str, message_id: str, token: str, received_at_ms: int
) -> None:
    receipt = Receipt(queue_id, message_id, token, received_at_ms)
    assert SIGNER.verify(SIGNER.issue(receipt), queue_id) == receipt


def test_a_handle_is_url_safe_and_unpadded() -> None:
    handle = SIGNER.issue(RECEIPT)
    assert "=" not in handle and "+" not in handle and "/" not in handle


def test_a_handle_for_another_queue_is_rejected_as_not_valid_for_this_queue() -> None:
    with pytest.raises(ReceiptHandleIsInvalid, match="is not valid for this queue"):
        SIGNER.verify(SIGNER.issue(RECEIPT), "q2")


def test_a_handle_signed_with_another_secret_is_rejected() -> None:
    other = ReceiptSigner(b"x" * 32).issue(RECEIPT)
    with pytest.raises(ReceiptHandleIsInvalid, match="is not a valid receipt handle"):
        SIGNER.verify(other, "q1")


@given(st.text(max_size=300))
def test_arbitrary_text_is_never_accepted(handle: str) -> None:
    with pytest.raises(ReceiptHandleIsInvalid):
        SIGNER.verify(handle, "q1")


def test_flipping_any_character_invalidates_the_handle() -> None:
    handle = SIGNER.issue(RECEIPT)
    for index in range(len(handle)):
        flipped = handle[:index] + ("A" if handle[index] != "A" else "B") + handle[index + 1 :]
        with pytest.raises(ReceiptHandleIsInvalid):
            SIGNER.verify(flipped, "q1")


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        ReceiptSigner(b"short")
