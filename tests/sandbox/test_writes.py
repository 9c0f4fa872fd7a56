"""Writes: POST/PUT/DELETE, nested collections, validation errors, timeStamp, images."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from .conftest import Api, as_list

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox


@pytest.fixture
def w(small: Sandbox) -> Api:
    small.configure_bucket(enabled=False)
    return Api(small)


def test_create_customer_with_contact(w: Api) -> None:
    before = time.time() - 1
    resp = w.request(
        "POST",
        "Customer.json",
        json={
            "firstName": "Junior",
            "lastName": "Doe",
            "dob": "1990-05-04",
            "Contact": {
                "Emails": {
                    "ContactEmail": [{"address": "junior@example.com", "useType": "Primary"}]
                },
                "Phones": {"ContactPhone": {"number": "555-0100", "useType": "Mobile"}},
            },
        },
    )
    assert resp.status_code == 200, resp.text
    # 1 + 0.5 x (Contact, one ContactEmail, one ContactPhone)
    assert resp.headers["X-LS-API-Request-Cost"] == "2.5"
    body = resp.json()
    assert body["@attributes"] == {"count": "1"}
    cust = body["Customer"]
    assert cust["customerID"] == "61"
    assert cust["Contact"]["Emails"] == {
        "ContactEmail": {"address": "junior@example.com", "useType": "Primary"}
    }
    assert cust["Contact"]["Addresses"] == ""
    assert cust["dob"] == "1990-05-04T00:00:00+00:00"
    assert (
        time.mktime(time.strptime(cust["timeStamp"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        >= before - 1
    )
    found = w.all(
        "Customer", {"load_relations": '["Contact"]', "Contact.email": "junior@example.com"}
    )
    assert [c["customerID"] for c in found] == ["61"]


def test_write_moves_timestamp_and_incremental_read_sees_it(w: Api) -> None:
    old = w.get("Customer/3.json").json()["Customer"]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S-00:00", time.gmtime(time.time() - 2))
    resp = w.request("PUT", "Customer/3.json", json={"company": "Acme Rockets"})
    assert resp.status_code == 200
    new = resp.json()["Customer"]
    assert new["company"] == "Acme Rockets"
    assert new["firstName"] == old["firstName"]  # partial update
    assert new["timeStamp"] > old["timeStamp"]
    recent = w.all("Customer", {"timeStamp": f">=,{stamp}", "sort": "timeStamp"})
    assert "3" in [c["customerID"] for c in recent]
    assert w.sb.stats()["writes"] >= 1


def test_delete_archives(w: Api) -> None:
    resp = w.request("DELETE", "Customer/4.json")
    assert resp.status_code == 200
    assert resp.json()["Customer"]["archived"] == "true"
    active = [c["customerID"] for c in w.all("Customer")]
    assert "4" not in active
    assert w.get("Customer/4.json").json()["Customer"]["archived"] == "true"
    assert w.request("DELETE", "Customer/9999.json").status_code == 404


def test_item_create_and_validation(w: Api) -> None:
    no_desc = w.request("POST", "Item.json", json={"defaultCost": 3})
    assert no_desc.status_code == 400
    assert no_desc.headers["Content-Type"].startswith("text/html")
    assert no_desc.json() == {
        "httpCode": "400",
        "httpMessage": "Bad Request",
        "message": "Item not created. An Item must have a description.",
        "errorClass": "Exception",
    }
    bad_upc = w.request("POST", "Item.json", json={"description": "Mug", "upc": "12345"})
    assert bad_upc.status_code == 400
    assert "UPC" in bad_upc.json()["message"]
    bad_fk = w.request("POST", "Item.json", json={"description": "Mug", "categoryID": 999})
    assert bad_fk.status_code == 400
    assert "999" in bad_fk.json()["message"]
    ok = w.request(
        "POST",
        "Item.json",
        json={
            "description": "Enamel Mug",
            "upc": "012345678905",
            "defaultCost": 4.5,
            "customSku": "MUG-1",
            "tax": True,
            "Prices": {"ItemPrice": [{"amount": "13.95", "useType": "Default"}]},
        },
    )
    assert ok.status_code == 200, ok.text
    item = ok.json()["Item"]
    assert item["defaultCost"] == "4.5"
    assert item["tax"] == "true"
    assert item["Prices"]["ItemPrice"][0] == {
        "amount": "13.95",
        "useTypeID": "1",
        "useType": "Default",
    }
    shops = as_list(item["ItemShops"], "ItemShop")
    assert [s["shopID"] for s in shops] == ["0", "1", "2"]
    assert item["systemSku"]
    assert item["itemID"] == "41"
    again = w.request("PUT", "Item/41.json", json={"description": ""})
    assert again.status_code == 400
    assert again.json()["message"] == "Item not updated. An Item must have a description."


def test_stock_change_does_not_move_item_timestamp(w: Api) -> None:
    before = w.get("Item/2.json").json()["Item"]
    resp = w.request(
        "PUT", "Item/2.json", json={"ItemShops": {"ItemShop": [{"shopID": "1", "qoh": 77}]}}
    )
    assert resp.status_code == 200
    item = resp.json()["Item"]
    assert item["timeStamp"] == before["timeStamp"]
    shops = {s["shopID"]: s for s in as_list(item["ItemShops"], "ItemShop")}
    assert shops["1"]["qoh"] == "77"
    assert int(shops["0"]["qoh"]) == 77 + int(shops["2"]["qoh"])


def test_sale_write_balanced_and_stock_moves(w: Api) -> None:
    item = w.get("Item/5.json", {"load_relations": '["ItemShops"]'}).json()["Item"]
    qoh_before = {s["shopID"]: int(s["qoh"]) for s in as_list(item["ItemShops"], "ItemShop")}
    payload = {
        "employeeID": 1,
        "registerID": 1,
        "shopID": 1,
        "customerID": 2,
        "completed": True,
        "referenceNumber": "ORDER-1",
        "referenceNumberSource": "webstore",
        "SaleLines": {
            "SaleLine": [
                {"itemID": 5, "unitQuantity": 2, "unitPrice": "10"},
                {"itemID": 6, "unitQuantity": 1, "unitPrice": 5.5, "tax": False},
            ]
        },
        "SalePayments": {"SalePayment": [{"amount": "27.1", "paymentTypeID": 1}]},
    }
    resp = w.request("POST", "Sale.json", json=payload)
    assert resp.status_code == 200, resp.text
    # Cost: 2 + 3 (completing) + 0.5 x 3 nested entities.
    assert resp.headers["X-LS-API-Request-Cost"] == "6.5"
    sale = resp.json()["Sale"]
    assert sale["completed"] == "true"
    assert "completeTime" in sale
    assert sale["calcSubtotal"] == "25.5"
    assert sale["calcTax1"] == "1.6"
    assert sale["total"] == "27.1"
    assert sale["balance"] == "0"
    assert len(sale["SaleLines"]["SaleLine"]) == 2
    assert sale["SalePayments"]["SalePayment"]["amount"] == "27.1"
    after = w.get("Item/5.json", {"load_relations": '["ItemShops"]'}).json()["Item"]
    qoh_after = {s["shopID"]: int(s["qoh"]) for s in as_list(after["ItemShops"], "ItemShop")}
    assert qoh_after["1"] == qoh_before["1"] - 2
    assert after["timeStamp"] == item["timeStamp"]
    found = w.all("Sale", {"referenceNumber": "ORDER-1"})
    assert [s["saleID"] for s in found] == [sale["saleID"]]


def test_sale_validation_errors(w: Api) -> None:
    base = {"employeeID": 1, "registerID": 1, "shopID": 1}
    missing = w.request("POST", "Sale.json", json={"employeeID": 1, "shopID": 1})
    assert missing.status_code == 400
    assert "registerID" in missing.json()["message"]
    unbalanced = w.request(
        "POST",
        "Sale.json",
        json={
            **base,
            "completed": True,
            "SaleLines": {"SaleLine": {"itemID": 5, "unitQuantity": 1, "unitPrice": 10}},
            "SalePayments": {"SalePayment": {"amount": 5, "paymentTypeID": 1}},
        },
    )
    assert unbalanced.status_code == 400
    assert "balance" in unbalanced.json()["message"]
    unknown_item = w.request(
        "POST", "Sale.json", json={**base, "SaleLines": {"SaleLine": [{"itemID": 99999}]}}
    )
    assert unknown_item.status_code == 400
    assert "99999" in unknown_item.json()["message"]
    unknown_customer = w.request("POST", "Sale.json", json={**base, "customerID": 424242})
    assert unknown_customer.status_code == 400
    bad_payment = w.request(
        "POST",
        "Sale.json",
        json={**base, "SalePayments": {"SalePayment": [{"amount": 1, "paymentTypeID": 99}]}},
    )
    assert bad_payment.status_code == 400
    not_json = w.request(
        "POST", "Sale.json", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    count = int(
        w.get("Sale.json", {"count": "1", "archived": "true"}).json()["@attributes"]["count"]
    )
    assert count == 50  # nothing was created by the failed writes


def test_open_sale_then_complete_with_put(w: Api) -> None:
    resp = w.request(
        "POST",
        "Sale.json",
        json={
            "employeeID": "2",
            "registerID": "1",
            "shopID": "1",
            "SaleLines": {"SaleLine": [{"itemID": "3", "unitQuantity": "1", "unitPrice": "20"}]},
        },
    )
    sale = resp.json()["Sale"]
    assert sale["completed"] == "false"
    assert "completeTime" not in sale
    assert sale["SalePayments"] == ""
    assert isinstance(sale["SaleLines"]["SaleLine"], dict)
    sid = sale["saleID"]
    done = w.request(
        "PUT",
        f"Sale/{sid}.json",
        json={
            "completed": True,
            "SalePayments": {"SalePayment": [{"amount": "21.6", "paymentTypeID": "4"}]},
        },
    )
    assert done.status_code == 200, done.text
    assert done.json()["Sale"]["completed"] == "true"
    assert done.json()["Sale"]["updatetime"] >= sale["updatetime"]


def test_image_multipart_upload(w: Api) -> None:
    files = {
        "data": (None, '{"description": "Front view", "ordering": 0}', "application/json"),
        "image": ("front.jpg", b"\xff\xd8\xff" + b"x" * 2048, "image/jpeg"),
    }
    resp = w.request("POST", "Item/7/Image.json", files=files)
    assert resp.status_code == 200, resp.text
    image = resp.json()["Image"]
    assert image["itemID"] == "7"
    assert image["filename"] == "front.jpg"
    assert image["description"] == "Front view"
    assert image["size"] == str(3 + 2048)
    assert image["baseImageURL"].startswith("https://")
    listed = w.all("Image", path="Item/7/Image.json")
    assert image["imageID"] in [i["imageID"] for i in listed]
    no_file = w.request("POST", "Item/7/Image.json", files={"data": (None, "{}")})
    assert no_file.status_code == 400
    assert w.request("POST", "Item/9999/Image.json", files=files).status_code == 404


def test_copy_between_accounts(small: Sandbox) -> None:
    small.configure_bucket(enabled=False)
    source = Api(small, small.account_ids[0])
    target = Api(small, small.account_ids[1])
    customers = source.all("Customer", {"load_relations": '["Contact"]', "limit": "5"})[:5]
    before = int(
        target.get("Customer.json", {"count": "1", "archived": "true"}).json()["@attributes"][
            "count"
        ]
    )
    for c in customers:
        payload = {k: c[k] for k in ("firstName", "lastName", "title", "company")}
        payload["Contact"] = {"Emails": c["Contact"]["Emails"], "Phones": c["Contact"]["Phones"]}
        assert target.request("POST", "Customer.json", json=payload).status_code == 200
    copied = small.records(small.account_ids[1], "Customer")[before:]
    assert [(c["firstName"], c["Contact"]["Emails"]) for c in copied] == [
        (c["firstName"], c["Contact"]["Emails"]) for c in customers
    ]
    assert small.stats()["writes_by_entity"]["Customer"] == 5


def test_method_not_allowed(w: Api) -> None:
    assert w.request("POST", "Customer/3.json", json={}).status_code == 405
    assert w.request("PUT", "Customer.json", json={}).status_code == 405
    assert w.request("DELETE", "ItemShop/1.json").status_code == 405


def test_a_write_whose_body_never_fully_arrives_is_not_processed(small) -> None:
    """A client killed while sending its body must not leave a half (or empty) record."""
    import socket
    import time

    api = Api(small, small.account_ids[1])
    before = len(small.records(api.account, "Customer"))
    body = b'{"firstName":"Half","lastName":"Written"}'
    host, port = small.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        head = (
            f"POST /API/V3/Account/{api.account}/Customer.json HTTP/1.1\r\n"
            f"Host: {host}\r\nAuthorization: {api.session.headers['Authorization']}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(head)  # the headers, then the client dies before its body
    time.sleep(0.3)  # an absence cannot be awaited: give the server time to (not) act
    assert len(small.records(api.account, "Customer")) == before
    # A complete request on a new connection still works.
    assert api.request("POST", "Customer.json", json={"firstName": "Whole"}).status_code == 200
    assert len(small.records(api.account, "Customer")) == before + 1
