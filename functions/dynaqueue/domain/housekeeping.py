"""The housekeeping run: the background work no request does, in bounded steps that resume where they stopped.

One run (every minute on AWS, every second by default in `dynaqueue serve`, where the walk in
step 3 and the reclaiming in step 2 restart only every `walk_interval_ms`):
1. advances the running message-move tasks at their rates;
2. frees the storage of purged generations and deleted queues;
3. walks the queues from where the last run stopped (a saved cursor): moves messages that are
   visible again but over their queue's maxReceiveCount to its dead-letter queue, deletes
   messages past retention, and measures each queue (counts, age of the oldest message).

Runs exclude each other with a lease, so a second concurrent run does nothing; a run that dies
part-way leaves the lease to expire and the cursor where it was saved, and the next run repeats
at most the unfinished queue's work, which is idempotent (every move and delete is a
conditional, per-message step in the store).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from dynaqueue.domain.clock import Clock
from dynaqueue.domain.model import DeadLetterTarget, MessageMove, QueueRecord
from dynaqueue.domain.move_tasks import MessageMoveTasks
from dynaqueue.domain.ports import QueueStore

LEASE_NAME = "housekeeping"
CURSOR_NAME = "housekeeping-queues"
WALK_FINISHED_NAME = "housekeeping-walk-finished"


@dataclass(frozen=True, slots=True)
class HousekeepingLimits:
    """How much one run may do; what is left waits for the next run."""

    queues_per_run: int = 200
    moves_per_task: int = 1_000
    tasks_per_run: int = 50
    dead_letter_moves_per_queue: int = 500
    expiries_per_queue: int = 1_000
    reclaims_per_run: int = 2_000
    # Page size when listing queues.
    queue_page: int = 100


@dataclass(frozen=True, slots=True)
class QueueMeasure:
    """One queue as the run saw it."""

    name: str
    visible: int
    in_flight: int
    delayed: int
    oldest_age_seconds: int
    is_dead_letter_queue: bool


@dataclass(slots=True)
class HousekeepingReport:
    """What a run did; `ran` is False when another run held the lease."""

    ran: bool = True
    moved_to_dead_letter: int = 0
    expired: int = 0
    redriven: int = 0
    reclaimed: int = 0
    tasks_advanced: int = 0
    queues: list[QueueMeasure] = field(default_factory=list)
    # True when the walk reached the last queue (the next run starts from the first again).
    finished_walk: bool = False

    @property
    def dead_letter_queue_messages(self) -> int:
        return sum(
            measure.visible + measure.in_flight + measure.delayed
            for measure in self.queues
            if measure.is_dead_letter_queue
        )

    @property
    def oldest_message_age_seconds(self) -> int:
        return max((measure.oldest_age_seconds for measure in self.queues), default=0)


class Housekeeper:
    """Runs housekeeping over a store; one instance per process, any number of processes."""

    def __init__(
        self,
        store: QueueStore,
        *,
        clock: Clock,
        move_tasks: MessageMoveTasks,
        dead_letter_target: Callable[[QueueRecord], DeadLetterTarget | None],
        retention_ms: Callable[[QueueRecord], int],
        limits: HousekeepingLimits | None = None,
        lease_ms: int = 60_000,
        walk_interval_ms: int = 0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._move_tasks = move_tasks
        self._dead_letter_target = dead_letter_target
        self._retention_ms = retention_ms
        self._limits = limits or HousekeepingLimits()
        self._lease_ms = lease_ms
        self._walk_interval_ms = walk_interval_ms
        self._holder = uuid.uuid4().hex

    def run(self, *, time_budget_ms: int) -> HousekeepingReport:
        """One bounded run; returns early (cursor saved) when `time_budget_ms` is spent."""
        now_ms = self._clock.now_ms()
        lease_ms = max(self._lease_ms, time_budget_ms)
        if not self._store.acquire_lease(
            LEASE_NAME, holder=self._holder, now_ms=now_ms, expires_at_ms=now_ms + lease_ms
        ):
            return HousekeepingReport(ran=False)
        deadline = self._clock.monotonic() + time_budget_ms / 1000
        report = HousekeepingReport()
        try:
            self._advance_tasks(report, deadline)
            if self._walk_due(now_ms) and self._clock.monotonic() < deadline:
                report.reclaimed = self._store.reclaim_abandoned_messages(limit=self._limits.reclaims_per_run)
                self._walk_queues(report, deadline)
        finally:
            self._store.release_lease(LEASE_NAME, holder=self._holder)
        return report

    def _advance_tasks(self, report: HousekeepingReport, deadline: float) -> None:
        for task in self._store.active_move_tasks(self._limits.tasks_per_run):
            if self._clock.monotonic() >= deadline:
                return
            report.redriven += self._move_tasks.advance(task, budget=self._limits.moves_per_task)
            report.tasks_advanced += 1

    def _walk_due(self, now_ms: int) -> bool:
        """Tasks advance every run; the walk over all queues restarts only every `walk_interval_ms`."""
        if self._walk_interval_ms <= 0 or self._store.load_cursor(CURSOR_NAME) is not None:
            return True
        finished = self._store.load_cursor(WALK_FINISHED_NAME)
        return finished is None or now_ms - int(finished) >= self._walk_interval_ms

    def _walk_queues(self, report: HousekeepingReport, deadline: float) -> None:
        after = self._store.load_cursor(CURSOR_NAME)
        visited = 0
        dead_letter_queues: dict[str, QueueRecord] = {}
        walked: list[QueueRecord] = []
        while visited < self._limits.queues_per_run and self._clock.monotonic() < deadline:
            page = min(self._limits.queue_page, self._limits.queues_per_run - visited)
            names = self._store.list_queue_names("", after, page)
            for name in names:
                record = self._store.get_queue(name)
                if record is not None:
                    target = self._tidy_queue(record, report)
                    if target is not None:
                        dead_letter_queues[target.queue.name] = target.queue
                    walked.append(record)
                after = name
                visited += 1
                self._store.save_cursor(CURSOR_NAME, after)
                if self._clock.monotonic() >= deadline:
                    break
            if len(names) < page:
                report.finished_walk = True
                self._store.save_cursor(CURSOR_NAME, None)
                self._store.save_cursor(WALK_FINISHED_NAME, str(self._clock.now_ms()))
                break
        # Measured after every move of the run. A queue counts as a dead-letter queue when a queue
        # walked in this run sends to it; such queues are measured even if the walk did not reach them.
        names = {record.name for record in walked}
        walked += [queue for name, queue in dead_letter_queues.items() if name not in names]
        report.queues = [
            self._measure(record, is_dead_letter_queue=record.name in dead_letter_queues) for record in walked
        ]

    def _tidy_queue(self, record: QueueRecord, report: HousekeepingReport) -> DeadLetterTarget | None:
        now_ms = self._clock.now_ms()
        retention_ms = self._retention_ms(record)
        target = self._dead_letter_target(record)
        if target is not None:
            outcome = self._store.move_messages(
                record,
                MessageMove(redrive=False, source_arn=target.source_arn, min_receive_count=target.max_receive_count),
                destination=lambda _source_arn: target.queue,
                now_ms=now_ms,
                retention_ms=retention_ms,
                limit=self._limits.dead_letter_moves_per_queue,
            )
            report.moved_to_dead_letter += outcome.moved
        report.expired += self._store.delete_expired_messages(
            record, now_ms=now_ms, retention_ms=retention_ms, limit=self._limits.expiries_per_queue
        )
        return target

    def _measure(self, record: QueueRecord, *, is_dead_letter_queue: bool) -> QueueMeasure:
        now_ms = self._clock.now_ms()
        retention_ms = self._retention_ms(record)
        counts = self._store.count_messages(record, now_ms=now_ms, retention_ms=retention_ms)
        oldest = self._store.oldest_message_sent_at(record, now_ms=now_ms, retention_ms=retention_ms)
        return QueueMeasure(
            name=record.name,
            visible=counts.visible,
            in_flight=counts.in_flight,
            delayed=counts.delayed,
            oldest_age_seconds=max(0, (now_ms - oldest) // 1000) if oldest is not None else 0,
            is_dead_letter_queue=is_dead_letter_queue,
        )
