"""Requests and bucket units of a full sync of the whole sandbox store, against the floor.

A ``lightspeed-sandbox serve`` subprocess holds one store (``--customers``, ``--items``,
``--sales``; an image for every second item) behind a bucket of size 90 draining ``--drip-rate``
units a second (burst limiter 20 a second). The real ``tap-lightspeed`` CLI syncs every stream
selected by default from an empty state, stdout to ``/dev/null``.

The floor is what any client must spend to read those records once: per endpoint,
``max(1, ceil(records / 100))`` requests (100 records a page, the most Lightspeed serves; an
empty endpoint still takes one request to find out), each costing the documented price of a
list page with the tap's ``load_relations`` (section 3 of the API reference: 1, plus 0.1 per
to-one and 0.2 per to-many relation, doubled on list endpoints; computed by the sandbox's
implementation of that model). Derived streams (``sale_lines``, ``sale_payments``) come from the
sales pages and cost nothing; a request per parent record would show as extra requests.

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

from bench_pacing import BIN, PAGE, admin, run_measured, sandbox_process, write_tap_inputs  # noqa: E402

from lightspeed_sandbox.entities import SPECS  # noqa: E402
from lightspeed_sandbox.query import parse_relations  # noqa: E402
from tap_lightspeed.client import LightspeedStream  # noqa: E402
from tap_lightspeed.tap import TapLightspeed  # noqa: E402

#: The store's volumes (not multiples of 100, so the last page of each endpoint is partial).
VOLUMES = {"customers": 10_050, "items": 6_030, "sales": 8_010}
API_PREFIX = "/API/V3/Account/"


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


def floor(records: int, cost: float) -> tuple[int, float]:
    """The fewest requests and units that read ``records`` records of one endpoint."""
    pages = max(1, math.ceil(records / PAGE))
    return pages, round(pages * cost, 4)


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
        endpoints: dict[str, Any] = {}
        for stream in streams:
            records = admin(info, f"records/{account}/{stream.entity}")["count"]
            floor_requests, floor_units = floor(records, page_cost(stream))
            used = spent.pop(stream.entity, {"requests": 0, "units": 0.0, "429s": 0})
            endpoints[stream.entity] = {
                "records": records,
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
