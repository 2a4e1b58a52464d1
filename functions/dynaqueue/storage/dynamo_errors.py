"""DynamoDB errors at the adapter boundary: lost conditions are outcomes, throttling is RequestThrottled."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from botocore.exceptions import ClientError

from dynaqueue.domain.errors import RequestThrottled

P = ParamSpec("P")
R = TypeVar("R")

# What DynamoDB answers when a table, index or account is over its throughput; botocore has
# already retried these with backoff by the time they reach us.
THROTTLING_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})
CONDITION_FAILED = "ConditionalCheckFailedException"


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_condition_failure(error: ClientError) -> bool:
    return error_code(error) == CONDITION_FAILED


def is_cancelled_by_condition(error: ClientError) -> bool:
    """A transaction cancelled because one of its conditions did not hold (not a conflict or throttle)."""
    reasons = error.response.get("CancellationReasons", [])
    return error_code(error) == "TransactionCanceledException" and any(
        reason.get("Code") == "ConditionalCheckFailed" for reason in reasons
    )


def throttling_as_request_throttled(method: Callable[P, R]) -> Callable[P, R]:
    """Report throttling as RequestThrottled; let every other storage error propagate unchanged."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except ClientError as error:
            if _is_throttling(error):
                raise RequestThrottled("The storage is throttling requests; retry shortly.") from error
            raise

    return wrapper


def _is_throttling(error: ClientError) -> bool:
    if error_code(error) in THROTTLING_CODES:
        return True
    reasons = error.response.get("CancellationReasons", [])
    return any(reason.get("Code") == "ThrottlingError" for reason in reasons)
