"""Sales as the official R-Series pages describe them (docs/endpoints/sale.md, sale-saleline.md).

Each account computes totals from its own tax rates; ``completeTime`` may be set into the past
only; ``voided`` and ``archived`` are not written by a PUT; a completed sale cannot be archived
and its lines cannot change; lines with ``unitQuantity`` 0 are valid; the legacy ``timeStamp``
stops at the completion while ``updatetime`` follows every change.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

from lightspeed_sandbox import two_accounts

from .conftest import Api, as_list

if TYPE_CHECKING:
    from collections.abc import Callable

    from lightspeed_sandbox import Sandbox

BASE = {"employeeID": 1, "registerID": 1, "shopID": 1}


@pytest.fixture
def sb(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    return sandbox_factory(
        two_accounts(empty_second=False, seed=5, customers=10, items=10, sales=20)
    )


@pytest.fixture
def w(sb: Sandbox) -> Api:
    return Api(sb)


def open_sale(w: Api, price: str = "10", **extra: Any) -> dict[str, Any]:
    body = {
        **BASE,
        "SaleLines": {"SaleLine": [{"itemID": 2, "unitQuantity": 1, "unitPrice": price}]},
    }
    resp = w.request("POST", "Sale.json", json={**body, **extra})
    assert resp.status_code == 200, resp.text
    return resp.json()["Sale"]


def completed_sale(w: Api) -> dict[str, Any]:
    sale = open_sale(w)
    done = w.request(
        "PUT",
        f"Sale/{sale['saleID']}.json",
        json={
            "completed": True,
            "SalePayments": {"SalePayment": {"amount": sale["total"], "paymentTypeID": 1}},
        },
    )
    assert done.status_code == 200, done.text
    return done.json()["Sale"]


def test_each_account_totals_a_sale_with_its_own_tax_rates(sb: Sandbox) -> None:
    first, second = Api(sb, sb.account_ids[0]), Api(sb, sb.account_ids[1])
    a, b = open_sale(first, "100"), open_sale(second, "100")
    assert (a["tax1Rate"], a["tax2Rate"], a["total"]) == ("0.08", "0", "108")
    assert (b["tax1Rate"], b["tax2Rate"], b["calcTax1"], b["calcTax2"]) == (
        "0.05",
        "0.04",
        "5",
        "4",
    )
    assert b["total"] == "109"
    line = as_list(b["SaleLines"], "SaleLine")[0]
    assert (line["tax1Rate"], line["tax2Rate"], line["calcTotal"]) == ("0.05", "0.04", "109")
    category = second.get(f"Sale/{b['saleID']}.json", {"load_relations": '["TaxCategory"]'})
    assert category.json()["Sale"]["TaxCategory"]["tax2Rate"] == "0.04"
    # The payments of the first account's total do not complete the copy in the second.
    refused = second.request(
        "PUT",
        f"Sale/{b['saleID']}.json",
        json={
            "completed": True,
            "SalePayments": {"SalePayment": {"amount": 108, "paymentTypeID": 1}},
        },
    )
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Sale not updated. Payments (108) must balance the sale total (109) to complete it."
    )


def test_generated_sales_of_the_second_account_use_its_rates(sb: Sandbox) -> None:
    sales = sb.records(sb.account_ids[1], "Sale")
    taxed = [s for s in sales if s["calcTax2"] != "0"]
    assert taxed
    assert all(s["tax1Rate"] == "0.05" for s in sales)


def test_complete_time_can_be_set_into_the_past_not_the_future(w: Api) -> None:
    sale = open_sale(w)
    past = "2026-01-15T10:00:00+00:00"
    done = w.request(
        "PUT",
        f"Sale/{sale['saleID']}.json",
        json={
            "completed": True,
            "completeTime": past,
            "SalePayments": {"SalePayment": {"amount": sale["total"], "paymentTypeID": 1}},
        },
    )
    assert done.status_code == 200, done.text
    stored = done.json()["Sale"]
    assert stored["completeTime"] == past
    assert stored["timeStamp"] == past  # the legacy field: the completion time
    assert stored["updatetime"] >= sale["updatetime"]
    future = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 3600))
    later = w.request("POST", "Sale.json", json={**BASE, "completeTime": future})
    assert later.status_code == 400
    assert later.json()["message"] == "Sale not created. completeTime cannot be in the future."


def test_voided_and_archived_are_not_written_by_a_put(w: Api) -> None:
    sale = completed_sale(w)
    sid = sale["saleID"]
    for field in ("voided", "archived"):
        resp = w.request("PUT", f"Sale/{sid}.json", json={field: True})
        assert resp.status_code == 400, field
        assert field in resp.json()["message"]
    # The value the sale already has is accepted (the official sample POST sends them).
    same = w.request("PUT", f"Sale/{sid}.json", json={"voided": False, "referenceNumber": "R-1"})
    assert same.status_code == 200, same.text
    stored = w.get(f"Sale/{sid}.json").json()["Sale"]
    assert (stored["voided"], stored["archived"], stored["referenceNumber"]) == (
        "false",
        "false",
        "R-1",
    )
    created = w.request("POST", "Sale.json", json={**BASE, "voided": True})
    assert created.status_code == 400


def test_a_completed_sale_cannot_be_archived_an_open_one_can(w: Api) -> None:
    done = completed_sale(w)
    refused = w.request("DELETE", f"Sale/{done['saleID']}.json")
    assert refused.status_code == 400
    assert refused.json()["message"] == "Sale not deleted. You can't archive a completed sale."
    assert w.get(f"Sale/{done['saleID']}.json").json()["Sale"]["archived"] == "false"
    sale = open_sale(w)
    archived = w.request("DELETE", f"Sale/{sale['saleID']}.json")
    assert archived.status_code == 200
    assert archived.json()["Sale"]["archived"] == "true"


def test_lines_with_zero_quantity_are_valid(w: Api) -> None:
    resp = w.request(
        "POST",
        "Sale.json",
        json={
            **BASE,
            "SaleLines": {"SaleLine": [{"itemID": 3, "unitQuantity": 0, "unitPrice": 5}]},
        },
    )
    assert resp.status_code == 200, resp.text
    line = as_list(resp.json()["Sale"]["SaleLines"], "SaleLine")[0]
    assert (line["unitQuantity"], line["calcTotal"]) == ("0", "0")


def test_lines_of_an_open_sale_change_those_of_a_completed_one_do_not(w: Api) -> None:
    sale = open_sale(w)
    sid = sale["saleID"]
    added = w.request("POST", f"Sale/{sid}/SaleLine.json", json={"itemID": 3, "unitPrice": 20})
    assert added.status_code == 200, added.text
    assert added.headers["X-LS-API-Request-Cost"] == "2"
    line_id = added.json()["SaleLine"]["saleLineID"]
    changed = w.request("PUT", f"Sale/{sid}/SaleLine/{line_id}.json", json={"unitQuantity": 2})
    assert changed.status_code == 200, changed.text
    assert changed.json()["SaleLine"]["calcSubtotal"] == "40"
    stored = w.get(f"Sale/{sid}.json", {"load_relations": '["SaleLines"]'}).json()["Sale"]
    assert stored["calcSubtotal"] == "50"
    assert stored["total"] == "54"
    first = as_list(sale["SaleLines"], "SaleLine")[0]["saleLineID"]
    assert w.request("DELETE", f"Sale/{sid}/SaleLine/{first}.json").status_code == 200
    after = w.get(f"Sale/{sid}.json").json()["Sale"]
    assert after["calcSubtotal"] == "40"
    assert after["updatetime"] >= stored["updatetime"]
    missing = w.request("PUT", f"Sale/{sid}/SaleLine/{first}.json", json={"unitQuantity": 1})
    assert missing.status_code == 404
    done = completed_sale(w)
    refused = w.request(
        "POST", f"Sale/{done['saleID']}/SaleLine.json", json={"itemID": 3, "unitPrice": 1}
    )
    assert refused.status_code == 400
    assert "completed" in refused.json()["message"]


def test_time_stamp_stops_at_completion_updatetime_follows_every_change(
    sb: Sandbox, w: Api
) -> None:
    done = completed_sale(w)
    sid = done["saleID"]
    time.sleep(1.1)
    w.request("PUT", f"Sale/{sid}.json", json={"referenceNumber": "EDITED"})
    edited = w.get(f"Sale/{sid}.json").json()["Sale"]
    assert edited["timeStamp"] == done["timeStamp"] == done["completeTime"]
    assert edited["updatetime"] > done["updatetime"]
    time.sleep(1.1)
    voided = sb.void_sale(w.account, int(sid))
    assert voided["voided"] == "true"
    assert voided["timeStamp"] == done["timeStamp"]
    assert voided["updatetime"] > edited["updatetime"]
    # The void is found by updatetime (filter, sort, cursor), not by timeStamp.
    since = {"updatetime": f">,{edited['updatetime']}", "sort": "updatetime"}
    assert [s["saleID"] for s in w.all("Sale", since)] == [sid]
    assert w.all("Sale", {"timeStamp": f">,{edited['updatetime']}"}) == []


def test_void_hook_over_http_and_generated_completed_sales(sb: Sandbox, w: Api) -> None:
    done = completed_sale(w)
    url = f"{sb.base_url}/_admin/void-sale/{w.account}/{done['saleID']}"
    resp = requests.post(url, timeout=10)
    assert resp.status_code == 200
    assert resp.json()["Sale"]["voided"] == "true"
    again = requests.post(url, timeout=10)
    assert again.status_code == 400
    for sale in sb.records(w.account, "Sale")[:20]:
        if sale["completed"] == "true":
            assert sale["timeStamp"] == sale["completeTime"] <= sale["updatetime"]


def test_sale_and_line_fields_of_the_official_pages(w: Api) -> None:
    sale = w.get("Sale/1.json", {"load_relations": '["SaleLines"]'}).json()["Sale"]
    for field in ("tipEnabled", "calcTips", "tipEmployeeID"):
        assert field in sale
    line = as_list(sale["SaleLines"], "SaleLine")[0]
    for field in (
        "sortorder",
        "onCompletedTrans",
        "priceRuleID",
        "taxCategoryID",
        "itemFeeID",
        "lineType",
    ):
        assert field in line


def test_lenient_sales_keep_the_old_behaviour(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory(two_accounts(lenient_sales=True, customers=5, items=5, sales=5))
    w = Api(sb)
    done = completed_sale(w)
    assert w.request("PUT", f"Sale/{done['saleID']}.json", json={"voided": True}).status_code == 200
    assert w.request("DELETE", f"Sale/{done['saleID']}.json").status_code == 200
