"""Reverse ETL: `meltano run tap-postgres target-lightspeed` from a warehouse table."""

from __future__ import annotations

from pathlib import Path

from lightspeed_sandbox import Sandbox

from .conftest import MeltanoRunner, pg_url, psql, small_sandbox

ROWS = [
    ("Ada", "Lovelace", "ada@example.com", "555-0101", "London"),
    ("Alan", "Turing", "alan@example.com", None, "Manchester"),
    ("Grace", "Hopper", "grace@example.com", "555-0103", None),
]


def sql_value(value: str | None) -> str:
    """A SQL literal."""
    return "null" if value is None else "'" + value.replace("'", "''") + "'"


def insert_rows(schema: str, rows: list[tuple[str | None, ...]]) -> None:
    """Insert customers into the warehouse table."""
    values = ", ".join("(" + ", ".join(sql_value(v) for v in row) + ")" for row in rows)
    psql(
        f"insert into {schema}.lightspeed_customers "
        f"(first_name, last_name, email, phone, city) values {values};"
    )


def customers_in_sandbox(sb: Sandbox, account: str) -> set[tuple[str | None, ...]]:
    """The sandbox's customers as (first, last, email, phone, city)."""
    out = set()
    for rec in sb.records(account, "Customer"):
        contact = rec["Contact"]
        emails = contact["Emails"] or {"ContactEmail": {}}
        phones = contact["Phones"] or {"ContactPhone": {}}
        addresses = contact["Addresses"] or {"ContactAddress": {}}
        out.add(
            (
                rec["firstName"],
                rec["lastName"],
                emails["ContactEmail"].get("address"),
                phones["ContactPhone"].get("number"),
                addresses["ContactAddress"].get("city") or None,
            )
        )
    return out


def test_table_to_customers_then_nothing_to_write(
    meltano: MeltanoRunner, pg_schema: str, tmp_path: Path
) -> None:
    psql(
        f"create schema {pg_schema}; create table {pg_schema}.lightspeed_customers ("
        "id serial primary key, first_name text, last_name text, email text, phone text, "
        "city text);"
    )
    insert_rows(pg_schema, ROWS)
    stream = f"{pg_schema}-lightspeed_customers"
    rejects = tmp_path / "rejects.jsonl"
    meltano.env.update(
        {
            "TAP_POSTGRES_SQLALCHEMY_URL": pg_url(),
            "TAP_POSTGRES_FILTER_SCHEMAS": f'["{pg_schema}"]',
            "TAP_POSTGRES__SELECT": f'["{stream}.*"]',
            "TARGET_LIGHTSPEED_STREAM_ENTITIES": f'{{"{stream}": "customers"}}',
            "TARGET_LIGHTSPEED_LEDGER_PATH": str(tmp_path / "ledger.sqlite3"),
            "TARGET_LIGHTSPEED_REJECTS_PATH": str(rejects),
        }
    )
    # One account without records: after the run it holds exactly the table's customers.
    with Sandbox(
        small_sandbox(
            account_volumes={0: dict.fromkeys(("customers", "items", "sales", "images"), 0)}
        )
    ) as sb:
        account = sb.account_ids[0]
        assert sb.records(account, "Customer") == []
        meltano.point_at(sb, account)

        log = meltano.run("run", "tap-postgres", "target-lightspeed")
        assert customers_in_sandbox(sb, account) == set(ROWS)
        assert sb.stats()["writes_by_entity"] == {"Customer": 3}
        assert "created 3, updated 0, unchanged 0, rejected 0" in log

        # Same table again: nothing to write (the ledger knows what was written).
        log = meltano.run("run", "tap-postgres", "target-lightspeed")
        assert sb.stats()["writes"] == 3
        assert "created 0, updated 0, unchanged 3, rejected 0" in log
        assert customers_in_sandbox(sb, account) == set(ROWS)

        # A dry run of a new row and a bad one: nothing written, the bad row reported.
        insert_rows(pg_schema, [("Katherine", "Johnson", "katherine@example.com", None, None)])
        insert_rows(pg_schema, [("No", "Email", "not-an-email", None, None)])
        log = meltano.run(
            "run",
            "tap-postgres",
            "target-lightspeed",
            extra_env={"TARGET_LIGHTSPEED_DRY_RUN": "true"},
        )
        assert sb.stats()["writes"] == 3
        assert customers_in_sandbox(sb, account) == set(ROWS)
        assert "created 1" in log
        assert "rejected 1" in log
        assert "not-an-email" in rejects.read_text()
