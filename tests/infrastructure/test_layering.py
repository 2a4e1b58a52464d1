"""The infrastructure code imports nothing from the runtime but its configuration and metric names."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def runtime_imports(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return {module for module in modules if module.split(".")[0] == "dynaqueue"}


def test_stacks_import_only_dynaqueue_config_and_the_metric_names() -> None:
    sources = [ROOT / "app.py", *sorted((ROOT / "stacks").rglob("*.py"))]

    imported = {module for source in sources for module in runtime_imports(source)}

    # The alarms watch metrics by the names the functions publish them under; metric_names.py
    # holds those names and imports only the standard library.
    assert imported <= {"dynaqueue.config", "dynaqueue.metric_names"}
