"""Every wire quirk of section 6 of the API reference."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import Api, as_list

TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
MINIMAL_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d*[1-9])?$")


def walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(walk(v, f"{path}.{k}"))
    elif isinstance(value, list):
        assert len(value) >= 2, f"one-item list at {path}"
        for v in value:
            out.extend(walk(v, path))
    else:
        out.append((path, value))
    return out


@pytest.mark.parametrize(
    ("entity", "relations"),
    [("Customer", "all"), ("Item", "all"), ("Sale", "all"), ("Image", "all"), ("ItemShop", "all")],
)
def test_every_scalar_is_a_string_and_no_one_item_lists(
    api: Api, entity: str, relations: str
) -> None:
    body = api.get(f"{entity}.json", {"load_relations": relations, "archived": "true"}).json()
    scalars = walk(as_list(body, entity))
    assert scalars
    for path, value in scalars:
        assert isinstance(value, str), f"{path} = {value!r}"
        assert value is not None


def test_timestamps_are_utc_seconds(api: Api) -> None:
    for entity in ("Customer", "Item", "Sale", "Image", "ItemShop"):
        for rec in as_list(api.get(f"{entity}.json").json(), entity):
            for key in ("timeStamp", "createTime", "completeTime", "updatetime", "dob"):
                if key in rec:
                    assert TS_RE.match(rec[key]), (entity, key, rec[key])


def test_sale_has_updatetime_not_updateTime(api: Api) -> None:
    for sale in as_list(api.get("Sale.json").json(), "Sale"):
        assert "updatetime" in sale
        assert "updateTime" not in sale


def test_numbers_are_minimally_formatted(api: Api) -> None:
    sales = as_list(
        api.get("Sale.json", {"load_relations": '["SaleLines","SalePayments"]'}).json(), "Sale"
    )
    amounts = []
    for sale in sales:
        amounts += [sale[k] for k in ("calcTotal", "calcSubtotal", "total", "balance", "calcTax1")]
        for line in as_list(sale["SaleLines"] or {}, "SaleLine"):
            amounts += [line["unitPrice"], line["calcTotal"]]
    items = as_list(api.get("Item.json").json(), "Item")
    amounts += [p["amount"] for i in items for p in i["Prices"]["ItemPrice"]]
    assert all(MINIMAL_NUMBER.match(a) for a in amounts), [
        a for a in amounts if not MINIMAL_NUMBER.match(a)
    ]
    assert any("." in a for a in amounts)
    assert any("." not in a for a in amounts)


def test_one_result_is_an_object_zero_results_omit_the_key(api: Api) -> None:
    one = api.get("Customer.json", {"customerID": "5"}).json()
    assert isinstance(one["Customer"], dict)
    assert one["Customer"]["customerID"] == "5"
    one_page = api.get("Customer.json", {"limit": "1"}).json()
    assert isinstance(one_page["Customer"], dict)
    none = api.get("Customer.json", {"firstName": "Nobody-At-All"}).json()
    assert none == {"@attributes": {"next": "", "previous": ""}}


def test_nested_single_is_object_many_is_list_empty_is_empty_string(api: Api) -> None:
    customers = api.all("Customer", {"load_relations": '["Contact"]', "limit": "100"})[:600]
    shapes = {"dict": 0, "list": 0, "empty": 0}
    websites = set()
    for c in customers:
        emails = c["Contact"]["Emails"]
        websites.add(c["Contact"]["Websites"])
        if emails == "":
            shapes["empty"] += 1
        elif isinstance(emails["ContactEmail"], dict):
            shapes["dict"] += 1
        else:
            assert isinstance(emails["ContactEmail"], list)
            assert len(emails["ContactEmail"]) >= 2
            shapes["list"] += 1
    assert all(shapes.values()), shapes
    assert websites == {""}
    sales = api.all("Sale", {"load_relations": '["SalePayments"]', "completed": "false"})
    assert sales
    assert all(s["SalePayments"] == "" for s in sales)


def test_double_wrapped_collections(api: Api) -> None:
    item = api.get("Item/2.json", {"load_relations": '["ItemShops","Images"]'}).json()["Item"]
    assert set(item["Prices"]) == {"ItemPrice"}
    assert set(item["ItemShops"]) == {"ItemShop"}
    sale = api.get("Sale/1.json", {"load_relations": '["SaleLines","SalePayments"]'}).json()["Sale"]
    assert set(sale["SaleLines"]) == {"SaleLine"}


def test_zero_means_no_foreign_key(api: Api) -> None:
    sales = api.all("Sale", {"archived": "true"})
    assert any(s["customerID"] == "0" for s in sales)
    assert all(s["quoteID"] == "0" for s in sales)
    items = api.all("Item", {"archived": "true"})
    assert all(i["departmentID"] == "0" for i in items)
    assert any(i["itemMatrixID"] == "0" and i["itemAttributesID"] == "0" for i in items)


def test_unset_fields_are_omitted(api: Api) -> None:
    sales = api.all("Sale", {"archived": "true"})
    open_sales = [s for s in sales if s["completed"] == "false"]
    assert open_sales
    assert all("completeTime" not in s for s in open_sales)
    assert all("completeTime" in s for s in sales if s["completed"] == "true")
    customers = api.all("Customer", {"limit": "100"})
    assert any("dob" not in c for c in customers)
    assert any("dob" in c for c in customers)
    assert not any(v is None for c in customers for v in c.values())


def test_error_bodies_are_json_served_as_text_html(api: Api) -> None:
    for resp in (
        api.get("Customer/999999.json"),
        api.get("Customer.json", {"sort": "nope"}),
        api.get("Nope.json"),
    ):
        assert resp.status_code in (400, 404)
        assert resp.headers["Content-Type"].startswith("text/html")
        body = resp.json()
        assert set(body) == {"httpCode", "httpMessage", "message", "errorClass"}
        assert body["httpCode"] == str(resp.status_code)


def test_every_response_has_account_header(api: Api) -> None:
    for resp in (api.get("Customer.json", {"limit": "1"}), api.get("Customer/999999.json")):
        assert resp.headers["X-LS-Acct-Id"] == api.account
        for name in ("X-LS-API-Bucket-Level", "X-LS-API-Drip-Rate", "X-LS-API-Request-Cost"):
            assert name in resp.headers


def test_account_endpoint_shape(api: Api) -> None:
    resp = api.session.get(f"{api.sb.base_url}/API/V3/Account.json")
    assert resp.json() == {
        "@attributes": {"count": "1"},
        "Account": {
            "accountID": api.account,
            "name": "Kit Kraft",
            "link": {"@attributes": {"href": f"/API/V3/Account/{api.account}"}},
        },
    }
    assert resp.headers["X-LS-Acct-Id"] == api.account


def test_json_needs_suffix_or_accept_header(api: Api) -> None:
    base = f"{api.sb.base_url}/API/V3/Account/{api.account}/Customer/1"
    assert api.session.get(base).status_code == 406
    resp = api.session.get(base, headers={"Accept": "application/json"})
    assert resp.status_code == 200
    assert resp.json()["Customer"]["customerID"] == "1"


def test_keep_alive_reuses_the_connection(api: Api) -> None:
    resp1 = api.get("Customer.json", {"limit": "1"})
    sock1 = resp1.raw._connection.sock if resp1.raw._connection else None
    resp2 = api.get("Customer.json", {"limit": "1"})
    assert resp1.headers["Connection"] == "keep-alive"
    assert resp2.status_code == 200
    del sock1
