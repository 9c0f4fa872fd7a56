"""Pacing of tap-lightspeed against the leaky bucket, beside the stock singer-sdk retry-on-429.

A ``lightspeed-sandbox serve`` subprocess holds ``--customers`` records behind a bucket of size
90 draining 20 units a second (burst limiter 20 requests a second, the API's figure for a 90
bucket). Two syncs of the ``customers`` stream (``load_relations=["Contact"]``, 100 records a
page, at least 500 pages by default) run one after the other, each from an empty bucket:

- ``tap-lightspeed``: the real CLI (``tap-lightspeed --config --catalog``), stdout to
  ``/dev/null``; it paces itself with the shared client's leaky-bucket pacer;
- ``stock singer-sdk``: a plain ``RESTStream`` for the same endpoint with the SDK's default
  retry behaviour (429 is retriable; ``backoff.expo(factor=2)`` with full jitter, 5 tries)
  and no pacing, run in its own subprocess the same way.

Figures come from the sandbox's request log (server-side times): pages, elapsed time from the
first to the last page request, 429s, and the achieved rate over the bucket's theoretical
maximum. For ``N`` requests of cost ``c`` from an empty bucket of size ``S`` draining ``D``/s,
the first ``floor(S/c)`` may go at once and then ``D/c`` per second, so the shortest possible
span is ``(N - floor(S/c)) * c / D``; ``efficiency = theoretical span / measured span``. The
burst limiter (at most ``B`` requests a second) makes that "at once" impossible, so the span
a perfect client could reach under both limits is also computed (``limits-exact``), and the
steady-state rate (pages after the first quarter) is compared with ``D/c``.

Usage::

    .venv/bin/python bench/bench_pacing.py [--pages 500] [--drip-rate 20] [--json out.json]
    .venv/bin/python bench/bench_pacing.py --pages 120 --skip-stock     # quick look

Prints a small table and (with ``--json``) writes the figures. Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from lightspeed_sandbox import connection_settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CATALOG = ROOT / "catalog" / "catalog.json"
PAGE = 100


# -- shared helpers (bench_memory.py and run_all.py use them too) -----------------------------


@contextlib.contextmanager
def sandbox_process(*flags: str) -> Iterator[tuple[dict[str, Any], subprocess.Popen]]:
    """Run ``lightspeed-sandbox serve`` in a subprocess; yield its connection info."""
    with tempfile.TemporaryDirectory() as tmp:
        info_file = Path(tmp) / "info.json"
        cmd = [str(BIN / "lightspeed-sandbox"), "serve", "--quiet", "--info-file", str(info_file)]
        proc = subprocess.Popen([*cmd, *flags], stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not (info_file.exists() and info_file.stat().st_size):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sandbox did not start")
                time.sleep(0.05)
            yield json.loads(info_file.read_text()), proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def admin(info: dict[str, Any], path: str, payload: dict | None = None) -> Any:
    """Call an admin endpoint of a sandbox subprocess."""
    url = f"{info['base_url']}/_admin/{path}"
    if payload is None:
        response = requests.get(url, timeout=60)
    else:
        response = requests.post(url, json=payload, timeout=60)
    response.raise_for_status()
    return response.json()


def access_token(info: dict[str, Any], account: int = 0) -> str:
    """An access token of one sandbox account, from a refresh token issued for the purpose."""
    account_id = info["accounts"][account]["account_id"]
    refresh = admin(info, "refresh-token", {"account_id": account_id})["refresh_token"]
    response = requests.post(
        info["token_url"],
        data={
            "grant_type": "refresh_token",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "refresh_token": refresh,
        },
        timeout=60,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def write_tap_inputs(info: dict[str, Any], folder: Path, streams: list[str]) -> tuple[Path, Path]:
    """Write a tap config (token store in ``folder``) and a catalog selecting ``streams``."""
    config = connection_settings(info, folder / "tokens.json", page_size=PAGE)
    catalog = json.loads(CATALOG.read_text())
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"]["selected"] = entry["tap_stream_id"] in streams
    config_path, catalog_path = folder / "config.json", folder / "catalog.json"
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps(catalog))
    return config_path, catalog_path


#: The launcher ``run_measured`` starts (``python -I -S``: no site, nothing imported but
#: builtins). It forks, and the child execs the program at once; the launcher waits for it with
#: ``os.wait4`` and reports on file descriptor ``argv[1]``: the child's high-water RSS just
#: before exec (``start_kb``, what the launcher's footprint leaves), then ``wall_s``, ``status``,
#: ``utime``, ``stime`` and ``maxrss_kb`` of the program (``key=value`` lines).
LAUNCHER = r"""
import os, sys, time
out = int(sys.argv[1])
os.set_inheritable(out, False)
program, argv = sys.argv[2], sys.argv[2:]
if os.sep not in program:
    for folder in os.get_exec_path():
        if os.access(os.path.join(folder, program), os.X_OK):
            program = os.path.join(folder, program)
            break
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        status = os.open("/proc/self/status", os.O_RDONLY)
        hwm = os.read(status, 4096).split(b"VmHWM:")[1].split()[0]
        os.write(out, b"start_kb=" + hwm + b"\n")
        os.execv(program, argv)
    except BaseException as exc:
        os.write(out, ("error=%s: %s\n" % (type(exc).__name__, exc)).encode())
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
os.write(out, (
    "wall_s=%r\nstatus=%d\nutime=%r\nstime=%r\nmaxrss_kb=%d\n"
    % (wall, status, usage.ru_utime, usage.ru_stime, usage.ru_maxrss)
).encode())
"""


def run_measured(cmd: list[str], stdin: Any = None, env: dict | None = None) -> dict[str, float]:
    """Run a command to its end; return wall time, user+sys CPU and peak RSS of that program.

    The program runs as the child of a small launcher (:data:`LAUNCHER`), not of this process:
    Linux starts a program's ``ru_maxrss`` at the high-water RSS of the process that execs it
    (exec keeps the old memory's mark), and ``subprocess`` execs from a vfork of this
    benchmark, so every program read at least this benchmark's own peak. The launcher forks
    while it holds about 5 MB, its child execs the program at once, and ``os.wait4`` there
    gives the resource usage of exactly the program (with the children it waited for).
    ``floor_rss_mb`` is the mark the program inherits that way: a peak reading above it is the
    program's own.

    Args:
        cmd: The program and its arguments (looked up on ``PATH`` when not a path).
        stdin: The program's standard input (a file object; default: this process's).
        env: The program's environment (default: this process's).

    Returns:
        ``returncode``, ``wall_s`` (fork to exit), ``cpu_s``, ``max_rss_mb`` and
        ``floor_rss_mb``.

    Raises:
        RuntimeError: The program could not be started.
    """
    read_end, write_end = os.pipe()
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(write_end), *cmd]
    try:
        with open(os.devnull, "wb") as devnull:
            proc = subprocess.Popen(
                launcher,
                stdin=stdin,
                stdout=devnull,
                stderr=devnull,
                env=env,
                pass_fds=(write_end,),
            )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:  # at its end once launcher and program are gone
        lines = pipe.read().decode().splitlines()
    proc.wait()
    report = dict(line.split("=", 1) for line in lines if "=" in line)
    if "error" in report or "maxrss_kb" not in report:
        detail = report.get("error", f"the launcher exited with {proc.returncode}")
        raise RuntimeError(f"could not run {cmd[0]}: {detail}")
    return {
        "returncode": os.waitstatus_to_exitcode(int(report["status"])),
        "wall_s": float(report["wall_s"]),
        "cpu_s": float(report["utime"]) + float(report["stime"]),
        "max_rss_mb": int(report["maxrss_kb"]) / 1024,
        "floor_rss_mb": int(report.get("start_kb", 0)) / 1024,
    }


# -- theory -----------------------------------------------------------------------------------


def bucket_span(n: int, cost: float, size: float, drip: float) -> float:
    """Shortest first-to-last span of ``n`` requests by the bucket alone (the issue's formula)."""
    at_once = math.floor(size / cost)
    return max(0, n - at_once) * cost / drip


def exact_span(n: int, cost: float, size: float, drip: float, burst: int) -> float:
    """Shortest span of ``n`` requests under the server's bucket *and* burst limiter.

    The server refuses a request when the level is at or above ``size`` (so the request that
    first overflows is still served) or when ``burst`` requests went in the last second. Each
    request goes at the earliest moment both allow (greedy is optimal here).
    """
    sent: list[float] = []
    level, at = 0.0, 0.0
    for _ in range(n):
        t = at
        level_now = max(0.0, level - drip * (t - at))
        if level_now >= size:
            t += (level_now - size) / drip + 1e-9
        if len(sent) >= burst:
            t = max(t, sent[-burst] + 1.0 + 1e-9)
        level = max(0.0, level - drip * (t - at)) + cost
        at = t
        sent.append(t)
    return sent[-1] - sent[0] if sent else 0.0


# -- the stock singer-sdk stream (runs in a child process) ------------------------------------

STOCK_CHILD = r'''
import json, sys
from urllib.parse import parse_qsl, urlsplit
import requests
from singer_sdk import RESTStream, Tap
from singer_sdk import typing as th
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.pagination import BaseAPIPaginator

info = json.loads(sys.argv[1])
account = info["accounts"][0]
token = requests.post(info["token_url"], data={
    "grant_type": "refresh_token", "client_id": info["client_id"],
    "client_secret": info["client_secret"], "refresh_token": account["refresh_token"],
}, timeout=30).json()["access_token"]

class NextPaginator(BaseAPIPaginator):
    def get_next(self, response):
        return response.json().get("@attributes", {}).get("next") or None

class Customers(RESTStream):
    """Default SDK behaviour: no pacing; 429 retried with backoff.expo(factor=2), 5 tries."""
    name = "customers"
    path = "/Customer.json"
    primary_keys = ("customerID",)
    records_jsonpath = "$.Customer[*]"
    url_base = f"{info['api_url']}/API/V3/Account/{account['account_id']}"
    schema = th.PropertiesList(
        th.Property("customerID", th.StringType), th.Property("firstName", th.StringType),
        th.Property("lastName", th.StringType), th.Property("timeStamp", th.StringType),
    ).to_dict()

    @property
    def authenticator(self):
        return BearerTokenAuthenticator(token=token)

    def get_new_paginator(self):
        return NextPaginator(None)

    def get_url_params(self, context, next_page_token):
        if next_page_token:  # the full next URL: repeat its parameters (cursor included)
            return dict(parse_qsl(urlsplit(next_page_token).query))
        return {"limit": 100, "archived": "true", "sort": "timeStamp",
                "load_relations": '["Contact"]'}

class StockTap(Tap):
    name = "tap-stock"
    config_jsonschema = th.PropertiesList().to_dict()
    def discover_streams(self):
        return [Customers(self)]

result = {"ok": True, "error": ""}
try:
    StockTap(config={}, parse_env_config=False).sync_all()
except BaseException as exc:  # the stock stream gives up after 5 tries
    result = {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
print(json.dumps(result), file=sys.stderr)
sys.stderr.flush()
with open(sys.argv[2], "w") as fh:
    json.dump(result, fh)
'''


# -- one measured sync ------------------------------------------------------------------------


def analyse(info: dict[str, Any], size: float, drip: float, burst: int) -> dict[str, Any]:
    """Figures of the sync just run, from the sandbox's request log and counters."""
    log = [
        e
        for e in admin(info, "requests?limit=1000000")["requests"]
        if "/Customer.json" in e["path"]
    ]
    stats = admin(info, "stats")
    served = [e for e in log if e["status"] == 200]
    limited = [e for e in log if e["status"] == 429]
    times = [e["time"] for e in log]
    span = (max(times) - min(times)) if times else 0.0
    n = len(served)
    cost = max((e.get("cost") or 0.0) for e in served) if served else 1.0
    theory = bucket_span(n, cost, size, drip)
    exact = exact_span(n, cost, size, drip, burst)
    # Steady state: the pages after the bucket first came within two requests of full (the
    # initial room is spent), against D / c.
    served.sort(key=lambda e: e["time"])
    full_at = next(
        (k for k, e in enumerate(served) if e["bucket_level"] >= size - 2 * cost), len(served)
    )
    tail = [e["time"] for e in served[full_at:]]
    steady_rate = (len(tail) - 1) / (tail[-1] - tail[0]) if len(tail) > 1 else 0.0
    first_429 = min((e["time"] for e in limited), default=None)
    steady_429s = sum(1 for e in limited if tail and e["time"] >= tail[0])
    return {
        "pages": n,
        "requests": len(log),
        "cost": cost,
        "span_s": round(span, 3),
        "theoretical_span_s": round(theory, 3),
        "exact_span_s": round(exact, 3),
        "efficiency_bucket": round(theory / span, 4) if span else None,
        "efficiency_exact": round(exact / span, 4) if span else None,
        "achieved_rps": round((n - 1) / span, 3) if span else None,
        "max_rps": round(drip / cost, 3),
        "steady_rps": round(steady_rate, 3),
        "steady_efficiency": round(steady_rate / (drip / cost), 4),
        "429s": stats["429s"]["total"],
        "429s_by_type": {k: v for k, v in stats["429s"].items() if k != "total"},
        "steady_429s": steady_429s,
        "first_429_after_s": round(first_429 - min(times), 3) if first_429 else None,
    }


def run_pacing(
    pages: int = 500, size: float = 90, drip: float = 20, burst: int = 20, stock: bool = True
) -> dict[str, Any]:
    """Run both syncs against one sandbox (bucket emptied and log cleared between them)."""
    customers = pages * PAGE
    flags = ["--customers", str(customers), "--items", "0", "--sales", "0", "--images", "0"]
    flags += ["--bucket-size", str(size), "--drip-rate", str(drip), "--burst-limit", str(burst)]
    results: dict[str, Any] = {
        "settings": {"pages": pages, "bucket_size": size, "drip_rate": drip, "burst": burst}
    }
    with sandbox_process(*flags) as (info, _), tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config, catalog = write_tap_inputs(info, folder, ["customers"])
        admin(info, "bucket", {"reset": True})
        admin(info, "reset-stats", {})
        run = run_measured(
            [str(BIN / "tap-lightspeed"), "--config", str(config), "--catalog", str(catalog)]
        )
        results["tap"] = {**analyse(info, size, drip, burst), "ok": run["returncode"] == 0}
        results["tap"]["wall_s"] = round(run["wall_s"], 3)
        if stock:
            # Fresh credentials for the stock stream (the tap rotated the first ones).
            info = dict(info)
            fresh = admin(info, "refresh-token", {"account_id": info["accounts"][0]["account_id"]})
            info["accounts"] = [{**info["accounts"][0], "refresh_token": fresh["refresh_token"]}]
            admin(info, "bucket", {"reset": True})
            admin(info, "reset-stats", {})
            out = folder / "stock.json"
            run = run_measured([sys.executable, "-c", STOCK_CHILD, json.dumps(info), str(out)])
            child = json.loads(out.read_text()) if out.exists() else {"ok": False, "error": "?"}
            results["stock"] = {**analyse(info, size, drip, burst), **child}
            results["stock"]["wall_s"] = round(run["wall_s"], 3)
    return results


def print_table(results: dict[str, Any]) -> None:
    """Print the pacing figures side by side."""
    s = results["settings"]
    print(
        f"pacing: customers, {s['pages']} pages, bucket {s['bucket_size']:g} drip "
        f"{s['drip_rate']:g}/s burst {s['burst']}/s"
    )
    rows = [
        ("pages served", "pages"),
        ("request cost", "cost"),
        ("span first..last page (s)", "span_s"),
        ("theoretical span, bucket (s)", "theoretical_span_s"),
        ("efficiency vs bucket max", "efficiency_bucket"),
        ("efficiency vs bucket+burst", "efficiency_exact"),
        ("steady rps / max rps (full bucket)", "steady_efficiency"),
        ("429s", "429s"),
        ("429s in steady state", "steady_429s"),
        ("completed", "ok"),
    ]
    sides = [k for k in ("tap", "stock") if k in results]
    print(f"{'':32}" + "".join(f"{k:>16}" for k in sides))
    for label, key in rows:
        print(f"{label:32}" + "".join(f"{results[k].get(key)!s:>16}" for k in sides))
    if "stock" in results and results["stock"].get("error"):
        print(f"stock error: {results['stock']['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--bucket-size", type=float, default=90)
    parser.add_argument("--drip-rate", type=float, default=20)
    parser.add_argument("--burst-limit", type=int, default=20)
    parser.add_argument("--skip-stock", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    results = run_pacing(
        args.pages, args.bucket_size, args.drip_rate, args.burst_limit, not args.skip_stock
    )
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
