"""Throughput of the sandbox: records per second in 100-record pages, bucket off.

The server runs in its own process (``lightspeed-sandbox serve --no-bucket``) so the figure is
the server's, on one core; the client follows ``next`` links with ``requests``. Two figures per
case: records/s seen by the client (wall clock), and records per CPU-second of the server
process (what one core of sandbox can serve). Prints JSON lines; asserts nothing.

Usage::

    python bench/bench_sandbox.py [--records 50000] [--entity Customer] [--relations '["Contact"]']
    python bench/bench_sandbox.py --in-process     # server thread in this process
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from bench_pacing import sandbox_process

from lightspeed_sandbox import access_token

VOLUME_FLAG = {"Customer": "--customers", "Item": "--items", "Sale": "--sales"}
# (entity, load_relations, sort) of the default cases
CASES: list[tuple[str, str | None, str | None]] = [
    ("Customer", None, None),
    ("Customer", '["Contact"]', "timeStamp"),
    ("Item", None, "timeStamp"),
    ("Sale", '["SaleLines","SalePayments"]', None),
]


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def subprocess_server(entity: str, records: int, seed: int) -> Iterator[tuple[dict, int | None]]:
    volumes = {"--customers": "1000", "--items": "1000", "--sales": "0", "--images": "0"}
    volumes[VOLUME_FLAG[entity]] = str(records)
    flags = ["--no-bucket", "--seed", str(seed)]
    for flag, value in volumes.items():
        flags += [flag, value]
    with sandbox_process(*flags) as (info, proc):
        yield info, proc.pid


@contextlib.contextmanager
def inprocess_server(entity: str, records: int, seed: int) -> Iterator[tuple[dict, int | None]]:
    from lightspeed_sandbox import Sandbox, SandboxConfig

    volumes = {"customers": 1000, "items": 1000, "sales": 0}
    volumes[VOLUME_FLAG[entity][2:]] = records
    with Sandbox(SandboxConfig(seed=seed, bucket_enabled=False, images=0, **volumes)) as sb:
        yield sb.info(), None


def run(
    case: tuple[str, str | None, str | None], records: int, seed: int, in_process: bool
) -> dict:
    entity, relations, sort = case
    server = inprocess_server if in_process else subprocess_server
    with server(entity, records, seed) as (info, pid):
        account = info["accounts"][0]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {access_token(info)}"
        params = {"limit": "100", "archived": "true"}
        if relations:
            params["load_relations"] = relations
        if sort:
            params["sort"] = sort
        url = f"{info['api_url']}/API/V3/Account/{account['account_id']}/{entity}.json"
        # Warm-up request: builds the lazy sort arrays, as a first real request would.
        t0 = time.perf_counter()
        session.get(url, params={**params, "limit": "1"}, timeout=120).raise_for_status()
        warmup = time.perf_counter() - t0
        cpu_before = _cpu_seconds(pid) if pid else None
        served = pages = 0
        started = time.perf_counter()
        resp = session.get(url, params=params, timeout=60)
        while True:
            resp.raise_for_status()
            body = resp.json()
            got = body.get(entity)
            served += 0 if got is None else (1 if isinstance(got, dict) else len(got))
            pages += 1
            nxt = body["@attributes"]["next"]
            if not nxt:
                break
            resp = session.get(nxt, timeout=60)
        elapsed = time.perf_counter() - started
        cpu_after = _cpu_seconds(pid) if pid else None
    result = {
        "entity": entity,
        "load_relations": relations,
        "sort": sort,
        "records": served,
        "pages": pages,
        "seconds": round(elapsed, 3),
        "records_per_second": round(served / elapsed),
        "warmup_seconds": round(warmup, 3),
        "server": "in-process" if in_process else "subprocess",
    }
    if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
        result["server_cpu_seconds"] = round(cpu_after - cpu_before, 3)
        result["records_per_server_cpu_second"] = round(served / (cpu_after - cpu_before))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--entity", default=None, choices=sorted(VOLUME_FLAG))
    parser.add_argument("--relations", default=None)
    parser.add_argument("--sort", default=None)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    cases = [(args.entity, args.relations, args.sort)] if args.entity else CASES
    for case in cases:
        print(json.dumps(run(case, args.records, args.seed, args.in_process)), flush=True)


if __name__ == "__main__":
    main()
