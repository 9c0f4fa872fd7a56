"""The stock-movement streams against the sandbox: every field typed in the schema, every
record read, and a full sync costs one request per page of each endpoint, nothing more.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lightspeed_sandbox.wire import unwrap
from tests.tap.conftest import run_sync

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox

PAGE_SIZE = 10
#: Stream -> (wire entity, path under the account).
ENDPOINTS = {
    "orders": ("Order", "Order.json"),
    "transfers": ("Transfer", "Inventory/Transfer.json"),
    "transfer_items": ("TransferItem", "TransferItem.json"),
    "inventory_counts": ("InventoryCount", "InventoryCount.json"),
    "inventory_count_items": ("InventoryCountItem", "InventoryCountItem.json"),
    "vendor_returns": ("VendorReturn", "VendorReturn.json"),
    "workorders": ("Workorder", "Workorder.json"),
    "special_orders": ("SpecialOrder", "SpecialOrder.json"),
}
#: Derived stream -> (parent entity, relation, element).
DERIVED = {
    "order_lines": ("Order", "OrderLines", "OrderLine"),
    "vendor_return_items": ("VendorReturn", "VendorReturnItems", "VendorReturnItem"),
}


@pytest.fixture
def synced(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> tuple[Sandbox, dict[str, list[dict[str, Any]]]]:
    sb = sandbox_factory(seed=5, customers=60, items=300, sales=200, bucket_enabled=False)
    config = sb.connection_settings(0, tmp_path / "tokens.json", page_size=PAGE_SIZE)
    with caplog.at_level(logging.WARNING):
        result = run_sync(config, streams={*ENDPOINTS, *DERIVED})
    return sb, result.records


def test_every_record_every_field_in_the_schema(synced, caplog):
    sb, records = synced
    account = sb.account_ids[0]
    for stream, (entity, _path) in ENDPOINTS.items():
        assert len(records[stream]) == len(sb.records(account, entity)), stream
    for stream, (parent, relation, element) in DERIVED.items():
        children = [
            c for rec in sb.records(account, parent) for c in unwrap(rec[relation], element)
        ]
        assert len(records[stream]) == len(children), stream
    assert not [r for r in caplog.records if "not in the schema" in r.getMessage()]
    assert all(not row.get("_extra_fields") for rows in records.values() for row in rows)
    assert any(row["archived"] for row in records["orders"])
    assert any(row["archived"] for row in records["transfers"])


def test_a_full_sync_costs_one_request_per_page_of_each_endpoint(synced):
    sb, _records = synced
    account = sb.account_ids[0]
    served = Counter(
        entry["path"].split(f"/Account/{account}/", 1)[1]
        for entry in sb.request_log()
        if entry["method"] == "GET" and f"/Account/{account}/" in entry["path"]
    )
    expected = {
        path: math.ceil(len(sb.records(account, entity)) / PAGE_SIZE)
        for entity, path in ENDPOINTS.values()
    }
    assert dict(served) == expected
    assert sum(expected.values()) < 40  # a handful of pages, not one per parent
