"""One client process of a scenario: its share of the producer and consumer threads, and what it reports.

The parent starts several of these (bench/client_pool.py) so that boto3's CPU cost, about 2 ms per call
and bound by one process's GIL, can spread over more than one CPU. Each thread has its own boto3 client.
Every process sends, in order: Ready (or SetupFailed), Delivered as its consumers delete messages, and one
Finished with its sent ids, errors and raw latency samples once the parent has said stop.
"""

from __future__ import annotations

import contextlib
import random
import string
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

from bench.clients import sqs_client
from bench.latency import LatencyRecorder
from bench.scenarios import FIFO_GROUPS, WAIT_TIME_SECONDS, Scenario

# Spawning a process, importing boto3 and building its clients; the parent waits this long for Ready.
CLIENT_SETUP_SECONDS = 60
# After stop, calls still in flight get this long before their threads are abandoned (and reported).
STRAGGLER_SECONDS = 10
# How much later than the parent's own bounds a process gives up on a go or stop that never came
# (the parent died): it then stops by itself, so that no process outlives the run.
ORPHAN_GRACE_SECONDS = 10
# Random letters and digits, made once per process: a repeated byte would let a peer that compresses look
# faster than it would be with real payloads. Seeded, so every run, process and peer gets the same bodies.
_FILLER = "".join(random.Random(20261125).choices(string.ascii_letters + string.digits, k=1024 * 1024))


class Event(Protocol):
    def is_set(self) -> bool: ...
    def set(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...


class Reports(Protocol):
    def put(self, report: object) -> None: ...


@dataclass(frozen=True)
class Assignment:
    """One process's share of a scenario."""

    index: int
    endpoint: str
    queue_url: str
    scenario: Scenario
    producer_ids: list[list[str]]  # the message ids each of its producer threads sends
    consumers: int


@dataclass(frozen=True)
class Ready:
    index: int


@dataclass(frozen=True)
class SetupFailed:
    index: int
    reason: str


@dataclass(frozen=True)
class Delivered:
    message_ids: list[str]
    # time.monotonic() when the delete returned: the parent compares it with the deadline and its start.
    at: float


@dataclass(frozen=True)
class Finished:
    index: int
    sent: list[str]
    errors: dict[str, int]
    latency_ms: dict[str, list[float]]
    stragglers: int


class _Outcome:
    """What this process's threads did, shared between them."""

    def __init__(self, reports: Reports) -> None:
        self._lock = threading.Lock()
        self._reports = reports
        self.recorder = LatencyRecorder()
        self._errors: Counter[str] = Counter()
        self._sent: set[str] = set()

    def accepted(self, message_ids: list[str]) -> None:
        with self._lock:
            self._sent.update(message_ids)

    def delivered(self, message_ids: list[str]) -> None:
        # Sent at once, not at the end: the parent stops the scenario when every id has arrived.
        self._reports.put(Delivered(message_ids, time.monotonic()))

    def error(self, reason: str) -> None:
        with self._lock:
            self._errors[reason] += 1

    def finished(self, index: int, stragglers: int) -> Finished:
        with self._lock:
            sent, errors = sorted(self._sent), dict(self._errors)
        return Finished(index, sent, errors, self.recorder.samples(), stragglers)


def run_client(assignment: Assignment, reports: Reports, go: Event, stop: Event) -> None:
    """The target of a spawned process. The parent sets `go` when all processes are ready (the clock starts
    then), and `stop` when every message has arrived or the deadline passed (or, with `go`, to abandon)."""
    scenario = assignment.scenario
    try:
        # Clients are built before the clock starts: building one costs more than a call.
        producer_clients = [sqs_client(assignment.endpoint) for _ in assignment.producer_ids]
        consumer_clients = [sqs_client(assignment.endpoint) for _ in range(assignment.consumers)]
        _warm_up(assignment)
    except Exception as error:
        reports.put(SetupFailed(assignment.index, _reason(error)))
        return
    outcome = _Outcome(reports)
    begin = threading.Event()
    threads = [
        threading.Thread(target=_produce, args=(client, ids, assignment, outcome, begin, stop), daemon=True)
        for client, ids in zip(producer_clients, assignment.producer_ids, strict=True)
    ] + [
        threading.Thread(target=_consume, args=(client, assignment, outcome, begin, stop), daemon=True)
        for client in consumer_clients
    ]
    for thread in threads:
        thread.start()
    reports.put(Ready(assignment.index))
    if not go.wait(CLIENT_SETUP_SECONDS + ORPHAN_GRACE_SECONDS):
        stop.set()
    begin.set()
    if not stop.wait(scenario.deadline_seconds + ORPHAN_GRACE_SECONDS):
        stop.set()
    join_deadline = time.monotonic() + STRAGGLER_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, join_deadline - time.monotonic()))
    # Daemon threads still in a call are abandoned when the process exits.
    stragglers = sum(thread.is_alive() for thread in threads)
    reports.put(outcome.finished(assignment.index, stragglers))


def _warm_up(assignment: Assignment) -> None:
    """One call from a throwaway client, before the clock starts. botocore imports and prepares parts of
    itself on a process's first request; the one process of the former harness had long done that (creating
    the queue) before any scenario's clock started, and a new process would otherwise do it on the clock.
    The measured clients stay unconnected, as before: their first call still opens their connection."""
    client = sqs_client(assignment.endpoint)
    # An error answer warms the same code; whether the peer answers well is for the measured calls to show.
    with contextlib.suppress(Exception):
        client.get_queue_attributes(QueueUrl=assignment.queue_url, AttributeNames=["VisibilityTimeout"])


def _body(message_id: str, size: int) -> str:
    """The id, then filler that compresses about as well as mixed text (to ~75%), not to nothing."""
    prefix = message_id + ":"
    return prefix + _FILLER[: max(0, size - len(prefix))]


def _send_fields(message_id: str, scenario: Scenario) -> dict[str, str]:
    fields = {"MessageBody": _body(message_id, scenario.body_bytes)}
    if scenario.fifo:
        # Many groups so that consumers are not serialised behind one group's in-flight message.
        fields["MessageGroupId"] = f"g{int(message_id[1:]) % FIFO_GROUPS}"
        fields["MessageDeduplicationId"] = message_id
    return fields


def _produce(
    client: Any, ids: list[str], assignment: Assignment, outcome: _Outcome, begin: threading.Event, stop: Event
) -> None:
    begin.wait()
    scenario, queue_url = assignment.scenario, assignment.queue_url
    size = scenario.batch_size
    for start in range(0, len(ids), size):
        if stop.is_set():
            # Past the deadline: what is left stays "not sent", as the report says.
            return
        chunk = ids[start : start + size]
        began = time.perf_counter()
        try:
            if scenario.batched:
                entries = [{"Id": message_id, **_send_fields(message_id, scenario)} for message_id in chunk]
                response = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
                outcome.recorder.record("send_batch", time.perf_counter() - began)
                accepted = [entry["Id"] for entry in response.get("Successful", [])]
                for failure in response.get("Failed", []):
                    outcome.error(f"send_batch entry failed: {failure.get('Code')}")
            else:
                client.send_message(QueueUrl=queue_url, **_send_fields(chunk[0], scenario))
                outcome.recorder.record("send", time.perf_counter() - began)
                accepted = chunk
        except Exception as error:
            outcome.error(_reason(error))
            continue
        outcome.accepted(accepted)


def _consume(client: Any, assignment: Assignment, outcome: _Outcome, begin: threading.Event, stop: Event) -> None:
    begin.wait()
    scenario, queue_url = assignment.scenario, assignment.queue_url
    maximum = scenario.batch_size if scenario.batched else 1
    while not stop.is_set():
        began = time.perf_counter()
        try:
            response = client.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=maximum, WaitTimeSeconds=WAIT_TIME_SECONDS
            )
        except Exception as error:
            outcome.error(_reason(error))
            continue
        messages = response.get("Messages", [])
        if not messages:
            # An empty long poll measures the wait, not the server; only deliveries are timed.
            continue
        outcome.recorder.record("receive", time.perf_counter() - began)
        _delete(client, queue_url, messages, scenario, outcome)
        outcome.delivered([message["Body"].split(":", 1)[0] for message in messages])


def _delete(client: Any, queue_url: str, messages: list[dict[str, Any]], scenario: Scenario, outcome: _Outcome) -> None:
    began = time.perf_counter()
    try:
        if scenario.batched:
            entries = [{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)]
            response = client.delete_message_batch(QueueUrl=queue_url, Entries=entries)
            outcome.recorder.record("delete_batch", time.perf_counter() - began)
            for failure in response.get("Failed", []):
                outcome.error(f"delete_batch entry failed: {failure.get('Code')}")
            return
        for message in messages:
            began = time.perf_counter()
            client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            outcome.recorder.record("delete", time.perf_counter() - began)
    except Exception as error:
        outcome.error(_reason(error))


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:160]
