"""Purchasing and stock movement in the sandbox: records on every endpoint (archived ones
included), the documented sorts, relations and costs, foreign keys that hold together, the
same store for the same seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lightspeed_sandbox import Sandbox, generate
from lightspeed_sandbox.wire import unwrap
from tests.sandbox.conftest import Api, as_list

#: Wire entity -> (path, can be archived, sortable fields).
ENDPOINTS = {
    "Order": ("Order.json", True, ("orderID", "timeStamp")),
    "OrderLine": ("OrderLine.json", False, ("orderLineID", "timeStamp", "orderID")),
    "Transfer": ("Inventory/Transfer.json", True, ("transferID", "timeStamp")),
    "TransferItem": ("TransferItem.json", False, ("transferItemID", "timeStamp", "transferID")),
    "InventoryCount": ("InventoryCount.json", True, ("inventoryCountID",)),
    "InventoryCountItem": (
        "InventoryCountItem.json",
        False,
        ("inventoryCountItemID", "inventoryCountID", "itemID"),
    ),
    "VendorReturn": ("VendorReturn.json", True, ("vendorReturnID", "timeStamp")),
    "Workorder": ("Workorder.json", True, ("workorderID", "timeStamp")),
    "SpecialOrder": ("SpecialOrder.json", False, ("specialOrderID", "timeStamp")),
}
#: Entity -> relation of its records that holds child rows (element name).
CHILD_RELATIONS = {
    "Order": ("OrderLines", "OrderLine"),
    "VendorReturn": ("VendorReturnItems", "VendorReturnItem"),
}
#: Entity (or ``Parent.Element`` for child rows) -> foreign key field -> the rows it names.
FOREIGN_KEYS: dict[str, dict[str, str]] = {
    "Order": {"vendorID": "Vendor", "shopID": "Shop", "createdByEmployeeID": "Employee"},
    "Order.OrderLine": {"orderID": "Order", "itemID": "Item"},
    "OrderLine": {"orderID": "Order", "itemID": "Item"},
    "Transfer": {
        "sendingShopID": "Shop",
        "receivingShopID": "Shop",
        "sentByEmployeeID": "Employee",
        "createdByEmployeeID": "Employee",
    },
    "TransferItem": {"transferID": "Transfer", "itemID": "Item"},
    "InventoryCount": {"shopID": "Shop"},
    "InventoryCountItem": {
        "inventoryCountID": "InventoryCount",
        "itemID": "Item",
        "employeeID": "Employee",
    },
    "VendorReturn": {"vendorID": "Vendor", "shopID": "Shop"},
    "VendorReturn.VendorReturnItem": {
        "vendorReturnID": "VendorReturn",
        "itemID": "Item",
        "orderID": "Order",
    },
    "Workorder": {
        "customerID": "Customer",
        "employeeID": "Employee",
        "shopID": "Shop",
        "saleID": "Sale",
        "saleLineID": "SaleLine",
    },
    "SpecialOrder": {
        "customerID": "Customer",
        "shopID": "Shop",
        "saleLineID": "SaleLine",
        "orderLineID": "OrderLine",
        "transferItemID": "TransferItem",
    },
}


@pytest.fixture
def store(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A small store, the bucket off."""
    return sandbox_factory(seed=5, customers=60, items=80, sales=120, bucket_enabled=False)


def _ids(sb: Sandbox, entity: str, key: str) -> set[int]:
    return {int(rec[key]) for rec in sb.records(sb.account_ids[0], entity)}


@pytest.mark.parametrize("entity", sorted(ENDPOINTS))
def test_every_endpoint_has_records_archived_ones_included(store: Sandbox, entity: str):
    path, archivable, _ = ENDPOINTS[entity]
    api = Api(store)
    every = api.all(entity, {"archived": "true", "limit": 100}, path=path)
    active = api.all(entity, {"limit": 100}, path=path)
    assert len(every) >= 5
    archived = [rec for rec in every if rec.get("archived") == "true"]
    if archivable:
        assert archived, entity
        assert len(active) == len(every) - len(archived)
        assert all(rec["archived"] == "false" for rec in active)
    else:
        assert "archived" not in every[0]
        assert len(active) == len(every)
    assert all(isinstance(value, str) for rec in every for value in rec.values())


@pytest.mark.parametrize("entity", sorted(ENDPOINTS))
def test_sorts_as_documented(store: Sandbox, entity: str):
    path, _, sorts = ENDPOINTS[entity]
    api = Api(store)
    for field in sorts:
        resp = api.get(path, {"sort": field, "archived": "true"})
        assert resp.status_code == 200, (field, resp.text)
    if "timeStamp" in sorts:
        stamps = [r["timeStamp"] for r in api.all(entity, {"sort": "timeStamp"}, path=path)]
        assert stamps == sorted(stamps)
    else:
        resp = api.get(path, {"sort": "timeStamp"})
        assert resp.status_code == 400
        assert "Invalid sort field 'timeStamp'" in resp.json()["message"]


@pytest.mark.parametrize("entity", sorted(CHILD_RELATIONS))
def test_child_rows_load_with_the_parent_at_the_relation_cost(store: Sandbox, entity: str):
    relation, element = CHILD_RELATIONS[entity]
    path = ENDPOINTS[entity][0]
    api = Api(store)
    plain = api.get(path, {"limit": 2})
    loaded = api.get(path, {"limit": 2, "load_relations": f'["{relation}"]'})
    assert plain.headers["X-LS-API-Request-Cost"] == "1"
    assert loaded.headers["X-LS-API-Request-Cost"] == "1.4"
    first, second = loaded.json()[entity]
    assert relation not in plain.json()[entity][0]
    assert first[relation] == ""  # no child: the empty string
    assert isinstance(second[relation][element], dict)  # one child: an object
    more = api.all(entity, {"load_relations": f'["{relation}"]', "archived": "true"}, path=path)
    assert any(
        isinstance(rec[relation], dict) and isinstance(rec[relation][element], list) for rec in more
    )


def test_order_lines_endpoint_serves_the_lines_of_the_orders(store: Sandbox):
    api = Api(store)
    orders = api.all("Order", {"load_relations": '["OrderLines"]', "archived": "true"})
    from_orders = [line for order in orders for line in unwrap(order["OrderLines"], "OrderLine")]
    lines = api.all("OrderLine", {"limit": 100})
    assert sorted(lines, key=lambda r: int(r["orderLineID"])) == sorted(
        from_orders, key=lambda r: int(r["orderLineID"])
    )
    assert [int(line["orderLineID"]) for line in lines] == list(range(1, len(lines) + 1))


def test_transfers_are_served_under_inventory_without_their_items_in_lists(store: Sandbox):
    api = Api(store)
    single = api.get("Inventory/Transfer/2.json")
    assert single.status_code == 200
    assert single.json()["Transfer"]["transferID"] == "2"
    refused = api.get("Inventory/Transfer.json", {"load_relations": '["TransferItems"]'})
    assert refused.status_code == 400
    items = api.all("TransferItem", {"transferID": "2"})
    assert [item["transferID"] for item in items] == ["2"]  # transfer 2 has one line


def test_foreign_keys_point_at_existing_rows(store: Sandbox):
    account = store.account_ids[0]
    sales = store.records(account, "Sale")
    targets: dict[str, set[int]] = {
        "Item": _ids(store, "Item", "itemID"),
        "Customer": _ids(store, "Customer", "customerID"),
        "Sale": {int(sale["saleID"]) for sale in sales},
        "SaleLine": {
            int(line["saleLineID"])
            for sale in sales
            for line in unwrap(sale["SaleLines"], "SaleLine")
        },
        "Shop": set(range(1, store.config.shops + 1)),
        "Employee": set(generate.EMPLOYEES),
        "Vendor": set(generate.MOVEMENT_VENDOR_IDS),
    }
    for entity in ENDPOINTS:
        targets[entity] = {
            int(rec[f"{entity[:1].lower()}{entity[1:]}ID"])
            for rec in store.records(account, entity)
        }
    rows: dict[str, list[dict[str, Any]]] = {e: store.records(account, e) for e in ENDPOINTS}
    for parent, (relation, element) in CHILD_RELATIONS.items():
        rows[f"{parent}.{element}"] = [
            child for rec in rows[parent] for child in unwrap(rec[relation], element)
        ]
    checked = 0
    for source, keys in FOREIGN_KEYS.items():
        assert rows[source], source
        for rec in rows[source]:
            for field, target in keys.items():
                value = int(rec[field])
                if value:
                    assert value in targets[target], (source, rec, field)
                    checked += 1
    assert checked > 200
    # special orders start on a sale line of a sale of their shop
    line_shop = {
        int(line["saleLineID"]): line["shopID"]
        for sale in sales
        for line in unwrap(sale["SaleLines"], "SaleLine")
    }
    assert all(line_shop[int(rec["saleLineID"])] == rec["shopID"] for rec in rows["SpecialOrder"])


def test_same_seed_same_store_another_seed_another(sandbox_factory: Callable[..., Sandbox]):
    fields = {"customers": 30, "items": 40, "sales": 60, "bucket_enabled": False, "start": False}
    first, again, other = (sandbox_factory(seed=seed, **fields) for seed in (11, 11, 12))
    account = first.account_ids[0]
    for entity in ENDPOINTS:
        assert first.records(account, entity) == again.records(account, entity), entity
    assert first.records(account, "Order") != other.records(account, "Order")


def test_an_account_without_items_has_no_stock_movements(two_account_sandbox):
    sb = two_account_sandbox()
    api = Api(sb, sb.account_ids[1])
    for entity, (path, _, _) in ENDPOINTS.items():
        body = api.get(path, {"archived": "true"}).json()
        assert entity not in body
        assert body["@attributes"] == {"next": "", "previous": ""}
        assert as_list(body, entity) == []
