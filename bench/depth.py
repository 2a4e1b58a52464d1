"""Scaling check of the embedded store: receive and delete latency as the queue backlog grows."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from bench.clients import sqs_client
from bench.latency import LatencyRecorder, Summary
from bench.peers import running_peer

QUEUE_NAME = "bench-depth"
BODY_BYTES = 1024
PRELOAD_CHUNK = 5000
# Each sample claims and deletes one message, so the depth changes by at most this much.
QUICK_SAMPLES = 50
FULL_SAMPLES = 300
SAMPLE_TIME_LIMIT_SECONDS = 60


@dataclass(frozen=True)
class DepthResult:
    depth: int
    preload_seconds: float
    receive: Summary
    delete: Summary
    received: int


def depths(*, quick: bool) -> list[int]:
    return [1_000, 10_000, 100_000] if quick else [1_000, 10_000, 100_000, 1_000_000]


def measure_depth(depth: int, cache_dir: Path, *, samples: int) -> DepthResult:
    data_dir = cache_dir / "data" / f"depth-{depth}"
    shutil.rmtree(data_dir, ignore_errors=True)
    preload_seconds = _preload(data_dir, depth)
    with running_peer("dynaqueue", cache_dir, data_dir=data_dir) as peer:
        client = sqs_client(peer.endpoint)
        queue_url = client.get_queue_url(QueueName=QUEUE_NAME)["QueueUrl"]
        recorder = LatencyRecorder()
        deadline = time.monotonic() + SAMPLE_TIME_LIMIT_SECONDS
        received = 0
        for _ in range(samples):
            if time.monotonic() > deadline:
                break
            began = time.perf_counter()
            messages = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", [])
            recorder.record("receive", time.perf_counter() - began)
            for message in messages:
                began = time.perf_counter()
                client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                recorder.record("delete", time.perf_counter() - began)
                received += 1
    summaries = recorder.summaries()
    empty = Summary(0, 0.0, 0.0, 0.0)
    shutil.rmtree(data_dir, ignore_errors=True)
    return DepthResult(
        depth, preload_seconds, summaries.get("receive", empty), summaries.get("delete", empty), received
    )


def _preload(data_dir: Path, depth: int) -> float:
    """Writes the backlog through the store API in large transactions, before the server opens the file."""
    # Imported here: only this check reaches into the server's own modules.
    from dynaqueue import wiring
    from dynaqueue.config import Settings
    from dynaqueue.domain.clock import SystemClock
    from dynaqueue.domain.model import SendRequest
    from dynaqueue.domain.sending import prepare_message

    began = time.perf_counter()
    settings = Settings(store="embedded", data_dir=str(data_dir))
    store = wiring.embedded_store(settings)
    try:
        service = wiring.build_service(settings, store, wiring.stored_receipt_secret(data_dir))
        service.create_queue(QUEUE_NAME, {}, {})
        record = store.get_queue(QUEUE_NAME)
        clock = SystemClock()
        body = "x" * BODY_BYTES
        for start in range(0, depth, PRELOAD_CHUNK):
            now_ms = clock.now_ms()
            count = min(PRELOAD_CHUNK, depth - start)
            prepared = [
                prepare_message(record, SendRequest(body=body), now_ms, in_batch=True, sender_id=settings.account_id)
                for _ in range(count)
            ]
            store.put_messages(record, [message for message, _ in prepared])
    finally:
        store.close()
    return time.perf_counter() - began
