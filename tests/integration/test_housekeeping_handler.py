"""The housekeeping Lambda handler: one run per invocation, its counts published as CloudWatch metrics (EMF)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dynaqueue import wiring
from dynaqueue.domain.model import ReceiveRequest, SendRequest
from dynaqueue.domain.service import QueueService
from dynaqueue.handlers.housekeeping import lambda_handler
from dynaqueue.local.gateway import LocalLambdaContext
from dynaqueue.observability import metrics
from dynaqueue.storage.embedded import EmbeddedStore
from tests.fakes import FakeClock

ACCOUNT = "123456789012"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueService]:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    store = EmbeddedStore(tmp_path / "store.db", clock=clock)
    queue_service = QueueService(store, clock=clock, account_id=ACCOUNT, region="us-east-1", receipt_secret=b"k" * 32)
    wiring.configure(queue_service)
    yield queue_service
    wiring.configure(None)
    metrics.clear_metrics()
    store.close()


def single(value: Any) -> Any:
    """EMF writes a metric added once as a value or as a one-element list."""
    if isinstance(value, list):
        [only] = value
        return only
    return value


def emitted_metrics(output: str) -> list[dict[str, Any]]:
    """Every EMF document printed: its dimensions and metric values."""
    documents = []
    for line in output.splitlines():
        if line.startswith("{") and "_aws" in line:
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                documents.append(
                    {
                        "dimensions": {name: document[name] for group in directive["Dimensions"] for name in group},
                        "values": {metric["Name"]: single(document[metric["Name"]]) for metric in directive["Metrics"]},
                    }
                )
    return documents


def test_an_invocation_runs_housekeeping_and_publishes_its_counts(
    service: QueueService, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    service.create_queue("dlq", {}, {})
    policy = json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq", "maxReceiveCount": 1})
    service.create_queue("work", {"RedrivePolicy": policy, "MessageRetentionPeriod": "60"}, {})
    service.send_message("work", SendRequest("stale"))
    clock.advance(30)
    service.send_message("work", SendRequest("poison"))
    assert len(service.receive_message("work", ReceiveRequest(max_number_of_messages=10, visibility_timeout=1))) == 2
    clock.advance(31)

    summary = lambda_handler({"source": "aws.events"}, LocalLambdaContext(region="us-east-1", account_id=ACCOUNT))

    assert summary["ran"] and summary["moved_to_dead_letter"] == 1 and summary["expired"] == 1
    documents = emitted_metrics(capsys.readouterr().out)
    totals = next(document for document in documents if "MessagesExpired" in document["values"])
    assert totals["dimensions"] == {"service": "dynaqueue"}
    assert totals["values"]["MessagesMovedToDLQ"] == 1.0
    assert totals["values"]["MessagesExpired"] == 1.0
    assert totals["values"]["DeadLetterQueueMessages"] == 1.0
    assert totals["values"]["ApproximateAgeOfOldestMessage"] == 31.0
    per_queue = {
        document["dimensions"]["QueueName"]: document["values"]["ApproximateAgeOfOldestMessage"]
        for document in documents
        if "QueueName" in document["dimensions"]
    }
    assert per_queue == {"dlq": 31.0, "work": 0.0}
