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


#: The sales schema since every tap-lightspeed stream names its account, first in the key.
ACCOUNT_SCHEMA = {
    **SCHEMA,
    "properties": {"account_id": {"type": ["string"]}, **SCHEMA["properties"]},
}


def singer_input(*records: dict, schema: dict = SCHEMA, keys: tuple[str, ...] = ("saleID",)) -> str:
    """A Singer stream of sales: the schema message, then the records."""
    messages = [
        {"type": "SCHEMA", "stream": "sales", "key_properties": list(keys), "schema": schema}
    ]
    messages += [{"type": "RECORD", "stream": "sales", "record": r} for r in records]
    return "".join(json.dumps(m) + "\n" for m in messages)


@pytest.fixture
def schema_name(meltano_installed: Path) -> Iterator[str]:
    name = f"e2e_loader_{uuid.uuid4().hex[:8]}"
    yield name
    psql(f"drop schema if exists {name} cascade;")


def load(
    tmp_path: Path,
    schema_name: str,
    *records: dict,
    schema: dict = SCHEMA,
    keys: tuple[str, ...] = ("saleID",),
) -> subprocess.CompletedProcess:
    config = tmp_path / "target-postgres.json"
    config.write_text(
        json.dumps({**PG, "port": int(PG["port"]), "default_target_schema": schema_name}),
        encoding="utf-8",
    )
    return subprocess.run(
        [str(LOADER), "--config", str(config)],
        input=singer_input(*records, schema=schema, keys=keys),
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


def test_a_table_keyed_before_account_id_is_refused_with_the_statements_that_keep_it(
    tmp_path: Path, schema_name: str
) -> None:
    # Loaded by a tap-lightspeed before account_id: the primary key is ("saleID").
    old = [{"saleID": i, "timeStamp": "2026-01-01T10:00:00+00:00"} for i in (1, 2)]
    assert load(tmp_path, schema_name, *old).returncode == 0
    new_key = {"schema": ACCOUNT_SCHEMA, "keys": ("account_id", "saleID")}
    sale = {"account_id": "111", "saleID": 1, "timeStamp": "2026-01-03T10:00:00+00:00"}

    refused = load(tmp_path, schema_name, sale, **new_key)
    assert refused.returncode != 0
    assert (
        f'Table "{schema_name}"."sales" has the primary key ("saleID") but the stream\'s key '
        'is ("account_id", "saleID")'
    ) in refused.stderr
    # Refused before anything changed: no new column, the same rows.
    assert "account_id" not in column_types(schema_name)
    assert query(f"select count(*) as n from {schema_name}.sales") == [{"n": 2}]

    # (the message is logged, then raised: the same statements twice)
    statements = list(dict.fromkeys(re.findall(r"(?:ALTER TABLE|UPDATE) .*?;", refused.stderr)))
    assert len(statements) == 3
    for statement in statements:  # the rows came from account 111
        psql(statement.replace("<your Lightspeed account id>", "111"))

    other = {"account_id": "222", "saleID": 1, "timeStamp": "2026-01-04T10:00:00+00:00"}
    loaded = load(tmp_path, schema_name, sale, other, **new_key)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    rows = query(
        f"""select account_id, "saleID" as id, "timeStamp" at time zone 'UTC' as ts
        from {schema_name}.sales order by 1, 2"""
    )
    assert rows == [
        {"account_id": "111", "id": 1, "ts": "2026-01-03T10:00:00"},  # updated in place
        {"account_id": "111", "id": 2, "ts": "2026-01-01T10:00:00"},
        {"account_id": "222", "id": 1, "ts": "2026-01-04T10:00:00"},  # same id, its own row
    ]
