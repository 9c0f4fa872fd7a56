"""Summarise the quick start's DuckDB warehouse as JSON (row counts, sales by shop and category).

Runs with the Python of target-duckdb's environment (``.meltano/loaders/target-duckdb/venv``),
whose DuckDB wrote the file: ``python scripts/warehouse_report.py WAREHOUSE [--since ISO]``.

Prints ``{"tables": {name: {"rows": N, "loaded": M}}, "sales": [...], "columns": {...}}``:
``tables`` holds every table of the schema (whatever the tap loaded); ``loaded`` counts the
rows whose ``_sdc_batched_at`` is at or after ``--since`` (local time, as target-duckdb writes
it), that is the rows the last run inserted or updated. ``sales`` is :data:`SALES_REPORT`.

:data:`SALES_REPORT` is one SQL text for DuckDB and PostgreSQL (the end-to-end test runs it on
the PostgreSQL warehouse): quoted names match DuckDB's lower-case columns too, since DuckDB
compares identifiers without case. Money is DOUBLE in DuckDB and numeric in PostgreSQL: the
revenue is rounded to the cent and cast to ``decimal(18, 2)`` in the query. What it counts
(and why) is written down with the store's own computation, ``lightspeed_sandbox.reports``.
"""

from __future__ import annotations

import argparse
import json

SCHEMA = "lightspeed"

#: Revenue (``calcTotal - calcTax1 - calcTax2``) and units by account, shop and category of
#: the completed, non-voided, non-archived sales. ``{schema}`` is the warehouse's schema.
SALES_REPORT = """
select l.account_id as account_id,
       coalesce(nullif(sh."name", ''), '(no shop)') as shop,
       case when i."itemID" is null then '(no item)'
            else coalesce(nullif(c."fullPathName", ''), nullif(c."name", ''), '(no category)')
       end as category,
       sum(l."unitQuantity") as units,
       cast(round(sum(l."calcTotal" - l."calcTax1" - l."calcTax2"), 2) as decimal(18, 2))
           as revenue
from {schema}.sale_lines l
join {schema}.sales s on s.account_id = l.account_id and s."saleID" = l."saleID"
left join {schema}.items i on i.account_id = l.account_id and i."itemID" = l."itemID"
left join {schema}.categories c
    on c.account_id = i.account_id and c."categoryID" = i."categoryID"
left join {schema}.shops sh on sh.account_id = s.account_id and sh."shopID" = s."shopID"
where s.completed and not coalesce(s.voided, false) and not coalesce(s.archived, false)
group by 1, 2, 3
order by 1, 2, 3
"""


def main() -> None:
    """Print the report of the warehouse given on the command line."""
    import duckdb  # target-duckdb's environment has it, the project's need not

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse")
    parser.add_argument("--since", default=None, help="ISO time of the run's start")
    args = parser.parse_args()
    con = duckdb.connect(args.warehouse, read_only=True)
    columns: dict[str, dict[str, str]] = {}
    for table, column, dtype in con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [SCHEMA],
    ).fetchall():
        columns.setdefault(table, {})[column] = dtype
    tables = {}
    for table in columns:
        rows = con.execute(f"select count(*) from {SCHEMA}.{table}").fetchone()[0]
        loaded = rows
        if args.since:
            loaded = con.execute(
                f"select count(*) from {SCHEMA}.{table} where _sdc_batched_at >= ?::timestamp",
                [args.since],
            ).fetchone()[0]
        tables[table] = {"rows": int(rows), "loaded": int(loaded)}
    sales = [
        {
            "account_id": str(account),
            "shop": shop,
            "category": category,
            "units": int(units),
            "revenue": str(revenue),
        }
        for account, shop, category, units, revenue in con.execute(
            SALES_REPORT.format(schema=SCHEMA)
        ).fetchall()
    ]
    con.close()
    print(json.dumps({"tables": tables, "sales": sales, "columns": columns}))


if __name__ == "__main__":
    main()
