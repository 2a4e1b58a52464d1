"""One scenario against one peer: producers send, long-polling consumers receive and delete, delivery checked."""

from __future__ import annotations

import contextlib
import random
import string
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.clients import sqs_client
from bench.latency import LatencyRecorder, Summary
from bench.scenarios import FIFO_GROUPS, WAIT_TIME_SECONDS, Scenario

# Longer than any quick or full run, so a message is only seen twice if a peer redelivers early.
VISIBILITY_TIMEOUT_SECONDS = 300
# After the deadline, calls still in flight get this long before their threads are abandoned.
STRAGGLER_SECONDS = 10
CLIENT_SETUP_SECONDS = 60
# Random letters and digits, made once: a repeated byte would let a peer that compresses look faster
# than it would be with real payloads. Seeded, so every run and every peer gets the same bodies.
_FILLER = "".join(random.Random(20261125).choices(string.ascii_letters + string.digits, k=1024 * 1024))


@dataclass
class ScenarioResult:
    scenario: str
    peer: str
    sent: int = 0
    unsent: int = 0
    delivered: int = 0
    lost: int = 0
    duplicates: int = 0
    errors: int = 0
    error_reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    messages_per_second: float = 0.0
    latency: dict[str, Summary] = field(default_factory=dict)
    note: str = ""


class _Tally:
    """What the consumers saw, shared between their threads."""

    def __init__(self, expected: int) -> None:
        self._lock = threading.Lock()
        self.seen: Counter[str] = Counter()
        self.expected = expected
        self.errors: Counter[str] = Counter()
        self.last_delivery = 0.0
        self.all_delivered = threading.Event()
        # Deliveries after the deadline are not counted: they would stretch the measured interval.
        self.closed = False

    def close(self) -> None:
        with self._lock:
            self.closed = True

    def delivered(self, message_ids: list[str]) -> None:
        with self._lock:
            if self.closed:
                return
            self.seen.update(message_ids)
            self.last_delivery = time.perf_counter()
            if len(self.seen) >= self.expected:
                self.all_delivered.set()

    def error(self, reason: str) -> None:
        with self._lock:
            self.errors[reason] += 1


def run_scenario(endpoint: str, peer: str, scenario: Scenario) -> ScenarioResult:
    admin = sqs_client(endpoint)
    queue_url = _create_queue(admin, scenario)
    ids = [f"m{index:07d}" for index in range(scenario.messages)]
    recorder = LatencyRecorder()
    tally = _Tally(len(ids))
    stop = threading.Event()
    sent: set[str] = set()
    # Clients are built before the clock starts: building one costs more than a call.
    ready = threading.Barrier(scenario.consumers + scenario.producers + 1, timeout=CLIENT_SETUP_SECONDS)
    consumers = [
        threading.Thread(
            target=_consume, args=(endpoint, queue_url, scenario, recorder, tally, stop, ready), daemon=True
        )
        for _ in range(scenario.consumers)
    ]
    producers = [
        threading.Thread(
            target=_produce,
            args=(endpoint, queue_url, scenario, ids[index :: scenario.producers], recorder, tally, sent, ready),
            daemon=True,
        )
        for index in range(scenario.producers)
    ]
    for thread in consumers + producers:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    finished = tally.all_delivered.wait(scenario.deadline_seconds)
    tally.close()
    stop.set()
    join_deadline = time.monotonic() + STRAGGLER_SECONDS
    for thread in producers + consumers:
        thread.join(timeout=max(0.0, join_deadline - time.monotonic()))
    stragglers = sum(thread.is_alive() for thread in producers + consumers)
    elapsed = (tally.last_delivery or time.perf_counter()) - started
    note = "" if finished else f"deadline of {scenario.deadline_seconds:.0f} s reached"
    if stragglers:
        note += f"; {stragglers} threads still waiting on a call"
    _delete_queue(admin, queue_url)
    unique = len(tally.seen)
    return ScenarioResult(
        scenario=scenario.name,
        peer=peer,
        sent=len(sent),
        unsent=len(ids) - len(sent),
        delivered=unique,
        lost=len(sent - tally.seen.keys()),
        duplicates=sum(tally.seen.values()) - unique,
        errors=sum(tally.errors.values()),
        error_reasons=dict(tally.errors.most_common(3)),
        seconds=elapsed,
        messages_per_second=unique / elapsed if elapsed > 0 else 0.0,
        latency=recorder.summaries(),
        note=note,
    )


def _create_queue(client: Any, scenario: Scenario) -> str:
    name = f"bench-{scenario.name}-{uuid.uuid4().hex[:8]}"
    attributes = {"VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS)}
    if scenario.fifo:
        name += ".fifo"
        attributes["FifoQueue"] = "true"
    return client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def _delete_queue(client: Any, queue_url: str) -> None:
    # A peer that cannot delete a queue still has its numbers reported.
    with contextlib.suppress(Exception):
        client.delete_queue(QueueUrl=queue_url)


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
    endpoint: str,
    queue_url: str,
    scenario: Scenario,
    ids: list[str],
    recorder: LatencyRecorder,
    tally: _Tally,
    sent: set[str],
    ready: threading.Barrier,
) -> None:
    client = sqs_client(endpoint)
    ready.wait()
    size = scenario.batch_size
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        began = time.perf_counter()
        try:
            if scenario.batched:
                entries = [{"Id": message_id, **_send_fields(message_id, scenario)} for message_id in chunk]
                response = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
                recorder.record("send_batch", time.perf_counter() - began)
                accepted = [entry["Id"] for entry in response.get("Successful", [])]
                for failure in response.get("Failed", []):
                    tally.error(f"send_batch entry failed: {failure.get('Code')}")
            else:
                client.send_message(QueueUrl=queue_url, **_send_fields(chunk[0], scenario))
                recorder.record("send", time.perf_counter() - began)
                accepted = chunk
        except Exception as error:
            tally.error(_reason(error))
            continue
        # set.update is atomic under the GIL, so producers share the set without a lock.
        sent.update(accepted)


def _consume(
    endpoint: str,
    queue_url: str,
    scenario: Scenario,
    recorder: LatencyRecorder,
    tally: _Tally,
    stop: threading.Event,
    ready: threading.Barrier,
) -> None:
    client = sqs_client(endpoint)
    ready.wait()
    maximum = scenario.batch_size if scenario.batched else 1
    while not stop.is_set():
        began = time.perf_counter()
        try:
            response = client.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=maximum, WaitTimeSeconds=WAIT_TIME_SECONDS
            )
        except Exception as error:
            tally.error(_reason(error))
            continue
        messages = response.get("Messages", [])
        if not messages:
            # An empty long poll measures the wait, not the server; only deliveries are timed.
            continue
        recorder.record("receive", time.perf_counter() - began)
        _delete(client, queue_url, messages, scenario, recorder, tally)
        tally.delivered([message["Body"].split(":", 1)[0] for message in messages])


def _delete(
    client: Any,
    queue_url: str,
    messages: list[dict[str, Any]],
    scenario: Scenario,
    recorder: LatencyRecorder,
    tally: _Tally,
) -> None:
    began = time.perf_counter()
    try:
        if scenario.batched:
            entries = [{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)]
            response = client.delete_message_batch(QueueUrl=queue_url, Entries=entries)
            recorder.record("delete_batch", time.perf_counter() - began)
            for failure in response.get("Failed", []):
                tally.error(f"delete_batch entry failed: {failure.get('Code')}")
            return
        for message in messages:
            began = time.perf_counter()
            client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            recorder.record("delete", time.perf_counter() - began)
    except Exception as error:
        tally.error(_reason(error))


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:160]
