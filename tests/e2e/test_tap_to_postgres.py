"""`meltano run tap-lightspeed target-postgres` against the sandbox and the local PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from lightspeed_sandbox import Sandbox
from tap_lightspeed.client import SCHEMAS
from tap_lightspeed.streams import STREAM_TYPES

from .conftest import (
    MELTANO,
    PLUGIN_BINS,
    MeltanoRunner,
    StoreApi,
    pg_url,
    psql,
    query,
    small_sandbox,
)

#: Every stream with an endpoint of its own that Meltano selects (meltano.yml lists the
#: default ones): table -> (entity, primary key). New streams need no edit here.
STREAMS = {
    stream.name: (stream.entity, stream.primary_keys[0])
    for stream in STREAM_TYPES
    if stream.selected_by_default
}
#: Tables whose records carry a ``timeStamp`` (a few reference tables have none).
STAMPED = {name for name in STREAMS if "timeStamp" in SCHEMAS.get_schema(name)["properties"]}
#: Tables read whole on every run (no ``timeStamp`` sort on their endpoint).
FULL_TABLE = {
    stream.name for stream in STREAM_TYPES if stream.name in STREAMS and not stream.replication_key
}
#: Tables of the derived streams: (the sales array their rows come from, their key).
DERIVED = {
    "sale_lines": ("SaleLines", "saleLineID"),
    "sale_payments": ("SalePayments", "salePaymentID"),
}


def utc(text: str) -> dt.datetime:
    """Parse a Lightspeed timestamp (``2026-03-01T10:00:00+00:00``) as an aware datetime."""
    return dt.datetime.fromisoformat(text).astimezone(dt.timezone.utc)


def sandbox_rows(sb: Sandbox, account: str, entity: str, key: str) -> dict[int, dict[str, Any]]:
    """The sandbox's records of an entity by id."""
    return {int(r[key]): r for r in sb.records(account, entity)}


def warehouse_rows(schema: str, table: str, key: str) -> dict[int, dict[str, Any]]:
    """The warehouse's rows by id, ``timeStamp`` (where the table has one) as UTC ISO strings."""
    stamp = (
        "to_char(\"timeStamp\" at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        if table in STAMPED
        else "null"
    )
    rows = query(
        f'select "{key}" as id, {stamp} as ts, '
        f"_sdc_sync_started_at as sync, t.* from {schema}.{table} t"
    )
    return {int(r["id"]): r for r in rows}


@dataclass
class TwoRuns:
    """What the module's two Meltano runs saw."""

    schema: str
    account: str
    sandbox: Sandbox
    before: dict[str, dict[int, dict]] = field(default_factory=dict)
    after: dict[str, dict[int, dict]] = field(default_factory=dict)
    first: dict[str, dict[int, dict]] = field(default_factory=dict)
    second: dict[str, dict[int, dict]] = field(default_factory=dict)
    written: dict[str, set[int]] = field(default_factory=dict)
    log_first: str = ""
    log_second: str = ""
    stats: dict[str, Any] = field(default_factory=dict)


def make_changes(api: StoreApi) -> dict[str, set[int]]:
    """Update, archive and create records in the sandbox; return the ids touched."""
    api.write("PUT", "Customer/5.json", {"firstName": "Changed", "title": "Dr"})
    api.write("DELETE", "Customer/6.json")
    new_customer = api.write(
        "POST",
        "Customer.json",
        {
            "firstName": "New",
            "lastName": "Customer",
            "Contact": {"Emails": {"ContactEmail": [{"address": "new@example.com"}]}},
        },
    )
    api.write(
        "PUT", "Item/3.json", {"Prices": {"ItemPrice": [{"amount": "12.34", "useType": "Default"}]}}
    )
    sale = api.write(
        "POST",
        "Sale.json",
        {
            "employeeID": 1,
            "registerID": 1,
            "shopID": 1,
            "customerID": 5,
            "SaleLines": {"SaleLine": [{"itemID": 3, "unitQuantity": 2, "unitPrice": "12.34"}]},
        },
    )
    api.write(
        "PUT",
        f"Sale/{sale['saleID']}.json",
        {
            "completed": True,
            "SalePayments": {"SalePayment": [{"amount": sale["total"], "paymentTypeID": 1}]},
        },
    )
    return {
        "customers": {5, 6, int(new_customer["customerID"])},
        "items": {3},
        "images": set(),
        "sales": {int(sale["saleID"])},
    }


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRuns]:
    """Load the sandbox, change it, load again: the module's tests check what happened."""
    for path in [MELTANO, PLUGIN_BINS["tap-lightspeed"], PLUGIN_BINS["target-postgres"]]:
        if not path.exists():
            pytest.fail(f"{path} is missing: run scripts/test, which installs Meltano's plugins")
    schema = f"e2e_{uuid.uuid4().hex[:12]}"
    runner = MeltanoRunner(workdir=tmp_path_factory.mktemp("tap-to-postgres"))
    runner.env.update(
        {
            "TARGET_POSTGRES_SQLALCHEMY_URL": pg_url("postgresql+psycopg"),
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
        }
    )
    with Sandbox(small_sandbox()) as sb:
        account = sb.account_ids[0]
        result = TwoRuns(schema=schema, account=account, sandbox=sb)
        runner.point_at(sb, account)
        try:
            result.log_first = runner.run("run", "tap-lightspeed", "target-postgres")
            for table, (entity, key) in STREAMS.items():
                result.before[table] = sandbox_rows(sb, account, entity, key)
                result.first[table] = warehouse_rows(schema, table, key)
            result.written = make_changes(StoreApi(sb, account))
            result.log_second = runner.run("run", "tap-lightspeed", "target-postgres")
            for table, (entity, key) in STREAMS.items():
                result.after[table] = sandbox_rows(sb, account, entity, key)
                result.second[table] = warehouse_rows(schema, table, key)
            result.stats = sb.stats()
            yield result
        finally:
            psql(f"drop schema if exists {schema} cascade;")
            shutil.rmtree(runner.workdir, ignore_errors=True)


@pytest.mark.parametrize("table", list(STREAMS))
def test_first_run_loads_every_record(two_runs: TwoRuns, table: str) -> None:
    assert set(two_runs.first[table]) == set(two_runs.before[table])
    assert len(two_runs.first[table]) > 0


@pytest.mark.parametrize("table", list(STREAMS))
def test_row_counts_equal_the_sandbox_after_the_second_run(two_runs: TwoRuns, table: str) -> None:
    assert len(two_runs.second[table]) == len(two_runs.after[table])
    assert set(two_runs.second[table]) == set(two_runs.after[table])


@pytest.mark.parametrize("table", sorted(STAMPED))
def test_times_are_the_utc_instants(two_runs: TwoRuns, table: str) -> None:
    for rid, rec in two_runs.after[table].items():
        assert utc(two_runs.second[table][rid]["ts"] + "+00:00") == utc(rec["timeStamp"]), rid


def test_columns_are_typed(two_runs: TwoRuns) -> None:
    cols = {
        (r["table_name"], r["column_name"]): r["data_type"]
        for r in query(
            "select table_name, column_name, case when data_type = 'ARRAY' "
            "then substr(udt_name, 2) || '[]' else data_type end as data_type "
            "from information_schema.columns "
            f"where table_schema = '{two_runs.schema}'"
        )
    }
    expected = {
        # integer ids
        ("customers", "customerID"): "bigint",
        ("items", "itemID"): "bigint",
        ("images", "imageID"): "bigint",
        ("images", "itemID"): "bigint",
        ("sales", "saleID"): "bigint",
        ("sales", "customerID"): "bigint",
        # money
        ("items", "defaultCost"): "numeric",
        ("sales", "total"): "numeric",
        ("sales", "calcTax1"): "numeric",
        # flags
        ("customers", "archived"): "boolean",
        ("items", "discountable"): "boolean",
        ("sales", "completed"): "boolean",
        # times: instants (the values: test_times_are_the_utc_instants)
        ("customers", "timeStamp"): "timestamp with time zone",
        ("sales", "completeTime"): "timestamp with time zone",
        ("items", "createTime"): "timestamp with time zone",
        # nested objects and nested lists: one jsonb document each
        ("customers", "Contact"): "jsonb",
        ("items", "Prices"): "jsonb",
        ("items", "ItemShops"): "jsonb",
        ("sales", "SaleLines"): "jsonb",
        ("sales", "SalePayments"): "jsonb",
        ("sale_lines", "saleLineID"): "bigint",
        ("sale_lines", "saleID"): "bigint",
        ("sale_lines", "sale_updatetime"): "timestamp with time zone",
        ("sale_lines", "unitPrice"): "numeric",
        ("sale_payments", "salePaymentID"): "bigint",
        ("sale_payments", "amount"): "numeric",
    }
    assert {k: cols.get(k) for k in expected} == expected


def test_nested_lists_hold_typed_json_documents(two_runs: TwoRuns) -> None:
    # SaleLines is a jsonb array of lines, each with the schema's types: numbers, not strings.
    rows = query(
        "select jsonb_typeof(line -> 'itemID') as item,"
        " jsonb_typeof(line -> 'unitQuantity') as qty,"
        " jsonb_typeof(line -> 'calcTotal') as total, jsonb_typeof(line -> 'createTime') as ts"
        f' from {two_runs.schema}.sales s, jsonb_array_elements(s."SaleLines") as line'
    )
    assert len(rows) > 50
    assert {(r["item"], r["qty"], r["total"], r["ts"]) for r in rows} == {
        ("number", "number", "number", "string")
    }
    kinds = query(
        'select distinct jsonb_typeof("SaleLines") as lines, jsonb_typeof("SalePayments") as pays'
        f" from {two_runs.schema}.sales"
    )
    assert {(r["lines"], r["pays"]) for r in kinds} <= {("array", "array"), ("array", None)}


@pytest.mark.parametrize("table", list(DERIVED))
def test_sale_lines_and_payments_are_the_rows_of_the_loaded_sales(
    two_runs: TwoRuns, table: str
) -> None:
    relation, key = DERIVED[table]
    schema = two_runs.schema
    rows = query(f'select "saleID" as sale, "{key}" as id from {schema}.{table}')
    nested = query(
        f"""select s."saleID" as sale, (e ->> '{key}')::bigint as id"""
        f' from {schema}.sales s, jsonb_array_elements(s."{relation}") as e'
    )
    assert len(rows) > 0
    assert len({r["id"] for r in rows}) == len(rows)
    assert {(r["sale"], r["id"]) for r in rows} == {(r["sale"], r["id"]) for r in nested}
    stale = query(
        f'select r."{key}" from {schema}.{table} r join {schema}.sales s'
        ' on s."saleID" = r."saleID" where r.sale_updatetime is distinct from s.updatetime'
    )
    assert stale == []  # every row carries its sale's updatetime


def test_the_new_sale_s_line_and_payment_arrive_as_rows(two_runs: TwoRuns) -> None:
    (sale_id,) = two_runs.written["sales"]
    schema = two_runs.schema
    lines = query(f'select * from {schema}.sale_lines where "saleID" = {sale_id}')
    assert [(line["itemID"], line["unitQuantity"]) for line in lines] == [(3, 2)]
    payments = query(f'select * from {schema}.sale_payments where "saleID" = {sale_id}')
    assert len(payments) == 1
    assert payments[0]["paymentTypeID"] == 1


def test_second_run_loads_only_the_changed_rows(two_runs: TwoRuns) -> None:
    for table in sorted(set(STREAMS) - FULL_TABLE):
        written = two_runs.written.get(table, set())
        first_sync = max(r["sync"] for r in two_runs.first[table].values())
        loaded = {rid for rid, r in two_runs.second[table].items() if r["sync"] > first_sync}
        # The bookmark is the highest timeStamp of the first run; the tap asks for
        # timeStamp >= bookmark, so the records of that very second come again.
        bookmark = max(utc(r["timeStamp"]) for r in two_runs.before[table].values())
        expected = {
            rid for rid, r in two_runs.after[table].items() if utc(r["timeStamp"]) >= bookmark
        }
        assert loaded == expected, table
        assert written <= loaded, table
        assert len(loaded) <= len(written) + 10, table
        if len(two_runs.after[table]) > 20:  # not the handful of rows of a reference table
            assert len(loaded) < len(two_runs.after[table]) / 4, table


@pytest.mark.parametrize("table", sorted(FULL_TABLE))
def test_full_table_streams_are_loaded_whole_on_each_run(two_runs: TwoRuns, table: str) -> None:
    first_sync = max(r["sync"] for r in two_runs.first[table].values())
    assert all(r["sync"] > first_sync for r in two_runs.second[table].values()), table


def test_second_run_brings_the_changes(two_runs: TwoRuns) -> None:
    customers = two_runs.second["customers"]
    assert customers[5]["firstName"] == "Changed"
    assert customers[5]["title"] == "Dr"
    assert customers[6]["archived"] is True
    assert len(customers) == len(two_runs.first["customers"]) + 1
    prices = {p["useType"]: p["amount"] for p in two_runs.second["items"][3]["Prices"]}
    assert float(prices["Default"]) == pytest.approx(12.34)
    (sale_id,) = two_runs.written["sales"]
    sale = two_runs.second["sales"][sale_id]
    assert sale["completed"] is True
    assert sale["customerID"] == 5
    assert [(line["itemID"], line["unitQuantity"]) for line in sale["SaleLines"]] == [(3, 2)]


def test_runs_used_state_and_never_hit_the_rate_limit(two_runs: TwoRuns) -> None:
    assert "No state was found, complete import." in two_runs.log_first
    assert "No state was found" not in two_runs.log_second
    assert two_runs.stats["429s"]["total"] == 0
