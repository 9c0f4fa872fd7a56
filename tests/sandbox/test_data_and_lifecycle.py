"""Generated data (shape, determinism, scale) and server lifecycle."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections import Counter

import pytest
import requests

from lightspeed_sandbox import Sandbox, SandboxConfig

from .conftest import Api, as_list


def test_same_seed_same_data_other_seed_other_data() -> None:
    cfg = {"customers": 30, "items": 20, "sales": 20}
    with Sandbox(SandboxConfig(seed=5, **cfg)) as a, Sandbox(SandboxConfig(seed=5, **cfg)) as b:
        for entity in ("Customer", "Item", "Sale", "Image", "ItemShop"):
            assert a.records("120645", entity) == b.records("120645", entity)
    with Sandbox(SandboxConfig(seed=6, **cfg)) as c:
        assert c.records("120645", "Customer") != a.records("120645", "Customer")


def test_accounts_have_different_data(sandbox: Sandbox) -> None:
    first, second = sandbox.account_ids
    assert sandbox.records(first, "Item")[:5] != sandbox.records(second, "Item")[:5]


def test_sales_are_balanced_and_reference_existing_records(sandbox: Sandbox) -> None:
    account = sandbox.account_ids[0]
    sales = sandbox.records(account, "Sale")
    n_items = len(sandbox.records(account, "Item"))
    n_customers = 3000
    completed = 0
    for sale in sales:
        lines = as_list(sale["SaleLines"] or {}, "SaleLine")
        payments = as_list(sale["SalePayments"] or {}, "SalePayment")
        subtotal = sum(round(float(x["calcSubtotal"]) * 100) for x in lines)
        assert round(float(sale["calcSubtotal"]) * 100) == subtotal
        assert 1 <= int(sale["customerID"]) <= n_customers or sale["customerID"] == "0"
        assert all(1 <= int(x["itemID"]) <= n_items for x in lines)
        if sale["completed"] == "true":
            completed += 1
            paid = sum(round(float(p["amount"]) * 100) for p in payments)
            assert paid == round(float(sale["total"]) * 100)
            assert sale["balance"] == "0"
    assert 0.7 < completed / len(sales) < 0.95


def test_shapes_are_realistic(sandbox: Sandbox) -> None:
    account = sandbox.account_ids[0]
    items = sandbox.records(account, "Item")
    assert all(re.fullmatch(r"\d{12}", i["upc"]) for i in items if i["upc"])
    assert len({i["description"] for i in items}) > 100
    for item in items[:50]:
        shops = as_list(item["ItemShops"], "ItemShop")
        assert shops[0]["shopID"] == "0"
        assert int(shops[0]["qoh"]) == sum(int(s["qoh"]) for s in shops[1:])
    images = sandbox.records(account, "Image")
    for image in images[:20]:
        ext = image["filename"].rsplit(".", 1)[1]
        url = f"{image['baseImageURL']}{image['publicID']}.{ext}"
        assert re.fullmatch(r"https://res\.cloudinary\.com/[\w\-/.]+", url)
    customers = sandbox.records(account, "Customer")[:300]
    emails = [
        e["address"]
        for c in customers
        if c["Contact"]["Emails"]
        for e in as_list(c["Contact"]["Emails"], "ContactEmail")
    ]
    assert all(re.fullmatch(r"[\w.]+@[\w.]+", e) for e in emails)
    stamps = [c["timeStamp"] for c in customers]
    assert stamps != sorted(stamps)  # not in id order
    months = Counter(s[:7] for s in stamps)
    assert len(months) >= 6  # spread over months
    assert sum(c["archived"] == "true" for c in customers) > 0


@pytest.mark.slow
def test_a_million_records_page_without_materializing() -> None:
    cfg = SandboxConfig(customers=1_000_000, items=0, sales=0, bucket_enabled=False)
    with Sandbox(cfg) as sb:
        api = Api(sb)
        started = time.monotonic()
        count = api.get("Customer.json", {"count": "1", "archived": "true"}).json()
        assert count == {"@attributes": {"count": "1000000"}}
        page = api.get("Customer.json", {"sort": "-timeStamp", "limit": "100"}).json()
        assert len(page["Customer"]) == 100
        nxt = api.session.get(page["@attributes"]["next"]).json()
        assert len(nxt["Customer"]) == 100
        last = api.get("Customer.json", {"customerID": ">,999990", "archived": "true"}).json()
        assert [c["customerID"] for c in last["Customer"]][-1] == "1000000"
        assert time.monotonic() - started < 30
        table = sb.app.accounts[sb.account_ids[0]].tables["Customer"]
        assert table.overlay == {}  # nothing materialized: records are generated on demand
        assert len(table.ts) == 1_000_000
        assert table.ts.itemsize == 8


def test_start_on_free_port_and_stop_cleanly() -> None:
    before = {t.name for t in threading.enumerate()}
    sb = Sandbox(SandboxConfig(customers=5, items=5, sales=5))
    sb.start()
    assert sb.base_url.startswith("http://127.0.0.1:")
    assert sb.api_url == sb.base_url
    assert sb.auth_url == sb.base_url + "/auth/oauth/authorize"
    assert sb.token_url == sb.base_url + "/auth/oauth/token"
    api = Api(sb)
    assert api.get("Customer.json").status_code == 200  # a keep-alive connection stays open
    port = sb.port
    sb.stop()
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=1),
    ):
        pass
    time.sleep(0.2)
    leftover = {t.name for t in threading.enumerate()} - before
    assert not any("lightspeed-sandbox" in name for name in leftover)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("Customer.json")
    sb.stop()  # idempotent


def test_server_binds_loopback_only(sandbox: Sandbox) -> None:
    assert sandbox.app.cfg.host == "127.0.0.1"
    assert sandbox._server.server_address[0] == "127.0.0.1"


def test_concurrent_clients(sandbox: Sandbox) -> None:
    results: list[int] = []

    def worker() -> None:
        api = Api(sandbox)
        results.append(len(api.all("Customer", {"archived": "true", "limit": "100"})))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [3000] * 4


def test_empty_account_as_copy_target(two_account_sandbox) -> None:
    sb = two_account_sandbox(customers=10, items=10, sales=10, bucket_enabled=True)
    target = Api(sb, sb.account_ids[1])
    for entity in ("Customer", "Item", "Sale", "Image", "ItemShop"):
        assert target.get(f"{entity}.json").json() == {"@attributes": {"next": "", "previous": ""}}
    item = target.request("POST", "Item.json", json={"description": "Copied"})
    assert item.json()["Item"]["itemID"] == "1"
    assert len(sb.records(sb.account_ids[1], "ItemShop")) == 3
