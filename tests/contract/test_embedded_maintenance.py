"""Housekeeping in the embedded store: moves all-or-nothing per call, reclaim counted exactly, wake-ups."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dynaqueue.domain.model import MessageMove, MoveTaskStatus, PurgeOutcome
from dynaqueue.storage import embedded_moves
from dynaqueue.storage.embedded import EmbeddedStore
from tests.contract.builders import (
    RETENTION_MS,
    T0,
    bodies,
    claim,
    claim_fifo,
    create_fifo_queue,
    create_queue,
    ids,
    move_messages,
    move_task,
    new_fifo_message,
    new_message,
    put,
    put_fifo,
    to_queue,
)

REDRIVE = MessageMove(redrive=True, source_arn="arn:aws:sqs:us-east-1:000000000000:dlq")


class Crash(Exception):
    """The process failed after some messages of a move were written to their destination."""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    embedded = EmbeddedStore(tmp_path / "store.db", sweep_in_background=False)
    yield embedded
    embedded.close()


def _failing_on_call(number: int, move: Callable[..., None]) -> Callable[..., None]:
    calls = []

    def move_then_fail(*args: Any, **kwargs: Any) -> None:
        move(*args, **kwargs)
        calls.append(None)
        if len(calls) == number:
            raise Crash()

    return move_then_fail


def _rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_a_failed_standard_move_leaves_every_message_in_the_source(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead, target = create_queue(store, "dlq"), create_queue(store, "target")
    sent = put(store, dead, *(new_message(f"m{index}") for index in range(3)))

    with monkeypatch.context() as patched:
        patched.setattr(embedded_moves._Mover, "_move", _failing_on_call(2, embedded_moves._Mover._move))
        with pytest.raises(Crash):
            move_messages(store, dead, REDRIVE, to_queue(target))

    assert claim(store, target) == []
    assert move_messages(store, dead, REDRIVE, to_queue(target)).moved == 3
    assert ids(claim(store, target)) == ids(sent)


def test_a_failed_fifo_move_leaves_the_groups_as_they_were(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead, target = create_fifo_queue(store, "dlq.fifo"), create_fifo_queue(store, "target.fifo")
    put_fifo(store, dead, new_fifo_message("first"), new_fifo_message("second"), new_fifo_message("third"))

    with monkeypatch.context() as patched:
        patched.setattr(embedded_moves._Mover, "_move", _failing_on_call(2, embedded_moves._Mover._move))
        with pytest.raises(Crash):
            move_messages(store, dead, REDRIVE, to_queue(target))

    assert claim_fifo(store, target) == []
    assert bodies(claim_fifo(store, dead, max_count=1)) == ["first"]


def test_reclaim_counts_every_abandoned_row_and_empties_the_file_of_them(store: EmbeddedStore, tmp_path: Path) -> None:
    purged, deleted, live = create_queue(store, "purged"), create_queue(store, "deleted"), create_queue(store, "live")
    put(store, purged, *(new_message() for _ in range(12)))
    put(store, deleted, *(new_message() for _ in range(12)))
    kept = put(store, live, new_message("kept"))
    assert store.purge_queue("purged", now_ms=T0, min_interval_ms=60_000) is PurgeOutcome.PURGED
    assert store.delete_queue("deleted", now_ms=T0)
    assert _rows(tmp_path / "store.db", "messages") == 25

    reclaimed = [store.reclaim_abandoned_messages(limit=5) for _ in range(6)]

    assert reclaimed == [5, 5, 5, 5, 4, 0]
    assert _rows(tmp_path / "store.db", "messages") == 1
    assert _rows(tmp_path / "store.db", "abandoned_generations") == 0
    assert ids(claim(store, live)) == ids(kept)


def test_reclaim_counts_fifo_bookkeeping_rows_too(store: EmbeddedStore, tmp_path: Path) -> None:
    queue = create_fifo_queue(store)
    put_fifo(store, queue, new_fifo_message(group_id="a"), new_fifo_message(group_id="b"))
    assert store.delete_queue(queue.name, now_ms=T0)

    # Two messages, their two groups and their two deduplication records.
    assert store.reclaim_abandoned_messages(limit=100) == 6
    assert store.reclaim_abandoned_messages(limit=100) == 0
    for table in ("messages", "fifo_groups", "fifo_deduplication"):
        assert _rows(tmp_path / "store.db", table) == 0


def test_a_move_wakes_the_long_polls_of_its_destination(store: EmbeddedStore) -> None:
    dead, target = create_queue(store, "dlq"), create_queue(store, "target")
    put(store, dead, new_message())
    token = store.availability_token(target)

    assert move_messages(store, dead, REDRIVE, to_queue(target)).moved == 1

    assert store.availability_token(target) != token


def test_deleting_an_expired_fifo_head_wakes_the_long_polls_of_its_queue(store: EmbeddedStore) -> None:
    queue = create_fifo_queue(store)
    put_fifo(store, queue, new_fifo_message("old"))
    claim_fifo(store, queue, visibility_timeout_ms=RETENTION_MS * 2)
    put_fifo(store, queue, new_fifo_message("next", sent_at_ms=T0 + RETENTION_MS), now_ms=T0 + RETENTION_MS)
    token = store.availability_token(queue)

    assert store.delete_expired_messages(queue, now_ms=T0 + RETENTION_MS + 1, retention_ms=RETENTION_MS, limit=10) == 1

    assert store.availability_token(queue) != token


def test_a_finished_task_cannot_be_made_active_beside_another_active_one(store: EmbeddedStore) -> None:
    queue = create_queue(store, "dlq")
    finished = move_task(queue)
    assert store.start_move_task(finished)
    completed = dataclasses.replace(finished, status=MoveTaskStatus.COMPLETED, revision=1)
    assert store.save_move_task(completed)
    assert store.start_move_task(move_task(queue, started_at_ms=T0 + 1))

    assert not store.save_move_task(dataclasses.replace(completed, status=MoveTaskStatus.RUNNING, revision=2))

    assert store.get_move_task(queue.queue_id, finished.task_id) == completed
