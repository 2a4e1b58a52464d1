"""Queue URLs and ARNs: how clients name a queue and how the service names it back."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from dynaqueue.domain.errors import InvalidAddress, QueueDoesNotExist

_ACCOUNT_ID = re.compile(r"\d{12}")


def queue_url(base_url: str, account_id: str, queue_name: str) -> str:
    """The URL handed to clients; it must route back to this service (SDKs post to it)."""
    return f"{base_url.rstrip('/')}/{account_id}/{queue_name}"


def queue_arn(region: str, account_id: str, queue_name: str) -> str:
    return f"arn:aws:sqs:{region}:{account_id}:{queue_name}"


def queue_name_from_url(queue_url_or_name: str, account_id: str) -> str:
    """Resolve a QueueUrl parameter to a queue name in this account.

    SQS takes the last two path segments as `<account>/<name>` and ignores scheme, host and
    port (clients legitimately use other host names); a bare queue name is accepted too.
    A URL naming another account, or with nothing usable in it, does not resolve.
    """
    value = queue_url_or_name.strip()
    if not value:
        raise QueueDoesNotExist()
    if "/" not in value:
        return value
    path = urlsplit(value).path if "://" in value else value
    segments = [segment for segment in path.split("/") if segment]
    if not segments:
        raise InvalidAddress(f"The address {value} is not valid for this endpoint.")
    if len(segments) == 1:
        return segments[0]
    owner, name = segments[-2], segments[-1]
    if not _ACCOUNT_ID.fullmatch(owner):
        raise InvalidAddress(f"The address {value} is not valid for this endpoint.")
    if owner != account_id:
        raise QueueDoesNotExist()
    return name


def queue_name_from_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of an SQS queue ARN, or None when it is not one."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not parts[5]:
        return None
    return parts[3], parts[4], parts[5]
