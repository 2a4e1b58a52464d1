"""Server processes the harness starts, waits for, and always stops."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

STOP_GRACE_SECONDS = 10


class ServerProcess:
    """A child process in its own process group, with its output in a log file."""

    def __init__(self, argv: Sequence[str], *, log_path: Path, env: Mapping[str, str] | None = None) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        self.log_path = log_path
        self._process = subprocess.Popen(
            list(argv),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )

    def wait_until(self, ready: Callable[[], bool], timeout_seconds: float) -> bool:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            if ready():
                return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        if self._process.poll() is None:
            # The group, so that workers a server forks stop with it.
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(STOP_GRACE_SECONDS)
        self._log.close()

    def cpu_seconds(self) -> float:
        """CPU time used so far by every live process of the server's group, and by children it reaped."""
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # Fields after the command name, which is in parentheses and may hold spaces.
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process ended while being read
            if int(fields[2]) == self._process.pid:  # its process group
                total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        return total / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join([line.strip() for line in text.splitlines() if line.strip()][-lines:])
