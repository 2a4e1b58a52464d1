"""The servers compared: each started on a free loopback port and stopped by the harness."""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.clients import sqs_client
from bench.localstack_venv import Unavailable, localstack_python
from bench.loopback_cert import ensure_loopback_pem
from bench.ports import LOOPBACK, accepts_connections, free_port
from bench.processes import ServerProcess

START_TIMEOUT_SECONDS = 60
PEERS = ("dynaqueue", "dynaqueue-moto", "moto", "localstack")
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class RunningPeer:
    name: str
    endpoint: str
    # CPU seconds the peer's server processes have used so far.
    cpu_seconds: Callable[[], float]


@contextmanager
def running_peer(name: str, cache_dir: Path, *, data_dir: Path | None = None) -> Iterator[RunningPeer]:
    """Start the peer, yield its endpoint once it answers, stop it on exit; raises Unavailable."""
    port = free_port()
    argv, env, ready = _launch(name, port, cache_dir, data_dir)
    process = ServerProcess(argv, log_path=cache_dir / "logs" / f"{name}.log", env=env)
    try:
        if not process.wait_until(ready, START_TIMEOUT_SECONDS):
            raise Unavailable(
                f"{name} did not start within {START_TIMEOUT_SECONDS} s: {process.log_tail(1)} "
                f"(log: {process.log_path})"
            )
        yield RunningPeer(name, f"http://{LOOPBACK}:{port}", process.cpu_seconds)
    finally:
        process.stop()


def _launch(
    name: str, port: int, cache_dir: Path, data_dir: Path | None
) -> tuple[list[str], dict[str, str], Callable[[], bool]]:
    endpoint = f"http://{LOOPBACK}:{port}"
    if name in ("dynaqueue", "dynaqueue-moto"):
        store = "moto" if name == "dynaqueue-moto" else "embedded"
        directory = data_dir or cache_dir / "data" / name
        argv = [str(VENV_BIN / "dynaqueue"), "serve", "--port", str(port), "--data-dir", str(directory)]
        return [*argv, "--store", store], {}, lambda: _answers_sqs(endpoint, port)
    if name == "moto":
        argv = [str(VENV_BIN / "moto_server"), "-H", LOOPBACK, "-p", str(port)]
        return argv, {}, lambda: _answers_sqs(endpoint, port)
    if name == "localstack":
        python = localstack_python(cache_dir)
        return (
            [str(python), "-m", "localstack.runtime.main"],
            _localstack_env(port, cache_dir),
            (lambda: _localstack_sqs_running(endpoint, port)),
        )
    raise ValueError(f"unknown peer {name!r}; choose from {', '.join(PEERS)}")


def _answers_sqs(endpoint: str, port: int) -> bool:
    if not accepts_connections(port):
        return False
    try:
        sqs_client(endpoint).list_queues()
        return True
    except Exception:
        return False


def _localstack_env(port: int, cache_dir: Path) -> dict[str, str]:
    data = cache_dir / "data" / "localstack"
    return {
        # The default gateway binds every interface whatever it is told; hypercorn honours 127.0.0.1.
        "GATEWAY_SERVER": "hypercorn",
        "GATEWAY_LISTEN": f"{LOOPBACK}:{port}",
        "LOCALSTACK_HOST": f"{LOOPBACK}:{port}",
        "SERVICES": "sqs",
        "DNS_ADDRESS": "0",
        "PERSISTENCE": "0",
        "DISABLE_EVENTS": "1",
        # Queue URLs on the loopback address rather than a host name that does not resolve offline.
        "SQS_ENDPOINT_STRATEGY": "path",
        "LOCALSTACK_VOLUME_DIR": str(data / "volume"),
        "FILESYSTEM_ROOT": str(data / "filesystem"),
        # Its own certificate generator calls a pyOpenSSL API that current releases removed.
        "CUSTOM_SSL_CERT_PATH": str(ensure_loopback_pem(cache_dir / "loopback.pem")),
        "SKIP_SSL_CERT_DOWNLOAD": "1",
    }


def _localstack_sqs_running(endpoint: str, port: int) -> bool:
    if not accepts_connections(port):
        return False
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2) as response:
            services = json.load(response).get("services", {})
    except (OSError, ValueError):
        return False
    return services.get("sqs") in ("running", "available") and _answers_sqs(endpoint, port)
