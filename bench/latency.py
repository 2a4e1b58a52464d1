"""Thread-safe latency samples per operation, summarised as percentiles."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


class LatencyRecorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._samples: dict[str, list[float]] = defaultdict(list)

    def record(self, operation: str, seconds: float) -> None:
        with self._lock:
            self._samples[operation].append(seconds * 1000.0)

    def samples(self) -> dict[str, list[float]]:
        """A copy of the raw samples (ms), so another process can merge them before percentiles are taken."""
        with self._lock:
            return {operation: list(samples) for operation, samples in self._samples.items()}

    def merge(self, samples_ms: dict[str, list[float]]) -> None:
        with self._lock:
            for operation, samples in samples_ms.items():
                self._samples[operation].extend(samples)

    def summaries(self) -> dict[str, Summary]:
        with self._lock:
            return {operation: summarise(samples) for operation, samples in sorted(self._samples.items())}


def summarise(samples_ms: list[float]) -> Summary:
    ordered = sorted(samples_ms)
    return Summary(
        count=len(ordered),
        p50_ms=percentile(ordered, 50),
        p95_ms=percentile(ordered, 95),
        p99_ms=percentile(ordered, 99),
    )


def percentile(ordered: list[float], rank: float) -> float:
    """Nearest-rank percentile of an already sorted list; 0 for no samples."""
    if not ordered:
        return 0.0
    index = max(0, min(len(ordered) - 1, round(rank / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
