"""Message-move tasks as stored: one active task per source queue, listed newest first, saved by revision."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from dynaqueue.domain.model import MoveTask, MoveTaskStatus
from dynaqueue.domain.ports import QueueStore
from tests.contract.builders import T0, create_queue, move_task, serialize_moto_requests

JOIN_SECONDS = 30.0


def _saved(store: QueueStore, task: MoveTask, **changes: object) -> MoveTask:
    """`task` with `changes`, saved over the revision it was read at."""
    changed = dataclasses.replace(task, revision=task.revision + 1, **changes)  # type: ignore[arg-type]
    assert store.save_move_task(changed)
    return changed


def test_a_started_task_reads_back_whole(store: QueueStore) -> None:
    queue = create_queue(store, "dlq")
    task = dataclasses.replace(
        move_task(queue),
        destination_arn="arn:aws:sqs:us-east-1:000000000000:target",
        max_per_second=7,
        messages_to_move=42,
    )

    assert store.start_move_task(task)

    assert store.get_move_task(queue.queue_id, task.task_id) == task
    assert store.get_move_task(queue.queue_id, "no-such-task") is None
    assert store.get_move_task("no-such-queue", task.task_id) is None


def test_a_queue_has_one_active_task_at_a_time(store: QueueStore) -> None:
    queue, other = create_queue(store, "dlq"), create_queue(store, "other-dlq")
    running = move_task(queue)
    assert store.start_move_task(running)

    second = move_task(queue, started_at_ms=T0 + 1)
    assert not store.start_move_task(second)
    assert store.get_move_task(queue.queue_id, second.task_id) is None
    assert store.start_move_task(move_task(other))

    cancelling = _saved(store, running, status=MoveTaskStatus.CANCELLING)
    assert not store.start_move_task(second)

    _saved(store, cancelling, status=MoveTaskStatus.CANCELLED)
    assert store.start_move_task(second)


@pytest.mark.parametrize("status", [MoveTaskStatus.COMPLETED, MoveTaskStatus.FAILED])
def test_a_finished_task_frees_its_queue(store: QueueStore, status: MoveTaskStatus) -> None:
    queue = create_queue(store, "dlq")
    first = move_task(queue)
    assert store.start_move_task(first)

    _saved(store, first, status=status, messages_moved=10, failure_reason="reason")

    assert store.start_move_task(move_task(queue, started_at_ms=T0 + 1))


def test_of_concurrent_starts_for_one_queue_exactly_one_wins(
    store: QueueStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    serialize_moto_requests(monkeypatch)
    queue = create_queue(store, "dlq")
    tasks = [move_task(queue) for _ in range(8)]
    start = threading.Barrier(len(tasks))
    started: list[MoveTask] = []

    def start_task(task: MoveTask) -> None:
        start.wait(JOIN_SECONDS)
        if store.start_move_task(task):
            started.append(task)

    threads = [threading.Thread(target=start_task, args=(task,), daemon=True) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)

    assert not any(thread.is_alive() for thread in threads)
    assert len(started) == 1
    assert store.list_move_tasks(queue.queue_id, 10) == started


def test_tasks_are_listed_newest_first_up_to_the_limit(store: QueueStore) -> None:
    queue, other = create_queue(store, "dlq"), create_queue(store, "other-dlq")
    listed = []
    for index, task_id in enumerate(["b", "a", "d", "c"]):
        # Two tasks start in the same millisecond; the greater task id counts as newer.
        task = move_task(queue, task_id=task_id, started_at_ms=T0 + min(index, 2) * 1_000)
        assert store.start_move_task(task)
        listed.append(_saved(store, task, status=MoveTaskStatus.COMPLETED))
    assert store.start_move_task(move_task(other))

    assert [task.task_id for task in store.list_move_tasks(queue.queue_id, 10)] == ["d", "c", "a", "b"]
    assert store.list_move_tasks(queue.queue_id, 2) == [listed[2], listed[3]]
    assert store.list_move_tasks(queue.queue_id, 1) == [listed[2]]
    assert store.list_move_tasks("no-such-queue", 10) == []


def test_active_tasks_are_found_across_queues(store: QueueStore) -> None:
    queues = [create_queue(store, f"dlq-{index}") for index in range(4)]
    running = [move_task(queue) for queue in queues]
    for task in running:
        assert store.start_move_task(task)
    _saved(store, running[0], status=MoveTaskStatus.COMPLETED)
    cancelling = _saved(store, running[1], status=MoveTaskStatus.CANCELLING)

    active = store.active_move_tasks(10)

    assert sorted(active, key=lambda task: task.task_id) == sorted(
        [cancelling, running[2], running[3]], key=lambda task: task.task_id
    )
    limited = store.active_move_tasks(2)
    assert len(limited) == 2
    assert all(task in active for task in limited)


def test_a_save_applies_only_over_the_revision_it_was_read_at(store: QueueStore) -> None:
    queue = create_queue(store, "dlq")
    task = move_task(queue)
    assert store.start_move_task(task)
    progressed = _saved(store, task, messages_moved=3, progressed_at_ms=T0 + 1_000)

    stale = dataclasses.replace(task, revision=task.revision + 1, status=MoveTaskStatus.CANCELLING)
    assert not store.save_move_task(stale)
    skipping = dataclasses.replace(progressed, revision=progressed.revision + 2, messages_moved=9)
    assert not store.save_move_task(skipping)
    assert not store.save_move_task(dataclasses.replace(move_task(queue), revision=1))

    assert store.get_move_task(queue.queue_id, task.task_id) == progressed


def test_of_concurrent_saves_over_one_revision_exactly_one_applies(
    store: QueueStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    serialize_moto_requests(monkeypatch)
    queue = create_queue(store, "dlq")
    task = move_task(queue)
    assert store.start_move_task(task)
    rivals = [dataclasses.replace(task, revision=1, messages_moved=index) for index in range(8)]
    start = threading.Barrier(len(rivals))
    applied: list[MoveTask] = []

    def save(rival: MoveTask) -> None:
        start.wait(JOIN_SECONDS)
        if store.save_move_task(rival):
            applied.append(rival)

    threads = [threading.Thread(target=save, args=(rival,), daemon=True) for rival in rivals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)

    assert not any(thread.is_alive() for thread in threads)
    assert len(applied) == 1
    assert store.get_move_task(queue.queue_id, task.task_id) == applied[0]


def test_deleting_a_queues_tasks_forgets_them_and_frees_the_queue(store: QueueStore) -> None:
    queue, other = create_queue(store, "dlq"), create_queue(store, "other-dlq")
    finished, running = move_task(queue), move_task(queue, started_at_ms=T0 + 1)
    assert store.start_move_task(finished)
    _saved(store, finished, status=MoveTaskStatus.COMPLETED)
    assert store.start_move_task(running)
    kept = move_task(other)
    assert store.start_move_task(kept)

    store.delete_move_tasks(queue.queue_id)

    assert store.list_move_tasks(queue.queue_id, 10) == []
    assert store.get_move_task(queue.queue_id, running.task_id) is None
    assert store.active_move_tasks(10) == [kept]
    assert store.start_move_task(move_task(queue, started_at_ms=T0 + 2))
    store.delete_move_tasks("no-such-queue")
