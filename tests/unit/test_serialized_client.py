"""The serialized client: one API call at a time, everything else passed through untouched."""

from __future__ import annotations

import threading

from dynaqueue.local.serialized_client import SerializedClient

CALLERS = 8
CALLS_EACH = 50


class CountingClient:
    """Records how many calls overlap; `meta` stands for the non-callable attributes of a boto3 client."""

    meta = object()

    def __init__(self) -> None:
        self.running = 0
        self.most_at_once = 0
        self._count = threading.Lock()

    def put_item(self, **item: str) -> dict[str, str]:
        with self._count:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        threading.Event().wait(0.0005)
        with self._count:
            self.running -= 1
        return item


def test_calls_from_many_threads_never_overlap():
    client = CountingClient()
    serialized = SerializedClient(client)

    def call_repeatedly() -> None:
        for _ in range(CALLS_EACH):
            serialized.put_item(key="k")

    threads = [threading.Thread(target=call_repeatedly) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert client.most_at_once == 1


def test_results_and_plain_attributes_pass_through():
    client = CountingClient()
    serialized = SerializedClient(client)

    assert serialized.put_item(key="k") == {"key": "k"}
    assert serialized.meta is client.meta
