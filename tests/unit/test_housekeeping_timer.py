"""The timer that runs housekeeping inside `dynaqueue serve`."""

from __future__ import annotations

import threading

from dynaqueue.domain.housekeeping import HousekeepingReport
from dynaqueue.local.housekeeping_timer import HousekeepingTimer

WAIT_SECONDS = 10


def test_runs_repeat_a_failing_run_does_not_stop_them_and_stop_ends_them() -> None:
    budgets: list[int] = []
    third_run = threading.Event()

    def run(budget_ms: int) -> HousekeepingReport:
        budgets.append(budget_ms)
        if len(budgets) == 1:
            raise ConnectionError("store unavailable")
        if len(budgets) >= 3:
            third_run.set()
        return HousekeepingReport()

    timer = HousekeepingTimer(run, interval_seconds=0.01)
    timer.start()
    assert third_run.wait(WAIT_SECONDS)
    timer.stop(WAIT_SECONDS)

    assert not timer.running
    # A run's budget never exceeds the interval, so runs do not pile up behind each other.
    assert set(budgets) == {10}
