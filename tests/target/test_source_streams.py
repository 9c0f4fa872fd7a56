"""Two input streams of one entity with overlapping source ids stay apart (sandbox).

Source keys in the ledger are ``<stream>:<id>``; a sale's ``customerID`` refers to the
customer stream nearest to the sale's stream by name (see ``SaleWriter``).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from lightspeed_sandbox.wire import unwrap
from target_lightspeed.ledger import Ledger
from target_lightspeed.writer import nearest_streams
from tests.target.conftest import MockedSandbox, messages, run_target

SHOPS = {"shop_*-customers": "customers", "shop_*-sales": "sales"}


def customer(source_id: int, email: str) -> dict[str, Any]:
    return {
        "customerID": source_id,
        "lastName": email.split("@")[0],
        "Contact": {"Emails": [{"address": email, "useType": "Primary"}]},
    }


def sale(reference: str, customer_id: int) -> dict[str, Any]:
    return {"reference_number": reference, "customer_id": customer_id}


def email_of(mocked: MockedSandbox, customer_id: str) -> str:
    stored = next(c for c in mocked.records("Customer") if c["customerID"] == customer_id)
    return unwrap(stored["Contact"]["Emails"], "ContactEmail")[0]["address"]


def sale_customers(mocked: MockedSandbox) -> dict[str, str]:
    return {s["referenceNumber"]: email_of(mocked, s["customerID"]) for s in mocked.records("Sale")}


def test_nearest_streams_share_the_longest_beginning():
    streams = ["shop_a-customers", "shop_b-customers", "customers"]
    assert nearest_streams("shop_a-sales", streams) == ["shop_a-customers"]
    assert nearest_streams("shop_b-sales", streams) == ["shop_b-customers"]
    assert nearest_streams("sales", streams) == sorted(streams)  # a tie: no beginning shared
    assert nearest_streams("sales", []) == []


def test_a_sale_attaches_to_the_customer_of_its_own_source(mocked, config):
    config = dict(config, stream_entities=SHOPS)
    lines = [
        *messages("shop_a-customers", [customer(5, "ann@a.example"), customer(6, "bob@a.example")]),
        *messages("shop_b-customers", [customer(5, "zoe@b.example")]),
        *messages("shop_a-sales", [sale("A-1", 5), sale("A-2", 6)]),
        *messages("shop_b-sales", [sale("B-1", 5)]),
    ]
    result = run_target(config, lines)
    assert result.summary["shop_a-sales"]["created"] == 2
    assert result.summary["shop_b-sales"]["created"] == 1
    assert sale_customers(mocked) == {
        "A-1": "ann@a.example",
        "A-2": "bob@a.example",
        "B-1": "zoe@b.example",
    }
    # A later run, sales only, resolves through the ledger alone, the same way.
    again = run_target(config, messages("shop_b-sales", [sale("B-2", 5)]))
    assert again.summary["shop_b-sales"]["created"] == 1
    assert sale_customers(mocked)["B-2"] == "zoe@b.example"


def test_a_customer_id_held_by_equally_near_streams_is_ambiguous(mocked, config, tmp_path):
    config = dict(config, stream_entities={"crm": "customers", "shop": "customers"})
    lines = [
        *messages("crm", [customer(5, "ann@crm.example"), customer(8, "eve@crm.example")]),
        *messages("shop", [customer(5, "zoe@shop.example")]),
        *messages("sales", [sale("S-1", 5), sale("S-2", 8)]),
    ]
    result = run_target(config, lines)
    # 8: only crm holds it, so it is crm's; 5: both do, neither nearer to "sales".
    assert sale_customers(mocked) == {"S-2": "eve@crm.example"}
    assert result.summary["sales"]["rejected"] == 1
    reject = json.loads(Path(config["rejects_path"]).read_text().splitlines()[0])
    assert reject["message"] == (
        "field 'customerID': customer 5 of the source account is ambiguous: streams crm, shop "
        "each hold one, and none is nearer to this stream by name"
    )


def test_a_version_one_ledger_keeps_resolving_after_migration(mocked, config):
    run_target(config, messages("customers", [customer(5, "ann@x.example")]))
    # Make the ledger what version 1 left: bare source keys.
    path = config["ledger_path"]
    db = sqlite3.connect(path)
    db.execute("UPDATE records SET source_key = '5'")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    result = run_target(config, messages("sales", [sale("S-1", 5)]))
    assert result.summary["sales"]["created"] == 1
    assert sale_customers(mocked) == {"S-1": "ann@x.example"}
    assert Ledger(path, mocked.sb.account_ids[1]).source_streams("customers") == ["customers"]
