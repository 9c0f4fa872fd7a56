"""The write-side wire form: wrapping, read-only fields, values, cost, comparison."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from lightspeed_client.writes import (
    changed_fields,
    format_decimal,
    is_read_only,
    matches_existing,
    payload_hash,
    to_wire,
    wire_scalar,
    write_cost,
)


def test_collections_are_wrapped_at_every_level():
    payload = {
        "firstName": "Ada",
        "Contact": {
            "Emails": [{"address": "a@b.com", "useType": "Primary"}],
            "Phones": [],
            "Addresses": [{"address1": "1 Way", "city": "X"}],
            "Websites": [{"url": "https://x.io"}],
        },
    }
    assert to_wire("Customer", payload) == {
        "firstName": "Ada",
        "Contact": {
            "Emails": {"ContactEmail": [{"address": "a@b.com", "useType": "Primary"}]},
            "Phones": {"ContactPhone": []},
            "Addresses": {"ContactAddress": [{"address1": "1 Way", "city": "X"}]},
            "Websites": {"ContactWebsite": [{"url": "https://x.io"}]},
        },
    }
    sale = {"SaleLines": [{"itemID": "3", "unitQuantity": 1}], "SalePayments": [{"amount": 1}]}
    assert to_wire("Sale", sale) == {
        "SaleLines": {"SaleLine": [{"itemID": "3", "unitQuantity": 1}]},
        "SalePayments": {"SalePayment": [{"amount": 1}]},
    }
    assert to_wire(
        "Item", {"Prices": {"ItemPrice": {"amount": Decimal("2.50"), "useType": "MSRP"}}}
    ) == {"Prices": {"ItemPrice": [{"amount": "2.5", "useType": "MSRP"}]}}


def test_read_only_fields_are_never_sent():
    payload = {
        "itemID": 4,
        "systemSku": "210000000004",
        "timeStamp": "2024-01-01T00:00:00+00:00",
        "createTime": "2024-01-01T00:00:00+00:00",
        "avgCost": Decimal(1),
        "archived": True,  # only a DELETE archives an item: never in an Item body
        "description": "Pen",
        "Prices": [{"amount": 1, "useType": "Default", "useTypeID": 1}],
    }
    assert to_wire("Item", payload) == {
        "description": "Pen",
        # useTypeID names the (target account's) price level: it is sent
        "Prices": {"ItemPrice": [{"amount": 1, "useType": "Default", "useTypeID": 1}]},
    }
    sale = {
        "saleID": 1,
        "calcTotal": 3,
        "total": 3,
        "SaleLines": [{"saleLineID": 2, "calcSubtotal": 1, "unitPrice": 1}],
    }
    assert to_wire("Sale", sale) == {"SaleLines": {"SaleLine": [{"unitPrice": 1}]}}
    assert is_read_only("Sale", "calcAnything")
    assert not is_read_only("Customer", "firstName")


def test_values_become_what_the_api_accepts():
    assert wire_scalar(Decimal("13.950")) == "13.95"
    assert wire_scalar(Decimal("1E+2")) == "100"
    assert wire_scalar(Decimal("-0.00")) == "0"
    assert wire_scalar(0.1) == "0.1"
    assert wire_scalar(True) is True
    assert wire_scalar(7) == 7
    tz = timezone(timedelta(hours=-4))
    assert wire_scalar(datetime(2024, 5, 1, 20, 0, tzinfo=tz)) == "2024-05-02T00:00:00+00:00"
    assert wire_scalar(date(2019, 4, 29)) == "2019-04-29T00:00:00+00:00"
    assert format_decimal(Decimal("0.09975")) == "0.09975"
    with pytest.raises(ValueError, match="finite"):
        wire_scalar(Decimal("NaN"))


def test_write_cost_follows_the_2026_model():
    assert write_cost("Customer", "POST", {"firstName": "A"}) == 1
    body = to_wire("Customer", {"Contact": {"Emails": [{"address": "a@b"}, {"address": "c@d"}]}})
    assert write_cost("Customer", "POST", body) == 1 + 0.5 * 3  # Contact + 2 emails
    sale = to_wire("Sale", {"completed": True, "SaleLines": [{"unitPrice": 1}] * 2})
    assert write_cost("Sale", "POST", sale) == 2 + 3 + 0.5 * 2


def test_matches_existing_compares_as_the_api_stores():
    stored = {
        "firstName": "Ada",
        "archived": "false",
        "dob": "2019-04-29T04:00:00+00:00",
        "Contact": {
            "Emails": {"ContactEmail": {"address": "a@b.com", "useType": "Primary"}},
            "Phones": "",
        },
        "Prices": {
            "ItemPrice": [
                {"amount": "2.5", "useType": "Default"},
                {"amount": "0", "useType": "MSRP"},
            ]
        },
        "defaultCost": "3",
    }
    body = to_wire(
        "Customer",
        {
            "firstName": "Ada",
            "archived": False,
            "dob": "2019-04-29T00:00:00-04:00",
            "Contact": {"Emails": [{"address": "a@b.com", "useType": "Primary"}], "Phones": []},
            "Prices": [{"amount": Decimal("2.50"), "useType": "Default"}],
            "defaultCost": Decimal("3.00"),
        },
    )
    assert matches_existing(stored, body)
    assert not matches_existing(stored, {**body, "firstName": "Grace"})
    assert changed_fields(stored, {**body, "firstName": "Grace"}) == ["firstName"]
    assert not matches_existing(
        stored, to_wire("Customer", {"Contact": {"Phones": [{"number": "1"}]}})
    )


def test_payload_hash_is_stable():
    assert payload_hash({"b": 1, "a": [1, 2]}) == payload_hash({"a": [1, 2], "b": 1})
    assert payload_hash({"a": 1}) != payload_hash({"a": 2})
