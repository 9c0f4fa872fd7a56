"""The decision about one record: plain data in, a decision out, no HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from target_lightspeed.decision import CREATE, REJECT, UNCHANGED, UPDATE, Case, Decision, decide
from target_lightspeed.ledger import PENDING, WRITTEN, LedgerEntry

BODY = {"firstName": "Ada", "lastName": "Lovelace"}
STORED_SAME = {"customerID": "12", "firstName": "Ada", "lastName": "Lovelace", "title": "Dr"}
STORED_OTHER = {"customerID": "12", "firstName": "Ada", "lastName": "Byron"}


def row(payload_hash: str = "h1", source_key: str | None = "customers:7", **kw: Any) -> LedgerEntry:
    fields = {
        "match_key": "email=ada@example.com",
        "lightspeed_id": "12",
        "payload_hash": payload_hash,
        "source_key": source_key,
        "state": WRITTEN,
        "attempted_at": None,
    }
    fields.update(kw)
    return LedgerEntry(**fields)


def case(**kw: Any) -> Case:
    fields: dict[str, Any] = {
        "entity": "customers",
        "write_mode": "upsert",
        "payload_hash": "h1",
        "body": BODY,
        "match_key": "email=ada@example.com",
        "key_name": "email",
        "source_key": "customers:7",
    }
    fields.update(kw)
    return Case(**fields)


def test_a_record_the_ledger_knows_with_the_same_hash_is_unchanged():
    assert decide(case(ledger=row())) == Decision(
        UNCHANGED, "same as last written (ledger)", "12", remember=False, remembered_hash="h1"
    )


def test_a_known_record_from_another_source_key_is_unchanged_but_remembered():
    decision = decide(case(ledger=row(source_key="customers:6")))
    assert (decision.action, decision.remember, decision.remembered_hash) == (UNCHANGED, True, "h1")
    # Without a source key, nothing to remember.
    assert not decide(case(ledger=row(source_key="x:1"), source_key=None)).remember


def test_a_known_record_with_another_hash_is_updated_by_its_ledger_id():
    decision = decide(case(ledger=row(payload_hash="old"), stored=STORED_OTHER))
    assert decision == Decision(UPDATE, "changed since last written (ledger)", "12")


def test_insert_mode_leaves_a_changed_known_record_as_is():
    decision = decide(case(write_mode="insert", ledger=row(payload_hash="old")))
    assert decision == Decision(UNCHANGED, "exists, left as is (insert mode)", "12")
    assert not decision.remember


def test_a_record_found_with_the_same_content_is_unchanged_and_remembered():
    assert decide(case(stored=STORED_SAME)) == Decision(
        UNCHANGED, "already up to date in Lightspeed", "12", remember=True, remembered_hash="h1"
    )


def test_a_pending_ledger_row_does_not_count_as_written():
    pending = row(state=PENDING, lightspeed_id=None, payload_hash=None, attempted_at=1.0)
    assert decide(case(ledger=pending, stored=STORED_SAME)).action == UNCHANGED
    assert decide(case(ledger=pending)).action == CREATE


def test_a_record_found_with_other_content_is_updated_naming_the_changed_fields():
    assert decide(case(stored=STORED_OTHER)) == Decision(UPDATE, "changed: lastName", "12")


def test_insert_mode_leaves_a_found_record_as_is_and_remembers_its_id_only():
    decision = decide(case(write_mode="insert", stored=STORED_OTHER))
    assert decision == Decision(
        UNCHANGED, "exists, left as is (insert mode)", "12", remember=True, remembered_hash=None
    )


@pytest.mark.parametrize(
    ("match_key", "key_name", "reason"),
    [
        ("email=ada@example.com", "email", "not found by email"),
        (None, None, "not found by any match key"),
    ],
)
def test_a_record_found_nowhere_is_created(match_key, key_name, reason):
    for mode in ("upsert", "insert"):
        decision = decide(case(write_mode=mode, match_key=match_key, key_name=key_name))
        assert decision == Decision(CREATE, reason)


@pytest.mark.parametrize(
    ("match_key", "reason"),
    [
        (
            "email=ada@example.com",
            "not found in Lightspeed by email=ada@example.com; write_mode update creates nothing",
        ),
        (
            None,
            "not found in Lightspeed by match key (the record has none); write_mode update "
            "creates nothing",
        ),
    ],
)
def test_update_mode_rejects_a_record_found_nowhere(match_key, reason):
    decision = decide(case(write_mode="update", match_key=match_key))
    assert decision == Decision(REJECT, reason)


def test_update_mode_updates_what_it_finds():
    assert decide(case(write_mode="update", stored=STORED_OTHER)).action == UPDATE
    assert decide(case(write_mode="update", ledger=row(payload_hash="old"))).action == UPDATE


def test_a_sale_compares_its_header_only():
    stored = {"saleID": "3", "referenceNumber": "R-1", "completed": "true", "SaleLines": ""}
    body = {"referenceNumber": "R-1"}
    decision = decide(
        case(entity="sales", body=body, stored=stored, match_key="referenceNumber=R-1")
    )
    assert (decision.action, decision.target_id) == (UNCHANGED, "3")
