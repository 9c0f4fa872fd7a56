"""Two Lightspeed accounts synced side by side into one PostgreSQL schema through Meltano.

``tap-lightspeed`` and ``tap-lightspeed--store-b`` (meltano.yml: ``inherit_from``) read the
sandbox's two accounts, each on its own token chain and with its own state, into the same
tables; ``account_id``, first in every key, keeps their rows apart.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lightspeed_sandbox import Sandbox

from .conftest import MeltanoRunner, pg_url, psql, query, small_sandbox

#: Tables and the sandbox entity and id behind each.
TABLES = {
    "customers": ("Customer", "customerID"),
    "items": ("Item", "itemID"),
    "images": ("Image", "imageID"),
    "sales": ("Sale", "saleID"),
}


@dataclass
class TwoStores:
    """What the module's Meltano runs saw."""

    schema: str
    accounts: list[str]
    sandbox: Sandbox
    log_first: str = ""
    log_again: str = ""
    expected: dict[str, dict[str, set[int]]] = field(default_factory=dict)
    loaded: dict[str, dict[str, set[int]]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


def loaded_ids(schema: str, table: str, key: str) -> dict[str, set[int]]:
    """The ids of a table's rows, per account."""
    rows = query(f'select account_id, "{key}" as id from {schema}.{table}')
    out: dict[str, set[int]] = {}
    for row in rows:
        out.setdefault(row["account_id"], set()).add(row["id"])
    return out


@pytest.fixture(scope="module")
def two_stores(
    meltano_installed: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoStores]:
    """Sync both sandbox accounts into one schema, then store B alone once more."""
    schema = f"e2e_{uuid.uuid4().hex[:12]}"
    runner = MeltanoRunner(workdir=tmp_path_factory.mktemp("many-stores"))
    with Sandbox(small_sandbox(accounts=2, customers=60, items=40, sales=50)) as sb:
        first, second = sb.account_ids
        runner.point_at(sb, first)
        runner.env.update(
            {
                "TARGET_POSTGRES_SQLALCHEMY_URL": pg_url("postgresql+psycopg"),
                "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
                "LIGHTSPEED_SANDBOX_REFRESH_TOKEN_B": sb.issue_refresh_token(second),
                "LIGHTSPEED_SANDBOX_ACCOUNT_ID_B": second,
                "LIGHTSPEED_SANDBOX_TOKEN_STORE_B": str(runner.workdir / "tokens-b.json"),
            }
        )
        result = TwoStores(schema=schema, accounts=[first, second], sandbox=sb)
        try:
            result.log_first = runner.run(
                "run", "tap-lightspeed", "target-postgres", "tap-lightspeed--store-b",
                "target-postgres",
            )  # fmt: skip
            for table, (entity, key) in TABLES.items():
                result.expected[table] = {
                    account: {int(r[key]) for r in sb.records(account, entity)}
                    for account in (first, second)
                }
                result.loaded[table] = loaded_ids(schema, table, key)
            result.log_again = runner.run("run", "tap-lightspeed--store-b", "target-postgres")
            result.stats = sb.stats()
            yield result
        finally:
            psql(f"drop schema if exists {schema} cascade;")
            shutil.rmtree(runner.workdir, ignore_errors=True)


@pytest.mark.parametrize("table", list(TABLES))
def test_each_account_has_its_own_rows(two_stores: TwoStores, table: str) -> None:
    expected = two_stores.expected[table]
    assert two_stores.loaded[table] == expected
    assert all(expected[account] for account in two_stores.accounts), table


@pytest.mark.parametrize("table", list(TABLES))
def test_an_id_in_both_accounts_keeps_two_rows(two_stores: TwoStores, table: str) -> None:
    first, second = two_stores.accounts
    shared = two_stores.expected[table][first] & two_stores.expected[table][second]
    assert shared, table  # the sandbox numbers both accounts' records from 1
    key = TABLES[table][1]
    some_id = min(shared)
    rows = query(f'select account_id from {two_stores.schema}.{table} where "{key}" = {some_id}')
    assert sorted(r["account_id"] for r in rows) == sorted([first, second])


def test_rows_hold_their_own_account_s_values(two_stores: TwoStores) -> None:
    first, second = two_stores.accounts
    sb = two_stores.sandbox
    for account in (first, second):
        names = {int(r["customerID"]): r["firstName"] for r in sb.records(account, "Customer")}
        rows = query(
            f'select "customerID" as id, "firstName" as name from {two_stores.schema}.customers '
            f"where account_id = '{account}'"
        )
        assert {r["id"]: r["name"] for r in rows} == names


def test_every_table_is_keyed_by_account_then_id(two_stores: TwoStores) -> None:
    keys = query(
        "select c.relname as tbl, array_agg(a.attname::text order by k.n) as cols"
        " from pg_constraint p join pg_class c on c.oid = p.conrelid"
        " join pg_namespace s on s.oid = c.relnamespace"
        " cross join lateral unnest(p.conkey) with ordinality as k(attnum, n)"
        " join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum"
        f" where p.contype = 'p' and s.nspname = '{two_stores.schema}' group by c.relname"
    )
    by_table = {r["tbl"]: r["cols"] for r in keys}
    for table, (_entity, key) in TABLES.items():
        assert by_table[table] == ["account_id", key], table
    assert by_table["sale_lines"] == ["account_id", "saleLineID"]
    assert by_table["sale_payments"] == ["account_id", "salePaymentID"]


def test_each_plugin_keeps_its_own_state_and_token_chain(two_stores: TwoStores) -> None:
    # Both plugins started without state; store B's second run resumed from its own.
    assert two_stores.log_first.count("No state was found, complete import.") == 2
    assert "No state was found" not in two_stores.log_again
    assert two_stores.stats["429s"]["total"] == 0
