"""Records: typed by the schema files, nested collections as plain lists, wire quirks."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import jsonschema
import pytest

from tests.tap.conftest import STREAM_ENTITIES, catalog_for, run_sync
from tests.tap.fake_api import ACCOUNT_ID
from tests.tap.wire_data import customer, image, item, sale

SCHEMA_DIR = Path(__file__).parents[2] / "tap_lightspeed" / "schemas"
KEYS = {
    "customers": "customerID",
    "items": "itemID",
    "images": "imageID",
    "sales": "saleID",
    "item_shops": "itemShopID",
}


def _schema(stream: str) -> dict:
    """The schema file, with the ``account_id`` every stream starts with."""
    schema = json.loads((SCHEMA_DIR / f"{stream}.json").read_text())
    return {**schema, "properties": {"account_id": {"type": ["string"]}, **schema["properties"]}}


def _by_id(records: list[dict], key: str) -> dict[int, dict]:
    return {r[key]: r for r in records}


def test_every_stream_validates_against_its_schema(api, config):
    result = run_sync(config, streams=set(STREAM_ENTITIES))
    for stream, key in KEYS.items():
        records = result.records[stream]
        assert len(records) == len(api.data[STREAM_ENTITIES[stream]]), stream
        validator = jsonschema.Draft202012Validator(
            _schema(stream), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        for record in records:
            errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(record)]
            assert not errors, (stream, record[key], errors)
        assert result.schemas[stream]["schema"] == _schema(stream)
        assert result.schemas[stream]["key_properties"] == ["account_id", key]
        assert {r["account_id"] for r in records} == {ACCOUNT_ID}, stream
        replication_key = "updatetime" if stream == "sales" else "timeStamp"
        assert result.schemas[stream]["bookmark_properties"] == [replication_key]


def test_values_are_typed_and_named_as_lightspeed_names_them(api, config):
    records = run_sync(config, streams={"sales", "items", "customers"}).records
    sale_1 = _by_id(records["sales"], "saleID")[1]
    assert sale_1["saleID"] == 1
    assert sale_1["calcTotal"] == pytest.approx(32.08)
    assert sale_1["tax2Rate"] == pytest.approx(0.09975)
    assert sale_1["completed"] is True
    assert sale_1["voided"] is True  # voided after completion (standard dataset)
    assert sale_1["updatetime"] == "2024-03-01T10:00:40+00:00"
    assert sale_1["ticketNumber"] == "220000000001"
    line = sale_1["SaleLines"][0]
    assert line == {
        **line,
        "saleLineID": 100,
        "unitQuantity": 1,
        "unitPrice": pytest.approx(13.95),
        "tax": True,
    }
    open_sale = _by_id(records["sales"], "saleID")[2]
    assert "completeTime" not in open_sale  # unset on the wire: omitted, not invented
    item_1 = _by_id(records["items"], "itemID")[1]
    assert item_1["ItemShops"][1]["qoh"] == -3
    assert item_1["Prices"][0] == {
        "amount": pytest.approx(13.95),
        "useTypeID": 1,
        "useType": "Default",
    }
    assert item_1["Prices"][1]["amount"] == 15


def test_documented_fields_and_relations_arrive_typed(api, config):
    records = run_sync(config, streams=set(STREAM_ENTITIES)).records
    sale_3 = _by_id(records["sales"], "saleID")[3]
    assert (sale_3["tipEnabled"], sale_3["calcTips"], sale_3["tipEmployeeID"]) == (True, 0, 1)
    fee_line = sale_3["SaleLines"][1]
    assert fee_line == {
        **fee_line,
        "lineType": "item_fee",
        "itemFeeID": 3,
        "taxCategoryID": 1,
        "sortorder": "1",
        "priceRuleID": 0,
    }
    item_1 = _by_id(records["items"], "itemID")[1]
    assert (item_1["fifoCost"], item_1["itemAttributesID"], item_1["noteID"]) == (
        pytest.approx(4.5),
        1,
        0,
    )
    assert item_1["ItemAttributes"] == {
        "attribute1": "Red",
        "attribute2": "L",
        "attribute3": "",
        "itemAttributeSetID": 1,
    }
    assert item_1["ItemVendorNums"] == [
        {
            "itemVendorNumID": 1,
            "value": "V-1",
            "cost": pytest.approx(4.1),
            "timeStamp": "2024-03-01T10:00:00+00:00",
            "itemID": 1,
            "vendorID": 2,
        }
    ]
    assert _by_id(records["items"], "itemID")[2]["ItemVendorNums"] == []
    for shop in [item_1["ItemShops"][0], _by_id(records["item_shops"], "itemShopID")[10]]:
        # the payload's onWorkorder arrives as the documented onWorkOrder
        assert "onWorkorder" not in shop
        assert "_extra_fields" not in shop
        assert shop == {
            **shop,
            "onLayaway": 1,
            "onSpecialOrder": 0,
            "onWorkOrder": 2,
            "onTransferOut": 0,
            "onTransferIn": 3,
            "averageCost": pytest.approx(4.25),
            "totalValueFifo": pytest.approx(shop["qoh"] * 4.5),
            "totalValueAvgCost": pytest.approx(shop["qoh"] * 4.25),
            "totalValueNegativeInventory": 0,
            "lastReceivedCost": pytest.approx(4.75),
            "lastReceivedLotID": 313089,
            "nextFifoLotCost": pytest.approx(4.5),
            "nextFifoLotID": 313086,
        }
    customers = _by_id(records["customers"], "customerID")
    assert (customers[1]["employeeID"], customers[1]["noteID"]) == (1, 0)
    assert customers[3]["CustomFieldValues"] == []
    student, size = customers[2]["CustomFieldValues"]
    assert student == {
        "customFieldValueID": 21,
        "customFieldID": 6,
        "name": "Student",
        "type": "boolean",
        "value": "false",
        "deleted": False,
        "timeStamp": "2024-03-01T10:00:00+00:00",
    }
    assert size["value"] == {"customFieldChoiceID": "3", "name": "L", "value": "L"}


def test_nested_collections_are_plain_lists(api, config):
    customers = _by_id(run_sync(config, streams={"customers"}).records["customers"], "customerID")
    # two emails (list on the wire), one phone (object on the wire), "" websites
    assert [e["address"] for e in customers[1]["Contact"]["Emails"]] == [
        "c1.0@example.com",
        "c1.1@example.com",
    ]
    assert customers[1]["Contact"]["Phones"] == [{"number": "514-555-0100", "useType": "Mobile"}]
    assert customers[1]["Contact"]["Websites"] == []
    # one email (object on the wire) and no phone ("")
    assert customers[2]["Contact"]["Emails"] == [
        {"address": "c2.0@example.com", "useType": "Primary"}
    ]
    assert customers[2]["Contact"]["Phones"] == []
    # no email, no address
    assert customers[3]["Contact"]["Emails"] == []
    assert customers[3]["Contact"]["Addresses"] == []
    assert "dob" not in customers[2]


def test_sale_with_empty_and_single_nested_collections(api, config):
    sales = _by_id(run_sync(config, streams={"sales"}).records["sales"], "saleID")
    assert sales[2]["SaleLines"] == []
    assert sales[2]["SalePayments"] == []
    assert len(sales[1]["SaleLines"]) == 1
    assert len(sales[1]["SalePayments"]) == 1
    assert len(sales[3]["SaleLines"]) == 3
    assert sales[3]["SaleLines"][2]["unitQuantity"] == -1  # a return
    assert len(sales[3]["SalePayments"]) == 2


def test_item_without_shops_has_empty_item_shops(api, config):
    items = _by_id(run_sync(config, streams={"items"}).records["items"], "itemID")
    assert items[3]["ItemShops"] == []
    assert len(items[2]["ItemShops"]) == 1
    assert len(items[4]["ItemShops"]) == 3


def test_archived_records_are_included(api, config):
    records = run_sync(config, streams={"customers", "items", "sales"}).records
    assert _by_id(records["customers"], "customerID")[3]["archived"] is True
    assert _by_id(records["items"], "itemID")[3]["archived"] is True
    assert _by_id(records["sales"], "saleID")[4]["archived"] is True
    assert all("archived=true" in url for url in api.list_requests())  # no item_shops here


def test_page_with_one_record(api, config):
    api.data = {"Customer": [customer(9, 5)]}
    result = run_sync(config, streams={"customers"})
    assert result.ids("customers", "customerID") == [9]
    assert "Customer" in api.pages[0]
    assert isinstance(api.pages[0]["Customer"], dict)  # the wire sent an object


def test_pages_of_one_after_full_pages(api, config):
    # 7 customers with page_size 2: pages of 2, 2, 2 and a last one holding one object
    result = run_sync(config, streams={"customers"})
    assert sorted(result.ids("customers", "customerID")) == [1, 2, 3, 4, 5, 6, 7]
    assert isinstance(api.pages[-1]["Customer"], dict)


def test_page_with_zero_records(api, config):
    api.data = {"Customer": []}
    result = run_sync(config, streams={"customers"})
    assert result.records["customers"] == []
    assert api.pages == [{"@attributes": {"next": "", "previous": ""}}]
    assert result.states[-1]["bookmarks"].get("customers", {}).get("replication_key_value") is None


def test_empty_last_page_after_full_pages(api, config):
    # 6 sales with page_size 2: the third page is full, so a fourth page comes back empty
    result = run_sync(config, streams={"sales"})
    assert sorted(result.ids("sales", "saleID")) == [1, 2, 3, 4, 5, 6]
    assert "Sale" not in api.pages[-1]
    assert len(api.pages) == 4


def test_image_url_is_computed(api, config):
    api.data["Image"].append(image(5, 50, publicID="", filename="x.png"))
    images = _by_id(run_sync(config, streams={"images"}).records["images"], "imageID")
    assert images[1]["url"] == (
        "https://res.cloudinary.com/lightspeed-retail/image/upload/abc1xyz.JPG"
    )
    assert images[3]["url"] is None  # filename without an extension
    assert images[5]["url"] is None  # no publicID


def test_unknown_fields_are_kept_in_extra_fields_and_logged_once(api, config, caplog):
    api.data["Customer"].append(customer(8, 40, newField="again", Contact2={"x": "1"}))
    api.data["Item"] = [item(1, 0, brandNew="1"), item(2, 1, brandNew="2")]
    caplog.set_level(logging.WARNING)
    records = run_sync(config, streams={"customers", "items"}).records
    customers = _by_id(records["customers"], "customerID")
    assert customers[7]["_extra_fields"] == {"newField": "surprise"}
    assert customers[8]["_extra_fields"] == {"newField": "again", "Contact2": {"x": "1"}}
    assert all("newField" not in r and "Contact2" not in r for r in records["customers"])
    assert "_extra_fields" not in customers[1]  # nothing unknown: no column value
    items = _by_id(records["items"], "itemID")
    assert [items[1]["_extra_fields"], items[2]["_extra_fields"]] == [
        {"brandNew": "1"},
        {"brandNew": "2"},
    ]
    notices = [r.getMessage() for r in caplog.records if "not in the schema" in r.getMessage()]
    assert len([n for n in notices if "'customers'" in n]) == 1  # once per field per run
    assert len([n for n in notices if "'items'" in n]) == 1
    customer_notice = next(n for n in notices if "'customers'" in n)
    assert "kept in _extra_fields" in customer_notice
    assert "newField" in customer_notice
    assert "Contact2" in customer_notice


def test_unknown_nested_field_is_kept_in_its_objects_extra_fields(api, config, caplog):
    api.data["Sale"] = [sale(1, 0, lines=2)]
    api.data["Sale"][0]["SaleLines"]["SaleLine"][0]["futureFlag"] = "true"
    caplog.set_level(logging.WARNING)
    records = run_sync(config, streams={"sales"}).records["sales"]
    first, second = records[0]["SaleLines"]
    assert first["_extra_fields"] == {"futureFlag": "true"}
    assert "futureFlag" not in first
    assert "_extra_fields" not in second
    assert "_extra_fields" not in records[0]
    assert any("SaleLines.futureFlag" in r.getMessage() for r in caplog.records)


def test_unknown_fields_are_dropped_and_said_so_when_extra_fields_is_deselected(
    api, config, caplog
):
    catalog = catalog_for(config, {"customers"})
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "customers")
    for md in entry["metadata"]:
        if md["breadcrumb"] == ["properties", "_extra_fields"]:
            md["metadata"]["selected"] = False
    caplog.set_level(logging.WARNING)
    records = _by_id(run_sync(config, catalog=catalog).records["customers"], "customerID")
    assert "_extra_fields" not in records[7]
    assert "newField" not in records[7]
    notices = [r.getMessage() for r in caplog.records if "not in the schema" in r.getMessage()]
    assert len(notices) == 1
    assert "left out of records" in notices[0]
    assert "newField" in notices[0]


def test_catalog_schema_and_deselected_properties_shape_the_records(api, config):
    catalog = catalog_for(config, {"customers"})
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "customers")
    del entry["schema"]["properties"]["title"]  # an older catalog without this field
    for md in entry["metadata"]:
        if md["breadcrumb"] == ["properties", "company"]:
            md["metadata"]["selected"] = False
    result = run_sync(config, catalog=catalog)
    records = result.records["customers"]
    assert len(records) == 7
    assert all("title" not in r and "company" not in r for r in records)
    assert all("firstName" in r for r in records)
    announced = result.schemas["customers"]["schema"]["properties"]
    assert "title" not in announced
    assert "company" not in announced
