"""The audit log: every denied request and every administrative action, one JSON object per event.

Events carry who (principal and access key id, never a secret), what, on which queue, from
where and with what outcome; never message bodies or attributes. In Lambda they go to standard
output as single lines with `log_type` "AUDIT", for a subscription filter to pick out; locally
they are appended to a JSON-lines file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dynaqueue.protocol.authentication import Caller
from dynaqueue.protocol.exchange import HttpRequest, Outcome
from dynaqueue.protocol.sigv4 import claimed_access_key_id

LOG_TYPE = "AUDIT"
# Actions that change queues or who may use them.
ADMINISTRATIVE_ACTIONS = frozenset(
    {
        "CreateQueue",
        "DeleteQueue",
        "PurgeQueue",
        "SetQueueAttributes",
        "AddPermission",
        "RemovePermission",
        "TagQueue",
        "UntagQueue",
        "StartMessageMoveTask",
        "CancelMessageMoveTask",
    }
)
# Error codes that mean the caller was not let in: unauthenticated or not authorized.
DENIAL_CODES = frozenset(
    {
        "AccessDenied",
        "MissingAuthenticationToken",
        "IncompleteSignature",
        "InvalidSecurity",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "RequestExpired",
    }
)
DENIED_EVENT = "AccessDenied"


def request_event(request: HttpRequest, outcome: Outcome, caller: Caller | None, now_ms: int) -> dict[str, Any] | None:
    """The audit event a served request makes, or None when it is neither denied nor administrative."""
    denied = outcome.error_code in DENIAL_CODES
    if not denied and outcome.action not in ADMINISTRATIVE_ACTIONS:
        return None
    result = _result(denied=denied, status=outcome.response.status)
    return audit_event(
        event=DENIED_EVENT if denied else str(outcome.action),
        now_ms=now_ms,
        principal=caller.principal.arn if caller else None,
        access_key_id=caller.access_key_id if caller else claimed_access_key_id(request),
        outcome=result,
        queue=outcome.queue_name,
        action=outcome.action,
        error_code=outcome.error_code,
        source_ip=request.source_ip,
        request_id=request.request_id,
    )


def audit_event(*, event: str, now_ms: int, outcome: str, **fields: Any) -> dict[str, Any]:
    """An audit record; `fields` are principal, access_key_id, queue, source_ip, request_id and the like."""
    time = datetime.fromtimestamp(now_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"log_type": LOG_TYPE, "time": time, "event": event, "outcome": outcome, **fields}


def _result(*, denied: bool, status: int) -> str:
    if denied:
        return "denied"
    return "succeeded" if status < 400 else "failed"
