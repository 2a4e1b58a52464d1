"""Logging, tracing and metrics: the Powertools singletons and the names of the metrics we emit."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

SERVICE_NAME = "dynaqueue"

logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(service=SERVICE_NAME)

MESSAGES_SENT = "MessagesSent"
MESSAGES_RECEIVED = "MessagesReceived"
EMPTY_RECEIVES = "EmptyReceives"
CLIENT_ERRORS = "ClientErrors"
SERVER_ERRORS = "ServerErrors"


def count(name: str, value: int = 1) -> None:
    """Add `value` to a count metric.

    Skipped while metrics are disabled: Powertools keeps disabled metrics in memory and
    still prints them once a metric holds 100 values, which a local server would reach.
    """
    if not is_metrics_disabled():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
