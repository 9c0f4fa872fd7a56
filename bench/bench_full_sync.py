"""Requests and bucket units of a full sync of the whole sandbox store, against the floor.

A ``lightspeed-sandbox serve`` subprocess holds one store (``--customers``, ``--items``,
``--sales``; an image for every second item) behind a bucket of size 90 draining ``--drip-rate``
units a second (burst limiter 20 a second). The real ``tap-lightspeed`` CLI syncs every stream
selected by default from an empty state, stdout to ``/dev/null``.

The floor is what any client must spend to read those records once: per endpoint, one request
per 100 records (the most Lightspeed serves a page) of every query the endpoint needs to list
them all, that is ``max(1, ceil(records_of_the_query / 100))`` per query (an empty list still
takes one request to find out). Most endpoints need one query. ``CreditAccount`` needs two: its
list "must" be passed ``giftCard=true`` "for the results to include credit accounts of type
giftCard" (official page ``docs/endpoints/creditaccount.md``, "GET All credit accounts"), and
the sandbox lists the gift cards alone then, so store credit and gift cards are two queries
(:data:`PASSES`). The records of each query are counted by reading it after the sync, with no
bucket, as the tap's stream asks (``archived=true`` where the stream sends it): so the floor
follows what the endpoint returns, and any request the tap spends beyond it (a third query, a
page read twice, a request per parent record) shows as extra. Each request costs the
documented price of a list page with the tap's ``load_relations`` (section 3 of the API
reference: 1, plus 0.1 per to-one and 0.2 per to-many relation, doubled on list endpoints;
computed by the sandbox's implementation of that model). Derived streams (``sale_lines``,
``sale_payments``) come from the sales pages and cost nothing.

Figures come from the sandbox's request log (the API paths of the account: not the token
endpoint) and its counters: requests, units spent (the sum of the logged request costs) and
429s, per endpoint and in total, next to the floor. ``account_id`` is in the tap's config, so
no ``/Account.json`` request is made. The figures are measurements, not assertions.

Usage::

    .venv/bin/python bench/bench_full_sync.py [--customers 10050] [--items 6030] [--sales 8010]
    .venv/bin/python bench/bench_full_sync.py --quick      # a tenth of the volumes
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import requests  # noqa: E402
from bench_pacing import (  # noqa: E402
    BIN,
    PAGE,
    access_token,
    admin,
    run_measured,
    sandbox_process,
    write_tap_inputs,
)

from lightspeed_client.wire import as_list, next_page_url  # noqa: E402
from lightspeed_sandbox.entities import SPECS  # noqa: E402
from lightspeed_sandbox.query import parse_relations  # noqa: E402
from tap_lightspeed.client import LightspeedStream  # noqa: E402
from tap_lightspeed.tap import TapLightspeed  # noqa: E402

#: The store's volumes (not multiples of 100, so the last page of each endpoint is partial).
VOLUMES = {"customers": 10_050, "items": 6_030, "sales": 8_010}
API_PREFIX = "/API/V3/Account/"
#: The queries an endpoint needs to list every record, when one list does not: the parameters
#: each adds. ``CreditAccount.json`` leaves gift cards out unless asked with ``giftCard=true``
#: (docs/endpoints/creditaccount.md).
PASSES: dict[str, tuple[dict[str, str], ...]] = {
    "CreditAccount": ({}, {"giftCard": "true"}),
}


def default_streams() -> list[LightspeedStream]:
    """The tap's streams selected by default that read an endpoint of their own."""
    tap = TapLightspeed(config={"client_id": "x", "client_secret": "x"}, parse_env_config=False)
    return [
        stream
        for stream in tap.streams.values()
        if stream.selected_by_default and isinstance(stream, LightspeedStream)
    ]


def page_cost(stream: LightspeedStream) -> float:
    """The documented bucket cost of one list page of ``stream`` (1 + its relations)."""
    relations = json.dumps(list(stream.load_relations)) if stream.load_relations else None
    return 1.0 + parse_relations(SPECS[stream.entity], relations, True)[1]


def floor(pass_records: list[int], cost: float) -> tuple[int, float]:
    """The fewest requests and units that read an endpoint, from the records of each query.

    Args:
        pass_records: The records each query the endpoint needs returns (one per query).
        cost: The bucket cost of one list page.

    Returns:
        Requests (at least one per query, one per 100 records) and their units.
    """
    pages = sum(max(1, math.ceil(records / PAGE)) for records in pass_records)
    return pages, round(pages * cost, 4)


def pass_name(params: dict[str, str]) -> str:
    """A query's name in the figures: ``list``, or the parameters it adds (``giftCard=true``)."""
    return "&".join(f"{key}={value}" for key, value in params.items()) or "list"


def count_pass(
    info: dict[str, Any], token: str, stream: LightspeedStream, params: dict[str, str]
) -> int:
    """Records one query of ``stream``'s endpoint returns, read to the last page."""
    account = info["accounts"][0]["account_id"]
    url: str | None = f"{info['api_url']}{API_PREFIX}{account}/{stream.entity}.json"
    query: dict[str, Any] | None = {"limit": PAGE, **params}
    if stream.include_archived:
        query["archived"] = "true"
    records = 0
    while url:
        response = requests.get(
            url, params=query, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        response.raise_for_status()
        payload = response.json()
        records += len(as_list(payload.get(stream.entity)))
        url, query = next_page_url(payload), None
    return records


def endpoint_of(path: str) -> str | None:
    """The entity of an account API path (``/API/V3/Account/1/Customer.json`` -> Customer)."""
    if API_PREFIX not in path:
        return None
    return path.split("?")[0].rsplit("/", 1)[-1].removesuffix(".json")


def run_full_sync(
    customers: int = VOLUMES["customers"],
    items: int = VOLUMES["items"],
    sales: int = VOLUMES["sales"],
    size: float = 90,
    drip: float = 20,
    burst: int = 20,
) -> dict[str, Any]:
    """Sync the whole store once; return the figures per endpoint and in total."""
    flags = ["--customers", str(customers), "--items", str(items), "--sales", str(sales)]
    flags += ["--bucket-size", str(size), "--drip-rate", str(drip), "--burst-limit", str(burst)]
    streams = default_streams()
    results: dict[str, Any] = {
        "settings": {
            "customers": customers,
            "items": items,
            "sales": sales,
            "bucket_size": size,
            "drip_rate": drip,
            "burst": burst,
        }
    }
    with sandbox_process(*flags) as (info, _), tempfile.TemporaryDirectory() as tmp:
        account = info["accounts"][0]["account_id"]
        config, catalog = write_tap_inputs(info, Path(tmp), [s.name for s in streams])
        admin(info, "bucket", {"reset": True})
        admin(info, "reset-stats", {})
        run = run_measured(
            [str(BIN / "tap-lightspeed"), "--config", str(config), "--catalog", str(catalog)]
        )
        log = admin(info, "requests?limit=1000000")["requests"]
        stats = admin(info, "stats")
        spent: dict[str, dict[str, float]] = defaultdict(
            lambda: {"requests": 0, "units": 0.0, "429s": 0}
        )
        for entry in log:
            entity = endpoint_of(entry["path"])
            if entity is None:
                continue
            spent[entity]["requests"] += 1
            spent[entity]["units"] += entry.get("cost") or 0.0
            spent[entity]["429s"] += entry["status"] == 429
        # Count the records of every query the floor takes, bucket off (after the log is read).
        admin(info, "bucket", {"enabled": False})
        token = access_token(info)
        endpoints: dict[str, Any] = {}
        for stream in streams:
            passes = {
                pass_name(params): count_pass(info, token, stream, params)
                for params in PASSES.get(stream.entity, ({},))
            }
            floor_requests, floor_units = floor(list(passes.values()), page_cost(stream))
            used = spent.pop(stream.entity, {"requests": 0, "units": 0.0, "429s": 0})
            endpoints[stream.entity] = {
                "records": sum(passes.values()),
                "stored": admin(info, f"records/{account}/{stream.entity}")["count"],
                "passes": passes,
                "requests": used["requests"],
                "floor_requests": floor_requests,
                "units": round(used["units"], 4),
                "floor_units": floor_units,
                "429s": used["429s"],
            }
        # Requests to endpoints no default stream reads (a request per parent would be one).
        other = {k: v for k, v in spent.items() if v["requests"]}
    totals = {
        key: round(sum(e[key] for e in endpoints.values()), 4)
        for key in ("records", "requests", "floor_requests", "units", "floor_units", "429s")
    }
    totals["requests"] += sum(v["requests"] for v in other.values())
    totals["units"] = round(totals["units"] + sum(v["units"] for v in other.values()), 4)
    results.update(
        {
            "endpoints": endpoints,
            "other_requests": int(sum(v["requests"] for v in other.values())),
            **totals,
            "extra_requests": totals["requests"] - totals["floor_requests"],
            "extra_units": round(totals["units"] - totals["floor_units"], 4),
            "all_429s": stats["429s"]["total"],
            "ok": run["returncode"] == 0,
            "wall_s": round(run["wall_s"], 3),
        }
    )
    return results


def print_table(results: dict[str, Any]) -> None:
    """Print the figures per endpoint and the totals."""
    s = results["settings"]
    print(
        f"full sync: {s['customers']:,} customers, {s['items']:,} items, {s['sales']:,} sales; "
        f"bucket {s['bucket_size']:g} drip {s['drip_rate']:g}/s burst {s['burst']}/s"
    )
    header = ("endpoint", "records", "requests", "floor", "units", "floor", "429s")
    print("".join(f"{h:>12}" for h in header))
    rows = [(name, e) for name, e in results["endpoints"].items()] + [("total", results)]
    for name, e in rows:
        cells = (e["records"], e["requests"], e["floor_requests"], e["units"], e["floor_units"])
        print(f"{name:>12}" + "".join(f"{c:>12g}" for c in (*cells, e["429s"])))
    for name, e in results["endpoints"].items():
        if len(e["passes"]) > 1:
            queries = ", ".join(f"{query} {n} records" for query, n in e["passes"].items())
            print(f"{name} takes {len(e['passes'])} queries in the floor: {queries}")
    print(
        f"extra requests {results['extra_requests']} (other endpoints "
        f"{results['other_requests']}), extra units {results['extra_units']:g}, "
        f"429s {results['all_429s']}, completed {results['ok']}, {results['wall_s']:g} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, default in VOLUMES.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--quick", action="store_true", help="a tenth of the volumes")
    parser.add_argument("--drip-rate", type=float, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    volumes = {name: getattr(args, name) // (10 if args.quick else 1) for name in VOLUMES}
    results = run_full_sync(**volumes, drip=args.drip_rate)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
