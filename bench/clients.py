"""boto3 SQS clients pointed at a peer, one per thread."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"

# No retries: a retried receive whose first answer was lost would show up as a duplicate the
# server never made, and a retried call would hide a failure the delivery check should count.
CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,
    retries={"total_max_attempts": 1, "mode": "standard"},
    max_pool_connections=4,
)


def sqs_client(endpoint: str) -> Any:
    # boto3's default session is not thread-safe to create clients from; a session per client is.
    session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION)
    return session.client("sqs", endpoint_url=endpoint, config=CLIENT_CONFIG)
