"""The target's layers: sinks and writer never reach back into the target module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "target_lightspeed"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


@pytest.mark.parametrize(
    "module", ["sinks.py", "writer.py", "decision.py", "runtime.py", "settings.py", "api.py"]
)
def test_no_module_below_the_target_imports_it(module):
    assert "target_lightspeed.target" not in imported_modules(PACKAGE / module)


def test_the_decision_needs_no_http():
    imported = imported_modules(PACKAGE / "decision.py")
    assert imported <= {
        "__future__",
        "typing",
        "dataclasses",
        "lightspeed_client.writes",
        "target_lightspeed.mapping",
        "target_lightspeed.ledger",
    }
