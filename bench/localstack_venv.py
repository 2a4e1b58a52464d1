"""LocalStack's own virtual environment: it pins boto3 and a moto fork that clash with the project's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import BinaryIO

# LocalStack's runtime uses Python 3.12+ syntax; the project runs 3.11.
PYTHON_VERSION = "3.13.0"
REQUIREMENTS = ("localstack-core[runtime]", "cbor2<6", "service_identity")
INSTALL_TIMEOUT_SECONDS = 300
READY_MARKER = ".bench-ready"


class Unavailable(Exception):
    """LocalStack cannot be installed here; the run goes on without it."""


def localstack_python(cache_dir: Path) -> Path:
    """The venv's interpreter, creating the venv first if needed."""
    venv = cache_dir / "venvs" / "localstack"
    python = venv / "bin" / "python"
    if (venv / READY_MARKER).exists():
        return python
    log_path = cache_dir / "logs" / "localstack-install.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        try:
            _run(["python", "-m", "venv", "--clear", str(venv)], log, {"PYENV_VERSION": PYTHON_VERSION})
            _run([str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS], log, {})
        except (OSError, subprocess.SubprocessError) as error:
            raise Unavailable(f"could not install LocalStack ({error}); see {log_path}") from error
    (venv / READY_MARKER).touch()
    return python


def _run(argv: list[str], log: BinaryIO, env: dict[str, str]) -> None:
    subprocess.run(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
        check=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
    )
