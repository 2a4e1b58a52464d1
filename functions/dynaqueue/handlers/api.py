"""The SQS API Lambda: API Gateway HTTP API events in, SQS responses (AWS JSON 1.0 or Query XML) out."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dynaqueue.handlers.http_api import request_from_event, result_from_response
from dynaqueue.handlers.reporting import report
from dynaqueue.observability import logger, metrics, tracer
from dynaqueue.protocol import dispatch
from dynaqueue.wiring import get_service


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = time.monotonic()
    outcome = dispatch.handle(request_from_event(event, context.aws_request_id), get_service)
    report(outcome, duration_ms=(time.monotonic() - started) * 1000)
    return result_from_response(outcome.response)
