"""Docker-free Lambda asset: the dynaqueue package plus its runtime dependencies, built for the Lambda platform."""

from __future__ import annotations

import glob
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE_DIR = ROOT / "functions" / "dynaqueue"

# Local mode and the console script run on a developer's machine, never in Lambda.
UNDEPLOYED_SUBPACKAGES = frozenset({"local", "cli"})
# Every Lambda Python runtime ships the AWS SDK and these dependencies of it. Our own copies would add
# ~30 MB (botocore alone is most of it) to every upload and cold-start download. PynamoDB and the X-Ray SDK
# depend on botocore, so everything is installed normally and these distributions are deleted afterwards.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"})


def runtime_requirements() -> list[str]:
    """The `[project] dependencies` of pyproject.toml that the asset must carry itself."""
    with PYPROJECT.open("rb") as pyproject:
        dependencies = tomllib.load(pyproject)["project"]["dependencies"]
    return [line for line in dependencies if canonicalize_name(requirement_name(line)) not in RUNTIME_PROVIDED]


def requirement_name(requirement: str) -> str:
    """The distribution name a PEP 508 requirement line starts with."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return match.group()


def canonicalize_name(name: str) -> str:
    """The PEP 503 normalized form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lambda_code(*, python_version: str, platforms: Sequence[str]) -> lambda_.Code:
    """The asset for a function running `python_version` on a Linux platform with these wheel tags."""
    requirements = runtime_requirements()
    return lambda_.Code.from_asset(
        str(PACKAGE_DIR),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=asset_hash(requirements, python_version=python_version, platforms=platforms),
        bundling=cdk.BundlingOptions(
            # Required by the API but never pulled: the local bundler either builds the asset or raises.
            image=cdk.DockerImage.from_registry("scratch"),
            local=LocalPythonBundling(requirements, python_version=python_version, platforms=platforms),
        ),
    )


def asset_hash(requirements: Sequence[str], *, python_version: str, platforms: Sequence[str]) -> str:
    """A hash of everything the asset is built from, so a dependency bump alone also redeploys."""
    digest = hashlib.sha256()
    for part in (python_version, *platforms, *sorted(requirements), *sorted(RUNTIME_PROVIDED)):
        digest.update(part.encode() + b"\0")
    for path in deployed_sources():
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def deployed_sources() -> list[Path]:
    """The package files that go into the asset, in a stable order."""
    return sorted(
        path for path in PACKAGE_DIR.rglob("*") if path.is_file() and not _ignored(path.relative_to(PACKAGE_DIR).parts)
    )


def _ignored(parts: Sequence[str]) -> bool:
    return parts[0] in UNDEPLOYED_SUBPACKAGES or "__pycache__" in parts or parts[-1].endswith(".pyc")


@jsii.implements(cdk.ILocalBundling)
class LocalPythonBundling:
    """Installs wheels for the Lambda platform with pip, copies the package, precompiles bytecode."""

    def __init__(self, requirements: Sequence[str], *, python_version: str, platforms: Sequence[str]) -> None:
        self._requirements = list(requirements)
        self._python_version = python_version
        self._platforms = list(platforms)

    def try_bundle(self, output_dir: str, *, image: Any = None, **_options: Any) -> bool:
        target = Path(output_dir)
        self._install_dependencies(target)
        remove_distributions(target, RUNTIME_PROVIDED)
        # Console scripts (jmespath's jp.py) name the build interpreter in their shebang: useless in Lambda.
        shutil.rmtree(target / "bin", ignore_errors=True)
        shutil.copytree(PACKAGE_DIR, target / PACKAGE_DIR.name, ignore=_copy_filter)
        self._precompile(target)
        return True

    def _install_dependencies(self, target: Path) -> None:
        platform_options = [option for platform in self._platforms for option in ("--platform", platform)]
        subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--target", str(target), *platform_options, "--implementation", "cp",
                "--python-version", self._python_version, "--only-binary=:all:",
                # pip would compile with the build interpreter, whose bytecode the runtime cannot use.
                "--no-compile",
                *self._requirements,
            ],
            check=True,
        )  # fmt: skip

    def _precompile(self, target: Path) -> None:
        """Ship bytecode: /var/task is read-only, so without it every cold start recompiles (~0.8 s)."""
        interpreter = find_interpreter(self._python_version)
        if interpreter is None:
            print(
                f"no Python {self._python_version} interpreter found: the asset ships without bytecode",
                file=sys.stderr,
            )
            return
        # unchecked-hash: the zip resets file times, which would invalidate timestamp-checked bytecode.
        subprocess.run(
            [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(target)],
            check=True,
        )


def remove_distributions(target: Path, names: Iterable[str]) -> None:
    """Delete the installed files (package and metadata) of the named distributions from `target`."""
    unwanted = {canonicalize_name(name) for name in names}
    for distribution in importlib.metadata.distributions(path=[str(target)]):
        if canonicalize_name(distribution.metadata["Name"]) not in unwanted:
            continue
        for file in distribution.files or ():
            path = Path(distribution.locate_file(file)).resolve()
            if path.is_relative_to(target.resolve()):
                path.unlink(missing_ok=True)
    _remove_empty_directories(target)


def _remove_empty_directories(target: Path) -> None:
    for directory in sorted((path for path in target.rglob("*") if path.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def _copy_filter(directory: str, names: list[str]) -> set[str]:
    relative = Path(directory).relative_to(PACKAGE_DIR).parts
    return {name for name in names if _ignored((*relative, name))}


def find_interpreter(version: str) -> str | None:
    """A working `python<version>` on PATH or under pyenv, or None."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [
        shutil.which(f"python{version}"),
        *sorted(glob.glob(str(pyenv_root / "versions" / f"{version}.*" / "bin" / f"python{version}"))),
    ]
    wanted = tuple(int(part) for part in version.split("."))
    for candidate in filter(None, candidates):
        # pyenv shims exist for every installed version but fail unless that version is active.
        probe = subprocess.run(
            [candidate, "-c", f"import sys; sys.exit(sys.version_info[:2] != {wanted})"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return candidate
    return None
