"""End to end against the sandbox on loopback: copy account A into account B.

``tap-lightspeed`` (account A) -> ``target-lightspeed`` (account B): the same business
content, a second run writes nothing, injected faults change nothing, and a target killed
with SIGKILL mid-run then run again leaves each record in B exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lightspeed_sandbox.wire import unwrap
from tests.target.conftest import (
    SHARED_IDS,
    fast,
    run_tap,
    run_target,
    tap_config,
    target_config,
)

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox

STREAMS = {"customers", "items", "sales"}
TARGET_BIN = Path(sys.executable).with_name("target-lightspeed")


@pytest.fixture
def sb(two_account_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return two_account_sandbox(seed=11, customers=60, items=40, sales=40, burst_limit=10_000)


def copy_config(sb: Sandbox, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return target_config(
        sb, tmp_path, keep_foreign_keys=SHARED_IDS, archive_items=True, **overrides
    )


# -- business content ---------------------------------------------------------------------


def _contact(record: dict) -> tuple:
    contact = record.get("Contact") or {}
    return tuple(
        json.dumps(unwrap(contact.get(name, ""), inner), sort_keys=True)
        for name, inner in (
            ("Emails", "ContactEmail"),
            ("Phones", "ContactPhone"),
            ("Addresses", "ContactAddress"),
            ("Websites", "ContactWebsite"),
        )
    )


def customer_content(record: dict) -> tuple:
    fields = (
        "firstName",
        "lastName",
        "title",
        "company",
        "dob",
        "archived",
        "customerTypeID",
        "discountID",
        "taxCategoryID",
    )
    return (*(record.get(f, "") for f in fields), *_contact(record))


def item_content(record: dict) -> tuple:
    fields = (
        "description",
        "customSku",
        "upc",
        "ean",
        "manufacturerSku",
        "defaultCost",
        "tax",
        "archived",
        "itemType",
        "categoryID",
        "manufacturerID",
        "seasonID",
        "defaultVendorID",
    )
    # The accounts' price levels differ: a built-in level (ids 1-3) is the same level in
    # both whatever its name, another level is known by its name.
    prices = sorted(
        (p["amount"], p["useTypeID"] if int(p["useTypeID"]) <= 3 else p["useType"])
        for p in unwrap(record["Prices"], "ItemPrice")
    )
    return (*(record.get(f, "") for f in fields), tuple(prices))


def sale_content(record: dict, items: dict[str, dict], customers: dict[str, dict]) -> tuple:
    lines = tuple(
        (
            item_content(items[line["itemID"]]) if line["itemID"] != "0" else None,
            line["unitQuantity"],
            line["unitPrice"],
            line["discountAmount"],
            line["discountPercent"],
            line["discountID"],
        )
        for line in unwrap(record.get("SaleLines", ""), "SaleLine")
    )
    payments = tuple(
        (p["amount"], p["paymentTypeID"], p["archived"])
        for p in unwrap(record.get("SalePayments", ""), "SalePayment")
    )
    customer = record.get("customerID", "0")
    # Totals, completion, voids and archiving are the target account's: see assert_sales_settled.
    fields = ("employeeID", "shopID", "registerID", "taxCategoryID", "discountID")
    return (
        *(record.get(f) for f in fields),
        customer_content(customers[customer]) if customer != "0" else None,
        lines,
        payments,
    )


def content(sb: Sandbox, account: int) -> dict[str, Counter]:
    acct = sb.account_ids[account]
    customers = {c["customerID"]: c for c in sb.records(acct, "Customer")}
    items = {i["itemID"]: i for i in sb.records(acct, "Item")}
    sales = sb.records(acct, "Sale")
    return {
        "customers": Counter(customer_content(c) for c in customers.values()),
        "items": Counter(item_content(i) for i in items.values()),
        "sales": Counter(sale_content(s, items, customers) for s in sales),
    }


def assert_same_content(sb: Sandbox) -> None:
    source, copy = content(sb, 0), content(sb, 1)
    for entity in ("customers", "items", "sales"):
        assert sum(copy[entity].values()) == sum(source[entity].values()), entity
        assert copy[entity] == source[entity], entity
    assert_sales_settled(sb)


def assert_sales_settled(sb: Sandbox) -> int:
    """Check each copied sale's state against its source; return how many were left open.

    A copy totals with the target account's taxes: it is completed when its source was and
    the payments equal that total, else left open; it is never voided; it is archived when
    its source was and it stayed open (a completed sale cannot be archived).
    """
    sources = {
        s["referenceNumber"] or f"sales-{s['saleID']}": s
        for s in sb.records(sb.account_ids[0], "Sale")
    }
    left_open = 0
    for copy in sb.records(sb.account_ids[1], "Sale"):
        source = sources[copy["referenceNumber"]]
        paid = sum(
            Decimal(p["amount"])
            for p in unwrap(copy["SalePayments"], "SalePayment")
            if p["archived"] != "true"
        )
        settles = source["completed"] == "true" and paid == Decimal(copy["total"])
        assert copy["completed"] == ("true" if settles else "false"), copy["referenceNumber"]
        left_open += source["completed"] == "true" and not settles
        assert copy["voided"] == "false"
        archived = source["archived"] == "true" and not settles
        assert copy["archived"] == ("true" if archived else "false"), copy["referenceNumber"]
    return left_open


# -- tests --------------------------------------------------------------------------------


def test_copy_an_account_then_a_second_run_writes_nothing(sb, tmp_path):
    lines = run_tap(tap_config(sb, tmp_path), STREAMS)
    config = fast(copy_config(sb, tmp_path))
    first = run_target(config, lines)
    assert_same_content(sb)
    for stream, summary in first.summary.items():
        assert summary["rejected"] == 0, summary
        assert summary["created"] == summary["read"], stream
    assert first.states  # state emitted after everything was written
    # The second account's taxes differ: completed sales with taxed lines are left open,
    # each in the summary and in the rejects file, for a person to act on.
    left_open = assert_sales_settled(sb)
    assert left_open > 0
    assert first.summary["sales"]["left_open"] == left_open
    rejects = [json.loads(x) for x in Path(config["rejects_path"]).read_text().splitlines()]
    assert [r["outcome"] for r in rejects] == ["left_open"] * left_open
    assert all("the target account's total" in r["message"] for r in rejects)

    writes = sb.stats()["writes"]
    requests = sb.stats()["requests"]
    second = run_target(config, lines)
    assert sb.stats()["writes"] == writes
    # The ledger answers everything; the target's price levels are read once per run.
    assert sb.stats()["requests"] == requests + 1
    assert sb.request_log()[-1]["path"].endswith("/PriceLevel.json")
    assert all(s["unchanged"] == s["read"] for s in second.summary.values())

    # A new machine (no ledger): lookups find every record (by match key, or by content
    # for the customers without email and items without sku), so nothing is written.
    fresh = fast(copy_config(sb, tmp_path, ledger_path=str(tmp_path / "fresh.sqlite3")))
    third = run_target(fresh, lines)
    assert sb.stats()["writes"] == writes
    assert all(s["unchanged"] == s["read"] for s in third.summary.values())


def test_injected_5xx_and_dropped_connections_change_nothing(sb, tmp_path):
    lines = run_tap(tap_config(sb, tmp_path), STREAMS)
    sb.set_faults(error_rate=0.05, drop_rate=0.02, seed=4)
    config = fast(copy_config(sb, tmp_path, max_retries=8))
    result = run_target(config, lines)
    sb.clear_faults()
    stats = sb.stats()
    assert stats["faults"]["errors"] > 0
    assert stats["faults"]["dropped"] > 0
    assert_same_content(sb)
    assert all(s["rejected"] == 0 for s in result.summary.values())


@pytest.mark.parametrize("kill_points", [(25, 70), (3, 100)])
def test_sigkill_mid_run_then_rerun_leaves_each_record_once(sb, tmp_path, kill_points):
    lines = run_tap(tap_config(sb, tmp_path), STREAMS)
    messages = tmp_path / "messages.jsonl"
    messages.write_text("\n".join(lines) + "\n")
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(copy_config(sb, tmp_path, max_retries=8)))
    sb.set_faults(slow_rate=1.0, slow_seconds=0.01, seed=2)  # a run long enough to be killed

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            [str(TARGET_BIN), "--config", str(config_file)],
            stdin=messages.open("rb"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    killed_at = []
    for target_writes in kill_points:
        before = sb.stats()["writes"]
        proc = start()
        deadline = time.monotonic() + 60
        while sb.stats()["writes"] - before < target_writes and proc.poll() is None:
            assert time.monotonic() < deadline, "the target made no progress"
            time.sleep(0.002)
        assert proc.poll() is None, "the target finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        killed_at.append(sb.stats()["writes"])
    sb.clear_faults()
    proc = start()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()[-3000:]
    assert out.strip(), "no state emitted"
    assert killed_at[0] < 140  # killed mid-run
    assert_same_content(sb)
