"""Mapping input records (tap shape and flat warehouse rows) to payloads."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from target_lightspeed.mapping import MapperSettings, MappingError, RecordMapper, SaleRefs
from target_lightspeed.mapping.items import PriceLevels
from target_lightspeed.settings import parse_match_keys

DEFAULTS = {
    "default_employee_id": "1",
    "default_register_id": "2",
    "default_shop_id": "3",
    "default_payment_type_id": "4",
}


def mapper(entity: str, **settings) -> RecordMapper:
    base = {
        "match_keys": parse_match_keys(None),
        "id_map": {},
        "keep_foreign_keys": frozenset(),
        "reference_number_source": "target-lightspeed",
        "defaults": dict(DEFAULTS),
    }
    base.update(settings)
    warnings: list[str] = []
    m = RecordMapper("s", entity, MapperSettings(**base), warnings.append)
    m.warnings = warnings  # type: ignore[attr-defined]
    return m


def test_tap_shaped_customer_drops_read_only_and_foreign_ids():
    record = {
        "customerID": 12,
        "firstName": "Ada",
        "timeStamp": "2024-01-01T00:00:00+00:00",
        "createTime": "2024-01-01T00:00:00+00:00",
        "customerTypeID": 2,
        "discountID": 0,
        "Contact": {
            "contactID": 12,
            "timeStamp": "2024-01-01T00:00:00+00:00",
            "noEmail": False,
            "Emails": [{"address": "Ada@Example.com", "useType": "Primary"}],
        },
    }
    m = mapper("customers")
    mapped = m.map(record)
    assert mapped.body == {
        "firstName": "Ada",
        "Contact": {
            "noEmail": False,
            "Emails": {"ContactEmail": [{"address": "Ada@Example.com", "useType": "Primary"}]},
        },
    }
    assert mapped.match_key_text == "email=ada@example.com"
    assert mapped.source_id == "12"
    assert any("customerTypeID" in w and "id_map" in w for w in m.warnings)
    kept = mapper("customers", id_map={"customerTypeID": {"2": "9"}}).map(record)
    assert kept.body["customerTypeID"] == "9"
    kept = mapper("customers", keep_foreign_keys=frozenset({"customerTypeID"})).map(record)
    assert kept.body["customerTypeID"] == "2"


def test_flat_item_folds_prices_and_is_matched_by_sku_then_upc():
    row = {
        "sku": "A-1",
        "upc": "012345678905",
        "description": " Pen ",
        "price": Decimal("2.50"),
        "msrp": 3,
        "colour": "red",
    }
    m = mapper("items")
    mapped = m.map(row)
    assert mapped.body == {
        "customSku": "A-1",
        "upc": "012345678905",
        "description": "Pen",
        "Prices": {
            "ItemPrice": [
                {"amount": "2.5", "useType": "Default", "useTypeID": "1"},
                {"amount": "3", "useType": "MSRP", "useTypeID": "2"},
            ]
        },
    }
    assert [k.text for k in mapped.keys] == ["customSku=A-1", "upc=012345678905"]
    assert any("colour" in w for w in m.warnings)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"description": "x", "upc": "12"}, "upc"),
        ({"description": "x", "price": "cheap"}, "Prices[0].amount"),
        ({"description": "x", "tax": "maybe"}, "tax"),
        (
            {"description": "x", "Prices": [{"amount": 1, "useType": "Wholesale"}]},
            "Prices[0].useType",
        ),
    ],
)
def test_bad_item_values_name_the_field(row, field):
    m = mapper("items")
    m.price_levels = PriceLevels.from_wire(
        [{"priceLevelID": "1", "name": "Default", "canBeArchived": "false"}]
    )
    with pytest.raises(MappingError, match=re.escape(f"field '{field}'")):
        m.map(row)


def test_flat_sale_with_lines_payments_and_customer_email():
    row = {
        "reference_number": "WEB-9",
        "customer_email": "ADA@example.com",
        "completed": True,
        "total": Decimal("10.80"),
        "lines": [{"custom_sku": "A-1", "quantity": 2, "unit_price": 5}],
        "payments": [{"amount": Decimal("10.80")}],
    }
    refs = SaleRefs(
        customers_by_email={"ada@example.com": "7"}, items_by_key={"customSku=A-1": "3"}
    )
    mapped = mapper("sales").map(row, refs)
    assert mapped.body == {
        "referenceNumber": "WEB-9",
        "referenceNumberSource": "target-lightspeed",
        "enablePromotions": False,
        "completed": True,
        "employeeID": "1",
        "registerID": "2",
        "shopID": "3",
        "customerID": "7",
        "SaleLines": {"SaleLine": [{"itemID": "3", "unitQuantity": 2, "unitPrice": "5"}]},
        "SalePayments": {"SalePayment": [{"amount": "10.8", "paymentTypeID": "4"}]},
    }
    assert mapped.match_key_text == "referenceNumber=WEB-9"


def test_sale_line_discounts_are_copied_their_discount_mapped_like_any_reference_id():
    line = {"itemID": 9, "unitQuantity": 2, "unitPrice": "10", "discountAmount": "0"}
    record = {
        "saleID": 1,
        "discountID": 4,
        "SaleLines": [{**line, "discountPercent": "0.1", "discountID": 1}],
    }
    refs = SaleRefs(items={"9": "3"})
    mapped = mapper("sales", id_map={"discountID": {"1": "6", "4": "7"}}).map(record, refs)
    assert mapped.body["discountID"] == "7"
    assert mapped.body["SaleLines"]["SaleLine"] == [
        {
            "itemID": "3",
            "discountID": "6",
            "unitQuantity": 2,
            "unitPrice": "10",
            "discountAmount": "0",
            "discountPercent": "0.1",
        }
    ]
    unmapped = mapper("sales")  # a source account's discount is left out, with one warning
    lines = unmapped.map(record, refs).body["SaleLines"]["SaleLine"]
    assert "discountID" not in lines[0]
    assert lines[0]["discountPercent"] == "0.1"
    assert len([w for w in unmapped.warnings if "'discountID'" in w]) == 1  # type: ignore[attr-defined]
    flat = {"reference_number": "R", "lines": [{"item_id": 9, "discount_percent": 0.25}]}
    flat_line = mapper("sales").map(flat, refs).body["SaleLines"]["SaleLine"][0]
    assert flat_line["discountPercent"] == "0.25"


def test_sale_reference_number_is_derived_from_the_source_id():
    mapped = mapper("sales").map({"saleID": 41})
    assert mapped.body["referenceNumber"] == "s-41"
    with pytest.raises(MappingError, match="referenceNumber"):
        mapper("sales").map({"completed": False})


def test_sale_needs_employee_register_shop():
    m = mapper("sales", defaults={})
    with pytest.raises(MappingError, match="default_employee_id"):
        m.map({"saleID": 1})


def test_unmapped_source_customer_rejects_the_sale():
    with pytest.raises(MappingError, match="customer 5 of the source account"):
        mapper("sales").map({"saleID": 1, "customerID": 5}, SaleRefs())
    mapped = mapper("sales").map({"saleID": 1, "customerID": 5}, SaleRefs(customers={"5": "8"}))
    assert mapped.body["customerID"] == "8"


def test_flat_rows_without_entity_id_use_the_stream_key():
    mapped = mapper("customers").map({"id": 31, "first_name": "Al"}, key_properties=("id",))
    assert mapped.source_id == "31"
    assert mapped.ledger_key == "source:s:31"


def test_match_key_settings_are_checked():
    assert parse_match_keys({"customers": ["email", "firstName+lastName"]})["customers"] == [
        ("email",),
        ("firstName", "lastName"),
    ]
    with pytest.raises(Exception, match="unknown field"):
        parse_match_keys({"items": ["colour"]})


def test_fields_the_tap_reads_but_the_target_never_writes_raise_no_warning():
    customer = mapper("customers")
    body = customer.map(
        {
            "account_id": "120645",  # every tap-lightspeed record names its source account
            "firstName": "Ada",
            "employeeID": 3,
            "noteID": 9,
            "CustomFieldValues": [{"customFieldID": 1, "value": "true"}],
        }
    ).body
    assert body == {"firstName": "Ada"}
    item = mapper("items")
    body = item.map(
        {
            "account_id": "120645",
            "description": "Pen",
            "fifoCost": 1.5,
            "itemAttributesID": 4,
            "noteID": 2,
            "archived": True,
            "ItemAttributes": {"attribute1": "Red"},
            "ItemVendorNums": [{"value": "V1"}],
        }
    ).body
    assert body == {"description": "Pen"}
    assert customer.warnings == []  # type: ignore[attr-defined]
    assert item.warnings == []  # type: ignore[attr-defined]
