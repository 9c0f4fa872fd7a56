"""The scope table: what each scope allows, read from the official pages."""

from __future__ import annotations

import pytest

from lightspeed_client.scopes import (
    ALL,
    ENTITY_SCOPES,
    REQUESTABLE_SCOPES,
    entity_of_path,
    scopes_for,
    token_allows,
)


@pytest.mark.parametrize(
    ("path", "entity"),
    [
        ("/API/V3/Account/1/Order.json", "Order"),
        ("/API/V3/Account/1/Order/5.json", "Order"),
        ("/API/V3/Account/1/Inventory/Transfer/4.json", "Transfer"),
        ("/API/V3/Account/1/Sale/7/SaleLine.json", "SaleLine"),
        ("/API/V3/Account/1/Item/3/Image.json", "Image"),
        ("/API/Account/1/Customer.json", "Customer"),
        ("/API/V3/Account.json", None),
        ("/API/V3/Account/1.json", None),
        ("/API/V3/Account/1/Quote.json", None),
    ],
)
def test_entity_of_path(path, entity):
    assert entity_of_path(path) == entity


def test_every_scope_of_the_table_can_be_requested_and_read_scopes_never_write():
    for entity, entry in ENTITY_SCOPES.items():
        assert set(entry.read + entry.write) <= set(REQUESTABLE_SCOPES), entity
        assert not [s for s in entry.write if s.endswith("_read")], entity
        assert entry.source, entity


def test_what_the_pages_say():
    # Pages with a "Scopes Required" table.
    assert scopes_for("Order", write=False) == ("employee:purchase_orders", ALL)
    assert scopes_for("SpecialOrder", write=False) == ("employee:special_orders", ALL)
    assert token_allows(["employee:product_cost"], "ItemShop", write=False)
    assert token_allows(["employee:reports"], "Shop", write=False)
    assert not token_allows(["employee:reports"], "Shop", write=True)
    # Pages that are silent: the Access Scopes descriptions.
    assert token_allows(["employee:admin_inventory"], "Vendor", write=True)
    assert token_allows(["employee:admin_purchases"], "TaxCategory", write=False)
    assert not token_allows(["employee:inventory"], "Vendor", write=False)
    # _read scopes read, never write; employee:all does everything, even unknown entities.
    assert token_allows(["employee:inventory_read"], "Item", write=False)
    assert not token_allows(["employee:inventory_read"], "Item", write=True)
    assert not token_allows(["employee:vendor_returns"], "VendorReturn", write=True)
    assert token_allows([ALL], "Quote", write=True)
    assert not token_allows(["employee:admin"], "Quote", write=False)
