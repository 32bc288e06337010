"""The apps depend one way: performance → trading → strategies → accounts → jutsu (docs/ARCHITECTURE.md).

A module may import its own app, apps to its right, and ``strategies.engine`` (which imports nothing of ours).
Ports (``strategies/bars.py``, ``trading/equity.py``) let an app use what an app to its left provides.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["performance", "trading", "strategies", "accounts", "jutsu"]


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.split(".")[0] in ORDER and not name.startswith("strategies.engine")}


@pytest.mark.parametrize("app", ORDER)
def test_no_app_imports_an_app_to_its_left(app):
    allowed = set(ORDER[ORDER.index(app) :])
    offenders = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in imported_apps(path):
            if name.split(".")[0] not in allowed:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_the_numeric_core_imports_nothing_of_ours_and_no_django():
    offenders = []
    for path in sorted((ROOT / "strategies" / "engine").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) and node.level == 0 else None
            names = [module] if module else [a.name for a in node.names] if isinstance(node, ast.Import) else []
            outside = [n for n in names if n and not n.startswith("strategies.engine")]
            offenders += [f"{path.name}: {n}" for n in outside if n.split(".")[0] in {*ORDER, "django"}]
    assert offenders == []
