"""The Celery app run as a worker by the client tests, over kombu's SQS transport to the server under test."""

from __future__ import annotations

import json
import os
from pathlib import Path

from celery import Celery

app = Celery("tasks")
app.conf.update(
    broker_url=os.environ["CLIENT_TEST_BROKER_URL"],
    broker_transport_options={
        "region": "us-east-1",
        "is_secure": False,
        "visibility_timeout": 60,
        "wait_time_seconds": 1,
        "polling_interval": 0.5,
    },
    # Each test gets its own queue, so tests sharing a server do not take each other's tasks.
    task_default_queue=os.environ["CLIENT_TEST_QUEUE"],
    # Remote control needs a broadcast queue, which SQS does not have.
    worker_enable_remote_control=False,
)


@app.task(name="add")
def add(x: int, y: int) -> int:
    """Adds, and writes the sum where the test reads it, as there is no result backend."""
    total = x + y
    Path(os.environ["CLIENT_TEST_RESULT_DIR"], f"{add.request.id}.json").write_text(json.dumps(total))
    return total
