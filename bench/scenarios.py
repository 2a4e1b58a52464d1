"""The fixed workload matrix: the same scenarios, in the same order, for every peer."""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
# SQS's classic 256 KiB batch limit, which every peer enforces; large bodies get smaller batches.
CLASSIC_BATCH_BYTES = 256 * KIB
MAX_BATCH_ENTRIES = 10
FIFO_GROUPS = 64
PRODUCERS = 4
CONSUMERS = 4
# Long polling, as a real consumer runs it; the floor the brief sets.
WAIT_TIME_SECONDS = 1


@dataclass(frozen=True)
class Scenario:
    name: str
    fifo: bool
    batched: bool
    body_bytes: int
    messages: int
    deadline_seconds: float
    producers: int = PRODUCERS
    consumers: int = CONSUMERS

    @property
    def batch_size(self) -> int:
        if not self.batched:
            return 1
        # Leaves room for the id prefix and attributes inside the batch byte limit.
        return max(1, min(MAX_BATCH_ENTRIES, CLASSIC_BATCH_BYTES // (self.body_bytes + 256)))


def scenarios(*, quick: bool) -> list[Scenario]:
    sizes = [KIB] if quick else [KIB, 64 * KIB]
    single, batched = (80, 300) if quick else (1000, 5000)
    deadline = 12.0 if quick else 120.0
    matrix = []
    for body_bytes in sizes:
        label = f"{body_bytes // KIB}KB"
        for fifo in (False, True):
            kind = "fifo" if fifo else "standard"
            matrix.append(Scenario(f"{kind}-single-{label}", fifo, False, body_bytes, single, deadline))
            matrix.append(Scenario(f"{kind}-batch-{label}", fifo, True, body_bytes, batched, deadline))
    return matrix
