"""Summarise the quick start's DuckDB warehouse as JSON (row counts, top items by sales).

Runs with the Python of target-duckdb's environment (``.meltano/loaders/target-duckdb/venv``),
whose DuckDB wrote the file: ``python scripts/warehouse_report.py WAREHOUSE [--since ISO]``.

Prints ``{"tables": {name: {"rows": N, "loaded": M}}, "top_items": [...], "columns": {...}}``:
``loaded`` counts the rows whose ``_sdc_batched_at`` is at or after ``--since`` (local time, as
target-duckdb writes it), that is the rows the last run inserted or updated.
"""

from __future__ import annotations

import argparse
import json

import duckdb

SCHEMA = "lightspeed"
TABLES = ("customers", "items", "images", "sales")

# Sale lines land as one JSON array per sale; unnest them and join to the items.
TOP_ITEMS = f"""
with lines as (
    select unnest(from_json(s.salelines, '["json"]')) as line
    from {SCHEMA}.sales s
    where s.completed and not coalesce(s.voided, false) and not coalesce(s.archived, false)
)
select i.itemid as "itemID",
       i.description as description,
       sum((line ->> 'unitQuantity')::bigint) as units,
       round(sum((line ->> 'calcTotal')::decimal(18, 2)), 2) as revenue
from lines
join {SCHEMA}.items i on i.itemid = (line ->> 'itemID')::bigint
group by all
order by revenue desc, "itemID"
limit 5
"""


def main() -> None:
    """Print the report of the warehouse given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse")
    parser.add_argument("--since", default=None, help="ISO time of the run's start")
    args = parser.parse_args()
    con = duckdb.connect(args.warehouse, read_only=True)
    tables = {}
    for table in TABLES:
        rows = con.execute(f"select count(*) from {SCHEMA}.{table}").fetchone()[0]
        loaded = rows
        if args.since:
            loaded = con.execute(
                f"select count(*) from {SCHEMA}.{table} where _sdc_batched_at >= ?::timestamp",
                [args.since],
            ).fetchone()[0]
        tables[table] = {"rows": int(rows), "loaded": int(loaded)}
    top = [
        {"itemID": int(r[0]), "description": r[1], "units": int(r[2]), "revenue": float(r[3])}
        for r in con.execute(TOP_ITEMS).fetchall()
    ]
    columns: dict[str, dict[str, str]] = {}
    for table, column, dtype in con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [SCHEMA],
    ).fetchall():
        columns.setdefault(table, {})[column] = dtype
    con.close()
    print(json.dumps({"tables": tables, "top_items": top, "columns": columns}))


if __name__ == "__main__":
    main()
