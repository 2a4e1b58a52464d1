"""Celery over kombu's SQS transport: a task sent by a producer is run by a real worker process, through the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.client_environments import python_environment
from tests.e2e.conftest import ServerProcess, unique_queue_name

REPO_ROOT = Path(__file__).resolve().parents[2]
# Made once and reused across runs; gitignored.
CELERY_CLIENT_VENV = REPO_ROOT / ".venv-celery-client"
# kombu's SQS transport polls through pycurl (a binary wheel); every dependency pinned so the client never drifts.
CELERY_CLIENT_REQUIREMENTS = (
    "amqp==5.4.2",
    "billiard==4.3.2",
    "boto3==1.44.8",
    "botocore==1.44.8",
    "celery==5.7.0",
    "click==8.5.1",
    "click-didyoumean==0.3.1",
    "click-plugins==1.1.1.2",
    "click-repl==0.4.1",
    "jmespath==1.1.0",
    "kombu[sqs]==5.7.0",
    "prompt_toolkit==3.0.53",
    "pycurl==7.49.0",
    "python-dateutil==2.9.0.post0",
    "s3transfer==0.19.3",
    "six==1.17.0",
    "typing_extensions==4.16.0",
    "tzlocal==5.4.5",
    "urllib3==2.8.0",
    "vine==5.1.0",
    "wcwidth==0.9.4",
)
WORKER_APP = Path(__file__).with_name("celery_worker")
SEND_TIMEOUT_SECONDS = 60
RESULT_ATTEMPTS = 600
RESULT_PAUSE_SECONDS = 0.1
STOP_TIMEOUT_SECONDS = 30


@pytest.fixture(scope="session")
def celery_python() -> Path:
    return python_environment(CELERY_CLIENT_VENV, CELERY_CLIENT_REQUIREMENTS)


@pytest.fixture
def client_environment(server: ServerProcess, tmp_path: Path) -> dict[str, str]:
    """What the producer and the worker share: the broker, a queue of this test's own, where results go."""
    # Nothing that would point the client's interpreter at the project's own packages.
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    return {
        **inherited,
        "CLIENT_TEST_BROKER_URL": f"sqs://testing:testing@{urlsplit(server.endpoint_url).netloc}",
        "CLIENT_TEST_QUEUE": unique_queue_name("celery"),
        "CLIENT_TEST_RESULT_DIR": str(tmp_path),
    }


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path


@pytest.fixture
def worker(celery_python: Path, client_environment: dict[str, str], tmp_path: Path) -> Iterator[WorkerProcess]:
    """A `celery worker` process for the test's queue, stopped (warm shutdown) afterwards."""
    log_path = tmp_path / "worker.log"
    command = [
        str(celery_python.with_name("celery")),
        "-A",
        "tasks",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=WORKER_APP, env=client_environment, stdout=log, stderr=subprocess.STDOUT
        )
    yield WorkerProcess(process, log_path)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
        raise


def send_add(celery_python: Path, environment: dict[str, str]) -> str:
    completed = subprocess.run(
        [str(celery_python), "send_task.py"],
        cwd=WORKER_APP,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SEND_TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def wait_for_result(path: Path, worker: WorkerProcess, server: ServerProcess) -> int:
    for _ in range(RESULT_ATTEMPTS):
        if path.is_file():
            return json.loads(path.read_text())
        if worker.process.poll() is not None:
            break
        time.sleep(RESULT_PAUSE_SECONDS)
    logs = f"--- worker log ---\n{worker.log_path.read_text()}\n--- server log ---\n{server.output()}"
    raise AssertionError(f"no result\n{logs}")


def wait_until_empty(server: ServerProcess, queue_name: str) -> bool:
    """Whether the queue empties: the worker acknowledges, by deleting, asynchronously to running the task."""
    sqs = server.client()
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    for _ in range(RESULT_ATTEMPTS):
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        if set(counts.values()) == {"0"}:
            return True
        time.sleep(RESULT_PAUSE_SECONDS)
    return False


@pytest.mark.compatibility(
    client="Celery 5.7.0 / kombu 5.7.0 (SQS transport)",
    protocol="json",
    actions=["ListQueues", "CreateQueue", "GetQueueAttributes", "SendMessage", "ReceiveMessage", "DeleteMessage"],
)
def test_a_celery_worker_runs_a_task_sent_through_the_server(
    celery_python: Path, client_environment: dict[str, str], worker: WorkerProcess, server: ServerProcess
) -> None:
    task_id = send_add(celery_python, client_environment)

    result_path = Path(client_environment["CLIENT_TEST_RESULT_DIR"], f"{task_id}.json")
    assert wait_for_result(result_path, worker, server) == 5
    assert wait_until_empty(server, client_environment["CLIENT_TEST_QUEUE"]), "the task's message was not deleted"
