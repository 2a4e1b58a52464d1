"""Authentication failures and how they travel: AWS's common SigV4 error codes, statuses and messages.

SQS shares these with every AWS query service; the query code (the `x-amzn-query-error` header
on JSON, `<Code>` on XML) is what SDKs report as the error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dynaqueue.domain.errors import QueueServiceError

_CORAL = "com.amazon.coral.service#"


class AuthenticationError(QueueServiceError):
    """Base for a request whose signature does not prove who sent it."""


class MissingAuthenticationToken(AuthenticationError):
    """Raised when a request carries no signature at all."""

    code = "MissingAuthenticationToken"

    def __init__(self, message: str = "Request is missing Authentication Token") -> None:
        super().__init__(message)


class IncompleteSignature(AuthenticationError):
    """Raised when a SigV4 signature lacks a part or a part is malformed."""

    code = "IncompleteSignature"


class InvalidSecurity(AuthenticationError):
    """Raised when a request is signed, but not with SigV4."""

    code = "InvalidSecurity"

    def __init__(
        self, message: str = "The request must be signed with Signature Version 4 (AWS4-HMAC-SHA256)."
    ) -> None:
        super().__init__(message)


class InvalidClientTokenId(AuthenticationError):
    """Raised when the access key is unknown or disabled."""

    code = "InvalidClientTokenId"

    def __init__(self, message: str = "The security token included in the request is invalid.") -> None:
        super().__init__(message)


class SignatureDoesNotMatch(AuthenticationError):
    """Raised when the signature is wrong, the credential scope is wrong, or the signing time is too far off."""

    code = "SignatureDoesNotMatch"

    def __init__(
        self,
        message: str = (
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
        ),
    ) -> None:
        super().__init__(message)


class RequestExpired(AuthenticationError):
    """Raised when a presigned request is used after it expired."""

    code = "RequestExpired"

    def __init__(self, message: str = "Request has expired.") -> None:
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class AuthWireError:
    """JSON `__type` and HTTP status of an authentication failure; the query code is the error code."""

    type_name: str
    status: int


AUTH_WIRE_ERRORS: Mapping[str, AuthWireError] = {
    "MissingAuthenticationToken": AuthWireError(_CORAL + "MissingAuthenticationTokenException", 403),
    "IncompleteSignature": AuthWireError(_CORAL + "IncompleteSignatureException", 400),
    "InvalidSecurity": AuthWireError("com.amazonaws.sqs#InvalidSecurity", 403),
    "InvalidClientTokenId": AuthWireError(_CORAL + "UnrecognizedClientException", 403),
    "SignatureDoesNotMatch": AuthWireError(_CORAL + "InvalidSignatureException", 403),
    "RequestExpired": AuthWireError(_CORAL + "RequestExpired", 400),
}
