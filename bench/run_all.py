"""Run every benchmark N times in one pass; write ``bench/results.json``, RESULTS.md and the chart.

1. Tap CPU per record: ``bench_tap_cpu.py`` (wire pages from memory, in-process; sales, and
   the derived ``sale_lines`` next to sales) and the sandbox-served whole-process figures of
   ``bench_memory.py`` (tap CLI vs a plain SDK tap).
2. Tap pacing: ``bench_pacing.py`` (bucket 90, drip 20/s; tap vs stock singer-sdk).
3. Target pacing: ``bench_target_pacing.py`` (the target engineer's), plus the API requests of
   an unchanged second run of the target.
4. Memory: ``bench_memory.py`` (tap at 100k/300k/1M customers, target at 50k/200k).
5. Sandbox throughput: ``bench_sandbox.py``'s default cases (50k records each).
6. Tap full sync: ``bench_full_sync.py`` (the whole sandbox store, every default stream;
   requests and bucket units against the floor of one request per 100 records of every query
   an endpoint needs).

``--repeat N`` (default 3) runs the whole list N times, one benchmark after the other (heavy
runs are sequential on purpose: the machine may be shared). The JSON keeps every run's raw
figures (``runs``) and, per figure, every run's value with the median and the spread
(``figures``; the format is ``report.py``'s), the machine (nproc, CPU, Python, singer-sdk, load
average at the start and the end) and the command line. It is rewritten after every run, so an
interrupted pass keeps the runs it finished. At the end ``report.py`` writes ``RESULTS.md``
beside the JSON and the chart (the JSON's name, ``.png``; needs matplotlib).

``--quick`` uses small volumes (a smoke run of a few minutes a repeat); ``--only NAME`` runs
some benchmarks only. A full ``--repeat 3`` takes about 25 minutes on 2 cores.

Usage::

    .venv/bin/python bench/run_all.py [--repeat 3] [--quick] [--only pacing] [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import report  # noqa: E402
from bench_full_sync import VOLUMES, run_full_sync  # noqa: E402
from bench_memory import run_memory  # noqa: E402
from bench_pacing import BIN, run_pacing  # noqa: E402
from bench_sandbox import CASES  # noqa: E402
from bench_sandbox import run as serve_pages  # noqa: E402


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
        "load_start": list(os.getloadavg()),
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


def sale_lines_cpu(sales: int) -> dict[str, Any]:
    """Run ``bench_tap_cpu.py --stream sale_lines`` and read its figures (us per record)."""
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "bench_tap_cpu.py"),
            "--stream",
            "sale_lines",
            "--records",
            str(sales),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def figure(label: str) -> float:
        return float(re.search(re.escape(label) + r"\s+([\d.]+)", out).group(1))

    sales_us = figure("sales alone (per sales record)")
    lines_us = figure("sale_lines alone (per sale_lines row)")
    return {
        "sales": sales,
        "rows": int(re.search(r"sale_lines=(\d+)", out).group(1)),
        "sales_us": sales_us,
        "lines_us": lines_us,
        "both_us": figure("sales + sale_lines (per record)"),
        "ratio": round(lines_us / sales_us, 3),
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


def sandbox_throughput(records: int) -> dict[str, Any]:
    """bench_sandbox.py's default cases, the server in a subprocess, keyed by a case name."""
    out: dict[str, Any] = {}
    for entity, relations, sort in CASES:
        name = entity + "".join(f"+{r}" for r in json.loads(relations or "[]"))
        name += f" by {sort}" if sort else ""
        out[name] = serve_pages((entity, relations, sort), records, seed=1, in_process=False)
    return out


def steps(quick: bool) -> dict[str, Callable[[], Any]]:
    """Every benchmark, by name, at the full or the ``--quick`` volumes."""
    writes = (60, 40) if quick else (200, 100)
    return {
        "tap_cpu": lambda: tap_cpu(30_000 if quick else 300_000),
        "sale_lines_cpu": lambda: sale_lines_cpu(10_000 if quick else 100_000),
        "pacing": lambda: run_pacing(pages=100 if quick else 500),
        "target_pacing": lambda: target_pacing(*writes),
        "second_run": lambda: second_run_requests(*writes),
        "memory": lambda: run_memory(quick),
        "sandbox": lambda: sandbox_throughput(5_000 if quick else 50_000),
        "full_sync": lambda: run_full_sync(
            **{name: n // 10 if quick else n for name, n in VOLUMES.items()}
        ),
    }


def print_summary(figures: report.Figures) -> None:
    """The figures table and the targets, as plain text."""

    def plain(text: str) -> str:
        return text.replace("**", "").replace("`", "")

    rows = [(f"{a} {plain(b)}", plain(c), plain(d)) for a, b, c, d in report.figure_rows(figures)]
    width = max(len(a) for a, _, _ in rows) + 2
    mid = max(len(b) for _, b, _ in rows) + 2
    print(f"\n{'benchmark':{width}}{'figure: median (min..max)':{mid}}detail")
    for a, b, c in rows:
        print(f"{a:{width}}{b:{mid}}{c}")
    print()
    for target in report.targets(figures):
        name, passing, total = report.verdict(figures.get(target.figure), target.op, target.bound)
        print(f"{name:>12}  {target.claim} ({passing} of {total} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small volumes (a smoke run)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of every benchmark (3)")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(steps(False)),
        help="run this benchmark only (repeatable); default: all",
    )
    parser.add_argument("--out", type=Path, default=report.RESULTS_JSON)
    parser.add_argument("--no-report", action="store_true", help="write the JSON only")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    chosen = {
        name: step for name, step in steps(args.quick).items() if name in (args.only or [name])
    }
    started = time.time()
    results: dict[str, Any] = {
        "format": report.FORMAT,
        "command": shlex.join(["python", "bench/run_all.py", *sys.argv[1:]]),
        "quick": args.quick,
        "repeat": 0,
        "machine": machine(),
        "total_s": 0,
        "figures": {},
        "runs": [],
    }
    for index in range(args.repeat):
        run: dict[str, Any] = {"seconds": {}}
        for name, step in chosen.items():
            t0 = time.time()
            print(f"run {index + 1}/{args.repeat}: {name} ...", flush=True)
            run[name] = step()
            run["seconds"][name] = round(time.time() - t0, 1)
            print(f"  done in {run['seconds'][name]:.0f} s", flush=True)
        # Written after every run, so that an interrupted pass keeps the runs it finished.
        results["runs"].append(run)
        results["repeat"] = len(results["runs"])
        results["figures"] = report.summarise(results["runs"])
        results["machine"]["load_end"] = list(os.getloadavg())
        results["total_s"] = round(time.time() - started)
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print_summary(results["figures"])
    print(f"\nfigures written to {args.out} ({results['total_s']} s)")
    if not args.no_report:
        md, chart = args.out.with_name(report.RESULTS_MD.name), args.out.with_suffix(".png")
        if importlib.util.find_spec("matplotlib") is None:
            print("matplotlib is not installed (pip install -e '.[dev,bench]'): no chart")
            chart = None
        report.write_report(args.out, md, chart)
        print(f"wrote {md}" + (f" and {chart}" if chart else ""))


if __name__ == "__main__":
    main()
