"""One scenario against one peer: producers send, long-polling consumers receive and delete, delivery checked.

The producers and consumers run as threads in several client processes (bench/client_pool.py says why and
how many); this module creates the queue, runs them against it, and merges what they report into one result.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.client_pool import ClientPool, assignments
from bench.client_process import Finished
from bench.clients import sqs_client
from bench.delivery import DeliveryTally
from bench.latency import LatencyRecorder, Summary
from bench.scenarios import Scenario

# Longer than any quick or full run, so a message is only seen twice if a peer redelivers early.
VISIBILITY_TIMEOUT_SECONDS = 300


@dataclass
class ScenarioResult:
    scenario: str
    peer: str
    sent: int = 0
    unsent: int = 0
    delivered: int = 0
    lost: int = 0
    duplicates: int = 0
    errors: int = 0
    error_reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    messages_per_second: float = 0.0
    latency: dict[str, Summary] = field(default_factory=dict)
    note: str = ""
    # What the server processes used during the scenario, set by the caller that can see them.
    server_cpu_seconds: float = 0.0

    @property
    def server_cpu_ms_per_message(self) -> float | None:
        return self.server_cpu_seconds * 1000 / self.delivered if self.delivered and self.server_cpu_seconds else None


def run_scenario(endpoint: str, peer: str, scenario: Scenario) -> ScenarioResult:
    admin = sqs_client(endpoint)
    queue_url = _create_queue(admin, scenario)
    ids = [f"m{index:07d}" for index in range(scenario.messages)]
    tally = DeliveryTally(len(ids))
    try:
        with ClientPool(assignments(endpoint, queue_url, scenario, ids)) as pool:
            # The clock starts once every process has built its clients and is released.
            started = pool.start_when_ready()
            deadline = started + scenario.deadline_seconds
            tally.close(deadline)
            for delivery in pool.deliveries(until=deadline):
                tally.delivered(delivery.message_ids, delivery.at)
                if tally.complete:
                    break
            stopped = time.monotonic()
            tally.close(stopped)
            # Deliveries reported after the stop still count if they happened before it.
            for delivery in pool.finish():
                tally.delivered(delivery.message_ids, delivery.at)
    finally:
        _delete_queue(admin, queue_url)
    finished = list(pool.finished.values())
    sent = {message_id for report in finished for message_id in report.sent}
    errors: Counter[str] = Counter()
    recorder = LatencyRecorder()
    for report in finished:
        errors.update(report.errors)
        recorder.merge(report.latency_ms)
    elapsed = (tally.last_delivery or stopped) - started
    return ScenarioResult(
        scenario=scenario.name,
        peer=peer,
        sent=len(sent),
        unsent=len(ids) - len(sent),
        delivered=tally.unique,
        lost=tally.missing(sent),
        duplicates=tally.duplicates,
        errors=sum(errors.values()),
        error_reasons=dict(errors.most_common(3)),
        seconds=elapsed,
        messages_per_second=tally.unique / elapsed if elapsed > 0 else 0.0,
        latency=recorder.summaries(),
        note=_note(scenario, tally, finished, pool.unreported),
    )


def _note(scenario: Scenario, tally: DeliveryTally, finished: list[Finished], unreported: int) -> str:
    note = "" if tally.complete else f"deadline of {scenario.deadline_seconds:.0f} s reached"
    stragglers = sum(report.stragglers for report in finished)
    if stragglers:
        note += f"; {stragglers} threads still waiting on a call"
    if unreported:
        # Their sent ids and latencies are unknown: counted as not sent, left out of the percentiles.
        note += f"; {unreported} client processes did not report and were stopped"
    return note


def _create_queue(client: Any, scenario: Scenario) -> str:
    name = f"bench-{scenario.name}-{uuid.uuid4().hex[:8]}"
    attributes = {"VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS)}
    if scenario.fifo:
        name += ".fifo"
        attributes["FifoQueue"] = "true"
    return client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def _delete_queue(client: Any, queue_url: str) -> None:
    # A peer that cannot delete a queue still has its numbers reported.
    with contextlib.suppress(Exception):
        client.delete_queue(QueueUrl=queue_url)
