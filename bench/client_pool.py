"""The client processes of one scenario: started, released together, stopped, and always reaped."""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Iterator
from types import TracebackType

from bench.client_process import (
    CLIENT_SETUP_SECONDS,
    STRAGGLER_SECONDS,
    Assignment,
    Delivered,
    Finished,
    Ready,
    SetupFailed,
    run_client,
)
from bench.scenarios import Scenario

# Two processes, each with half the producers and half the consumers. boto3 spends ~2 ms of CPU per call
# under one process's GIL, so one process caps the client at one CPU; two let it use both CPUs of the
# 2-CPU machine the report is measured on, and the server (one process) takes what the clients leave.
# More would add no CPU there, only more interpreters to start and more runnable processes contending
# with the server for the same two CPUs (4 measured no better than 2). Each process gets the same mix,
# not producers in one and consumers in the other: a consumer makes two calls per message (receive,
# delete) to a producer's one, so a split by role leaves the consumer process GIL-bound (also measured
# no better).
CLIENT_PROCESSES = 2
# Not fork: boto3 and the parent's threads do not survive a fork safely.
_CONTEXT = multiprocessing.get_context("spawn")
# How often a waiting parent looks whether a process died instead of reporting.
_POLL_SECONDS = 0.2
# After the stragglers' wait: time for a process to send its final report and exit.
_REPORT_GRACE_SECONDS = 5
_JOIN_SECONDS = 5


class ClientSetupError(RuntimeError):
    """A client process could not build its clients, died, or was not ready in time."""


def assignments(endpoint: str, queue_url: str, scenario: Scenario, ids: list[str]) -> list[Assignment]:
    """The scenario's producers and consumers dealt round-robin over the processes; each producer sends
    every n-th id, as when they were threads of one process."""
    processes = max(1, min(CLIENT_PROCESSES, max(scenario.producers, scenario.consumers)))
    producer_ids = [ids[index :: scenario.producers] for index in range(scenario.producers)]
    return [
        Assignment(
            index=index,
            endpoint=endpoint,
            queue_url=queue_url,
            scenario=scenario,
            producer_ids=producer_ids[index::processes],
            consumers=len(range(index, scenario.consumers, processes)),
        )
        for index in range(processes)
    ]


class ClientPool:
    """Use as a context manager: leaving it stops, drains and reaps every process, whatever happened."""

    def __init__(self, shares: list[Assignment]) -> None:
        self._reports = _CONTEXT.Queue()
        self._go = _CONTEXT.Event()
        self._stop = _CONTEXT.Event()
        # Daemon processes are also terminated if the parent itself exits without reaping them.
        self._processes = {
            share.index: _CONTEXT.Process(
                target=run_client,
                args=(share, self._reports, self._go, self._stop),
                name=f"bench-client-{share.index}",
                daemon=True,
            )
            for share in shares
        }
        self.finished: dict[int, Finished] = {}
        self.unreported = 0
        self._reaped = False

    def __enter__(self) -> ClientPool:
        try:
            for process in self._processes.values():
                process.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self._reaped:
            for _ in self.finish():
                pass

    def start_when_ready(self) -> float:
        """Wait until every process has built its clients, then release them all; the start time."""
        ready: set[int] = set()
        deadline = time.monotonic() + CLIENT_SETUP_SECONDS
        while len(ready) < len(self._processes):
            report = self._next(deadline)
            if isinstance(report, Ready):
                ready.add(report.index)
            elif isinstance(report, SetupFailed):
                raise ClientSetupError(f"client process {report.index} could not start: {report.reason}")
            elif report is None:
                dead = [process for process in self._processes.values() if _ended(process)]
                if dead:
                    raise ClientSetupError(f"{dead[0].name} exited with code {dead[0].exitcode} before it was ready")
                if time.monotonic() >= deadline:
                    raise ClientSetupError(f"client processes not ready within {CLIENT_SETUP_SECONDS} s")
        started = time.monotonic()
        self._go.set()
        return started

    def deliveries(self, until: float) -> Iterator[Delivered]:
        """Deliveries as the processes report them, until `until` (time.monotonic()) or all have ended."""
        while time.monotonic() < until:
            all_ended = all(_ended(process) for process in self._processes.values())
            report = self._next(until)
            if report is None and all_ended:
                return
            if isinstance(report, Delivered):
                yield report
            elif isinstance(report, Finished):
                self.finished[report.index] = report

    def finish(self) -> Iterator[Delivered]:
        """Stop every process, yield the deliveries still on their way, collect each final report, and reap."""
        self._stop.set()
        # Also `go`: a process still waiting for the start then stops at once.
        self._go.set()
        bound = time.monotonic() + STRAGGLER_SECONDS + _REPORT_GRACE_SECONDS
        while len(self.finished) < len(self._processes) and time.monotonic() < bound:
            # Checked before reading: a process that has exited has flushed all it sent into the queue.
            silent_ended = all(
                _ended(process) for index, process in self._processes.items() if index not in self.finished
            )
            report = self._next(bound)
            if report is None and silent_ended:
                break
            if isinstance(report, Delivered):
                yield report
            elif isinstance(report, Finished):
                self.finished[report.index] = report
        self.unreported = len(self._processes) - len(self.finished)
        self._reap()

    def _next(self, deadline: float) -> object | None:
        timeout = min(_POLL_SECONDS, max(0.0, deadline - time.monotonic()))
        try:
            return self._reports.get(timeout=timeout)
        except queue.Empty:
            return None

    def _reap(self) -> None:
        self._reaped = True
        join_deadline = time.monotonic() + _JOIN_SECONDS
        started = [process for process in self._processes.values() if process.pid is not None]
        for process in started:
            process.join(timeout=max(0.0, join_deadline - time.monotonic()))
        for process in started:
            if process.is_alive():
                # Still blocked (e.g. writing a report nobody reads any more): it has had its time.
                process.terminate()
                process.join(timeout=_JOIN_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        self._reports.close()


def _ended(process: multiprocessing.process.BaseProcess) -> bool:
    return process.pid is None or process.exitcode is not None
