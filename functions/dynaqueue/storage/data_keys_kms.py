"""Data keys from AWS KMS: GenerateDataKey under the queue's key (or the deployment's), Decrypt to unwrap."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from dynaqueue.domain.errors import (
    KmsAccessDenied,
    KmsDisabled,
    KmsInvalidKeyUsage,
    KmsInvalidState,
    KmsNotFound,
    KmsOptInRequired,
    KmsThrottled,
    QueueServiceError,
)
from dynaqueue.storage.data_keys import DataKey, DataKeyUnreadable

# KMS error codes and the SQS errors a queue reports for them.
_SQS_ERRORS: dict[str, type[QueueServiceError]] = {
    "AccessDeniedException": KmsAccessDenied,
    "DisabledException": KmsDisabled,
    "InvalidKeyUsageException": KmsInvalidKeyUsage,
    "KMSInvalidStateException": KmsInvalidState,
    "NotFoundException": KmsNotFound,
    "OptInRequired": KmsOptInRequired,
    "ThrottlingException": KmsThrottled,
}
# Every data key is made and unwrapped under this encryption context, so the deployment can grant
# its functions these KMS calls for message data keys and nothing else sealed with the same keys.
DATA_KEY_CONTEXT = {"dynaqueue:purpose": "message-data-key"}
# SQS's own AWS-managed key: only SQS itself may use it, so queues naming it get the deployment's key,
# which is what SSE with the AWS-managed key means here.
AWS_MANAGED_SQS_KEY = "alias/aws/sqs"
# The blob is not a data key KMS made (or was made for another context): nothing a client can fix.
_UNREADABLE = ("InvalidCiphertextException", "IncorrectKeyException")


class KmsKeyProvider:
    """AES-256 data keys from KMS; SSE-SQS queues use `deployment_key_id`, SSE-KMS queues their own key."""

    def __init__(self, client: Any, *, deployment_key_id: str) -> None:
        self._client = client
        self._deployment_key_id = deployment_key_id

    def generate(self, master_key_id: str | None) -> DataKey:
        try:
            answer = self._client.generate_data_key(
                KeyId=self._key_for(master_key_id), KeySpec="AES_256", EncryptionContext=DATA_KEY_CONTEXT
            )
        except ClientError as error:
            _raise_sqs_error(error)
            raise
        return DataKey(plaintext=answer["Plaintext"], wrapped=answer["CiphertextBlob"], key_id=answer["KeyId"])

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        try:
            return self._client.decrypt(CiphertextBlob=wrapped, KeyId=key_id, EncryptionContext=DATA_KEY_CONTEXT)[
                "Plaintext"
            ]
        except ClientError as error:
            if _code(error) in _UNREADABLE:
                raise DataKeyUnreadable(f"KMS cannot unwrap a data key of {key_id}: {_code(error)}") from error
            _raise_sqs_error(error)
            raise

    def _key_for(self, master_key_id: str | None) -> str:
        if not master_key_id or master_key_id == AWS_MANAGED_SQS_KEY:
            return self._deployment_key_id
        return master_key_id


def _raise_sqs_error(error: ClientError) -> None:
    """Raise the SQS error for a KMS refusal; return for anything else (a KMS fault), which stays as it is."""
    error_class = _SQS_ERRORS.get(_code(error))
    if error_class is not None:
        raise error_class(error.response.get("Error", {}).get("Message") or _code(error)) from error


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
