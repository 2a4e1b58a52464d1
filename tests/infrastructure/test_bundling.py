"""The Docker-free Lambda asset: what goes in, what stays out, and that the handler imports from it."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.bundling import (
    PACKAGE_DIR,
    RUNTIME_PROVIDED,
    LocalPythonBundling,
    asset_hash,
    canonicalize_name,
    deployed_sources,
    find_interpreter,
    runtime_requirements,
)
from stacks.constructs.service_function import ServiceFunction

PYTHON_VERSION = ServiceFunction.RUNTIME.name.removeprefix("python")
# Import names of the distributions the Lambda runtime provides.
RUNTIME_PROVIDED_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six")
# The asset is ~25 MB unzipped, 15 MB of it cryptography's compiled core (AES-GCM for encryption at rest);
# botocore alone would add ~30 MB more.
MAX_ASSET_BYTES = 32 * 1024 * 1024


def test_requirements_come_from_pyproject_without_the_aws_sdk() -> None:
    names = {canonicalize_name(line.split("==")[0]) for line in runtime_requirements()}

    assert {"pynamodb", "aws-lambda-powertools"} <= names
    assert not names & RUNTIME_PROVIDED


def test_local_mode_and_cli_are_not_deployed() -> None:
    top_levels = {path.relative_to(PACKAGE_DIR).parts[0] for path in deployed_sources()}

    assert "handlers" in top_levels
    assert not top_levels & {"local", "cli"}
    assert not [path for path in deployed_sources() if path.suffix == ".pyc"]


def test_asset_hash_changes_with_a_dependency_pin() -> None:
    platforms = ServiceFunction.WHEEL_PLATFORMS

    current = asset_hash(["pynamodb==6.1.0"], python_version=PYTHON_VERSION, platforms=platforms)
    bumped = asset_hash(["pynamodb==6.1.1"], python_version=PYTHON_VERSION, platforms=platforms)

    assert current != bumped


@pytest.fixture(scope="module")
def asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("asset")
    bundler = LocalPythonBundling(
        runtime_requirements(), python_version=PYTHON_VERSION, platforms=ServiceFunction.WHEEL_PLATFORMS
    )
    assert bundler.try_bundle(str(output))
    return output


@pytest.mark.slow
def test_asset_holds_the_package_and_its_dependencies_but_not_the_aws_sdk(asset: Path) -> None:
    top_levels = {path.name for path in asset.iterdir()}
    installed = {
        canonicalize_name(dist.metadata["Name"]) for dist in importlib.metadata.distributions(path=[str(asset)])
    }

    assert {"dynaqueue", "pynamodb", "aws_lambda_powertools"} <= top_levels
    assert not top_levels & {*RUNTIME_PROVIDED_MODULES, "six.py", "bin"}
    assert not installed & RUNTIME_PROVIDED
    assert not (asset / "dynaqueue" / "local").exists()
    assert not (asset / "dynaqueue" / "cli").exists()
    assert sum(path.stat().st_size for path in asset.rglob("*") if path.is_file()) < MAX_ASSET_BYTES


@pytest.mark.slow
def test_asset_bytecode_is_for_the_lambda_python_only(asset: Path) -> None:
    if find_interpreter(PYTHON_VERSION) is None:
        pytest.skip(f"no Python {PYTHON_VERSION} here: the bundler ships the asset without bytecode")
    tag = f"cpython-{PYTHON_VERSION.replace('.', '')}"
    compiled = list(asset.rglob("*.pyc"))

    assert (asset / "dynaqueue" / "handlers" / "__pycache__" / f"api.{tag}.pyc").exists()
    assert all(tag in path.name for path in compiled)


@pytest.fixture(scope="module")
def runnable_asset(asset: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The asset as this machine can run it, with the interpreter to run it: the Lambda asset itself on arm64,
    else the same bundle built for this machine's architecture (compiled wheels such as cryptography's cannot
    load across architectures)."""
    interpreter = find_interpreter(PYTHON_VERSION)
    if platform.machine() in ("aarch64", "arm64") and interpreter is not None:
        return asset, interpreter
    version = PYTHON_VERSION if interpreter is not None else f"{sys.version_info.major}.{sys.version_info.minor}"
    machine = platform.machine()
    output = tmp_path_factory.mktemp("host-asset")
    bundler = LocalPythonBundling(
        runtime_requirements(),
        python_version=version,
        platforms=[f"manylinux2014_{machine}", f"manylinux_2_28_{machine}"],
    )
    assert bundler.try_bundle(str(output))
    return output, interpreter or sys.executable


# Runs in the clean interpreter: import the handler, then serve one CreateQueue on the embedded store.
FIRST_REQUEST = """
import json, sys
import dynaqueue.handlers.api as api
class Context:
    function_name = "bundle-test"; function_version = "$LATEST"; memory_limit_in_mb = 256
    aws_request_id = "r-1"; log_group_name = "/aws/lambda/bundle-test"; log_stream_name = "s"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bundle-test"
    def get_remaining_time_in_millis(self): return 30000
event = {
    "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
    "headers": {"content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.CreateQueue", "host": "h"},
    "requestContext": {"domainName": "h", "http": {"method": "POST", "path": "/"}, "requestId": "r-1"},
    "body": json.dumps({"QueueName": "bundled"}), "isBase64Encoded": False,
}
result = api.lambda_handler(event, Context())
print(json.dumps({"file": api.__file__, "status": result["statusCode"], "body": result["body"]}))
"""


@pytest.mark.slow
def test_handler_imports_and_serves_from_the_asset_and_the_runtime_sdk_alone(
    runnable_asset: tuple[Path, str], tmp_path: Path
) -> None:
    bundle, interpreter = runnable_asset
    # Stand in for the Lambda runtime's own SDK directory with this environment's copies (pure Python).
    runtime_sdk = tmp_path / "runtime"
    runtime_sdk.mkdir()
    for module in RUNTIME_PROVIDED_MODULES:
        (runtime_sdk / Path(module_path(module)).name).symlink_to(module_path(module))
    script = f"import sys; sys.path[:0] = [{str(bundle)!r}, {str(runtime_sdk)!r}]\n{FIRST_REQUEST}"
    environment = {
        "DYNAQUEUE_STORE": "embedded",
        "DYNAQUEUE_DATA_DIR": str(tmp_path / "data"),
        "POWERTOOLS_METRICS_NAMESPACE": "bundle-test",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }

    # -S: no site-packages; -B: leave the asset unchanged. (-I would also drop the environment it reads.)
    result = subprocess.run(
        [interpreter, "-S", "-B", "-c", script], capture_output=True, text=True, check=False, env=environment
    )

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["file"].startswith(str(bundle))
    assert answer["status"] == 200 and "bundled" in answer["body"]


def module_path(module: str) -> str:
    """Where this environment's copy of a runtime-provided module lives (package directory or file)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    origin = Path(spec.origin)
    return str(origin.parent if origin.name == "__init__.py" else origin)
