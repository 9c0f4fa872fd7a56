"""Items on a real store: the target account's own price levels, and archiving by DELETE only.

The target account of these tests is the sandbox's second account, whose price levels are
Default (1), MSRP (2), Web Store (3, the built-in Online renamed), Staff (4) and Wholesale (5)
(``GET /PriceLevel.json``); the official Item page says that an Item PUT with ``archived``
does not archive, that a DELETE does and zeroes the item's stock, and that ``archived`` can
only be set to false on update.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from lightspeed_sandbox.wire import unwrap
from tests.target.conftest import MockedSandbox, messages, run_target


def items(rows: list[dict], stream: str = "items") -> list[str]:
    return messages(stream, rows)


def item_writes(mocked: MockedSandbox) -> list[tuple[str, str, dict]]:
    out = []
    for request in mocked.writes():
        path = urlsplit(request.url).path
        if "/Item" in path:
            out.append((request.method, path, json.loads(request.body) if request.body else {}))
    return out


def stored_item(mocked: MockedSandbox, sku: str) -> dict[str, Any]:
    return next(i for i in mocked.records("Item") if i["customSku"] == sku)


def prices(record: dict) -> dict[str, tuple[str, str]]:
    return {
        p["useType"]: (p["useTypeID"], p["amount"]) for p in unwrap(record["Prices"], "ItemPrice")
    }


def rejects(config: dict) -> list[dict]:
    with open(config["rejects_path"]) as handle:
        return [json.loads(line) for line in handle]


# -- price levels ---------------------------------------------------------------------------


def test_prices_go_to_the_target_levels_by_name_then_by_built_in_id(mocked, config):
    row = {
        "customSku": "P-1",
        "description": "Pen",
        "Prices": [
            {"amount": 4, "useType": "Default", "useTypeID": 1},
            {"amount": 5, "useType": "Online", "useTypeID": 3},  # renamed Web Store: by id
            {"amount": 3, "useType": "Wholesale", "useTypeID": 4},  # id 5 there: by name
            {"amount": 3.5, "useTypeID": 4},  # an id only: that level (Staff)
        ],
    }
    result = run_target(config, items([row]))
    assert result.summary["items"]["created"] == 1
    [(_, _, body)] = item_writes(mocked)
    assert body["Prices"]["ItemPrice"] == [
        {"amount": "4", "useType": "Default", "useTypeID": "1"},
        {"amount": "5", "useType": "Web Store", "useTypeID": "3"},
        {"amount": "3", "useType": "Wholesale", "useTypeID": "5"},
        {"amount": "3.5", "useType": "Staff", "useTypeID": "4"},
    ]
    assert prices(stored_item(mocked, "P-1")) == {
        "Default": ("1", "4"),
        "MSRP": ("2", "0"),
        "Web Store": ("3", "5"),
        "Staff": ("4", "3.5"),
        "Wholesale": ("5", "3"),
    }


def test_flat_price_columns_fill_the_built_in_levels_whatever_their_name(mocked, config):
    row = {"sku": "F-1", "description": "Cup", "price": "9", "msrp": "12", "online_price": "8"}
    run_target(config, items([row]))
    stored = prices(stored_item(mocked, "F-1"))
    assert stored["Default"] == ("1", "9")
    assert stored["MSRP"] == ("2", "12")
    assert stored["Web Store"] == ("3", "8")


def test_a_level_the_target_lacks_rejects_the_record_naming_it(mocked, config, caplog):
    rows = [
        {
            "customSku": "E-1",
            "description": "Mug",
            "Prices": [{"amount": 2, "useType": "Employee"}],
        },
        # A custom level's id means nothing in another account: "Clearance" is not Staff (4).
        {
            "customSku": "C-1",
            "description": "Mug",
            "Prices": [
                {"amount": 1, "useType": "Default"},
                {"amount": 2, "useType": "Clearance", "useTypeID": 4},
            ],
        },
        {
            "customSku": "OK-1",
            "description": "Mug",
            "Prices": [{"amount": 2, "useType": "Default"}],
        },
    ]
    result = run_target(config, items(rows))
    summary = result.summary["items"]
    assert summary["rejected"] == 2
    assert summary["created"] == 1
    by_key = {r["record"]["customSku"]: r for r in rejects(config)}
    assert by_key["E-1"]["message"].startswith(
        "field 'Prices[0].useType': price level 'Employee' does not exist in the target account"
    )
    assert "Web Store (3)" in by_key["E-1"]["message"]
    assert by_key["C-1"]["message"].startswith(
        "field 'Prices[1].useType': price level 'Clearance' (id 4) does not exist"
    )
    assert by_key["C-1"]["stream"] == "items"
    assert by_key["C-1"]["line"] == 3
    assert "Stream 'items': record (no match key) (input line 3) rejected" in caplog.text
    assert [i["customSku"] for i in mocked.records("Item")] == ["OK-1"]


def test_price_levels_are_read_once_per_run(mocked, config):
    rows = [{"customSku": f"R-{n}", "description": "Pen", "price": n} for n in range(1, 6)]
    run_target({**config, "batch_size_rows": 2}, items(rows))
    level_reads = [r for r in mocked.requests("GET") if r.path.endswith("/pricelevel.json")]
    assert len(level_reads) == 1


# -- archiving ------------------------------------------------------------------------------

ARCHIVED_ROW = {"customSku": "A-1", "description": "Lamp", "price": "20", "archived": True}


def test_archived_is_never_in_an_item_body(mocked, config):
    run_target(
        config, items([ARCHIVED_ROW, {**ARCHIVED_ROW, "customSku": "A-2", "archived": False}])
    )
    run_target(config, items([{**ARCHIVED_ROW, "description": "Lamp 2"}]))
    bodies = [body for method, _, body in item_writes(mocked) if method in ("POST", "PUT")]
    assert len(bodies) == 3
    assert all("archived" not in body for body in bodies)


def test_archive_items_off_leaves_items_unarchived_and_says_so_once(mocked, config, tmp_path):
    first = run_target(config, items([ARCHIVED_ROW]))
    assert stored_item(mocked, "A-1")["archived"] == "false"
    assert [m for m, _, _ in item_writes(mocked)] == ["POST"]
    reasons = first.summary["items"]["reasons"]["created"]
    assert reasons == {"not found by customSku; not archived (archive_items is off)": 1}

    writes = len(mocked.writes())
    again = run_target(config, items([ARCHIVED_ROW]))
    assert again.summary["items"]["unchanged"] == 1
    # Without the ledger the lookup sees the difference, and still sends nothing.
    fresh = {**config, "ledger_path": str(tmp_path / "fresh.sqlite3")}
    third = run_target(fresh, items([ARCHIVED_ROW]))
    assert third.summary["items"]["reasons"] == {
        "unchanged": {"not archived (archive_items is off)": 1}
    }
    assert len(mocked.writes()) == writes


def test_archive_items_on_archives_once_by_delete_and_reruns_converge(mocked, config, tmp_path):
    config = {**config, "archive_items": True}
    first = run_target(config, items([ARCHIVED_ROW]))
    assert [m for m, _, _ in item_writes(mocked)] == ["POST", "DELETE"]
    assert stored_item(mocked, "A-1")["archived"] == "true"
    assert first.summary["items"]["reasons"]["created"] == {
        "not found by customSku; archived (DELETE; its stock is zeroed)": 1
    }
    writes = len(mocked.writes())
    run_target(config, items([ARCHIVED_ROW]))
    fresh = {**config, "ledger_path": str(tmp_path / "fresh.sqlite3")}
    third = run_target(fresh, items([ARCHIVED_ROW]))
    assert third.summary["items"]["unchanged"] == 1
    assert len(mocked.writes()) == writes


def test_archive_items_on_archives_an_existing_item_and_zeroes_its_stock(mocked, config):
    run_target(config, items([{**ARCHIVED_ROW, "archived": False}]))
    item_id = stored_item(mocked, "A-1")["itemID"]
    account = mocked.sb.app.accounts[mocked.sb.account_ids[1]]
    account.write(
        "Item", "PUT", int(item_id), {"ItemShops": {"ItemShop": [{"shopID": 1, "qoh": 6}]}}
    )
    assert stored_item(mocked, "A-1")["ItemShops"]["ItemShop"][0]["qoh"] == "6"

    before = len(item_writes(mocked))
    result = run_target({**config, "archive_items": True}, items([ARCHIVED_ROW]))
    assert result.summary["items"]["reasons"] == {
        "updated": {"archived (DELETE; its stock is zeroed)": 1}
    }
    # The body did not change: one DELETE, no PUT.
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _ in item_writes(mocked)[before:]] == [
        ("DELETE", f"{item_id}.json")
    ]
    stored = stored_item(mocked, "A-1")
    assert stored["archived"] == "true"
    assert {s["qoh"] for s in unwrap(stored["ItemShops"], "ItemShop")} == {"0"}


def test_archive_items_on_restores_an_archived_item_with_archived_false(mocked, config):
    config = {**config, "archive_items": True}
    run_target(config, items([ARCHIVED_ROW]))
    assert stored_item(mocked, "A-1")["archived"] == "true"
    result = run_target(config, items([{**ARCHIVED_ROW, "archived": False}]))
    assert item_writes(mocked)[-1][0] == "PUT"
    assert item_writes(mocked)[-1][2] == {"archived": False}
    assert stored_item(mocked, "A-1")["archived"] == "false"
    assert result.summary["items"]["updated"] == 1


def test_a_dry_run_says_it_would_archive_and_sends_nothing(mocked, config):
    result = run_target({**config, "archive_items": True, "dry_run": True}, items([ARCHIVED_ROW]))
    assert result.summary["items"]["reasons"] == {
        "created": {"not found by customSku; archived (DELETE; its stock is zeroed)": 1}
    }
    assert mocked.writes() == []
