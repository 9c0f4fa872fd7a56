from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from lightspeed_client import WireFormatError
from lightspeed_client.wire import (
    EXTRA_FIELDS,
    RecordReader,
    as_list,
    decode_json,
    next_page_url,
    normalize_timestamp,
)


def nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


TIME = nullable("string", format="date-time")
EMAIL = {
    "type": "object",
    "properties": {"address": nullable("string"), "useType": nullable("string")},
}
CUSTOMER_SCHEMA = {
    "type": "object",
    "properties": {
        "customerID": nullable("integer"),
        "firstName": nullable("string"),
        "creditAccountID": nullable("integer"),
        "archived": nullable("boolean"),
        "dob": TIME,
        "timeStamp": TIME,
        "Contact": {
            "type": ["object", "null"],
            "properties": {
                "noEmail": nullable("boolean"),
                "Emails": {"type": ["array", "null"], "items": EMAIL},
                "Phones": {
                    "type": ["array", "null"],
                    "items": {"type": "object", "properties": {"number": nullable("string")}},
                },
            },
        },
    },
}
LINE = {
    "type": "object",
    "properties": {
        "saleLineID": nullable("integer"),
        "unitQuantity": nullable("integer"),
        "unitPrice": nullable("number"),
    },
}
SALE_SCHEMA = {
    "type": "object",
    "properties": {
        "saleID": nullable("integer"),
        "completed": nullable("boolean"),
        "calcTotal": nullable("number"),
        "completeTime": TIME,
        "updatetime": TIME,
        "SaleLines": {"type": ["array", "null"], "items": LINE},
    },
}


def customer(**overrides) -> dict:
    wire = {
        "customerID": "12",
        "firstName": "Ada",
        "creditAccountID": "0",
        "archived": "false",
        "timeStamp": "2016-02-13T00:47:21+00:00",
        "Contact": {
            "noEmail": "false",
            "Emails": {"ContactEmail": {"address": "ada@example.com", "useType": "Primary"}},
            "Phones": "",
        },
    }
    wire.update(overrides)
    return wire


def test_one_result_comes_as_an_object_and_becomes_one_record():
    reader = RecordReader(CUSTOMER_SCHEMA, "Customer")
    records = reader.read_page({"@attributes": {"count": "1"}, "Customer": customer()})
    assert records == [
        {
            "customerID": 12,
            "firstName": "Ada",
            "creditAccountID": 0,
            "archived": False,
            "timeStamp": "2016-02-13T00:47:21+00:00",
            "Contact": {
                "noEmail": False,
                "Emails": [{"address": "ada@example.com", "useType": "Primary"}],
                "Phones": [],
            },
        }
    ]


def test_a_list_of_results_keeps_its_order():
    reader = RecordReader(CUSTOMER_SCHEMA, "Customer")
    page = {"Customer": [customer(customerID="1"), customer(customerID="2")]}
    assert [r["customerID"] for r in reader.read_page(page)] == [1, 2]


@pytest.mark.parametrize(
    "payload",
    [
        {"@attributes": {"next": "", "previous": ""}},
        {"@attributes": {"count": "0"}, "Customer": ""},
        {},
        None,
    ],
)
def test_zero_results_mean_no_records(payload):
    assert RecordReader(CUSTOMER_SCHEMA, "Customer").read_page(payload) == []


def test_double_wrapped_collections_become_plain_lists_at_every_depth():
    reader = RecordReader(SALE_SCHEMA, "Sale")
    many = {
        "saleID": "7",
        "SaleLines": {
            "SaleLine": [
                {"saleLineID": "1", "unitQuantity": "-2", "unitPrice": "13.95"},
                {"saleLineID": "2", "unitQuantity": "1", "unitPrice": "0.09975"},
            ]
        },
    }
    one = {"saleID": "8", "SaleLines": {"SaleLine": {"saleLineID": "3", "unitQuantity": "1"}}}
    empty = {"saleID": "9", "SaleLines": ""}
    records = reader.read_page({"Sale": [many, one, empty]})
    assert records[0]["SaleLines"] == [
        {"saleLineID": 1, "unitQuantity": -2, "unitPrice": Decimal("13.95")},
        {"saleLineID": 2, "unitQuantity": 1, "unitPrice": Decimal("0.09975")},
    ]
    assert records[1]["SaleLines"] == [{"saleLineID": 3, "unitQuantity": 1}]
    assert records[2]["SaleLines"] == []


def test_every_scalar_string_becomes_the_schema_type():
    reader = RecordReader(SALE_SCHEMA, "Sale")
    (record,) = reader.read_page(
        {"Sale": {"saleID": "44", "completed": "true", "calcTotal": "0", "SaleLines": ""}}
    )
    assert record == {"saleID": 44, "completed": True, "calcTotal": Decimal("0"), "SaleLines": []}
    assert type(record["saleID"]) is int


def test_unset_fields_stay_out_of_the_record():
    reader = RecordReader(SALE_SCHEMA, "Sale")
    (record,) = reader.read_page({"Sale": {"saleID": "1", "completed": "false"}})
    assert "completeTime" not in record
    assert "dob" not in RecordReader(CUSTOMER_SCHEMA, "Customer").read_record(customer())


def test_zero_foreign_key_is_the_integer_zero():
    record = RecordReader(CUSTOMER_SCHEMA, "Customer").read_record(customer())
    assert record["creditAccountID"] == 0


@pytest.mark.parametrize("spelling", ["updatetime", "updateTime"])
def test_both_spellings_of_sale_updatetime_are_understood(spelling):
    reader = RecordReader(SALE_SCHEMA, "Sale")
    record = reader.read_record({"saleID": "1", spelling: "2024-05-01T10:00:00+00:00"})
    assert record["updatetime"] == "2024-05-01T10:00:00+00:00"
    assert reader.unknown_fields == set()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2016-02-13T00:47:21+00:00", "2016-02-13T00:47:21+00:00"),
        ("2016-02-13T00:47:21-00:00", "2016-02-13T00:47:21+00:00"),
        ("2016-02-12T20:47:21-04:00", "2016-02-13T00:47:21+00:00"),
        ("2016-02-13T00:47:21Z", "2016-02-13T00:47:21+00:00"),
        ("2016-02-13T00:47:21", "2016-02-13T00:47:21+00:00"),
        ("2016-02-13T00:47:21.250000+00:00", "2016-02-13T00:47:21.250000+00:00"),
        ("2019-04-29", "2019-04-29T00:00:00+00:00"),
        (
            datetime(2016, 2, 13, 2, 47, 21, tzinfo=timezone(timedelta(hours=2))),
            "2016-02-13T00:47:21+00:00",
        ),
    ],
)
def test_timestamps_are_normalised_to_utc_text(given, expected):
    assert normalize_timestamp(given) == expected


def test_normalised_timestamps_sort_as_text_like_instants():
    values = ["2024-01-01T23:00:00-02:00", "2024-01-02T00:30:00+00:00", "2024-01-02T00:00:00Z"]
    normalised = sorted(normalize_timestamp(v) for v in values)
    assert normalised == [
        "2024-01-02T00:00:00+00:00",
        "2024-01-02T00:30:00+00:00",
        "2024-01-02T01:00:00+00:00",
    ]


def test_fields_the_schema_does_not_know_are_dropped_and_reported():
    reader = RecordReader(CUSTOMER_SCHEMA, "Customer")
    wire = customer(loyaltyTier="gold")
    wire["Contact"]["Emails"]["ContactEmail"]["verified"] = "true"
    record = reader.read_record(wire)
    assert "loyaltyTier" not in record
    assert "verified" not in record["Contact"]["Emails"][0]
    assert reader.unknown_fields == {"loyaltyTier", "Contact.Emails.verified"}


def with_extra_fields(schema: dict) -> dict:
    """The schema with an ``_extra_fields`` object in every object that has properties."""
    if "properties" in schema:
        properties = {k: with_extra_fields(v) for k, v in schema["properties"].items()}
        return {**schema, "properties": {**properties, EXTRA_FIELDS: nullable("object")}}
    if "items" in schema:
        return {**schema, "items": with_extra_fields(schema["items"])}
    return schema


def test_fields_the_schema_does_not_know_are_kept_where_it_has_extra_fields():
    reader = RecordReader(with_extra_fields(CUSTOMER_SCHEMA), "Customer")
    wire = customer(loyaltyTier="gold", Tags={"tag": ["vip", "b2b"]})
    wire["Contact"]["Emails"]["ContactEmail"]["verified"] = "true"
    record = reader.read_record(wire)
    assert record[EXTRA_FIELDS] == {"loyaltyTier": "gold", "Tags": {"tag": ["vip", "b2b"]}}
    assert "loyaltyTier" not in record
    assert record["Contact"]["Emails"][0] == {
        "address": "ada@example.com",
        "useType": "Primary",
        EXTRA_FIELDS: {"verified": "true"},
    }
    assert EXTRA_FIELDS not in record["Contact"]  # nothing unknown there
    assert reader.unknown.kept == {"loyaltyTier", "Tags", "Contact.Emails.verified"}
    assert reader.unknown.dropped == set()
    assert reader.read_record(customer()).get(EXTRA_FIELDS) is None  # per record, not shared


def test_item_shop_onworkorder_is_read_as_the_documented_onworkorder():
    schema = {"type": "object", "properties": {"onWorkOrder": nullable("integer")}}
    reader = RecordReader(schema, "ItemShop")
    assert reader.read_record({"onWorkorder": "2"}) == {"onWorkOrder": 2}
    assert reader.read_record({"onWorkOrder": "3"}) == {"onWorkOrder": 3}
    assert reader.unknown_fields == set()


def test_a_property_of_several_types_is_kept_as_it_came():
    schema = {"type": "object", "properties": {"value": {"type": ["string", "object", "null"]}}}
    reader = RecordReader(schema, "CustomFieldValue")
    assert reader.read_record({"value": "true"}) == {"value": "true"}
    choice = {"customFieldChoiceID": "3", "name": "L"}
    assert reader.read_record({"value": choice}) == {"value": choice}


def test_an_unreadable_value_names_entity_record_and_field():
    reader = RecordReader(SALE_SCHEMA, "Sale")
    wire = {
        "saleID": "31",
        "SaleLines": {"SaleLine": [{"saleLineID": "1"}, {"saleLineID": "2", "unitPrice": "1,5"}]},
    }
    with pytest.raises(WireFormatError) as raised:
        reader.read_record(wire)
    assert raised.value.entity == "Sale"
    assert raised.value.record_id == "31"
    assert raised.value.field == "SaleLines[1].unitPrice"
    assert str(raised.value) == "Sale 31: field 'SaleLines[1].unitPrice': '1,5' is not a number"


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("customerID", "12a", "is not an integer"),
        ("archived", "maybe", "is not a boolean"),
        ("timeStamp", "yesterday", "is not a date-time"),
        ("firstName", {"nested": "x"}, "expected text"),
    ],
)
def test_each_kind_of_bad_value_is_named(field, value, detail):
    with pytest.raises(WireFormatError, match=detail) as raised:
        RecordReader(CUSTOMER_SCHEMA, "Customer").read_record(customer(**{field: value}))
    assert raised.value.field == field


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "sNaN", float("nan")])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(WireFormatError, match="is not a number"):
        RecordReader(SALE_SCHEMA, "Sale").read_record({"saleID": "1", "calcTotal": value})


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("customerID", "1.5", "is not an integer"),
        ("creditAccountID", "NaN", "is not an integer"),
    ],
)
def test_integers_must_be_whole(field, value, detail):
    with pytest.raises(WireFormatError, match=detail) as raised:
        RecordReader(CUSTOMER_SCHEMA, "Customer").read_record(customer(**{field: value}))
    assert raised.value.field == field


def test_empty_strings_in_scalar_fields_are_null():
    reader = RecordReader(SALE_SCHEMA, "Sale")
    record = reader.read_record(
        {"saleID": "1", "calcTotal": "", "completed": "", "completeTime": ""}
    )
    assert record == {"saleID": 1, "calcTotal": None, "completed": None, "completeTime": None}


def test_values_already_typed_pass_through():
    reader = RecordReader(SALE_SCHEMA, "Sale")
    record = reader.read_record({"saleID": 5, "completed": True, "calcTotal": 2.46})
    assert record == {"saleID": 5, "completed": True, "calcTotal": Decimal("2.46")}


def test_next_page_url_is_taken_exactly_as_given():
    url = (
        "https://api/API/V3/Account/1/Customer.json?limit=100&after=WyIyMDIxIiw1NDRd&sort=timeStamp"
    )
    assert next_page_url({"@attributes": {"next": url, "previous": ""}}) == url
    assert next_page_url({"@attributes": {"next": "", "previous": url}}) is None
    assert next_page_url({"Customer": []}) is None


def test_as_list_and_decode_json():
    assert as_list("") == []
    assert as_list(None) == []
    assert as_list({"a": 1}) == [{"a": 1}]
    assert decode_json(b'{"Customer": {"customerID": "1"}}') == {"Customer": {"customerID": "1"}}


def test_filter_values_are_built_in_one_place():
    from urllib.parse import urlencode

    from lightspeed_client.wire import filter_value, in_filter

    moment = datetime(2024, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    assert filter_value(">=", moment) == ">=,2024-01-01T00:00:00+00:00"
    assert urlencode({"timeStamp": filter_value(">=", moment)}) == (
        "timeStamp=%3E%3D%2C2024-01-01T00%3A00%3A00%2B00%3A00"
    )
    assert in_filter(["a@b.com", "c@d.com"]) == 'IN,["a@b.com","c@d.com"]'
    with pytest.raises(ValueError, match="at most 100"):
        in_filter([str(n) for n in range(101)])
    with pytest.raises(ValueError, match="Unknown filter operator"):
        filter_value("=>", "x")
