"""The quick start's main job, run by ``scripts/demo`` once the environments exist.

Starts ``lightspeed-sandbox`` (a fixed seed, the default leaky bucket with a fast drip) on a free
loopback port, records a little new activity in the store through the API (a new customer, a
price change, a completed sale), runs
``meltano --environment=sandbox run tap-lightspeed target-duckdb``, prints per table the rows in
the warehouse and in the store and the rows this run loaded (every table the tap loads), then
revenue and units by shop and category, checked against the store's own totals
(``lightspeed_sandbox.reports``), stops the sandbox and says where the data is.

The sandbox keeps its data in memory, so every run starts the same store (seed 7) and records
the same kind of activity, stamped with the current time. The first run loads everything; a
later run starts from the bookmarks Meltano saved and loads only the records changed since: the
activity of this run. When the warehouse file is missing the run is a full refresh, so deleting
``output/`` starts over.

Environment: ``DEMO_WAREHOUSE`` (default ``output/warehouse.duckdb``), ``DEMO_LOG`` (default
``output/demo-meltano.log``), ``MELTANO_DATABASE_URI`` (Meltano's state; default
``.meltano/meltano.db``). Secrets are passed to Meltano through the environment, never printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from lightspeed_sandbox.reports import SalesTotal, relation_rows, sales_by_shop_and_category
from tap_lightspeed.streams import DERIVED_STREAM_TYPES, STREAM_TYPES, RelationStream

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
MELTANO = ROOT / ".meltano-venv" / "bin" / "meltano"
DUCKDB_PYTHON = ROOT / ".meltano" / "loaders" / "target-duckdb" / "venv" / "bin" / "python"
REPORT = ROOT / "scripts" / "warehouse_report.py"
JOB = "sandbox:tap-lightspeed-to-target-duckdb"
SEED = 7
VOLUMES = {"customers": 500, "items": 300, "sales": 400, "images": 150}
#: The streams the tap syncs unless told otherwise (meltano.yml selects the same ones).
SELECTED = [s for s in (*STREAM_TYPES, *DERIVED_STREAM_TYPES) if s.selected_by_default]


class Stopped(Exception):
    """Raised by the SIGTERM/SIGHUP handler so that ``finally`` blocks run."""


def _on_signal(signum: int, _frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def rel(path: Path) -> str:
    """Return ``path`` relative to the repository when it is inside it."""
    try:
        return str(path.absolute().relative_to(ROOT))
    except ValueError:
        return str(path)


def start_sandbox(workdir: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start ``lightspeed-sandbox serve`` in the background and return it with its info.

    Args:
        workdir: Private directory for the info file (mode 0600) and the server log.

    Returns:
        The server process and the parsed info file.

    Raises:
        RuntimeError: The server did not come up within 30 seconds.
    """
    info_file = workdir / "sandbox.json"
    argv = [
        str(VENV_BIN / "lightspeed-sandbox"),
        "serve",
        "--port=0",
        f"--info-file={info_file}",
        "--quiet",
        f"--seed={SEED}",
        "--drip-rate=20",
        *(f"--{name}={count}" for name, count in VOLUMES.items()),
    ]
    log = (workdir / "sandbox.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"lightspeed-sandbox exited with {proc.returncode}"
            raise RuntimeError(msg)
        if info_file.exists() and info_file.stat().st_size:
            try:
                return proc, json.loads(info_file.read_text())
            except json.JSONDecodeError:
                pass  # still being written
        time.sleep(0.1)
    stop_sandbox(proc)
    msg = "lightspeed-sandbox did not start within 30 s"
    raise RuntimeError(msg)


def stop_sandbox(proc: subprocess.Popen[bytes]) -> None:
    """Stop the sandbox (SIGTERM, then SIGKILL after 10 seconds)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Store:
    """Writes to the sandbox's API as the store's staff would (its own token chain)."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.base = info["base_url"]
        account = info["accounts"][0]["account_id"]
        self.api = f"{info['api_url']}/API/V3/Account/{account}"
        self.http = requests.Session()
        refresh = self.http.post(
            f"{self.base}/_admin/refresh-token", json={"account_id": account}, timeout=30
        )
        refresh.raise_for_status()
        token = self.http.post(
            info["token_url"],
            data={
                "grant_type": "refresh_token",
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
                "refresh_token": refresh.json()["refresh_token"],
            },
            timeout=30,
        )
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        self.account = account
        self._records: dict[str, list[dict[str, Any]]] = {}

    def write(self, method: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send one write, waiting out a 429, and return the stored record."""
        for _ in range(10):
            resp = self.http.request(method, f"{self.api}/{path}", json=payload, timeout=30)
            if resp.status_code == 429:
                time.sleep(float(resp.headers.get("Retry-After", "1")))
                continue
            if resp.status_code != 200:
                msg = f"{method} {path}: {resp.status_code} {resp.text[:300]}"
                raise RuntimeError(msg)
            body = resp.json()
            return next(v for k, v in body.items() if k != "@attributes")
        msg = f"{method} {path}: still rate limited"
        raise RuntimeError(msg)

    def records(self, entity: str) -> list[dict[str, Any]]:
        """Return the store's records of ``entity`` in wire form (archived included).

        Read once per entity: call it after the store's last change.
        """
        if entity not in self._records:
            resp = self.http.get(f"{self.base}/_admin/records/{self.account}/{entity}", timeout=30)
            resp.raise_for_status()
            self._records[entity] = resp.json()["records"]
        return self._records[entity]

    def count(self, stream: type) -> int:
        """Return how many rows of a tap stream the store holds.

        A derived stream (``sale_lines``...) has a row per element of its relation in the
        parent's records; any other stream a row per record of its entity.
        """
        if issubclass(stream, RelationStream):
            parents = self.records(stream.parent_stream_type.entity)
            return len(relation_rows(parents, stream.relation))
        return len(self.records(stream.entity))


def record_activity(store: Store) -> list[str]:
    """Make today's changes in the store and describe them.

    Returns:
        One line per change.
    """
    stamp = dt.datetime.now().strftime("%H%M%S")
    customer = store.write(
        "POST",
        "Customer.json",
        {
            "firstName": "Robin",
            "lastName": f"Demo-{stamp}",
            "Contact": {
                "Emails": {
                    "ContactEmail": [
                        {"address": f"robin.demo+{stamp}@example.com", "useType": "Primary"}
                    ]
                }
            },
        },
    )
    item = store.write(
        "PUT",
        "Item/7.json",
        {"Prices": {"ItemPrice": [{"amount": "64.99", "useType": "Default"}]}},
    )
    sale = store.write(
        "POST",
        "Sale.json",
        {
            "employeeID": 1,
            "registerID": 1,
            "shopID": 1,
            "customerID": customer["customerID"],
            "SaleLines": {
                "SaleLine": [
                    {"itemID": 7, "unitQuantity": 4, "unitPrice": "64.99"},
                    {"itemID": 78, "unitQuantity": 2, "unitPrice": "168.71"},
                ]
            },
        },
    )
    done = store.write(
        "PUT",
        f"Sale/{sale['saleID']}.json",
        {
            "completed": True,
            "SalePayments": {"SalePayment": [{"amount": sale["total"], "paymentTypeID": 1}]},
        },
    )
    return [
        f"new customer #{customer['customerID']} {customer['firstName']} {customer['lastName']}",
        f"new price of item #{item['itemID']} {item['description']}: 64.99",
        f"completed sale #{done['saleID']}: 6 units, total {done['total']}",
    ]


def run_meltano(
    info: dict[str, Any], workdir: Path, warehouse: Path, log_path: Path, full_refresh: bool
) -> float:
    """Run ``meltano --environment=sandbox run tap-lightspeed target-duckdb``.

    Returns:
        The duration in seconds.

    Raises:
        RuntimeError: Meltano failed (the end of its log is printed first).
    """
    env = dict(os.environ)
    env.update(
        {
            "LIGHTSPEED_SANDBOX_PORT": info["base_url"].rsplit(":", 1)[1],
            "LIGHTSPEED_SANDBOX_CLIENT_ID": info["client_id"],
            "LIGHTSPEED_SANDBOX_CLIENT_SECRET": info["client_secret"],
            "LIGHTSPEED_SANDBOX_REFRESH_TOKEN": info["accounts"][0]["refresh_token"],
            "LIGHTSPEED_SANDBOX_TOKEN_STORE": str(workdir / "tokens.json"),
            "TARGET_DUCKDB_FILEPATH": str(warehouse),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    argv = [str(MELTANO), "--environment=sandbox", "run"]
    if full_refresh:
        argv.append("--full-refresh")
    argv += ["tap-lightspeed", "target-duckdb"]
    started = time.monotonic()
    with log_path.open("wb") as log:
        result = subprocess.run(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-25:]
        print("\n".join(tail), file=sys.stderr)
        msg = f"meltano run failed ({result.returncode}); full log: {rel(log_path)}"
        raise RuntimeError(msg)
    return time.monotonic() - started


def report(warehouse: Path, since: dt.datetime) -> dict[str, Any]:
    """Query the warehouse with the DuckDB that wrote it (target-duckdb's environment)."""
    out = subprocess.run(
        [str(DUCKDB_PYTHON), str(REPORT), str(warehouse), "--since", since.isoformat()],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def print_counts(tables: dict[str, dict[str, int]], in_store: dict[str, int]) -> None:
    """Print per table the rows in the warehouse, in the store and loaded by this run.

    Args:
        tables: The warehouse report's ``tables``.
        in_store: The store's rows per selected stream.
    """
    print(f"{'table':<22}{'rows':>8}{'in store':>10}{'loaded this run':>17}")
    for table in sorted(set(tables) | set(in_store)):
        counts = tables.get(table, {"rows": 0, "loaded": 0})
        store_count = in_store.get(table, "")
        print(f"{table:<22}{counts['rows']:>8}{store_count:>10}{counts['loaded']:>17}")


def print_sales(rows: list[dict[str, Any]], store: dict[tuple[str, str], SalesTotal]) -> bool:
    """Print the warehouse's sales by shop and category and compare it with the store's.

    Args:
        rows: The warehouse report's ``sales`` (one account: the demo's).
        store: The store's own totals (:func:`sales_by_shop_and_category`).

    Returns:
        Whether the warehouse's figures equal the store's, to the cent.
    """
    print(
        "Sales by shop and category (completed sales, not voided nor archived;"
        " revenue net of discounts and tax):"
    )
    print(f"  {'shop':<20}{'category':<24}{'units':>7}{'revenue':>12}")
    warehouse = {}
    for row in rows:
        total = SalesTotal(row["units"], Decimal(row["revenue"]))
        warehouse[(row["shop"], row["category"])] = total
        print(
            f"  {row['shop'][:18]:<20}{row['category'][:22]:<24}{total.units:>7}{total.revenue:>12}"
        )
    units = sum(t.units for t in warehouse.values())
    revenue = sum((t.revenue for t in warehouse.values()), Decimal(0))
    print(f"  {'total':<44}{units:>7}{revenue:>12}")
    if warehouse == store:
        print("  = the store's own totals (lightspeed_sandbox.reports), to the cent")
        return True
    for key in sorted(set(warehouse) | set(store)):
        if warehouse.get(key) != store.get(key):
            print(f"  DIFFERS from the store: {key}:")
            print(f"    warehouse {warehouse.get(key)}, store {store.get(key)}")
    return False


def main() -> int:
    """Run the demo; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    warehouse = Path(os.environ.get("DEMO_WAREHOUSE", ROOT / "output" / "warehouse.duckdb"))
    warehouse = warehouse.absolute()
    log_path = Path(os.environ.get("DEMO_LOG", ROOT / "output" / "demo-meltano.log")).absolute()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_refresh = not warehouse.exists()

    with tempfile.TemporaryDirectory(prefix="lightspeed-demo-") as tmp:
        workdir = Path(tmp)
        sizes = ", ".join(f"{n} {name}" for name, n in VOLUMES.items())
        print(f"==> Starting lightspeed-sandbox (seed {SEED}: {sizes})")
        proc, info = start_sandbox(workdir)
        try:
            print(f"    serving on {info['base_url']} (pid {proc.pid})")
            store = Store(info)
            print("==> New activity in the store, through the API:")
            for line in record_activity(store):
                print(f"    - {line}")
            in_store = {stream.name: store.count(stream) for stream in SELECTED}
            store_sales = sales_by_shop_and_category(store.records)
            mode = (
                "first run: no warehouse yet, full load"
                if full_refresh
                else "incremental: from the bookmarks Meltano saved last run"
            )
            print(
                "==> meltano --environment=sandbox run "
                + ("--full-refresh " if full_refresh else "")
                + "tap-lightspeed target-duckdb"
            )
            print(f"    ({mode})")
            since = dt.datetime.now()
            seconds = run_meltano(info, workdir, warehouse, log_path, full_refresh)
            print(f"    done in {seconds:.1f} s")
            if not full_refresh:
                print(
                    "    loaded only the records changed since the last run (and any that share"
                    " the bookmark's second, which the tap asks for again)"
                )
        finally:
            stop_sandbox(proc)
            print("==> Sandbox stopped")

    result = report(warehouse, since)
    print()
    print_counts(result["tables"], in_store)
    print()
    matches = print_sales(result["sales"], store_sales)
    print()
    print(f"Data: {rel(warehouse)} (DuckDB, schema `lightspeed`: {len(result['tables'])} tables)")
    print(f"Meltano log: {rel(log_path)}; state: job {JOB} in Meltano's system database")
    print(
        f'Query it:    {rel(DUCKDB_PYTHON)} -c "import duckdb; '
        f"duckdb.connect('{rel(warehouse)}').sql('from lightspeed.sales limit 5').show()\""
    )
    print("Run scripts/demo again for an incremental run; delete the file to start over.")
    if not matches:
        print("demo failed: the warehouse's sales report differs from the store's", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Stopped as stop:
        print(f"interrupted ({stop})", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except RuntimeError as err:
        print(f"demo failed: {err}", file=sys.stderr)
        sys.exit(1)
