"""Logging and metrics: the Powertools singletons and the names of the metrics we emit.

Tracing is Lambda's active X-Ray tracing of each invocation, without the X-Ray SDK in the function:
importing the SDK creates an X-Ray client and costs about 0.4 s of every cold start (see
docs/cold-start.md), more than the per-call DynamoDB subsegments it would add are worth.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from dynaqueue.metric_names import SERVICE_NAME

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(service=SERVICE_NAME)


def count(name: str, value: int = 1) -> None:
    """Add `value` to a count metric.

    Skipped while metrics are disabled: Powertools keeps disabled metrics in memory and
    still prints them once a metric holds 100 values, which a local server would reach.
    """
    if not is_metrics_disabled():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
