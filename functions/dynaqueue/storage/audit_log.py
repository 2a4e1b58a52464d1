"""Where audit events go: standard output (in Lambda, the log group) or a local JSON-lines file."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol


class AuditLog(Protocol):
    def write(self, event: Mapping[str, Any]) -> None: ...


class StreamAuditLog:
    """One line per event on standard output."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def write(self, event: Mapping[str, Any]) -> None:
        line = _line(event)
        with self._lock:
            sys.stdout.write(line)
            sys.stdout.flush()


class FileAuditLog:
    """Events appended to a JSON-lines file (owner-only), each in one write so processes never interleave."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, event: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, _line(event).encode())
        finally:
            os.close(descriptor)


def _line(event: Mapping[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), default=str) + "\n"
