"""The housekeeping run on the embedded store with a fake clock: expiry, dead-letter moves, faults, concurrency."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dynaqueue.domain.housekeeping import Housekeeper, HousekeepingLimits
from dynaqueue.domain.model import ReceiveRequest, SendRequest
from dynaqueue.domain.service import QueueService
from dynaqueue.storage.embedded import EmbeddedStore
from tests.fakes import FakeClock
from tests.integration.conftest import ACCOUNT, service_over

RUN_MS = 10_000
MAX_RETENTION = "1209600"


def arn(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


def receive_ids(service: QueueService, queue: str, *, visibility: int = 30) -> list[str]:
    ids: list[str] = []
    for _ in range(20):
        batch = service.receive_message(queue, ReceiveRequest(max_number_of_messages=10, visibility_timeout=visibility))
        if not batch:
            break
        ids += [message.message_id for message in batch]
    return ids


def send(service: QueueService, queue: str, count: int, prefix: str = "m", **request: Any) -> list[str]:
    return [
        service.send_message(queue, SendRequest(f"{prefix}{index}", **request)).message_id for index in range(count)
    ]


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_a_run_deletes_expired_messages_for_good(service: QueueService, clock: FakeClock, fifo: bool) -> None:
    """Expired messages are hidden on read anyway; raising the retention afterwards shows they are really gone."""
    name = "short.fifo" if fifo else "short"
    fifo_attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    service.create_queue(name, {**fifo_attributes, "MessageRetentionPeriod": "60"}, {})
    service.create_queue("zz-control", {"MessageRetentionPeriod": "60"}, {})
    extra = {"group_id": "g"} if fifo else {}
    send(service, name, 3, **extra)
    send(service, "zz-control", 3)
    clock.advance(61)
    fresh = send(service, name, 1, prefix="fresh", **extra)

    report = service.housekeeper(HousekeepingLimits(queues_per_run=1)).run(time_budget_ms=RUN_MS)
    service.set_queue_attributes(name, {"MessageRetentionPeriod": MAX_RETENTION})
    service.set_queue_attributes("zz-control", {"MessageRetentionPeriod": MAX_RETENTION})

    assert report.expired == 3
    assert receive_ids(service, name) == fresh
    # The queue the bounded run did not reach still holds its expired messages (TTL-less stores keep them).
    assert len(receive_ids(service, "zz-control")) == 3


def test_over_received_messages_move_to_the_dead_letter_queue_without_a_receive(
    service: QueueService, clock: FakeClock
) -> None:
    service.create_queue("dlq", {}, {})
    policy = json.dumps({"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": 2})
    service.create_queue("work", {"RedrivePolicy": policy}, {})
    poison = send(service, "work", 2)
    for _ in range(2):
        assert sorted(receive_ids(service, "work", visibility=1)) == sorted(poison)
        clock.advance(2)
    healthy = send(service, "work", 1)

    report = service.housekeeper().run(time_budget_ms=RUN_MS)

    assert report.moved_to_dead_letter == 2
    assert report.dead_letter_queue_messages == 2
    assert sorted(receive_ids(service, "dlq")) == sorted(poison)
    assert receive_ids(service, "work") == healthy


def test_the_walk_resumes_from_its_cursor(service: QueueService, clock: FakeClock) -> None:
    for index in range(5):
        service.create_queue(f"q{index}", {"MessageRetentionPeriod": "60"}, {})
        send(service, f"q{index}", 1)
    clock.advance(61)
    housekeeper = service.housekeeper(HousekeepingLimits(queues_per_run=2, queue_page=2))

    reports = [housekeeper.run(time_budget_ms=RUN_MS) for _ in range(3)]

    assert [report.expired for report in reports] == [2, 2, 1]
    assert [[measure.name for measure in report.queues] for report in reports] == [["q0", "q1"], ["q2", "q3"], ["q4"]]
    assert [report.finished_walk for report in reports] == [False, False, True]


def test_the_walk_waits_for_its_interval_while_tasks_advance_every_run(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("short", {"MessageRetentionPeriod": "60"}, {})
    housekeeper = service.housekeeper(walk_interval_ms=120_000)
    assert housekeeper.run(time_budget_ms=RUN_MS).finished_walk
    send(service, "short", 1)
    clock.advance(61)

    assert housekeeper.run(time_budget_ms=RUN_MS).queues == []
    clock.advance(60)
    assert housekeeper.run(time_budget_ms=RUN_MS).expired == 1


class FailingMoves:
    """The real store, except that move_messages fails after `allowed` calls, as a crash would."""

    def __init__(self, store: EmbeddedStore, allowed: int) -> None:
        self._store = store
        self._allowed = allowed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def move_messages(self, *args: Any, **kwargs: Any) -> Any:
        if self._allowed == 0:
            raise ConnectionError("injected failure")
        self._allowed -= 1
        return self._store.move_messages(*args, **kwargs)


def test_an_interrupted_run_loses_nothing_and_the_next_run_finishes(
    store: EmbeddedStore, service: QueueService, clock: FakeClock
) -> None:
    service.create_queue("dlq", {}, {})
    policy = json.dumps({"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": 1})
    for name in ("a", "b", "c"):
        service.create_queue(name, {"RedrivePolicy": policy}, {})
    sent = {name: send(service, name, 3) for name in ("a", "b", "c")}
    for name in sent:
        receive_ids(service, name, visibility=1)
    clock.advance(2)

    failing = service_over(FailingMoves(store, allowed=1), clock).housekeeper()
    with pytest.raises(ConnectionError):
        failing.run(time_budget_ms=RUN_MS)
    report = service.housekeeper().run(time_budget_ms=RUN_MS)

    assert report.ran
    assert report.moved_to_dead_letter == 6
    everything = sorted(message_id for ids in sent.values() for message_id in ids)
    assert sorted(receive_ids(service, "dlq")) == everything
    assert all(receive_ids(service, name) == [] for name in sent)


class ReentrantMoves:
    """The real store; the first move_messages call first lets a second housekeeper try to run."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store
        self.rival: Housekeeper | None = None
        self.rival_reports: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def move_messages(self, *args: Any, **kwargs: Any) -> Any:
        if self.rival is not None:
            rival, self.rival = self.rival, None
            self.rival_reports.append(rival.run(time_budget_ms=RUN_MS))
        return self._store.move_messages(*args, **kwargs)


def test_a_concurrent_run_does_nothing(store: EmbeddedStore, service: QueueService, clock: FakeClock) -> None:
    service.create_queue("dlq", {}, {})
    policy = json.dumps({"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": 1})
    service.create_queue("work", {"RedrivePolicy": policy}, {})
    poison = send(service, "work", 4)
    receive_ids(service, "work", visibility=1)
    clock.advance(2)
    reentrant = ReentrantMoves(store)
    reentrant.rival = service.housekeeper()

    report = service_over(reentrant, clock).housekeeper().run(time_budget_ms=RUN_MS)

    [rival_report] = reentrant.rival_reports
    assert not rival_report.ran
    assert rival_report.moved_to_dead_letter == 0
    assert report.moved_to_dead_letter == 4
    assert sorted(receive_ids(service, "dlq")) == sorted(poison)
    # The lease is released at the end of a run: the next run goes ahead.
    assert service.housekeeper().run(time_budget_ms=RUN_MS).ran


def test_a_crashed_run_holds_the_lease_only_until_it_expires(
    store: EmbeddedStore, service: QueueService, clock: FakeClock
) -> None:
    assert store.acquire_lease(
        "housekeeping", holder="crashed", now_ms=clock.now_ms(), expires_at_ms=clock.now_ms() + 60_000
    )

    assert not service.housekeeper().run(time_budget_ms=RUN_MS).ran
    clock.advance(61)
    assert service.housekeeper().run(time_budget_ms=RUN_MS).ran


def test_the_report_measures_each_queue(service: QueueService, clock: FakeClock) -> None:
    service.create_queue("old", {}, {})
    send(service, "old", 2)
    clock.advance(90)
    service.create_queue("new", {}, {})
    send(service, "new", 1)

    report = service.housekeeper().run(time_budget_ms=RUN_MS)

    measures = {measure.name: measure for measure in report.queues}
    assert measures["old"].visible == 2 and measures["old"].oldest_age_seconds == 90
    assert measures["new"].oldest_age_seconds == 0
    assert report.oldest_message_age_seconds == 90
    assert report.dead_letter_queue_messages == 0
