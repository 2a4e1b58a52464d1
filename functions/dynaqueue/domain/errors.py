"""Errors reported to SQS clients; `code` is the botocore SQS error shape (or the common error) name."""

from __future__ import annotations

from typing import ClassVar


class QueueServiceError(Exception):
    """Base for every error reported to an SQS client."""

    code: ClassVar[str] = "InternalError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InternalError(QueueServiceError):
    """Raised when the service itself failed; the client may retry."""

    code = "InternalError"


class InvalidParameterValue(QueueServiceError):
    """Raised when a request parameter has a value SQS does not accept."""

    code = "InvalidParameterValue"


class MissingParameter(QueueServiceError):
    """Raised when a required request parameter is absent."""

    code = "MissingParameter"


class InvalidAction(QueueServiceError):
    """Raised when the requested action does not exist or is not valid for the endpoint."""

    code = "InvalidAction"


class UnsupportedOperation(QueueServiceError):
    """Raised when an action exists but cannot be applied to this queue."""

    code = "UnsupportedOperation"


class InvalidAddress(QueueServiceError):
    """Raised when a queue URL cannot be parsed at all."""

    code = "InvalidAddress"


class QueueDoesNotExist(QueueServiceError):
    """Raised when a queue URL or name does not resolve to an existing queue."""

    code = "QueueDoesNotExist"

    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueNameExists(QueueServiceError):
    """Raised when CreateQueue names an existing queue with different attribute values."""

    code = "QueueNameExists"


class QueueDeletedRecently(QueueServiceError):
    """Raised when a queue name is re-created within 60 seconds of its deletion."""

    code = "QueueDeletedRecently"

    def __init__(
        self,
        message: str = (
            "You must wait 60 seconds after deleting a queue before you can create another with the same name."
        ),
    ) -> None:
        super().__init__(message)


class PurgeQueueInProgress(QueueServiceError):
    """Raised when a queue is purged again within 60 seconds."""

    code = "PurgeQueueInProgress"


class InvalidAttributeName(QueueServiceError):
    """Raised when a queue attribute name is unknown or not applicable to the queue type."""

    code = "InvalidAttributeName"


class InvalidAttributeValue(QueueServiceError):
    """Raised when a queue attribute value is out of range or malformed."""

    code = "InvalidAttributeValue"


class InvalidMessageContents(QueueServiceError):
    """Raised when a message body contains characters outside the allowed set."""

    code = "InvalidMessageContents"


class ReceiptHandleIsInvalid(QueueServiceError):
    """Raised when a receipt handle was never issued, or was issued by another queue."""

    code = "ReceiptHandleIsInvalid"


class EmptyBatchRequest(QueueServiceError):
    """Raised when a batch request has no entries."""

    code = "EmptyBatchRequest"


class TooManyEntriesInBatchRequest(QueueServiceError):
    """Raised when a batch request has more than ten entries."""

    code = "TooManyEntriesInBatchRequest"


class BatchEntryIdsNotDistinct(QueueServiceError):
    """Raised when two entries of a batch share an Id."""

    code = "BatchEntryIdsNotDistinct"


class InvalidBatchEntryId(QueueServiceError):
    """Raised when a batch entry Id is not 1-80 characters of [A-Za-z0-9_-]."""

    code = "InvalidBatchEntryId"


class BatchRequestTooLong(QueueServiceError):
    """Raised when the messages of a send batch add up to more than 1 MiB."""

    code = "BatchRequestTooLong"


class OverLimit(QueueServiceError):
    """Raised when a per-queue limit (in-flight messages, policy size) would be exceeded."""

    code = "OverLimit"


class RequestThrottled(QueueServiceError):
    """Raised when the storage behind the queue is throttling and the request should be retried."""

    code = "RequestThrottled"


class ResourceNotFoundException(QueueServiceError):
    """Raised when a resource named by ARN does not exist."""

    code = "ResourceNotFoundException"


class AccessDenied(QueueServiceError):
    """Raised when the caller is not allowed to perform the action."""

    code = "AccessDenied"


class KmsAccessDenied(QueueServiceError):
    """Raised when the queue's KMS key refuses the service access (SSE-KMS)."""

    code = "KmsAccessDenied"


class KmsDisabled(QueueServiceError):
    """Raised when the queue's KMS key is disabled."""

    code = "KmsDisabled"


class KmsInvalidKeyUsage(QueueServiceError):
    """Raised when the queue's KMS key cannot make data keys (not a symmetric encryption key)."""

    code = "KmsInvalidKeyUsage"


class KmsInvalidState(QueueServiceError):
    """Raised when the queue's KMS key is in a state that forbids use, e.g. pending deletion."""

    code = "KmsInvalidState"


class KmsNotFound(QueueServiceError):
    """Raised when the queue's KMS key, alias or ARN does not exist."""

    code = "KmsNotFound"


class KmsOptInRequired(QueueServiceError):
    """Raised when the account has not subscribed to KMS."""

    code = "KmsOptInRequired"


class KmsThrottled(QueueServiceError):
    """Raised when KMS throttles the requests for data keys; the client may retry."""

    code = "KmsThrottled"
