"""Run every benchmark, one after the other, print one table and write ``bench/results.json``.

1. Tap CPU per record: ``bench_tap_cpu.py`` (wire pages from memory, in-process) and the
   sandbox-served whole-process figures of ``bench_memory.py`` (tap CLI vs a plain SDK tap).
2. Tap pacing: ``bench_pacing.py`` (bucket 90, drip 20/s; tap vs stock singer-sdk).
3. Target pacing: ``bench_target_pacing.py`` (the target engineer's), plus the API requests of
   an unchanged second run of the target.
4. Memory: ``bench_memory.py`` (tap at 100k/300k/1M customers, target at 50k/200k).

Heavy runs are sequential on purpose (the machine may be shared). ``--quick`` uses small
volumes (a couple of minutes). ``bench/chart.py`` draws ``bench/results.png`` from the JSON.

Usage::

    .venv/bin/python bench/run_all.py [--quick] [--out bench/results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_memory import run_memory  # noqa: E402
from bench_pacing import BIN, run_pacing  # noqa: E402


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "singer_sdk": metadata.version("singer-sdk"),
        "kernel": platform.release(),
        "load_before": os.getloadavg()[0],
    }


def tap_cpu(records: int) -> dict[str, Any]:
    """Run bench_tap_cpu.py (sales) and read its figures."""
    out = subprocess.run(
        [sys.executable, str(HERE / "bench_tap_cpu.py"), "--records", str(records)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    plain = float(re.search(r"plain singer-sdk stream \(memory\)\s+([\d.]+)", out).group(1))
    tap = float(re.search(r"tap-lightspeed \(wire pages, mock\)\s+([\d.]+)", out).group(1))
    return {
        "stream": "sales",
        "records": records,
        "plain_us": plain,
        "tap_us": tap,
        "ratio": round(tap / plain, 3),
    }


def target_pacing(customers: int, items: int) -> dict[str, Any]:
    """Run the target engineer's bench_target_pacing.py and read its JSON line."""
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "bench_target_pacing.py"),
            "--customers",
            str(customers),
            "--items",
            str(items),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def second_run_requests(customers: int = 200, items: int = 100) -> dict[str, Any]:
    """API requests of a first and of an unchanged second target run (same input, same ledger)."""
    from lightspeed_sandbox import Sandbox, two_accounts

    cfg = two_accounts(seed=3, customers=customers, items=items, sales=0)
    with Sandbox(cfg) as sb, tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        tap_cfg = sb.connection_settings(0, tmp / "tap.json")
        (tmp / "tap-config.json").write_text(json.dumps(tap_cfg))
        lines = subprocess.run(
            [
                str(BIN / "tap-lightspeed"),
                "--config",
                str(tmp / "tap-config.json"),
                "--catalog",
                str(ROOT / "catalog" / "catalog.json"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        keep = [ln for ln in lines if '"stream":"customers"' in ln or '"stream":"items"' in ln]
        (tmp / "input.jsonl").write_text("\n".join(keep) + "\n")
        target_cfg = sb.connection_settings(
            1,
            tmp / "target.json",
            ledger_path=str(tmp / "ledger.sqlite3"),
            rejects_path=str(tmp / "rejects.jsonl"),
            progress_interval=0,
            keep_foreign_keys=["categoryID", "taxClassID", "manufacturerID", "customerTypeID"],
        )
        (tmp / "target-config.json").write_text(json.dumps(target_cfg))
        counts = []
        for _ in range(2):
            before = sb.stats()
            with open(tmp / "input.jsonl", "rb") as stdin:
                subprocess.run(
                    [str(BIN / "target-lightspeed"), "--config", str(tmp / "target-config.json")],
                    stdin=stdin,
                    capture_output=True,
                    check=True,
                )
            after = sb.stats()
            counts.append(
                {
                    "api_requests": after["requests"] - before["requests"],
                    "writes": after["writes"] - before["writes"],
                }
            )
    return {"records": customers + items, "first": counts[0], "second": counts[1]}


def print_table(r: dict[str, Any]) -> None:
    """The one table."""
    m = r["machine"]
    print(
        f"\nmachine: {m['nproc']} x {m['cpu']}, {m['ram_gb']} GB, Python {m['python']}, "
        f"singer-sdk {m['singer_sdk']}"
    )
    rows: list[tuple[str, str, str]] = []
    c = r["tap_cpu"]
    rows.append(
        (
            "1 tap CPU us/rec, wire pages from memory (sales)",
            f"tap {c['tap_us']:.1f} / plain SDK {c['plain_us']:.1f}",
            f"ratio {c['ratio']:.2f}",
        )
    )
    for tap, plain in zip(r["memory"]["tap"], r["memory"]["plain"], strict=True):
        rows.append(
            (
                f"1 tap CPU us/rec, from sandbox (customers {tap['records']:,})",
                f"tap {tap['cpu_us']:.1f} / plain SDK {plain['cpu_us']:.1f}",
                f"ratio {tap['cpu_us'] / plain['cpu_us']:.2f}",
            )
        )
    p = r["pacing"]
    for side, label in (("tap", "tap-lightspeed"), ("stock", "stock singer-sdk")):
        if side in p:
            s = p[side]
            rows.append(
                (
                    f"2 pacing {label}, {s['pages']} pages",
                    f"{s['efficiency_bucket'] * 100:.1f}% of bucket max, "
                    f"{s['span_s']:.1f} s (theory {s['theoretical_span_s']:.1f} s)",
                    f"429s {s['429s']} (steady {s['steady_429s']})",
                )
            )
    t = r["target_pacing"]
    rows.append(
        (
            f"3 target pacing, {t['writes']} writes",
            f"{t['utilisation'] * 100:.1f}% of drip, {t['writes_per_s']} writes/s",
            f"429s {t['429s']['total']}",
        )
    )
    s2 = r["second_run"]
    rows.append(
        (
            f"3 target unchanged second run ({s2['records']} records)",
            f"{s2['second']['api_requests']} API requests, {s2['second']['writes']} writes",
            f"first run {s2['first']['api_requests']} requests",
        )
    )
    for row in r["memory"]["tap"]:
        rows.append(
            (
                f"4 tap peak RSS, {row['records']:,} customers",
                f"{row['max_rss_mb']:.1f} MB",
                f"{row['wall_s']:.0f} s",
            )
        )
    for row in r["memory"]["target"]:
        rows.append(
            (
                f"4 target peak RSS (dry run), {row['records']:,} records",
                f"{row['max_rss_mb']:.1f} MB",
                f"{row['wall_s']:.0f} s",
            )
        )
    width = max(len(a) for a, _, _ in rows) + 2
    mid = max(len(b) for _, b, _ in rows) + 2
    print(f"{'benchmark':{width}}{'figure':{mid}}detail")
    for a, b, c3 in rows:
        print(f"{a:{width}}{b:{mid}}{c3}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small volumes")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    started = time.time()
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    steps = [
        ("tap_cpu", lambda: tap_cpu(30_000 if args.quick else 300_000)),
        ("pacing", lambda: run_pacing(pages=100 if args.quick else 500)),
        ("target_pacing", lambda: target_pacing(*((60, 40) if args.quick else (200, 100)))),
        ("second_run", lambda: second_run_requests(*((60, 40) if args.quick else (200, 100)))),
        ("memory", lambda: run_memory(args.quick)),
    ]
    for name, step in steps:
        t0 = time.time()
        print(f"running {name} ...", flush=True)
        results[name] = step()
        print(f"  done in {time.time() - t0:.0f} s", flush=True)
    results["total_s"] = round(time.time() - started)
    args.out.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nfigures written to {args.out} ({results['total_s']} s)")


if __name__ == "__main__":
    main()
