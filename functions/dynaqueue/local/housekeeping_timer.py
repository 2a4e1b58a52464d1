"""Housekeeping inside `dynaqueue serve`: a background thread runs it every interval, as the schedule does on AWS."""

from __future__ import annotations

import threading
from collections.abc import Callable

from dynaqueue.domain.housekeeping import HousekeepingReport
from dynaqueue.observability import logger

# A local run stops starting new steps after this long, so a huge backlog never delays stopping the server.
RUN_BUDGET_MS = 5_000


class HousekeepingTimer:
    """Calls `run` every `interval_seconds` until stopped; a failing run is logged and retried next interval."""

    def __init__(self, run: Callable[[int], HousekeepingReport], *, interval_seconds: float) -> None:
        self._run = run
        self._interval = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="dynaqueue-housekeeping", daemon=True)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_seconds: float) -> None:
        """Stop after the run in progress, if any, waiting at most `timeout_seconds` for it."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout_seconds)

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._run(min(RUN_BUDGET_MS, int(self._interval * 1000) or RUN_BUDGET_MS))
            except Exception:
                logger.exception("housekeeping run failed; retrying next interval")
