"""V3 cursor paging, sorting, counting, archived modes, load_relations."""

from __future__ import annotations

import base64
import json
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import Api, as_list


def test_default_order_pages_every_record_once(api: Api) -> None:
    records = api.all("Customer", {"archived": "true"})
    ids = [int(r["customerID"]) for r in records]
    assert ids == list(range(1, 3001))


def test_timestamp_sort_with_many_ties_has_no_gap_or_repeat(api: Api) -> None:
    records = api.all("Customer", {"archived": "true", "sort": "timeStamp", "limit": "37"})
    ids = [int(r["customerID"]) for r in records]
    assert len(ids) == 3000
    assert len(set(ids)) == 3000
    keys = [(r["timeStamp"], int(r["customerID"])) for r in records]
    assert keys == sorted(keys)
    ties = Counter(r["timeStamp"] for r in records)
    assert sum(n for n in ties.values() if n > 1) > 300  # plenty of equal timeStamps


def test_descending_sort_pages_every_record_once(api: Api) -> None:
    records = api.all("Sale", {"archived": "true", "sort": "-timeStamp"})
    keys = [(r["timeStamp"], int(r["saleID"])) for r in records]
    assert keys == sorted(keys, reverse=True)
    assert len({k[1] for k in keys}) == 600


@pytest.mark.parametrize("sort", ["firstName", "-lastName", "customerID"])
def test_other_sorts_are_complete(api: Api, sort: str) -> None:
    records = api.all("Customer", {"sort": sort, "archived": "true"})
    ids = [int(r["customerID"]) for r in records]
    assert sorted(ids) == list(range(1, 3001))
    field = sort.lstrip("-")
    if field != "customerID":
        values = [(r[field].lower(), int(r["customerID"])) for r in records]
        assert values == sorted(values, reverse=sort.startswith("-"))


def test_sale_sorts_on_complete_and_update_time(api: Api) -> None:
    for field in ("completeTime", "updatetime"):
        records = api.all("Sale", {"sort": field, "archived": "true"})
        assert len(records) == 600
        assert len({r["saleID"] for r in records}) == 600


def test_next_url_repeats_parameters_and_cursor_is_opaque_json(api: Api) -> None:
    params = {"limit": "10", "sort": "timeStamp", "timeStamp": ">=,2025-01-01T00:00:00-00:00"}
    body = api.get("Customer.json", params).json()
    nxt = body["@attributes"]["next"]
    assert nxt.startswith(api.sb.base_url + "/API/V3/Account/")
    query = parse_qs(urlsplit(nxt).query)
    assert query["limit"] == ["10"]
    assert query["sort"] == ["timeStamp"]
    assert query["timeStamp"] == [">=,2025-01-01T00:00:00-00:00"]
    cursor = json.loads(base64.b64decode(query["after"][0]))
    last = as_list(body, "Customer")[-1]
    assert cursor == [last["timeStamp"], int(last["customerID"])]
    assert body["@attributes"]["previous"] == ""


def test_previous_links_walk_back_to_the_same_pages(api: Api) -> None:
    pages = []
    body = api.get("Item.json", {"limit": "25", "sort": "timeStamp"}).json()
    pages.append([r["itemID"] for r in as_list(body, "Item")])
    for _ in range(3):
        body = api.session.get(body["@attributes"]["next"]).json()
        pages.append([r["itemID"] for r in as_list(body, "Item")])
    for expected in reversed(pages[:-1]):
        prev = body["@attributes"]["previous"]
        assert "before=" in prev
        body = api.session.get(prev).json()
        assert [r["itemID"] for r in as_list(body, "Item")] == expected
    assert body["@attributes"]["previous"] == ""


def test_last_page_has_empty_next(api: Api) -> None:
    bodies = list(api.pages("Item.json", {"archived": "true"}))
    assert bodies[-1]["@attributes"]["next"] == ""
    assert sum(len(as_list(b, "Item")) for b in bodies) == 400


@pytest.mark.parametrize("limit", ["0", "101", "abc"])
def test_limit_out_of_range_is_400(api: Api, limit: str) -> None:
    resp = api.get("Customer.json", {"limit": limit})
    assert resp.status_code == 400
    assert resp.headers["Content-Type"].startswith("text/html")


def test_default_limit_is_100(api: Api) -> None:
    assert len(as_list(api.get("Customer.json").json(), "Customer")) == 100


def test_sort_whitelist_400_names_allowed_fields(api: Api) -> None:
    resp = api.get("Customer.json", {"sort": "company"})
    assert resp.status_code == 400
    body = resp.json()
    assert body["httpCode"] == "400"
    for name in ("customerID", "timeStamp", "firstName", "lastName"):
        assert name in body["message"]
    assert api.get("Image.json", {"sort": "timeStamp"}).status_code == 400
    assert api.get("Image.json", {"sort": "imageID"}).status_code == 200
    assert api.get("Item/1/Image.json", {"sort": "timeStamp"}).status_code == 200
    assert api.get("Sale.json", {"sort": "updateTime"}).status_code == 400


def test_bad_cursor_is_400(api: Api) -> None:
    assert api.get("Customer.json", {"after": "not-a-cursor!"}).status_code == 400


def test_count(api: Api) -> None:
    resp = api.get("Customer.json", {"count": "1", "archived": "true"})
    assert resp.json() == {"@attributes": {"count": "3000"}}
    assert resp.headers["X-LS-API-Request-Cost"] == "10"
    active = int(api.get("Customer.json", {"count": "1"}).json()["@attributes"]["count"])
    only = int(
        api.get("Customer.json", {"count": "1", "archived": "only"}).json()["@attributes"]["count"]
    )
    assert active + only == 3000
    assert 0 < only < 300
    filtered = api.get("Customer.json", {"count": "1", "firstName": "~,J%"}).json()
    expected = len(api.all("Customer", {"firstName": "~,J%"}))
    assert filtered["@attributes"]["count"] == str(expected)
    for clash in ({"limit": "5"}, {"sort": "timeStamp"}):
        assert api.get("Customer.json", {"count": "1", **clash}).status_code == 400


def test_archived_modes(api: Api) -> None:
    active = api.all("Item")
    both = api.all("Item", {"archived": "true"})
    only = api.all("Item", {"archived": "only"})
    assert all(r["archived"] == "false" for r in active)
    assert all(r["archived"] == "true" for r in only)
    assert len(active) + len(only) == len(both) == 400
    assert only


def test_load_relations_list_and_all(api: Api) -> None:
    plain = as_list(api.get("Customer.json", {"limit": "3"}).json(), "Customer")
    assert all("Contact" not in r for r in plain)
    resp = api.get("Customer.json", {"limit": "3", "load_relations": '["Contact"]'})
    assert resp.headers["X-LS-API-Request-Cost"] == "1.2"  # to-one 0.1, doubled on lists
    assert all("Contact" in r for r in as_list(resp.json(), "Customer"))
    item = api.get("Item/5.json", {"load_relations": "all"}).json()["Item"]
    for key in ("Category", "TaxClass", "ItemShops", "Images", "Prices"):
        assert key in item
    sale = as_list(
        api.get(
            "Sale.json",
            {"limit": "5", "load_relations": '["SaleLines","SaleLines.Item","SalePayments"]'},
        ).json(),
        "Sale",
    )
    lines = [line for s in sale if s["SaleLines"] for line in as_list(s["SaleLines"], "SaleLine")]
    assert lines
    assert all("Item" in line for line in lines)
    assert api.get("Customer.json", {"load_relations": '["Nope"]'}).status_code == 400
    assert api.get("Customer.json", {"load_relations": "[Contact"}).status_code == 400


def test_item_image_subresource(api: Api) -> None:
    images = api.all("Image", path="Item/3/Image.json")
    assert images
    assert all(i["itemID"] == "3" for i in images)
    assert api.get("Item/99999/Image.json").status_code == 404


def test_single_get_and_404(api: Api) -> None:
    body = api.get("Customer/17.json").json()
    assert body["@attributes"] == {"count": "1"}
    assert body["Customer"]["customerID"] == "17"
    resp = api.get("Item/999999.json")
    assert resp.status_code == 404
    assert resp.json() == {
        "httpCode": "404",
        "httpMessage": "Not Found",
        "message": "Object of type 'Item' not found with primary ID '999999'.",
        "errorClass": "Exception",
    }


def test_itemshop_endpoint(api: Api) -> None:
    shops = api.all("ItemShop", {"sort": "timeStamp", "itemID": "IN,[1,2]"})
    assert {s["itemID"] for s in shops} == {"1", "2"}
    assert sorted(s["shopID"] for s in shops) == ["0", "0", "1", "1", "2", "2"]


def test_v2_offset_paging(api: Api) -> None:
    url = f"{api.sb.base_url}/API/Account/{api.account}/Customer.json"
    body = api.session.get(url, params={"offset": "200", "limit": "50", "archived": "true"}).json()
    assert body["@attributes"] == {"count": "3000", "offset": "200", "limit": "50"}
    assert [r["customerID"] for r in body["Customer"]] == [str(i) for i in range(201, 251)]


def test_sale_line_subresource(api: Api) -> None:
    sale = api.get("Sale/9.json", {"load_relations": '["SaleLines"]'}).json()["Sale"]
    lines = api.all("SaleLine", path="Sale/9/SaleLine.json")
    assert lines == as_list(sale["SaleLines"], "SaleLine")
    assert api.get("Sale/999999/SaleLine.json").status_code == 404


def test_descending_previous_links(api: Api) -> None:
    first = api.get("Customer.json", {"sort": "-timeStamp", "limit": "50"}).json()
    second = api.session.get(first["@attributes"]["next"]).json()
    back = api.session.get(second["@attributes"]["previous"]).json()
    assert back["Customer"] == first["Customer"]


def test_documented_field_names_only(api: Api) -> None:
    assert api.get("Sale.json", {"updateTime": ">,2026-01-01T00:00:00-00:00"}).status_code == 400
    assert api.get("Sale.json", {"updatetime": ">,2026-01-01T00:00:00-00:00"}).status_code == 200


def test_other_methods(api: Api) -> None:
    assert api.request("HEAD", "Customer/1.json").status_code == 405
    assert api.request("PATCH", "Customer/1.json", json={}).status_code == 405
