"""The typed target-postgres (warehouse_loaders/postgres.py) against the local PostgreSQL.

The Meltano runs in test_tap_to_postgres.py check the column types of new tables; these check
what the loader does with tables an unchanged target-postgres made before it.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import PG, PLUGIN_BINS, psql, query

LOADER = PLUGIN_BINS["target-postgres"]
SCHEMA = {
    "type": "object",
    "properties": {
        "saleID": {"type": "integer"},
        "timeStamp": {"type": ["string", "null"], "format": "date-time"},
        "SaleLines": {
            "type": ["array", "null"],
            "items": {"type": "object", "properties": {"unitPrice": {"type": "number"}}},
        },
    },
}


def singer_input(*records: dict) -> str:
    """A Singer stream of sales: the schema message, then the records."""
    messages = [
        {"type": "SCHEMA", "stream": "sales", "key_properties": ["saleID"], "schema": SCHEMA}
    ]
    messages += [{"type": "RECORD", "stream": "sales", "record": r} for r in records]
    return "".join(json.dumps(m) + "\n" for m in messages)


@pytest.fixture
def schema_name(meltano_installed: Path) -> Iterator[str]:
    name = f"e2e_loader_{uuid.uuid4().hex[:8]}"
    yield name
    psql(f"drop schema if exists {name} cascade;")


def load(tmp_path: Path, schema_name: str, *records: dict) -> subprocess.CompletedProcess:
    config = tmp_path / "target-postgres.json"
    config.write_text(
        json.dumps({**PG, "port": int(PG["port"]), "default_target_schema": schema_name}),
        encoding="utf-8",
    )
    return subprocess.run(
        [str(LOADER), "--config", str(config)],
        input=singer_input(*records),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def column_types(schema_name: str) -> dict[str, str]:
    rows = query(
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{schema_name}' and table_name = 'sales'"
    )
    return {r["column_name"]: r["data_type"] for r in rows}


def test_new_tables_get_timestamptz_and_jsonb(tmp_path: Path, schema_name: str) -> None:
    sale = {
        "saleID": 1,
        "timeStamp": "2026-03-01T10:00:00+00:00",
        "SaleLines": [{"unitPrice": 2.5}],
    }
    result = load(tmp_path, schema_name, sale)
    assert result.returncode == 0, result.stderr[-2000:]
    types = column_types(schema_name)
    assert types["timeStamp"] == "timestamp with time zone"
    assert types["SaleLines"] == "jsonb"
    row = query(
        f"""select "timeStamp" at time zone 'UTC' as ts, "SaleLines" as lines
        from {schema_name}.sales"""
    )
    assert row == [{"ts": "2026-03-01T10:00:00", "lines": [{"unitPrice": 2.5}]}]


def test_tables_of_an_unchanged_target_postgres_get_the_statements_to_convert(
    tmp_path: Path, schema_name: str
) -> None:
    psql(
        f'create schema {schema_name}; create table {schema_name}.sales ("saleID" bigint '
        'primary key, "timeStamp" timestamp, "SaleLines" jsonb[]); '
        f"""insert into {schema_name}.sales values
        (1, '2026-01-01 10:00:00', array['{{"unitPrice": 1}}'::jsonb]);"""
    )
    sale = {"saleID": 2, "timeStamp": "2026-01-02T10:00:00+00:00", "SaleLines": [{"unitPrice": 2}]}

    refused = load(tmp_path, schema_name, sale)
    assert refused.returncode != 0
    # The message names the column and gives the statement that converts it; nothing is written.
    assert f'Column "{schema_name}"."sales"."SaleLines" is jsonb[]' in refused.stderr
    assert query(f"select count(*) as n from {schema_name}.sales") == [{"n": 1}]
    # The naive timestamp column still loads (it holds UTC); a warning gives its conversion.
    warning = f'Column "{schema_name}"."sales"."timeStamp" is a timestamp without time zone'
    assert refused.stderr.count(warning) == 1

    for statement in re.findall(r"ALTER TABLE .*?;", refused.stderr):
        psql(statement)
    assert column_types(schema_name)["timeStamp"] == "timestamp with time zone"
    assert column_types(schema_name)["SaleLines"] == "jsonb"

    loaded = load(tmp_path, schema_name, sale)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert "ALTER TABLE" not in loaded.stderr
    rows = query(
        f"""select "saleID" as id, "timeStamp" at time zone 'UTC' as ts, "SaleLines" as lines
        from {schema_name}.sales order by 1"""
    )
    assert rows == [
        {"id": 1, "ts": "2026-01-01T10:00:00", "lines": [{"unitPrice": 1}]},
        {"id": 2, "ts": "2026-01-02T10:00:00", "lines": [{"unitPrice": 2}]},
    ]
