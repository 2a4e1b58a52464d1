"""A boto3 client wrapper that lets one API call through at a time."""

from __future__ import annotations

import threading
from typing import Any


class SerializedClient:
    """Forwards everything to `client`, holding one lock around each API call.

    moto's in-process DynamoDB checks a condition and applies the write without a lock, so two
    threads can both win one conditional claim and receive the same message. One call at a
    time gives back DynamoDB's per-item atomicity; waits between calls are not held up.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call
