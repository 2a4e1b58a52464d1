"""The request gate: a stopping server refuses new requests and waits, within a bound, for running ones."""

from __future__ import annotations

import threading

from dynaqueue.local.request_gate import RequestGate


def test_closing_an_idle_gate_returns_at_once_and_refuses_later_requests():
    gate = RequestGate()

    assert gate.close(timeout_seconds=5) == 0
    assert gate.enter() is False


def test_closing_waits_for_requests_in_flight_to_leave():
    gate = RequestGate()
    assert gate.enter()
    closing = threading.Event()
    result: list[int] = []

    def close() -> None:
        closing.set()
        result.append(gate.close(timeout_seconds=10))

    closer = threading.Thread(target=close)
    closer.start()
    assert closing.wait(5)
    gate.leave()
    closer.join(10)

    assert result == [0]
    assert gate.in_flight == 0


def test_closing_gives_up_after_the_bound_and_reports_what_is_still_running():
    gate = RequestGate()
    gate.enter()
    gate.enter()
    gate.leave()

    assert gate.close(timeout_seconds=0.05) == 1
