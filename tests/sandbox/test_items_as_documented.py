"""Items as the official pages document them: price levels, archiving, the 2025 fields.

- ``PriceLevel.md``: each account has its own price levels (``GET /PriceLevel.json``), the
  built-ins Default/MSRP/Online (renamable) and its own; ``Item.md``: a price's
  ``useTypeID`` is a PriceLevel id and ``useType`` its name.
- ``Item.md``: "You can not archive an item by setting the archived flag on an update. You
  must issue a DELETE"; archiving "zeroes out" the item's inventory; ``archived`` "can only
  be set to false on update".
- ``ItemShop.md``: the 13 fields added 2025-01-30 (``onWorkorder`` so spelt in payloads).
- ``Item.md`` / ``Customer-CustomField.md``: ItemAttributes, ItemVendorNums and
  CustomFieldValues with their documented fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import Api, as_list

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox

ITEMSHOP_2025_FIELDS = {
    "onLayaway",
    "onSpecialOrder",
    "onWorkorder",
    "onTransferIn",
    "onTransferOut",
    "averageCost",
    "totalValueFifo",
    "totalValueAvgCost",
    "totalValueNegativeInventory",
    "lastReceivedCost",
    "lastReceivedLotID",
    "nextFifoLotCost",
    "nextFifoLotID",
}


@pytest.fixture
def w(small: Sandbox) -> Api:
    small.configure_bucket(enabled=False)
    return Api(small)


def _levels(api: Api) -> dict[str, str]:
    return {lv["priceLevelID"]: lv["name"] for lv in api.all("PriceLevel")}


# -- price levels ---------------------------------------------------------------------------


def test_each_account_has_its_own_price_levels(sandbox: Sandbox, api: Api) -> None:
    first = _levels(api)
    second = _levels(Api(sandbox, sandbox.account_ids[1]))
    assert first == {"1": "Default", "2": "MSRP", "3": "Online", "4": "Wholesale"}
    assert second == {"1": "Default", "2": "MSRP", "3": "Web Store", "4": "Staff", "5": "Wholesale"}
    single = api.get("PriceLevel/3.json").json()["PriceLevel"]
    assert single == {
        "priceLevelID": "3",
        "name": "Online",
        "archived": "false",
        "canBeArchived": "false",
        "type": "fixed",
        "Calculation": "",
    }
    assert api.get("PriceLevel/4.json").json()["PriceLevel"]["canBeArchived"] == "true"
    assert api.get("PriceLevel/9.json").status_code == 404
    # Each account has an archived level of its own, after the others (ids stay contiguous)
    for client, level_id in ((api, "5"), (Api(sandbox, sandbox.account_ids[1]), "6")):
        archived = client.all("PriceLevel", {"archived": "only"})
        assert archived == [
            {
                "priceLevelID": level_id,
                "name": "Clearance",
                "archived": "true",
                "canBeArchived": "true",
                "type": "fixed",
                "Calculation": "",
            }
        ]
        every = client.all("PriceLevel", {"archived": "true"})
        assert [lv["priceLevelID"] for lv in every] == [str(i) for i in range(1, len(every) + 1)]


def test_item_prices_use_the_account_levels(sandbox: Sandbox, api: Api) -> None:
    for account in (0, 1):
        client = Api(sandbox, sandbox.account_ids[account]) if account else api
        levels = _levels(client)
        for item in client.all("Item", {"archived": "true", "limit": "50"})[:50]:
            prices = as_list(item["Prices"], "ItemPrice")
            assert {p["useTypeID"]: p["useType"] for p in prices} == levels


def test_a_price_on_an_unknown_level_is_refused(w: Api) -> None:
    for price, message in (
        ({"amount": "5", "useTypeID": "9"}, "PriceLevel with ID '9' does not exist."),
        ({"amount": "5", "useType": "Staff"}, "PriceLevel 'Staff' does not exist."),
    ):
        body = {"description": "Mug", "Prices": {"ItemPrice": [price]}}
        resp = w.request("POST", "Item.json", json=body)
        assert resp.status_code == 400, resp.text
        assert resp.json()["message"] == f"Item not created. {message}"


def test_a_price_is_stored_on_the_level_its_id_names(w: Api) -> None:
    body = {
        "description": "Mug",
        "Prices": {
            "ItemPrice": [
                {"amount": "5", "useTypeID": "4", "useType": "whatever"},
                {"amount": "6", "useType": "Online"},
            ]
        },
    }
    resp = w.request("POST", "Item.json", json=body)
    assert resp.status_code == 200, resp.text
    prices = as_list(resp.json()["Item"]["Prices"], "ItemPrice")
    assert {(p["useTypeID"], p["useType"], p["amount"]) for p in prices} == {
        ("1", "Default", "0"),
        ("2", "MSRP", "0"),
        ("3", "Online", "6"),
        ("4", "Wholesale", "5"),
    }


# -- archiving ------------------------------------------------------------------------------


def _stocked_item(w: Api) -> str:
    created = w.request(
        "POST",
        "Item.json",
        json={"description": "Lamp", "ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "7"}]}},
    )
    assert created.status_code == 200, created.text
    return created.json()["Item"]["itemID"]


def _stock(w: Api, item_id: str) -> dict[str, str]:
    item = w.get(f"Item/{item_id}.json", {"load_relations": '["ItemShops"]'}).json()["Item"]
    return {s["shopID"]: s["qoh"] for s in as_list(item["ItemShops"], "ItemShop")}


def test_a_put_with_archived_true_does_not_archive(w: Api) -> None:
    item_id = _stocked_item(w)
    resp = w.request("PUT", f"Item/{item_id}.json", json={"archived": True, "customSku": "L-1"})
    assert resp.status_code == 200, resp.text
    item = resp.json()["Item"]
    assert item["archived"] == "false"
    assert item["customSku"] == "L-1"
    assert _stock(w, item_id)["1"] == "7"


def test_delete_archives_and_zeroes_stock_and_put_false_restores(w: Api) -> None:
    item_id = _stocked_item(w)
    assert _stock(w, item_id) == {"0": "7", "1": "7", "2": "0"}
    deleted = w.request("DELETE", f"Item/{item_id}.json")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["Item"]["archived"] == "true"
    assert _stock(w, item_id) == {"0": "0", "1": "0", "2": "0"}
    assert [i["itemID"] for i in w.all("Item", {"archived": "only"}) if i["itemID"] == item_id]
    restored = w.request("PUT", f"Item/{item_id}.json", json={"archived": False})
    assert restored.json()["Item"]["archived"] == "false"
    assert _stock(w, item_id)["0"] == "0"  # restoring does not bring the stock back


# -- the fields the tap reads ---------------------------------------------------------------


def test_itemshops_carry_the_2025_fields(api: Api) -> None:
    rows = api.all("ItemShop", {"limit": "100"})[:100]
    assert all(set(row) >= ITEMSHOP_2025_FIELDS for row in rows)
    summaries = [r for r in rows if r["shopID"] == "0"]
    assert any(r["averageCost"] != "0" for r in summaries)
    assert all(r["averageCost"] == "0" for r in rows if r["shopID"] != "0")
    for row in rows:
        held = max(int(row["qoh"]), 0)
        assert (float(row["totalValueAvgCost"]) == 0) == (
            held == 0 or row["lastReceivedCost"] == "0"
        )
    item = api.get("Item/1.json", {"load_relations": '["ItemShops"]'}).json()["Item"]
    assert all(set(s) >= ITEMSHOP_2025_FIELDS for s in as_list(item["ItemShops"], "ItemShop"))


def test_items_carry_attributes_vendor_numbers_and_new_fields(api: Api) -> None:
    items = api.all(
        "Item", {"archived": "true", "load_relations": '["ItemAttributes","ItemVendorNums"]'}
    )
    assert all({"fifoCost", "itemAttributesID", "noteID"} <= set(i) for i in items)
    matrix = [i for i in items if i["itemMatrixID"] != "0"]
    plain = [i for i in items if i["itemMatrixID"] == "0"]
    assert matrix
    assert plain
    for item in matrix:
        attributes = item["ItemAttributes"]
        assert set(attributes) == {"attribute1", "attribute2", "attribute3", "itemAttributeSetID"}
        assert attributes["itemAttributeSetID"] in {"1", "2"}
        assert item["itemAttributesID"] != "0"
    assert all("ItemAttributes" not in i for i in plain)
    with_vendor = [i for i in items if i["ItemVendorNums"] != ""]
    assert with_vendor
    assert len(with_vendor) < len(items)
    vendor_num = with_vendor[0]["ItemVendorNums"]["ItemVendorNum"]
    assert set(vendor_num) == {
        "itemVendorNumID",
        "value",
        "cost",
        "timeStamp",
        "itemID",
        "vendorID",
    }
    assert vendor_num["itemID"] == with_vendor[0]["itemID"]


def test_customers_carry_custom_field_values(api: Api) -> None:
    customers = api.all("Customer", {"load_relations": '["CustomFieldValues"]', "limit": "100"})
    assert all({"employeeID", "noteID"} <= set(c) for c in customers)
    values = [v for c in customers for v in as_list(c["CustomFieldValues"], "CustomFieldValue")]
    fields = {
        "customFieldValueID",
        "customFieldID",
        "name",
        "type",
        "value",
        "deleted",
        "timeStamp",
    }
    assert values
    assert all(set(v) == fields for v in values)
    assert any(c["CustomFieldValues"] == "" for c in customers)
    choices = [v for v in values if v["type"] == "single_choice"]
    assert choices
    assert all(isinstance(v["value"], dict) for v in choices)
    assert {"customFieldChoiceID", "name", "value"} <= set(choices[0]["value"])
    assert all(isinstance(v["value"], str) for v in values if v["type"] == "boolean")
