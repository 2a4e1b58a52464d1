"""The housekeeping Lambda, run every minute by an EventBridge schedule: one bounded run, then its metrics.

Runs are bounded by the invocation's remaining time (less a margin to save progress), so a huge
backlog is worked through over several invocations, never in one that times out.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from dynaqueue.domain.housekeeping import HousekeepingReport
from dynaqueue.metric_names import (
    DEAD_LETTER_QUEUE_MESSAGES,
    MESSAGES_EXPIRED,
    MESSAGES_MOVED_TO_DLQ,
    MESSAGES_RECLAIMED,
    MESSAGES_REDRIVEN,
    OLDEST_MESSAGE_AGE,
    QUEUE_NAME_DIMENSION,
)
from dynaqueue.observability import logger, metrics
from dynaqueue.wiring import get_housekeeper

# Left of the invocation's time when the run stops starting new steps.
SAFETY_MARGIN_MS = 10_000
MIN_RUN_MS = 1_000


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    budget_ms = max(MIN_RUN_MS, context.get_remaining_time_in_millis() - SAFETY_MARGIN_MS)
    report = get_housekeeper().run(time_budget_ms=budget_ms)
    publish(report)
    summary = summarize(report)
    logger.info("housekeeping run", extra=summary)
    return summary


def publish(report: HousekeepingReport) -> None:
    """The run's counts as metrics; per-queue oldest-message ages with a QueueName dimension."""
    if not report.ran:
        return
    for name, value in (
        (MESSAGES_MOVED_TO_DLQ, report.moved_to_dead_letter),
        (MESSAGES_EXPIRED, report.expired),
        (MESSAGES_REDRIVEN, report.redriven),
        (MESSAGES_RECLAIMED, report.reclaimed),
        (DEAD_LETTER_QUEUE_MESSAGES, report.dead_letter_queue_messages),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.add_metric(name=OLDEST_MESSAGE_AGE, unit=MetricUnit.Seconds, value=report.oldest_message_age_seconds)
    for measure in report.queues:
        with single_metric(
            name=OLDEST_MESSAGE_AGE,
            unit=MetricUnit.Seconds,
            value=measure.oldest_age_seconds,
            namespace=metrics.namespace,
            default_dimensions={"service": metrics.service or "", **metrics.default_dimensions},
        ) as queue_metric:
            queue_metric.add_dimension(name=QUEUE_NAME_DIMENSION, value=measure.name)


def summarize(report: HousekeepingReport) -> dict[str, Any]:
    return {
        "ran": report.ran,
        "moved_to_dead_letter": report.moved_to_dead_letter,
        "expired": report.expired,
        "redriven": report.redriven,
        "reclaimed": report.reclaimed,
        "tasks_advanced": report.tasks_advanced,
        "queues_measured": len(report.queues),
        "finished_walk": report.finished_walk,
    }
