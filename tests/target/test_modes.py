"""Write modes, batched lookups, payload shapes, rejects, dry run: against the mocked sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from lightspeed_client.errors import ConfigurationError
from tests.target.conftest import MockedSandbox, messages, run_target, state, tap_schema

CUSTOMER_ROWS = [
    {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "(555) 555-0100",
        "phone_mobile": "(555) 555-0101",
        "address1": "1 Analytical Way",
        "city": "London",
        "zip": "N1",
        "country": "United Kingdom",
        "country_code": "GB",
    },
    {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"},
]


def customers(rows: list[dict], stream: str = "customers") -> list[str]:
    return messages(stream, rows)


def bodies(mocked: MockedSandbox, method: str) -> list[dict]:
    return [json.loads(r.body) for r in mocked.requests(method)]


def test_flat_customers_are_created_with_a_wrapped_contact(mocked, config):
    result = run_target(config, customers(CUSTOMER_ROWS))
    assert result.summary["customers"]["created"] == 2
    posts = bodies(mocked, "POST")
    assert posts[0] == {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "Contact": {
            "Emails": {"ContactEmail": [{"address": "ada@example.com", "useType": "Primary"}]},
            "Phones": {
                "ContactPhone": [
                    {"number": "(555) 555-0100", "useType": "Home"},
                    {"number": "(555) 555-0101", "useType": "Mobile"},
                ]
            },
            "Addresses": {
                "ContactAddress": [
                    {
                        "address1": "1 Analytical Way",
                        "city": "London",
                        "zip": "N1",
                        "country": "United Kingdom",
                        "countryCode": "GB",
                    }
                ]
            },
        },
    }
    stored = mocked.records("Customer")
    assert [c["Contact"]["Emails"]["ContactEmail"]["address"] for c in stored] == [
        "ada@example.com",
        "grace@example.com",
    ]


def test_lookups_are_batched_with_in(mocked, config):
    mocked.sb.set_relation_in("supported")  # a server that filters Contact.email=IN,[..]
    rows = [{"first_name": f"N{i}", "email": f"user{i}@example.com"} for i in range(150)]
    run_target(config, customers(rows))
    gets = mocked.requests("GET", "Customer")
    # 150 records: batches of 100 and 50, one IN lookup each.
    assert len(gets) == 2
    query = parse_qs(urlsplit(gets[0].url).query)
    assert query["load_relations"] == ['["Contact"]']
    emails = json.loads(query["Contact.email"][0].removeprefix("IN,"))
    assert len(emails) == 100
    assert emails[0] == "user0@example.com"
    assert query["archived"] == ["true"]


def test_unchanged_records_send_nothing(mocked, config):
    run_target(config, customers(CUSTOMER_ROWS))
    before = len(mocked.requests())
    result = run_target(config, customers(CUSTOMER_ROWS))
    assert len(mocked.requests()) == before  # not even a lookup
    assert result.summary["customers"]["unchanged"] == 2


def test_upsert_updates_changed_records_only(mocked, config):
    run_target(config, customers(CUSTOMER_ROWS))
    changed = [dict(CUSTOMER_ROWS[0], last_name="King"), CUSTOMER_ROWS[1]]
    before = len(mocked.requests())
    result = run_target(config, customers(changed))
    new = mocked.requests()[before:]
    assert [r.method for r in new] == ["PUT"]
    assert json.loads(new[0].body)["lastName"] == "King"
    assert result.summary["customers"]["updated"] == 1
    assert result.summary["customers"]["unchanged"] == 1
    assert len(mocked.records("Customer")) == 2


def test_without_the_ledger_lookups_prevent_duplicates(mocked, config, tmp_path):
    run_target(config, customers(CUSTOMER_ROWS))
    config = dict(config, ledger_path=str(tmp_path / "new-machine.sqlite3"))
    changed = [
        dict(CUSTOMER_ROWS[0], email="ADA@example.com"),
        dict(CUSTOMER_ROWS[1], title="RADM"),
    ]
    result = run_target(config, customers(changed))
    assert result.summary["customers"]["updated"] == 2  # found by email, any case
    assert len(mocked.records("Customer")) == 2
    config = dict(config, ledger_path=str(tmp_path / "third-machine.sqlite3"))
    result = run_target(config, customers(changed))
    assert result.summary["customers"]["unchanged"] == 2  # same content: no write
    assert len(mocked.records("Customer")) == 2


def test_insert_mode_leaves_existing_records(mocked, config):
    run_target(config, customers(CUSTOMER_ROWS[:1]))
    rows = [dict(CUSTOMER_ROWS[0], last_name="Changed"), CUSTOMER_ROWS[1]]
    before = len(mocked.writes())
    result = run_target(dict(config, write_mode="insert"), customers(rows))
    assert [r.method for r in mocked.writes()[before:]] == ["POST"]
    assert result.summary["customers"]["unchanged"] == 1
    assert result.summary["customers"]["created"] == 1
    assert mocked.records("Customer")[0]["lastName"] == "Lovelace"


def test_update_mode_rejects_records_not_found(mocked, config, tmp_path):
    run_target(config, customers(CUSTOMER_ROWS[:1]))
    rows = [dict(CUSTOMER_ROWS[0], last_name="Byron"), CUSTOMER_ROWS[1]]
    result = run_target(dict(config, write_mode="update"), customers(rows))
    assert result.summary["customers"]["updated"] == 1
    assert result.summary["customers"]["rejected"] == 1
    assert len(mocked.records("Customer")) == 1
    rejects = [json.loads(x) for x in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert rejects[0]["match_key"] == "email=grace@example.com"
    assert "not found" in rejects[0]["message"]


def test_rejects_file_holds_record_key_status_and_message(mocked, config, tmp_path):
    rows = [
        {"description": "", "custom_sku": "NO-DESC", "price": 3},
        {"description": "Widget", "custom_sku": "W-1", "price": 9.5, "msrp": 12},
        {"description": "Bad UPC", "upc": "123", "custom_sku": "BAD-UPC"},
    ]
    result = run_target(config, messages("items", rows))
    summary = result.summary["items"]
    assert (summary["created"], summary["rejected"]) == (1, 2)
    rejects = [json.loads(x) for x in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    by_key = {r["match_key"]: r for r in rejects}
    no_desc = by_key["customSku=NO-DESC"]
    assert no_desc["stream"] == "items"
    assert no_desc["status"] == 400
    assert no_desc["message"] == "Item not created. An Item must have a description."
    assert no_desc["record"]["custom_sku"] == "NO-DESC"
    bad_upc = next(r for r in rejects if r["record"].get("upc") == "123")
    assert bad_upc["status"] is None
    assert "upc" in bad_upc["message"]
    post = bodies(mocked, "POST")[-1]
    assert post["Prices"] == {
        "ItemPrice": [
            {"amount": "9.5", "useType": "Default", "useTypeID": "1"},
            {"amount": "12", "useType": "MSRP", "useTypeID": "2"},
        ]
    }


def test_max_rejects_fails_the_run_without_state(mocked, config):
    rows = [{"description": "", "custom_sku": f"X{i}"} for i in range(3)]
    lines = [*messages("items", rows), state({"bookmarks": {"items": 3}})]
    result = run_target(dict(config, max_rejects=1), lines, raise_errors=False)
    assert result.error is not None
    assert "max_rejects" in str(result.error)
    assert result.states == []


def test_schema_invalid_record_is_rejected_and_the_run_goes_on(mocked, config, tmp_path):
    schema = {
        "type": "object",
        "properties": {"email": {"type": "string"}, "first_name": {"type": ["string", "null"]}},
    }
    rows = [{"email": "ok@example.com"}, {"email": 42}]
    result = run_target(config, messages("customers", rows, schema))
    assert result.summary["customers"]["created"] == 1
    assert result.summary["customers"]["rejected"] == 1
    reject = json.loads((tmp_path / "rejects.jsonl").read_text().splitlines()[0])
    assert "field 'email'" in reject["message"]


def test_dry_run_sends_no_write_and_says_what_would_happen(mocked, config, tmp_path):
    run_target(config, customers(CUSTOMER_ROWS[:1]))
    rows = [dict(CUSTOMER_ROWS[0], last_name="Byron"), CUSTOMER_ROWS[1], {"email": "not-an-email"}]
    before_writes = len(mocked.writes())
    ledger_before = (tmp_path / "ledger.sqlite3").read_bytes()
    result = run_target(dict(config, dry_run=True), customers(rows))
    assert len(mocked.writes()) == before_writes
    summary = result.summary["customers"]
    assert (summary["updated"], summary["created"], summary["rejected"]) == (1, 1, 1)
    assert "changed since last written (ledger)" in summary["reasons"]["updated"]
    assert (tmp_path / "ledger.sqlite3").read_bytes() == ledger_before
    lines = result.target.runtime.report.summary_lines()
    assert "dry run, would be" in lines[0]


def test_items_match_by_custom_sku_then_upc(mocked, config, tmp_path):
    run_target(config, messages("items", [{"description": "A", "upc": "012345678905"}]))
    config = dict(config, ledger_path=str(tmp_path / "other.sqlite3"))
    rows = [{"description": "A2", "custom_sku": "NEW-SKU", "upc": "012345678905"}]
    result = run_target(config, messages("items", rows))
    assert result.summary["items"]["updated"] == 1
    gets = mocked.requests("GET", "Item")[-2:]
    assert "customSku" in parse_qs(urlsplit(gets[0].url).query)
    assert "upc" in parse_qs(urlsplit(gets[1].url).query)
    assert len(mocked.records("Item")) == 1


def test_a_create_in_doubt_is_looked_up_not_duplicated(mocked, config):
    mocked.drop_next_posts = 1  # stored, but the response is lost
    result = run_target(config, customers(CUSTOMER_ROWS[:1]))
    assert result.summary["customers"]["created"] == 1
    assert len(mocked.records("Customer")) == 1
    assert [r.method for r in mocked.requests()] == ["GET", "POST", "GET"]


def test_a_create_in_doubt_without_match_key_is_found_by_content(mocked, config):
    mocked.drop_next_posts = 1
    rows = [{"first_name": "No", "last_name": "Email", "customerID": 7}]
    result = run_target(config, customers(rows))
    assert result.summary["customers"]["created"] == 1
    assert len(mocked.records("Customer")) == 1


def test_unmapped_stream_stops_the_run_with_a_hint(mocked, config):
    with pytest.raises(ConfigurationError, match="stream_entities"):
        run_target(config, messages("public-crm_contacts", CUSTOMER_ROWS))


def test_stream_entities_maps_other_streams(mocked, config):
    config = dict(config, stream_entities={"public-crm_*": "customers"})
    result = run_target(config, messages("public-crm_contacts", CUSTOMER_ROWS))
    assert result.summary["public-crm_contacts"]["created"] == 2


def test_state_is_emitted_only_after_the_records_before_it(mocked, config):
    lines = [*customers(CUSTOMER_ROWS), state({"bookmarks": {"customers": 2}})]
    result = run_target(config, lines)
    assert result.states == [{"bookmarks": {"customers": 2}}]
    assert len(mocked.records("Customer")) == 2


def test_no_state_after_retries_run_out(mocked, config):
    mocked.sb.set_faults(error_rate=1.0, seed=1)
    lines = [*customers(CUSTOMER_ROWS), state({"bookmarks": {"customers": 2}})]
    result = run_target(dict(config, max_retries=1), lines, raise_errors=False)
    assert result.error is not None
    assert result.states == []


def test_tap_shaped_sale_goes_in_one_post_with_lines_and_payments(mocked, config):
    customer = {
        "customerID": 5,
        "firstName": "Al",
        "Contact": {"Emails": [{"address": "al@x.io", "useType": "Primary"}]},
    }
    item = {
        "itemID": 9,
        "description": "Pen",
        "customSku": "PEN",
        "Prices": [{"amount": 2, "useType": "Default", "useTypeID": 1}],
    }
    sale = {
        "saleID": 77,
        "completed": True,
        "total": 4.32,
        "calcTotal": 4.32,
        "customerID": 5,
        "employeeID": 2,
        "SaleLines": [
            {"saleLineID": 1, "itemID": 9, "unitQuantity": 2, "unitPrice": 2, "calcTotal": 4.32}
        ],
        # The target account's taxes (5% + 4%) make it 4.36: paid so, the sale is completed.
        "SalePayments": [{"salePaymentID": 1, "amount": 4.36, "paymentTypeID": 4}],
    }
    lines = [
        *messages("customers", [customer], tap_schema("customers")),
        *messages("items", [item], tap_schema("items")),
        *messages("sales", [sale], tap_schema("sales")),
    ]
    result = run_target(dict(config, keep_foreign_keys=["paymentTypeID"]), lines)
    assert result.summary["sales"]["created"] == 1
    post = bodies(mocked, "POST")[-1]
    assert post == {
        "referenceNumber": "sales-77",
        "referenceNumberSource": "target-lightspeed",
        "enablePromotions": False,
        "customerID": "1",
        "employeeID": "1",
        "registerID": "1",
        "shopID": "1",
        "SaleLines": {"SaleLine": [{"itemID": "1", "unitQuantity": 2, "unitPrice": "2"}]},
        "SalePayments": {"SalePayment": [{"amount": "4.36", "paymentTypeID": "4"}]},
    }
    assert bodies(mocked, "PUT")[-1] == {"completed": True}
    stored = mocked.records("Sale")[0]
    assert stored["completed"] == "true"
    # a rerun finds it by referenceNumber (new machine: no ledger)
    config2 = dict(config, ledger_path=str(Path(config["ledger_path"]).with_name("x.sqlite3")))
    again = run_target(dict(config2, keep_foreign_keys=["paymentTypeID"]), lines)
    assert again.summary["sales"]["unchanged"] == 1
    assert len(mocked.records("Sale")) == 1


def test_sale_is_left_open_when_payments_do_not_cover_the_total(mocked, config):
    sale = {
        "reference_number": "WEB-1",
        "completed": True,
        "total": 10,
        "lines": [{"quantity": 1, "unit_price": 10}],
        "payments": [{"amount": 5}],
    }
    result = run_target(config, messages("sales", [sale]))
    assert result.summary["sales"]["created"] == 1
    assert result.summary["sales"]["left_open"] == 1
    post = bodies(mocked, "POST")[-1]
    assert "completed" not in post
    assert post["SalePayments"] == {"SalePayment": [{"amount": "5", "paymentTypeID": "1"}]}
    assert not bodies(mocked, "PUT")
    assert mocked.records("Sale")[0]["completed"] == "false"


def test_sale_with_an_unknown_item_is_rejected_with_a_reason(mocked, config, tmp_path):
    sale = {"saleID": 3, "SaleLines": [{"itemID": 999, "unitQuantity": 1}]}
    result = run_target(config, messages("sales", [sale], tap_schema("sales")))
    assert result.summary["sales"]["rejected"] == 1
    reject = json.loads((tmp_path / "rejects.jsonl").read_text().splitlines()[0])
    assert "item 999 of the source account" in reject["message"]
    assert not mocked.writes()


def test_secrets_never_reach_logs_rejects_or_ledger(mocked, config, tmp_path, caplog):
    caplog.set_level("DEBUG")
    run_target(config, customers([*CUSTOMER_ROWS, {"email": "broken"}]))
    secrets = [config["client_secret"], config["refresh_token"]]
    texts = [caplog.text, (tmp_path / "rejects.jsonl").read_text()]
    texts.append((tmp_path / "ledger.sqlite3").read_bytes().decode("latin-1"))
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_progress_line_reports_counts_rate_and_bucket_wait(mocked, config, caplog):
    caplog.set_level("INFO")
    run_target(dict(config, progress_interval=1e-9), customers(CUSTOMER_ROWS))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("progress:")]
    assert lines
    assert "2 records done (created 2, updated 0, unchanged 0, rejected 0)" in lines[-1]
    assert "writes/s" in lines[-1]
    assert "waiting for the rate limit" in lines[-1]
    summary = [r.getMessage() for r in caplog.records if r.getMessage().startswith("summary:")]
    assert summary == [
        "summary: stream 'customers' (customers): read 2; created 2, updated 0, unchanged 0, "
        "rejected 0. Why: created: not found by email (2)"
    ]


def test_the_same_record_twice_in_a_batch_is_created_once(mocked, config):
    result = run_target(config, customers([CUSTOMER_ROWS[1], dict(CUSTOMER_ROWS[1])]))
    assert result.summary["customers"]["created"] == 1
    assert result.summary["customers"]["unchanged"] == 1
    assert [r.method for r in mocked.writes()] == ["POST"]
    rows = [{"first_name": "No", "last_name": "Email"}] * 2  # no match key: by content
    result = run_target(config, customers(rows))
    assert result.summary["customers"]["created"] == 1
    assert len(mocked.records("Customer")) == 2
