"""Housekeeping: the function that moves, expires, redrives and measures messages, run every minute."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from stacks.constructs.queue_table import QueueTable
from stacks.constructs.receipt_secret import ReceiptSecret
from stacks.constructs.runtime_environment import queue_service_function
from stacks.settings import StackSettings

HOUSEKEEPING_HANDLER = "dynaqueue.handlers.housekeeping.lambda_handler"
# A run stops starting new steps shortly before the invocation's time is up, so a long timeout
# only lengthens runs; one minute matches the schedule, so runs rarely overlap.
HOUSEKEEPING_TIMEOUT = cdk.Duration.seconds(60)
HOUSEKEEPING_SCHEDULE = events.Schedule.rate(cdk.Duration.minutes(1))
# A missed minute is made up by the next run; retrying a failed run would only pile runs up.
HOUSEKEEPING_RETRY_ATTEMPTS = 0


class Housekeeping(Construct):
    """The housekeeping function, on the API function's table and key, invoked by an EventBridge rule."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        table: QueueTable,
        receipt_secret: ReceiptSecret,
        settings: StackSettings,
    ) -> None:
        super().__init__(scope, id)
        self.function = queue_service_function(
            self,
            handler=HOUSEKEEPING_HANDLER,
            description="dynaqueue housekeeping: dead-letter moves, expiry, redrive, queue metrics",
            timeout=HOUSEKEEPING_TIMEOUT,
            table=table,
            receipt_secret=receipt_secret,
            settings=settings,
        )
        self.schedule = events.Rule(
            self,
            "Schedule",
            description="Runs dynaqueue housekeeping",
            schedule=HOUSEKEEPING_SCHEDULE,
            targets=[targets.LambdaFunction(self.function, retry_attempts=HOUSEKEEPING_RETRY_ATTEMPTS)],
        )
