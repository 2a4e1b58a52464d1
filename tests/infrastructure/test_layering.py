"""The infrastructure code imports nothing from the runtime but its configuration names."""

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


def test_stacks_import_only_dynaqueue_config() -> None:
    sources = [ROOT / "app.py", *sorted((ROOT / "stacks").rglob("*.py"))]

    imported = {module for source in sources for module in runtime_imports(source)}

    assert imported <= {"dynaqueue.config"}
