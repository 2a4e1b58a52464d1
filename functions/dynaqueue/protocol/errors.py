"""The one table from domain error codes to the SQS wire (both protocols), and the JSON error envelope."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dynaqueue.domain.errors import QueueServiceError
from dynaqueue.protocol.exchange import HttpResponse
from dynaqueue.protocol.json_codec import JSON_CONTENT_TYPE, encode_json

# Modelled errors live in the SQS namespace; the generic ones SQS shares with every AWS JSON
# service are reported by AWS from the Coral namespace. SDKs read only the part after "#".
_SQS = "com.amazonaws.sqs#"
_CORAL = "com.amazon.coral.service#"


@dataclass(frozen=True, slots=True)
class WireError:
    """How one error travels: JSON `__type`, legacy query code, HTTP status and fault side.

    `query_message`, when set, replaces the message in Query responses, where SQS words it differently.
    """

    type_name: str
    query_code: str
    status: int
    fault: str = "Sender"
    query_message: str | None = None


WIRE_ERRORS: Mapping[str, WireError] = {
    "QueueDoesNotExist": WireError(
        _SQS + "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
        400,
        query_message="The specified queue does not exist for this wsdl version.",
    ),
    "QueueNameExists": WireError(_SQS + "QueueNameExists", "QueueAlreadyExists", 400),
    "QueueDeletedRecently": WireError(
        _SQS + "QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently", 400
    ),
    "PurgeQueueInProgress": WireError(
        _SQS + "PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403
    ),
    "EmptyBatchRequest": WireError(_SQS + "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400),
    "TooManyEntriesInBatchRequest": WireError(
        _SQS + "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400
    ),
    "BatchEntryIdsNotDistinct": WireError(
        _SQS + "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400
    ),
    "InvalidBatchEntryId": WireError(_SQS + "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", 400),
    "BatchRequestTooLong": WireError(_SQS + "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", 400),
    "InvalidAttributeName": WireError(_SQS + "InvalidAttributeName", "InvalidAttributeName", 400),
    "InvalidAttributeValue": WireError(_SQS + "InvalidAttributeValue", "InvalidAttributeValue", 400),
    "InvalidMessageContents": WireError(_SQS + "InvalidMessageContents", "InvalidMessageContents", 400),
    # The Smithy model gives 404; some community reports say 400. The model is the better evidence.
    "ReceiptHandleIsInvalid": WireError(_SQS + "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404),
    "OverLimit": WireError(_SQS + "OverLimit", "OverLimit", 403),
    "InvalidAddress": WireError(_SQS + "InvalidAddress", "InvalidAddress", 404),
    "RequestThrottled": WireError(_SQS + "RequestThrottled", "RequestThrottled", 403),
    "UnsupportedOperation": WireError(
        _SQS + "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400
    ),
    "ResourceNotFoundException": WireError(_SQS + "ResourceNotFoundException", "ResourceNotFoundException", 404),
    # SSE-KMS: what KMS said about the queue's key, as SQS relays it.
    "KmsAccessDenied": WireError(_SQS + "KmsAccessDenied", "KMS.AccessDeniedException", 400),
    "KmsDisabled": WireError(_SQS + "KmsDisabled", "KMS.DisabledException", 400),
    "KmsInvalidKeyUsage": WireError(_SQS + "KmsInvalidKeyUsage", "KMS.InvalidKeyUsageException", 400),
    "KmsInvalidState": WireError(_SQS + "KmsInvalidState", "KMS.InvalidStateException", 400),
    "KmsNotFound": WireError(_SQS + "KmsNotFound", "KMS.NotFoundException", 400),
    "KmsOptInRequired": WireError(_SQS + "KmsOptInRequired", "KMS.OptInRequired", 403),
    "KmsThrottled": WireError(_SQS + "KmsThrottled", "KMS.ThrottlingException", 400),
    "InvalidParameterValue": WireError(_CORAL + "InvalidParameterValueException", "InvalidParameterValue", 400),
    "MissingParameter": WireError(_CORAL + "MissingRequiredParameterException", "MissingParameter", 400),
    "AccessDenied": WireError(_CORAL + "AccessDeniedException", "AccessDenied", 403),
    # AWS JSON answers an unknown X-Amz-Target with UnknownOperationException; the query code
    # is what SQS's Query protocol says for an unknown Action, and what boto3 shows as Error.Code.
    "InvalidAction": WireError(_CORAL + "UnknownOperationException", "InvalidAction", 400),
    "InternalError": WireError(_CORAL + "InternalFailure", "InternalError", 500, "Receiver"),
}

INTERNAL_ERROR_MESSAGE = "We encountered an internal error. Please try again."


def wire_error(code: str) -> WireError:
    """The wire form of a domain error code; an unlisted code still reaches the client as a 400."""
    return WIRE_ERRORS.get(code) or WireError(_SQS + code, code, 400)


def query_code(code: str) -> str:
    """The query-style code SQS uses for `code`, e.g. in batch result error entries."""
    return wire_error(code).query_code


def error_code(error: BaseException) -> str:
    """The domain code of an error; anything that is not a QueueServiceError is an InternalError."""
    return error.code if isinstance(error, QueueServiceError) else "InternalError"


def client_message(error: BaseException) -> str:
    """The message a client is told; an unexpected error reveals nothing of itself."""
    return error.message if isinstance(error, QueueServiceError) else INTERNAL_ERROR_MESSAGE


def json_error_response(error: BaseException, request_id: str) -> HttpResponse:
    """The AWS JSON 1.0 error envelope, with the query-compatibility header SDKs map codes from."""
    wire = wire_error(error_code(error))
    message = client_message(error)
    return HttpResponse(
        status=wire.status,
        headers={
            "Content-Type": JSON_CONTENT_TYPE,
            "x-amzn-RequestId": request_id,
            "x-amzn-query-error": f"{wire.query_code};{wire.fault}",
        },
        body=encode_json({"__type": wire.type_name, "message": message}),
    )
