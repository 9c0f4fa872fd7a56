"""target-lightspeed as a process against a store that misbehaves the documented ways.

The sandbox answers a share of all requests with 409, 400 "Please try again later.", 5xx and
Cloudflare's 520-524 (520 and 524 after carrying the request out), and ignores ``IN`` on
``Contact.email``. Two runs, the second without the ledger (so that only lookups keep it from
writing twice) and with changed records: every record ends up in Lightspeed exactly once, with
the values of the last run, and both runs pass their STATE on.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from lightspeed_sandbox import two_accounts
from tests.faults.conftest import register_token_store, run_target, target_settings

TRANSIENT = (409, 400, 500, 520, 521, 522, 523, 524)


def input_lines(surname: str, bookmark: int) -> str:
    customers = [
        {"first_name": f"C{i}", "last_name": surname, "email": f"c{i}@transient.test"}
        for i in range(30)
    ]
    items = [{"description": f"Item {i} {surname}", "custom_sku": f"TR-{i}"} for i in range(20)]
    lines = []
    for stream, rows in (("customers", customers), ("items", items)):
        schema = {"type": "object", "properties": {}, "additionalProperties": True}
        lines.append({"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": []})
        lines += [{"type": "RECORD", "stream": stream, "record": row} for row in rows]
    lines.append({"type": "STATE", "value": {"bookmarks": {"run": bookmark}}})
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def email(customer: dict) -> str:
    emails = (customer.get("Contact") or {}).get("Emails") or {}
    found = emails.get("ContactEmail") if isinstance(emails, dict) else None
    return found.get("address", "") if isinstance(found, dict) else ""


@pytest.mark.slow
def test_transient_errors_and_an_ignored_in_write_each_record_once(sandbox_factory, work, evidence):
    # The target account holds other customers and items too: an ignored IN answers them.
    sb = sandbox_factory(two_accounts(empty_second=False, seed=12, customers=8, items=8, sales=5))
    sb.set_relation_in("ignored")
    account = sb.account_ids[1]
    for run, surname in enumerate(("Before", "After"), start=1):
        config = target_settings(sb, work, 1, ledger_path=str(work.out / f"ledger-{run}.sqlite3"))
        register_token_store(evidence, config)
        config_path = work.write_input(f"target-{run}.json", config)
        source = work.inputs / f"input-{run}.jsonl"
        source.write_text(input_lines(surname, run))
        sb.set_faults(error_rate=0.12, statuses=TRANSIENT, applied_statuses=(520, 524), seed=run)
        run_result = run_target(work, f"target-{run}", config_path, source)
        faults = sb.stats()["faults"]
        sb.clear_faults()
        log = run_result.stderr_text()
        assert run_result.returncode == 0, log[-3000:]
        assert faults["errors"] >= 5  # the run did meet the faults
        # A target prints each STATE value on a line of its own.
        assert run_result.messages()[-1] == {"bookmarks": {"run": run}}
        ours = [c for c in sb.records(account, "Customer") if email(c).endswith("@transient.test")]
        emails = Counter(email(c) for c in ours)
        assert sorted(emails) == sorted(f"c{i}@transient.test" for i in range(30))
        assert set(emails.values()) == {1}, emails
        assert {c["lastName"] for c in ours} == {surname}
        items = [i for i in sb.records(account, "Item") if i.get("customSku", "").startswith("TR-")]
        assert Counter(i["customSku"] for i in items) == Counter(f"TR-{i}" for i in range(20))
        assert all(i["description"].endswith(surname) for i in items)
    assert "ignores IN on Contact.email" in log
