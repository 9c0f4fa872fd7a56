"""The ledger: rows per account, dry-run overlay, source keys per stream, schema versions."""

from __future__ import annotations

import sqlite3

import pytest

from lightspeed_client.errors import ConfigurationError
from target_lightspeed.ledger import SCHEMA_VERSION, Ledger


def test_ledger_survives_reopen_and_separates_accounts(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path, "1")
    ledger.mark_pending("customers", "email=a@b.c", "customers:7")
    assert not ledger.get_many("customers", ["email=a@b.c"])["email=a@b.c"].written
    ledger.mark_written("customers", "email=a@b.c", "42", "h1", "customers:7")
    ledger.close()
    again = Ledger(path, "1")
    entry = again.get_many("customers", ["email=a@b.c", "email=x@y.z"])
    assert list(entry) == ["email=a@b.c"]
    assert entry["email=a@b.c"].lightspeed_id == "42"
    assert again.ids_by_source("customers", ["customers:7", "customers:8"]) == {"customers:7": "42"}
    assert Ledger(path, "2").get_many("customers", ["email=a@b.c"]) == {}
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_read_only_ledger_keeps_changes_apart_from_the_file(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    Ledger(path, "1").mark_written("items", "customSku=A", "5", "h", None)
    dry = Ledger(path, "1", read_only=True)
    dry.mark_written("items", "customSku=B", "dry-run", "h", "items:9")
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
    Ledger(path, "1").mark_written("customers", "email=a@b.c", "5", "old", "c:7")
    dry = Ledger(path, "1", read_only=True)
    dry.mark_written("customers", "email=a@b.c", "5", "new", "c:7")
    dry.mark_written("customers", "email=n@b.c", "dry-run", "h", "c:8")
    assert dry.get_many("customers", ["email=a@b.c"])["email=a@b.c"].payload_hash == "new"
    assert dry.ids_by_source("customers", ["c:7", "c:8"]) == {"c:7": "5", "c:8": "dry-run"}
    dry.forget("customers", "email=n@b.c")
    assert dry.ids_by_source("customers", ["c:8"]) == {}
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


#: The ledger's table as version 1 wrote it (source keys: bare source ids).
V1_DDL = """
CREATE TABLE records (
    account_id TEXT NOT NULL, entity TEXT NOT NULL, match_key TEXT NOT NULL,
    lightspeed_id TEXT, payload_hash TEXT, source_key TEXT, state TEXT NOT NULL,
    attempted_at REAL, updated_at REAL NOT NULL,
    PRIMARY KEY (account_id, entity, match_key)
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO records VALUES ('1', 'customers', 'email=a@b.c', '41', 'h', '7', 'written', NULL, 1);
INSERT INTO records VALUES
    ('1', 'customers', 'source:crm_contacts:9', '42', 'h', '9', 'written', NULL, 2);
INSERT INTO records VALUES ('1', 'items', 'customSku=A', '43', 'h', NULL, 'written', NULL, 3);
"""


def version_one_ledger(path):
    db = sqlite3.connect(path)
    db.executescript(V1_DDL)
    db.commit()
    db.close()
    return path


def stored_version(path) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    finally:
        db.close()


def test_a_new_ledger_has_the_current_schema_version(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3", "1")
    assert ledger.schema_version() == SCHEMA_VERSION == 2
    ledger.close()
    assert stored_version(tmp_path / "ledger.sqlite3") == "2"


def test_a_version_one_ledger_is_migrated_to_stream_tagged_source_keys(tmp_path):
    path = version_one_ledger(tmp_path / "ledger.sqlite3")
    ledger = Ledger(path, "1")
    assert ledger.schema_version() == 2
    # A row keyed by its source names its stream; the others get their entity's stream.
    assert ledger.ids_by_source("customers", ["customers:7", "crm_contacts:9", "7", "9"]) == {
        "customers:7": "41",
        "crm_contacts:9": "42",
    }
    assert ledger.get_many("items", ["customSku=A"])["customSku=A"].source_key is None
    assert ledger.source_streams("customers") == ["crm_contacts", "customers"]
    ledger.close()
    assert stored_version(path) == "2"
    Ledger(path, "1").close()  # opening it again changes nothing
    assert Ledger(path, "1").ids_by_source("customers", ["customers:7"]) == {"customers:7": "41"}


def test_a_dry_run_migrates_a_private_copy_and_leaves_the_file_alone(tmp_path):
    path = version_one_ledger(tmp_path / "ledger.sqlite3")
    before = path.read_bytes()
    dry = Ledger(path, "1", read_only=True)
    assert dry.ids_by_source("customers", ["customers:7"]) == {"customers:7": "41"}
    dry.close()
    assert path.read_bytes() == before
    assert stored_version(path) == "1"


def test_a_ledger_of_a_newer_version_stops_with_a_clear_message(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    Ledger(path, "1").close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    for read_only in (False, True):
        with pytest.raises(ConfigurationError, match=r"schema version 3.*newer target-lightspeed"):
            Ledger(path, "1", read_only=read_only)


def test_source_streams_lists_the_streams_of_written_rows(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3", "1")
    ledger.mark_written("customers", "email=a@b.c", "1", "h", "shop_a-customers:5")
    ledger.mark_written("customers", "email=b@b.c", "2", "h", "shop_b-customers:5")
    ledger.mark_pending("customers", "email=c@b.c", "shop_c-customers:5")
    ledger.mark_written("items", "customSku=A", "3", "h", "shop_a-items:5")
    assert ledger.source_streams("customers") == ["shop_a-customers", "shop_b-customers"]
    assert ledger.ids_by_source("customers", ["shop_a-customers:5", "shop_b-customers:5"]) == {
        "shop_a-customers:5": "1",
        "shop_b-customers:5": "2",
    }
