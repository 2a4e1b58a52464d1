"""The SQS API Lambda: API Gateway HTTP API events in, SQS responses (AWS JSON 1.0 or Query XML) out."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dynaqueue.handlers.access import serve
from dynaqueue.handlers.audit import request_event
from dynaqueue.handlers.http_api import request_from_event, result_from_response
from dynaqueue.handlers.reporting import report
from dynaqueue.observability import logger, metrics
from dynaqueue.wiring import get_audit_log, get_authenticator, get_service


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = time.monotonic()
    # API Gateway's request id, as correlation_paths.API_GATEWAY_HTTP would find it, without a
    # JMESPath search on every request.
    logger.set_correlation_id((event.get("requestContext") or {}).get("requestId"))
    request = request_from_event(event, context.aws_request_id)
    outcome, caller = serve(request, get_authenticator, get_service)
    report(outcome, duration_ms=(time.monotonic() - started) * 1000)
    audited = request_event(request, outcome, caller, now_ms=time.time_ns() // 1_000_000)
    if audited is not None:
        _write_audit(audited)
    return result_from_response(outcome.response)


def _write_audit(event: dict[str, Any]) -> None:
    # A lost audit line must not turn a served request into a failure; it is logged loudly instead.
    try:
        get_audit_log().write(event)
    except Exception:
        logger.exception("audit event not written", extra={"audit_event": event})
