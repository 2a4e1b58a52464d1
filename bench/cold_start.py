"""Cold start of the API handler from the bundled Lambda asset: import time and first-request time.

The asset is built by the project's own Docker-free bundler (stacks.bundling), for this machine's
platform and Python so it can run here (the deployed one targets arm64 and the Lambda runtime's Python;
the files are the same). Each sample is a fresh interpreter started in isolated mode, whose import path
holds only the asset and the AWS SDK distributions the Lambda runtime itself provides — the way the
runtime loads the function.
"""

from __future__ import annotations

import json
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Import names of the distributions in stacks.bundling.RUNTIME_PROVIDED (what the Lambda runtime ships).
_RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py")
SAMPLES = 7
SAMPLE_TIMEOUT_SECONDS = 60

# Runs inside the fresh interpreter: time the import of the handler module, then one request.
_PROBE = r"""
import json, os, sys, time
started = time.perf_counter()
from dynaqueue.handlers.api import lambda_handler
imported = time.perf_counter()

class Context:
    function_name = "cold-start"; function_version = "$LATEST"; memory_limit_in_mb = 512
    aws_request_id = "cold-1"; log_group_name = "/aws/lambda/cold-start"; log_stream_name = "probe"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:cold-start"
    def get_remaining_time_in_millis(self): return 30000

event = {
    "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
    "headers": {"content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.CreateQueue",
                "host": "localhost"},
    "requestContext": {"domainName": "localhost", "http": {"method": "POST", "path": "/"}, "requestId": "r-1"},
    "body": json.dumps({"QueueName": "cold"}), "isBase64Encoded": False,
}
result = lambda_handler(event, Context())
answered = time.perf_counter()
assert result["statusCode"] == 200, result
print(json.dumps({"import_ms": (imported - started) * 1000, "first_request_ms": (answered - imported) * 1000}))
"""


@dataclass(frozen=True, slots=True)
class ColdStart:
    """Medians over the samples, in milliseconds, and what they were measured on."""

    import_ms: float
    first_request_ms: float
    samples: int
    asset_megabytes: float
    python: str
    platform: str

    @property
    def total_ms(self) -> float:
        return self.import_ms + self.first_request_ms


def measure_cold_start(cache_dir: Path, *, samples: int = SAMPLES) -> ColdStart:
    asset = build_asset(cache_dir)
    runtime = _runtime_sdk(cache_dir)
    timings = [_sample(asset, runtime) for _ in range(samples)]
    return ColdStart(
        import_ms=statistics.median(timing["import_ms"] for timing in timings),
        first_request_ms=statistics.median(timing["first_request_ms"] for timing in timings),
        samples=samples,
        asset_megabytes=sum(path.stat().st_size for path in asset.rglob("*") if path.is_file()) / 1_000_000,
        python=platform.python_version(),
        platform=_wheel_platforms()[0],
    )


def build_asset(cache_dir: Path) -> Path:
    """The asset for this machine, rebuilt only when its sources or requirements change."""
    # Imported here: the CDK starts a Node runtime as it loads, which the other commands do not need.
    from stacks.bundling import LocalPythonBundling, asset_hash, runtime_requirements

    python_version = f"{sys.version_info.major}.{sys.version_info.minor}"
    requirements = runtime_requirements()
    platforms = _wheel_platforms()
    digest = asset_hash(requirements, python_version=python_version, platforms=platforms)[:16]
    asset = cache_dir / "cold-start" / f"asset-{digest}"
    if not asset.exists():
        draft = Path(tempfile.mkdtemp(prefix="asset-", dir=cache_dir))
        LocalPythonBundling(requirements, python_version=python_version, platforms=platforms).try_bundle(str(draft))
        asset.parent.mkdir(parents=True, exist_ok=True)
        draft.rename(asset)
    return asset


def _runtime_sdk(cache_dir: Path) -> Path:
    """A directory holding only the SDK distributions the Lambda runtime provides (links into this venv)."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    sdk = cache_dir / "cold-start" / "runtime-sdk"
    sdk.mkdir(parents=True, exist_ok=True)
    for name in _RUNTIME_MODULES:
        link = sdk / name
        if not link.exists():
            link.symlink_to(site_packages / name)
    return sdk


def _sample(asset: Path, runtime: Path) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="cold-start-data-"))
    environment = {
        "PYTHONPATH": f"{asset}:{runtime}",
        "DYNAQUEUE_STORE": "embedded",
        "DYNAQUEUE_DATA_DIR": str(data_dir),
        "POWERTOOLS_SERVICE_NAME": "dynaqueue",
        "POWERTOOLS_METRICS_NAMESPACE": "dynaqueue-bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "AWS_REGION": "us-east-1",
    }
    try:
        # -S: no site-packages of this machine; -E is not used because PYTHONPATH must apply.
        completed = subprocess.run(
            [sys.executable, "-S", "-c", _PROBE],
            env=environment,
            capture_output=True,
            text=True,
            timeout=SAMPLE_TIMEOUT_SECONDS,
            check=True,
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _wheel_platforms() -> list[str]:
    machine = platform.machine()
    return [f"manylinux2014_{machine}", f"manylinux_2_28_{machine}"]
