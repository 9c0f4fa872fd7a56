"""The compiled record validator and the ledger."""

from __future__ import annotations

from decimal import Decimal

from target_lightspeed.ledger import Ledger
from target_lightspeed.validation import RecordValidator
from tests.target.conftest import tap_schema


def test_compiled_validator_accepts_tap_records_and_names_bad_fields():
    validator = RecordValidator(tap_schema("sales"))
    assert validator.compiled
    good = {"saleID": 1, "total": Decimal("2.50"), "SaleLines": [{"unitQuantity": 2, "tax": True}]}
    assert validator.first_error(good) is None
    bad = {"saleID": 1, "SaleLines": [{"unitQuantity": Decimal("1.5")}]}
    assert validator.first_error(bad) == (
        "field 'SaleLines[0].unitQuantity': expected integer or null, got the number 1.5"
    )
    assert "required" in RecordValidator(
        {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
    ).first_error({})


def test_unsupported_keywords_fall_back_to_jsonschema():
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]+$"}}}
    validator = RecordValidator(schema)
    assert not validator.compiled
    assert validator.first_error({"code": "ABC"}) is None
    assert "field 'code'" in validator.first_error({"code": "abc"})


def test_ledger_survives_reopen_and_separates_accounts(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path, "1")
    ledger.mark_pending("customers", "email=a@b.c", "7")
    assert not ledger.get_many("customers", ["email=a@b.c"])["email=a@b.c"].written
    ledger.mark_written("customers", "email=a@b.c", "42", "h1", "7")
    ledger.close()
    again = Ledger(path, "1")
    entry = again.get_many("customers", ["email=a@b.c", "email=x@y.z"])
    assert list(entry) == ["email=a@b.c"]
    assert entry["email=a@b.c"].lightspeed_id == "42"
    assert again.ids_by_source("customers", ["7", "8"]) == {"7": "42"}
    assert Ledger(path, "2").get_many("customers", ["email=a@b.c"]) == {}
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_read_only_ledger_keeps_changes_apart_from_the_file(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    Ledger(path, "1").mark_written("items", "customSku=A", "5", "h", None)
    dry = Ledger(path, "1", read_only=True)
    dry.mark_written("items", "customSku=B", "dry-run", "h", "9")
    assert set(dry.get_many("items", ["customSku=A", "customSku=B"])) == {
        "customSku=A",
        "customSku=B",
    }
    assert set(Ledger(path, "1").get_many("items", ["customSku=A", "customSku=B"])) == {
        "customSku=A"
    }
    assert Ledger(tmp_path / "missing.sqlite3", "1", read_only=True).get_many("items", ["x"]) == {}


def test_read_only_ledger_overlay_wins_and_is_dropped_on_close(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    Ledger(path, "1").mark_written("customers", "email=a@b.c", "5", "old", "7")
    dry = Ledger(path, "1", read_only=True)
    dry.mark_written("customers", "email=a@b.c", "5", "new", "7")
    dry.mark_written("customers", "email=n@b.c", "dry-run", "h", "8")
    assert dry.get_many("customers", ["email=a@b.c"])["email=a@b.c"].payload_hash == "new"
    assert dry.ids_by_source("customers", ["7", "8"]) == {"7": "5", "8": "dry-run"}
    dry.forget("customers", "email=n@b.c")
    assert dry.ids_by_source("customers", ["8"]) == {}
    dry.close()
    assert Ledger(path, "1").get_many("customers", ["email=a@b.c"])["email=a@b.c"].payload_hash == (
        "old"
    )
    # Without a ledger file, the overlay alone.
    fresh = Ledger(tmp_path / "missing.sqlite3", "1", read_only=True)
    fresh.mark_written("items", "customSku=A", "dry-run", "h", None)
    assert list(fresh.get_many("items", ["customSku=A"])) == ["customSku=A"]
    assert not (tmp_path / "missing.sqlite3").exists()


def test_claimed_tells_which_ids_the_ledger_holds(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3", "1")
    ledger.mark_written("customers", "content:abc", "11", "h", None)
    ledger.mark_written("items", "customSku=A", "12", "h", None)
    ledger.mark_pending("customers", "email=p@b.c", None)
    assert ledger.claimed("customers", ["11", "12", "13", ""]) == {"11"}
    dry = Ledger(tmp_path / "ledger.sqlite3", "1", read_only=True)
    dry.mark_written("customers", "content:def", "13", "h", None)
    assert dry.claimed("customers", ["11", "13", "14"]) == {"11", "13"}
