"""Filter operators, `or`, timestamps as instants, relation filters."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .conftest import Api


def ids(records: list[dict], key: str = "itemID") -> list[int]:
    return sorted(int(r[key]) for r in records)


@pytest.fixture(scope="module")
def items(api: Api) -> list[dict]:
    return api.all("Item", {"archived": "true"})


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("op", "check"),
    [
        ("=", lambda a, b: a == b),
        (">", lambda a, b: a > b),
        (">=", lambda a, b: a >= b),
        ("<", lambda a, b: a < b),
        ("<=", lambda a, b: a <= b),
        ("!=", lambda a, b: a != b),
    ],
)
def test_comparison_operators_on_numbers(api: Api, items: list[dict], op: str, check) -> None:
    got = api.all("Item", {"archived": "true", "defaultCost": f"{op},30"})
    expected = [r for r in items if check(float(r["defaultCost"]), 30.0)]
    assert ids(got) == ids(expected)


def test_equals_is_the_default_operator(api: Api, items: list[dict]) -> None:
    got = api.all("Item", {"archived": "true", "categoryID": "2"})
    assert ids(got) == ids([r for r in items if r["categoryID"] == "2"])
    assert got


def test_between(api: Api, items: list[dict]) -> None:
    got = api.all("Item", {"archived": "true", "itemID": "><,10,20"})
    assert ids(got) == list(range(10, 21))
    low, high = "2026-03-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00"
    got = api.all("Item", {"archived": "true", "timeStamp": f"><,{low},{high}"})
    expected = [r for r in items if ts(low) <= ts(r["timeStamp"]) <= ts(high)]
    assert ids(got) == ids(expected)
    assert expected


def test_like_and_not_like(api: Api, items: list[dict]) -> None:
    got = api.all("Item", {"archived": "true", "description": "~,%shirt%"})
    expected = [r for r in items if "shirt" in r["description"].lower()]
    assert ids(got) == ids(expected)
    assert expected
    got = api.all("Item", {"archived": "true", "description": "!~,%shirt%"})
    assert ids(got) == ids([r for r in items if "shirt" not in r["description"].lower()])


def test_in_list(api: Api, items: list[dict]) -> None:
    skus = [r["customSku"] for r in items if r["customSku"]][:5]
    got = api.all("Item", {"archived": "true", "customSku": "IN,[" + ",".join(skus) + "]"})
    assert sorted(r["customSku"] for r in got) == sorted(skus)
    got = api.all("Item", {"itemID": "IN,[3,5,7]", "archived": "true"})
    assert ids(got) == [3, 5, 7]
    quoted = api.all("Item", {"customSku": f'IN,["{skus[0]}"]', "archived": "true"})
    assert [r["customSku"] for r in quoted] == [skus[0]]
    too_many = "IN,[" + ",".join(str(i) for i in range(101)) + "]"
    assert api.get("Item.json", {"itemID": too_many}).status_code == 400


def test_or(api: Api, items: list[dict]) -> None:
    got = api.all("Item", {"archived": "true", "or": "categoryID=1|manufacturerID=2"})
    expected = [r for r in items if r["categoryID"] == "1" or r["manufacturerID"] == "2"]
    assert ids(got) == ids(expected)
    url = api.url("Item.json") + "?archived=true&or=itemID%3D%3C%2C3%7CitemID%3D%3E%2C398"
    body = api.session.get(url).json()
    assert ids(body["Item"]) == [1, 2, 399, 400]


def test_timestamps_compare_as_instants_with_encoded_offsets(api: Api, items: list[dict]) -> None:
    cut = "2026-03-15T12:00:00"
    expected = ids([r for r in items if ts(r["timeStamp"]) >= ts(cut + "+00:00")])
    base = api.url("Item.json") + "?archived=true&timeStamp=%3E%3D%2C"
    for suffix in ("-00:00", "%2B00:00", "Z"):
        got = api.all_url(base + cut + suffix, "Item")
        assert ids(got) == expected, suffix
    got = api.all("Item", {"archived": "true", "timeStamp": f">=,{cut}-00:00"})
    assert ids(got) == expected
    # Another offset: 14:00+02:00 is 12:00 UTC.
    got = api.all("Item", {"archived": "true", "timeStamp": ">=,2026-03-15T14:00:00+02:00"})
    assert ids(got) == expected


def test_bare_plus_in_url_is_a_400(api: Api) -> None:
    url = api.url("Item.json") + "?timeStamp=%3E%3D%2C2026-03-15T12:00:00+00:00"
    resp = api.session.get(url)
    assert resp.status_code == 400
    assert "%2B" in resp.json()["message"]


def test_relation_filter_contact_email(api: Api) -> None:
    customer = api.get("Customer/42.json", {"load_relations": '["Contact"]'}).json()["Customer"]
    emails = customer["Contact"]["Emails"]
    email = (
        emails["ContactEmail"]
        if isinstance(emails["ContactEmail"], dict)
        else emails["ContactEmail"][0]
    )["address"]
    got = api.all(
        "Customer", {"load_relations": '["Contact"]', "Contact.email": email, "archived": "true"}
    )
    assert [r["customerID"] for r in got] == ["42"]
    assert got[0]["Contact"]
    # The relation must be loaded.
    assert api.get("Customer.json", {"Contact.email": email}).status_code == 400
    got = api.all(
        "Customer", {"load_relations": '["Contact"]', "Contact.email": "~,%@work.example.com"}
    )
    assert got
    assert all("work.example.com" in str(r["Contact"]["Emails"]) for r in got)


def test_relation_filter_on_to_many(api: Api) -> None:
    sales = api.all(
        "Sale", {"load_relations": '["SaleLines"]', "SaleLines.itemID": "7", "archived": "true"}
    )
    assert sales
    for sale in sales:
        lines = sale["SaleLines"]["SaleLine"]
        lines = [lines] if isinstance(lines, dict) else lines
        assert any(line["itemID"] == "7" for line in lines)


def test_boolean_filter(api: Api) -> None:
    done = api.all("Sale", {"completed": "true", "archived": "true"})
    assert done
    assert all(s["completed"] == "true" for s in done)
    also = api.all("Sale", {"completed": "1", "archived": "true"})
    assert len(also) == len(done)


def test_unknown_filter_field_is_400(api: Api) -> None:
    resp = api.get("Customer.json", {"shoeSize": "42"})
    assert resp.status_code == 400
    assert "shoeSize" in resp.json()["message"]


def test_filters_combine_with_sort_and_paging(api: Api, items: list[dict]) -> None:
    got = api.all(
        "Item",
        {
            "archived": "true",
            "sort": "-timeStamp",
            "limit": "7",
            "timeStamp": ">,2026-01-01T00:00:00-00:00",
        },
    )
    expected = [r for r in items if ts(r["timeStamp"]) > ts("2026-01-01T00:00:00+00:00")]
    assert ids(got) == ids(expected)
    keys = [(r["timeStamp"], int(r["itemID"])) for r in got]
    assert keys == sorted(keys, reverse=True)
