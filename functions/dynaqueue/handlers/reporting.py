"""One log line and the metrics for every request served; ids and counts only, never message bodies."""

from __future__ import annotations

from dynaqueue.metric_names import CLIENT_ERRORS, EMPTY_RECEIVES, MESSAGES_RECEIVED, MESSAGES_SENT, SERVER_ERRORS
from dynaqueue.observability import count, logger
from dynaqueue.protocol.exchange import Outcome

_SENDS = frozenset({"SendMessage", "SendMessageBatch"})


def report(outcome: Outcome, duration_ms: float) -> None:
    """Client errors are ordinary outcomes (INFO); server errors are logged with their stack trace."""
    status = outcome.response.status
    # Per-request keys go in `extra`, not append_keys: the local server runs requests in parallel threads.
    fields = {
        "action": outcome.action,
        "queue_name": outcome.queue_name,
        "status": status,
        "error_code": outcome.error_code,
        "message_count": outcome.message_count,
        "duration_ms": round(duration_ms, 1),
    }
    if status >= 500:
        logger.exception("request failed", exc_info=outcome.error, extra=fields)
        count(SERVER_ERRORS)
        return
    logger.info("request served", extra=fields)
    if status >= 400:
        count(CLIENT_ERRORS)
    elif outcome.action in _SENDS and outcome.message_count:
        count(MESSAGES_SENT, outcome.message_count)
    elif outcome.action == "ReceiveMessage":
        if outcome.message_count:
            count(MESSAGES_RECEIVED, outcome.message_count)
        else:
            count(EMPTY_RECEIVES)
