"""The README's first command, `scripts/demo`, run twice: a full load, then an incremental one."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import LEAKY_PREFIXES, ROOT

DUCKDB_PYTHON = ROOT / ".meltano/loaders/target-duckdb/venv/bin/python"
TABLE_LINE = re.compile(r"^(customers|items|images|sales)\s+(\d+)\s+(\d+)\s+(\d+)$", re.M)


def run_demo(tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY_PREFIXES)}
    env.update(
        {
            "DEMO_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
            "DEMO_LOG": str(tmp_path / "demo-meltano.log"),
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        }
    )
    result = subprocess.run(
        [str(ROOT / "scripts" / "demo")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def table_counts(output: str) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows in the warehouse, in the store, loaded by this run)."""
    return {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in TABLE_LINE.finditer(output)}


def sandbox_pid(output: str) -> int:
    match = re.search(r"serving on http://127\.0\.0\.1:\d+ \(pid (\d+)\)", output)
    assert match, output
    return int(match[1])


def assert_stopped(pid: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory for the demo's warehouse, log and Meltano state, removed afterwards."""
    try:
        yield tmp_path
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def test_demo_full_then_incremental(demo_dir: Path) -> None:
    tmp_path = demo_dir
    first = run_demo(tmp_path)
    assert "first run: no warehouse yet, full load" in first
    counts = table_counts(first)
    assert set(counts) == {"customers", "items", "images", "sales"}
    assert counts["customers"] == (501, 501, 501)  # 500 generated + the demo's new customer
    assert counts["items"] == (300, 300, 300)
    assert counts["images"] == (150, 150, 150)
    assert counts["sales"] == (401, 401, 401)
    assert_stopped(sandbox_pid(first))
    assert "Top items by sales" in first
    assert "Data: " in first
    assert "Sandbox stopped" in first

    second = run_demo(tmp_path)
    assert "incremental: from the bookmarks Meltano saved last run" in second
    counts = table_counts(second)
    for table, (rows, in_store, loaded) in counts.items():
        assert rows == in_store, table
        assert loaded <= 3, table  # only the records changed since the first run
    assert counts["customers"][2] == 1  # the new customer of this run
    assert counts["items"][2] >= 1  # the price change
    assert counts["sales"][2] >= 1  # the new sale
    assert_stopped(sandbox_pid(second))

    for output in (first, second):  # secrets stay out of the output
        assert "client_secret" not in output
        assert "def50200" not in output


def test_demo_warehouse_is_typed_and_answers_the_query(demo_dir: Path) -> None:
    tmp_path = demo_dir
    run_demo(tmp_path)
    out = subprocess.run(
        [str(DUCKDB_PYTHON), str(ROOT / "scripts/warehouse_report.py"), "warehouse.duckdb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    cols = report["columns"]
    assert cols["customers"]["customerid"] in {"BIGINT", "HUGEINT"}
    assert cols["sales"]["saleid"] in {"BIGINT", "HUGEINT"}
    assert cols["sales"]["total"] == "DOUBLE"
    assert cols["items"]["defaultcost"] == "DOUBLE"
    assert cols["sales"]["completed"] == "BOOLEAN"
    assert cols["customers"]["archived"] == "BOOLEAN"
    assert cols["sales"]["timestamp"] == "TIMESTAMP"
    assert cols["sales"]["salelines"] == "JSON"
    assert cols["items"]["prices"] == "JSON"
    top = report["top_items"]
    assert len(top) == 5
    assert [t["revenue"] for t in top] == sorted((t["revenue"] for t in top), reverse=True)
    assert all(t["units"] > 0 and t["description"] for t in top)
