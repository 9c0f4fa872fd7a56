"""Write rate of target-lightspeed against the sandbox's leaky bucket.

Copies customers and items of account A into an empty account B of a sandbox whose bucket is
90 units with a fast drip (default 20 units/s, so a run takes seconds, not minutes), then
prints JSON: writes per second, bucket units spent per second, the fraction of the bucket's
maximum sustained rate (the drip) that the target used, the number of 429s and the time the
pacer waited. Figures only; nothing is asserted.

The bucket starts empty, so its first 90 units are a free burst; ``utilisation`` discounts
that burst: ``(units spent - bucket size) / elapsed / drip rate``.

Usage::

    python bench/bench_target_pacing.py [--customers 200] [--items 100] [--drip 20]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lightspeed_client.client import LightspeedClient  # noqa: E402
from lightspeed_sandbox import Sandbox, two_accounts  # noqa: E402
from tap_lightspeed.tap import TapLightspeed  # noqa: E402
from target_lightspeed.target import TargetLightspeed  # noqa: E402


def tap_lines(sb: Sandbox, tmp: Path, streams: set[str]) -> list[str]:
    config = sb.connection_settings(0, tmp / "tap-tokens.json")
    catalog = TapLightspeed(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"]["selected"] = entry["tap_stream_id"] in streams
    tap = TapLightspeed(config=config, catalog=catalog, parse_env_config=False)
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with redirect_stdout(buffer):
        tap.sync_all()
    buffer.flush()
    return buffer.buffer.getvalue().decode().splitlines()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--size", type=float, default=90.0)
    parser.add_argument("--drip", type=float, default=20.0)
    parser.add_argument("--burst", type=int, default=20)
    args = parser.parse_args()

    cfg = two_accounts(seed=3, customers=args.customers, items=args.items, sales=0)
    with Sandbox(cfg) as sb, tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        lines = tap_lines(sb, tmp, {"customers", "items"})
        account = sb.account_ids[1]
        config = sb.connection_settings(
            account,
            tmp / "tokens.json",
            ledger_path=str(tmp / "ledger.sqlite3"),
            rejects_path=str(tmp / "rejects.jsonl"),
            progress_interval=5,
            keep_foreign_keys=["categoryID", "taxClassID", "manufacturerID", "customerTypeID"],
        )
        LightspeedClient.forget_all()
        sb.configure_bucket(
            enabled=True, size=args.size, drip_rate=args.drip, burst_limit=args.burst, reset=True
        )
        sb.reset_stats()
        target = TargetLightspeed(config=config, parse_env_config=False)
        started = time.monotonic()
        with redirect_stdout(io.StringIO()):
            target.listen(io.StringIO("\n".join(lines) + "\n"))
        elapsed = time.monotonic() - started
        log = [e for e in sb.request_log() if e["account"] == account]
        stats = sb.stats()
        units = sum(e["cost"] for e in log if e["status"] != 429)
        writes = sum(1 for e in log if e["method"] in ("POST", "PUT") and e["status"] == 200)
        pacer = LightspeedClient.for_config(config).pacer
        figures = {
            "records": args.customers + args.items,
            "writes": writes,
            "requests": len(log),
            "elapsed_s": round(elapsed, 2),
            "writes_per_s": round(writes / elapsed, 2),
            "units_per_s": round(units / elapsed, 2),
            "bucket": {"size": args.size, "drip_per_s": args.drip, "burst": args.burst},
            "utilisation": round(max(units - args.size, 0.0) / elapsed / args.drip, 3),
            "429s": stats["429s"],
            "pacer_waited_s": round(pacer.stats.waited_seconds, 2),
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
