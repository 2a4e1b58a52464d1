"""Clients that live apart from the project: virtual environments and node_modules built once, then reused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

VENV_TIMEOUT_SECONDS = 60
INSTALL_TIMEOUT_SECONDS = 300
COMPLETION_MARKER = ".installed"


def python_environment(directory: Path, requirements: Sequence[str]) -> Path:
    """The interpreter of a virtual environment holding exactly `requirements`, created when missing or stale."""
    python = directory / "bin" / "python"
    stamp = directory / COMPLETION_MARKER
    wanted = "\n".join(requirements)
    if stamp.is_file() and stamp.read_text() == wanted and python.exists():
        return python
    shutil.rmtree(directory, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True, timeout=VENV_TIMEOUT_SECONDS)
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*install, *requirements], check=True, timeout=INSTALL_TIMEOUT_SECONDS)
    # Written last, so an interrupted creation is redone rather than reused.
    stamp.write_text(wanted)
    return python


def node_modules(package_directory: Path) -> Path:
    """`npm ci` into the package's node_modules from its lock file, redone when the lock file is newer."""
    modules = package_directory / "node_modules"
    stamp = modules / COMPLETION_MARKER
    lock = package_directory / "package-lock.json"
    if stamp.is_file() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return modules
    npm = shutil.which("npm")
    assert npm, "npm is needed for the Node client tests"
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=package_directory, check=True, timeout=INSTALL_TIMEOUT_SECONDS
    )
    stamp.touch()
    return modules
