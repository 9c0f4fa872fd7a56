"""Peak memory (and whole-process CPU) of tap-lightspeed and target-lightspeed as volume grows.

Every measured program runs through ``bench_pacing.run_measured``: a small launcher forks and
execs it and reads its resource usage with ``os.wait4`` (peak RSS, user + system CPU of exactly
that program; the launcher, not this benchmark, is the process that execs it, so the program's
peak RSS does not start at this benchmark's). The sandbox serves from another subprocess
(``lightspeed-sandbox serve --no-bucket``), so its CPU and memory are not counted.

- ``tap``: the real CLI syncing ``customers`` (with their ``Contact``) at 100k, 300k and 1M
  records, stdout to ``/dev/null``;
- ``plain``: a default singer-sdk tap (default writer, default type conformance) emitting the
  same number of ``customers`` records, a pool of real tap records cycled from memory, measured
  the same way (whole process, interpreter start included). Tap CPU per record over plain CPU
  per record is the "from the sandbox" counterpart of ``bench_tap_cpu.py``;
- ``target``: the real CLI reading 50k and 200k ``customers`` records (the tap's own output)
  with ``dry_run: true`` against the sandbox: every record is validated, mapped and looked up
  (batched ``IN`` lookups where the API takes them), nothing is written. Writing 200k records
  for real would take the sandbox's write speed, not the target's memory, as its measure. The
  sandbox's count of the API requests the target made is kept (``api_requests``): customers
  are found by ``Contact.email``, which takes no ``IN`` (the sandbox refuses it, as the API
  reference advises to expect), so most records cost one lookup request of their own, and
  the target's CPU per record is mostly that request's.

Usage::

    .venv/bin/python bench/bench_memory.py [--quick] [--json out.json]

Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pacing import (
    BIN,
    admin,
    run_measured,
    sandbox_process,
    write_tap_inputs,
)

from lightspeed_sandbox import connection_settings

PLAIN_CHILD = r"""
import json, sys
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
schema = json.loads(open(sys.argv[1]).read())
pool = [json.loads(line) for line in open(sys.argv[2])]
total = int(sys.argv[3])

class Customers(Stream):
    name = "customers"
    primary_keys = ("customerID",)
    replication_key = "timeStamp"
    def get_records(self, context):
        size = len(pool)
        for n in range(total):
            yield pool[n % size]

class PlainTap(Tap):
    name = "tap-plain"
    config_jsonschema = th.PropertiesList().to_dict()
    def discover_streams(self):
        return [Customers(self, schema=schema)]

PlainTap(config={}, parse_env_config=False).sync_all()
"""

ROOT = Path(__file__).resolve().parents[1]


def volume_flags(customers: int) -> list[str]:
    """Sandbox flags: only customers, bucket off."""
    return [
        "--no-bucket",
        "--customers",
        str(customers),
        "--items",
        "0",
        "--sales",
        "0",
        "--images",
        "0",
    ]


def tap_run(customers: int, folder: Path, keep_output: Path | None = None) -> dict[str, Any]:
    """Run the tap CLI for ``customers`` records; optionally keep its stdout."""
    with sandbox_process(*volume_flags(customers)) as (info, _):
        config, catalog = write_tap_inputs(info, folder, ["customers"])
        cmd = [str(BIN / "tap-lightspeed"), "--config", str(config), "--catalog", str(catalog)]
        if keep_output is None:
            figures = run_measured(cmd)
        else:
            import subprocess

            with open(keep_output, "wb") as out:
                subprocess.run(cmd, stdout=out, stderr=subprocess.DEVNULL, check=True)
            figures = {}
        (folder / "tokens.json").unlink(missing_ok=True)
    return figures


def record_pool(folder: Path, size: int = 2000) -> Path:
    """Real tap records (typed, as the tap emits them) for the plain stream's pool."""
    raw = folder / "pool-singer.jsonl"
    tap_run(size, folder, keep_output=raw)
    pool = folder / "pool.jsonl"
    with open(raw) as src, open(pool, "w") as dst:
        for line in src:
            message = json.loads(line)
            if message["type"] == "RECORD":
                dst.write(json.dumps(message["record"]) + "\n")
    return pool


def target_run(lines_file: Path, customers: int, folder: Path) -> dict[str, Any]:
    """Run the target CLI (dry run) on a Singer file, against an empty sandbox account."""
    with sandbox_process("--no-bucket", "--accounts", "1", "--empty-accounts", "1") as (info, _):
        config = connection_settings(
            info,
            folder / "target-tokens.json",
            ledger_path=str(folder / "ledger.sqlite3"),
            rejects_path=str(folder / "rejects.jsonl"),
            dry_run=True,
            progress_interval=0,
        )
        path = folder / "target.json"
        path.write_text(json.dumps(config))
        with open(lines_file, "rb") as stdin:
            figures = run_measured([str(BIN / "target-lightspeed"), "--config", str(path)], stdin)
        figures["api_requests"] = admin(info, "stats")["requests"]
        (folder / "target-tokens.json").unlink(missing_ok=True)
    return figures


def run_memory(quick: bool = False) -> dict[str, Any]:
    """All measurements; small volumes with ``quick``."""
    tap_volumes = [20_000, 50_000] if quick else [100_000, 300_000, 1_000_000]
    target_volumes = [10_000, 20_000] if quick else [50_000, 200_000]
    results: dict[str, Any] = {"tap": [], "plain": [], "target": []}
    schema = ROOT / "tap_lightspeed" / "schemas" / "customers.json"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pool = record_pool(folder)
        for n in tap_volumes:
            tap = tap_run(n, folder)
            results["tap"].append({"records": n, **tap, "cpu_us": tap["cpu_s"] / n * 1e6})
            plain = run_measured(
                [sys.executable, "-c", PLAIN_CHILD, str(schema), str(pool), str(n)]
            )
            results["plain"].append({"records": n, **plain, "cpu_us": plain["cpu_s"] / n * 1e6})
            print(f"  tap {n}: {results['tap'][-1]}  plain: {results['plain'][-1]}", flush=True)
        # Target input: the tap's own output for the largest target volume, cut for smaller.
        biggest = max(target_volumes)
        full = folder / "target-input.jsonl"
        tap_run(biggest, folder, keep_output=full)
        for n in target_volumes:
            cut = folder / f"target-input-{n}.jsonl"
            count = 0
            with open(full) as src, open(cut, "w") as dst:
                for line in src:
                    is_record = line.startswith('{"type":"RECORD"')
                    if is_record and count >= n:
                        continue
                    count += is_record
                    dst.write(line)
            figures = target_run(cut, n, folder)
            results["target"].append(
                {
                    "records": n,
                    **figures,
                    "cpu_us": figures["cpu_s"] / n * 1e6,
                    "requests_per_record": figures["api_requests"] / n,
                }
            )
            print(f"  target {n}: {results['target'][-1]}", flush=True)
    return results


def print_table(results: dict[str, Any]) -> None:
    """Print peak RSS and CPU per record for every run (and the target's API requests)."""
    print(
        f"{'program':34}{'records':>10}{'peak RSS MB':>13}{'CPU us/rec':>12}{'wall s':>9}"
        f"{'requests/rec':>14}"
    )
    for key, label in (
        ("tap", "tap-lightspeed CLI (sandbox)"),
        ("plain", "plain singer-sdk tap (memory)"),
        ("target", "target-lightspeed CLI (dry run)"),
    ):
        for row in results[key]:
            print(
                f"{label:34}{row['records']:>10}{row['max_rss_mb']:>13.1f}"
                f"{row['cpu_us']:>12.1f}{row['wall_s']:>9.1f}"
                + (f"{row['requests_per_record']:>14.2f}" if "requests_per_record" in row else "")
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small volumes")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = run_memory(args.quick)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
