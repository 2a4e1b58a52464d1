"""Test-wide defaults: fake AWS credentials and quiet Powertools, so nothing can reach AWS."""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "dynaqueue",
        "POWERTOOLS_METRICS_NAMESPACE": "dynaqueue-tests",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
