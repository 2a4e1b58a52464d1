"""`dynaqueue serve` started as a real subprocess on a free port, and boto3 SQS clients pointed at it."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

READY_ATTEMPTS = 300
READY_PAUSE_SECONDS = 0.1
READY_CALL_TIMEOUT_SECONDS = 5
STOP_TIMEOUT_SECONDS = 20
KILL_TIMEOUT_SECONDS = 5


@dataclass
class ServerProcess:
    """One running `dynaqueue serve`; its output goes to `log_path`."""

    process: subprocess.Popen[bytes]
    store: str
    endpoint_url: str
    data_dir: Path
    log_path: Path

    def client(self, **config: Any) -> Any:
        """A boto3 SQS client for this server: fake credentials, one attempt, room for 20 s long polls."""
        settings = {"retries": {"max_attempts": 1}, "read_timeout": 30, **config}
        return boto3.client(
            "sqs",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(**settings),
        )

    def thread_count(self) -> int:
        """Threads of the server process (Linux): one per open connection, plus a few of its own."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))

    def connection_count(self) -> int:
        """Established TCP connections to the server's port (Linux), whether or not it has accepted them yet."""
        port = f":{int(self.endpoint_url.rsplit(':', 1)[1]):04X}"
        rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
        return sum(1 for row in rows if row[1].endswith(port) and row[3] == "01")

    def stop(self, signal_number: int = signal.SIGINT) -> int:
        """Signal the server and wait for it to exit (killed if it does not); returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal_number)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=KILL_TIMEOUT_SECONDS)
            raise

    def output(self) -> str:
        return self.log_path.read_text()


def start_server(store: str, data_dir: Path, *options: str) -> ServerProcess:
    """Start `dynaqueue serve` (with extra `options`) and wait, a bounded number of times, until it answers.

    With `--auth` the unsigned readiness call is answered 403, which is answer enough.
    """
    port = _free_port()
    log_path = data_dir.parent / f"server-{port}.log"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    environment = {name: value for name, value in os.environ.items() if not name.startswith("DYNAQUEUE_")}
    command = [sys.executable, "-m", "dynaqueue.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--store", store, *options], stdout=log, stderr=subprocess.STDOUT, env=environment
        )
    scheme = "https" if "--tls-cert" in options else "http"
    server = ServerProcess(process, store, f"{scheme}://127.0.0.1:{port}", data_dir, log_path)
    try:
        _wait_until_answering(server, ready_status=403 if "--auth" in options else 200)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_answering(server: ServerProcess, ready_status: int = 200) -> None:
    for _ in range(READY_ATTEMPTS):
        if server.process.poll() is not None:
            raise RuntimeError(f"dynaqueue serve exited with {server.process.returncode}:\n{server.output()}")
        if _answers(server, ready_status):
            return
        time.sleep(READY_PAUSE_SECONDS)
    raise RuntimeError(f"dynaqueue serve did not answer:\n{server.output()}")


def _answers(server: ServerProcess, ready_status: int = 200) -> bool:
    """One ListQueues on a connection closed right after, so it leaves nothing open on the server."""
    address = urlsplit(server.endpoint_url)
    connection: http.client.HTTPConnection
    if address.scheme == "https":
        # Readiness only: the tests themselves verify the server's certificate.
        connection = http.client.HTTPSConnection(
            address.netloc, timeout=READY_CALL_TIMEOUT_SECONDS, context=ssl._create_unverified_context()
        )
    else:
        connection = http.client.HTTPConnection(address.netloc, timeout=READY_CALL_TIMEOUT_SECONDS)
    headers = {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}
    try:
        connection.request("POST", "/", body=b"{}", headers={**headers, "Connection": "close"})
        return connection.getresponse().status == ready_status
    except OSError:
        return False
    finally:
        connection.close()


def unique_queue_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module", params=["embedded", "moto"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server per store for a test module; tests keep apart by using their own queues."""
    running = start_server(request.param, tmp_path_factory.mktemp(request.param) / "data")
    yield running
    running.stop()


@pytest.fixture
def sqs(server: ServerProcess) -> Any:
    return server.client()
