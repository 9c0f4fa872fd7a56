"""The tap against the sandbox: every field the sandbox serves is in the schema, typed.

The sandbox serves what the official pages document (ItemShop's 2025 fields, Item's
ItemAttributes and ItemVendorNums, Customer's CustomFieldValues...), so a field the tap's
schemas miss would land in ``_extra_fields`` with a warning: there must be none.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lightspeed_client.client import LightspeedClient
from tests.target.conftest import run_tap

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox

STREAMS = {"customers", "items", "item_shops"}
ITEMSHOP_NEW_FIELDS = {
    "onLayaway": int,
    "onSpecialOrder": int,
    "onWorkOrder": int,
    "onTransferIn": int,
    "onTransferOut": int,
    "averageCost": float,
    "totalValueFifo": float,
    "totalValueAvgCost": float,
    "totalValueNegativeInventory": float,
    "lastReceivedCost": float,
    "lastReceivedLotID": int,
    "nextFifoLotCost": float,
    "nextFifoLotID": int,
}


@pytest.fixture
def records(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> dict[str, list[dict[str, Any]]]:
    sb = sandbox_factory(seed=3, customers=40, items=30, sales=5, bucket_enabled=False)
    LightspeedClient.forget_all()
    config = sb.connection_settings(0, tmp_path / "tokens.json")
    with caplog.at_level(logging.WARNING):
        lines = run_tap(config, STREAMS)
    LightspeedClient.forget_all()
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        message = json.loads(line)
        if message["type"] == "RECORD":
            out[message["stream"]].append(message["record"])
    return out


def _number(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, int) and not isinstance(value, bool)


def test_no_field_falls_outside_the_schemas(records, caplog):
    assert set(records) == STREAMS
    assert "fields not in the schema" not in caplog.text
    for stream in STREAMS:
        for record in records[stream]:
            assert not record.get("_extra_fields"), (stream, record["_extra_fields"])
            for shop in record.get("ItemShops") or []:
                assert not shop.get("_extra_fields"), shop


def test_itemshop_fields_of_2025_are_typed(records):
    rows = records["item_shops"] + [s for i in records["items"] for s in i["ItemShops"] or []]
    assert rows
    for row in rows:
        for name, kind in ITEMSHOP_NEW_FIELDS.items():
            assert _number(row[name], kind), (name, row[name])
    assert any(r["averageCost"] > 0 for r in rows if r["shopID"] == 0)


def test_item_relations_and_fields_are_typed(records):
    items = records["items"]
    for item in items:
        assert _number(item["fifoCost"], float)
        assert _number(item["itemAttributesID"], int)
        assert _number(item["noteID"], int)
        assert all(_number(p["useTypeID"], int) for p in item["Prices"])
    matrix = [i for i in items if i["itemMatrixID"]]
    assert matrix
    for item in matrix:
        attributes = item["ItemAttributes"]
        assert isinstance(attributes["attribute1"], str)
        assert _number(attributes["itemAttributeSetID"], int)
    assert all(i.get("ItemAttributes") is None for i in items if not i["itemMatrixID"])
    vendor_nums = [v for i in items for v in i.get("ItemVendorNums") or []]
    assert vendor_nums
    for vendor_num in vendor_nums:
        assert _number(vendor_num["cost"], float)
        assert _number(vendor_num["vendorID"], int)
        assert isinstance(vendor_num["value"], str)


def test_customer_fields_and_custom_field_values_are_typed(records):
    customers = records["customers"]
    assert all(_number(c["employeeID"], int) and _number(c["noteID"], int) for c in customers)
    values = [v for c in customers for v in c.get("CustomFieldValues") or []]
    assert values
    for value in values:
        assert _number(value["customFieldValueID"], int)
        assert isinstance(value["deleted"], bool)
    choices = [v["value"] for v in values if v["type"] == "single_choice"]
    assert choices
    assert all(isinstance(choice, dict) and choice["name"] for choice in choices)
    assert all(isinstance(v["value"], str) for v in values if v["type"] == "boolean")
