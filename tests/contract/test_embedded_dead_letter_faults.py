"""Dead-letter moves in the embedded store under an injected failure: one transaction, so all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dynaqueue.storage import embedded_fifo, embedded_messages
from dynaqueue.storage.embedded import EmbeddedStore
from tests.contract.builders import (
    RETENTION_MS,
    T0,
    VISIBILITY_TIMEOUT_MS,
    bodies,
    claim,
    claim_fifo,
    create_fifo_queue,
    create_queue,
    dead_letter_target,
    new_fifo_message,
    new_message,
    put,
    put_fifo,
)

AFTER_LEASE = T0 + VISIBILITY_TIMEOUT_MS


class Crash(Exception):
    """The process failed right after the message was written into the dead-letter queue."""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    embedded = EmbeddedStore(tmp_path / "store.db")
    yield embedded
    embedded.close()


def _failing_after(move: Callable[..., None]) -> Callable[..., None]:
    def move_then_fail(*args: Any, **kwargs: Any) -> None:
        move(*args, **kwargs)
        raise Crash()

    return move_then_fail


def test_a_failed_standard_move_leaves_the_message_in_the_source_only(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, dead = create_queue(store, "source"), create_queue(store, "source-dlq")
    target = dead_letter_target(dead, max_receive_count=1)
    put(store, source, new_message("poison"))
    claim(store, source, dead_letter=target)

    with monkeypatch.context() as patched:
        patched.setattr(embedded_messages, "move_to_dead_letter", _failing_after(embedded_messages.move_to_dead_letter))
        with pytest.raises(Crash):
            claim(store, source, now_ms=AFTER_LEASE, dead_letter=target)

    assert store.count_messages(dead, now_ms=AFTER_LEASE, retention_ms=RETENTION_MS).visible == 0
    assert store.count_messages(source, now_ms=AFTER_LEASE, retention_ms=RETENTION_MS).visible == 1
    assert claim(store, source, now_ms=AFTER_LEASE, dead_letter=target) == []
    assert bodies(claim(store, dead, now_ms=AFTER_LEASE)) == ["poison"]


def test_a_failed_fifo_move_leaves_the_message_in_the_source_only(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, dead = create_fifo_queue(store, "source.fifo"), create_fifo_queue(store, "source-dlq.fifo")
    target = dead_letter_target(dead, max_receive_count=1)
    put_fifo(store, source, new_fifo_message("poison"), new_fifo_message("next"))
    claim_fifo(store, source, max_count=1, dead_letter=target)

    with monkeypatch.context() as patched:
        patched.setattr(embedded_fifo, "move_to_dead_letter", _failing_after(embedded_fifo.move_to_dead_letter))
        with pytest.raises(Crash):
            claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=target)

    assert store.count_messages(dead, now_ms=AFTER_LEASE, retention_ms=RETENTION_MS).visible == 0
    assert store.count_messages(source, now_ms=AFTER_LEASE, retention_ms=RETENTION_MS).visible == 2
    assert bodies(claim_fifo(store, source, now_ms=AFTER_LEASE, dead_letter=target)) == ["next"]
    assert bodies(claim_fifo(store, dead, now_ms=AFTER_LEASE)) == ["poison"]
