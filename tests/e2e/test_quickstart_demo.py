"""The README's first command, `scripts/demo`, run twice: a full load, then an incremental one."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from lightspeed_sandbox import Sandbox, SandboxConfig
from lightspeed_sandbox.reports import SalesTotal, sales_by_shop_and_category

from .conftest import LEAKY_PREFIXES, ROOT, load_script

DUCKDB_PYTHON = ROOT / ".meltano/loaders/target-duckdb/venv/bin/python"
TABLE_LINE = re.compile(r"^([a-z_]+)\s+(\d+)\s+(\d+)\s+(\d+)$", re.M)
#: A row of the printed sales report: shop, category, units, revenue (two spaces apart).
SALES_LINE = re.compile(r"^  (\S.*?) {2,}(\S.*?) +(-?\d+) +(-?\d+\.\d\d)$", re.M)
TOTAL_LINE = re.compile(r"^  total +(-?\d+) +(-?\d+\.\d\d)$", re.M)
demo = load_script("demo")


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


def sales_report(output: str) -> dict[tuple[str, str], SalesTotal]:
    """The printed sales by (shop, category), checking the total line sums them."""
    section = output.split("Sales by shop and category", 1)[1].split("\n\n", 1)[0]
    rows = {
        (m[1], m[2]): SalesTotal(int(m[3]), Decimal(m[4])) for m in SALES_LINE.finditer(section)
    }
    total = TOTAL_LINE.search(section)
    assert total, section
    assert int(total[1]) == sum(t.units for t in rows.values())
    assert Decimal(total[2]) == sum(t.revenue for t in rows.values())
    return rows


def seeded_store_sales() -> dict[tuple[str, str], SalesTotal]:
    """The report of the demo's store as generated, before the demo's own sale."""
    with Sandbox(SandboxConfig(seed=demo.SEED, **demo.VOLUMES)) as sb:
        account = sb.account_ids[0]
        return sales_by_shop_and_category(lambda entity: sb.records(account, entity))


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
    assert set(counts) == {stream.name for stream in demo.SELECTED}
    assert {"sale_lines", "shops", "categories", "order_lines"} <= set(counts)
    for table, (rows, in_store, loaded) in counts.items():
        assert rows == in_store == loaded > 0, table
    assert counts["customers"] == (501, 501, 501)  # 500 generated + the demo's new customer
    assert counts["items"] == (300, 300, 300)
    assert counts["images"] == (150, 150, 150)
    assert counts["sales"] == (401, 401, 401)
    assert_stopped(sandbox_pid(first))
    assert "= the store's own totals (lightspeed_sandbox.reports), to the cent" in first
    printed = sales_report(first)
    generated = seeded_store_sales()
    assert set(printed) == set(generated)  # every shop and category that sold
    assert len(printed) >= 4
    sold = int(re.search(r"completed sale #\d+: (\d+) units", first)[1])
    assert sum(t.units for t in printed.values()) == sum(t.units for t in generated.values()) + sold
    changed = {key for key in printed if printed[key] != generated[key]}
    assert 1 <= len(changed) <= 2  # the categories of the demo's sale's two items
    assert all(printed[key].revenue > generated[key].revenue for key in changed)
    assert "Data: " in first
    assert "Sandbox stopped" in first

    second = run_demo(tmp_path)
    assert "incremental: from the bookmarks Meltano saved last run" in second
    counts = table_counts(second)
    assert set(counts) == {stream.name for stream in demo.SELECTED}
    for table, (rows, in_store, loaded) in counts.items():
        assert rows == in_store, table
        if rows > 100:  # not a small table, some read whole, some sharing one timeStamp
            assert loaded <= 3, table  # only the records changed since the first run
    assert counts["customers"][2] == 1  # the new customer of this run
    assert counts["items"][2] >= 1  # the price change
    assert counts["sales"][2] >= 1  # the new sale
    assert_stopped(sandbox_pid(second))
    assert sales_report(second) == printed  # the same store again, the same sale upserted
    assert "= the store's own totals" in second

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
    assert cols["sale_lines"]["calctotal"] == "DOUBLE"
    assert cols["categories"]["categoryid"] in {"BIGINT", "HUGEINT"}
    sales = report["sales"]
    assert sales == sorted(sales, key=lambda r: (r["account_id"], r["shop"], r["category"]))
    assert all(r["units"] > 0 and Decimal(r["revenue"]) > 0 for r in sales)
    assert all(
        Decimal(r["revenue"]) == Decimal(r["revenue"]).quantize(Decimal("0.01")) for r in sales
    )


def test_demo_reports_where_the_warehouse_differs_from_the_store(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = {
        ("Main Street", "Apparel"): SalesTotal(3, Decimal("30.00")),
        ("Main Street", "Bikes"): SalesTotal(1, Decimal("500.00")),
    }
    rows = [
        {
            "account_id": "1",
            "shop": "Main Street",
            "category": "Apparel",
            "units": 3,
            "revenue": "30.00",
        },
        {
            "account_id": "1",
            "shop": "Main Street",
            "category": "Bikes",
            "units": 1,
            "revenue": "499.99",
        },
    ]
    assert demo.print_sales(rows, store) is False
    out = capsys.readouterr().out
    assert "DIFFERS from the store: ('Main Street', 'Bikes')" in out
    assert "Apparel')" not in out.split("DIFFERS", 1)[1]
    assert "the store's own totals" not in out
    rows[1]["revenue"] = "500.00"
    assert demo.print_sales(rows, store) is True
    assert sales_report(capsys.readouterr().out) == store
