"""CPU cost per record of tap-lightspeed, next to a plain singer-sdk stream.

Both sides run in this one process, one after the other, and print CPU time (user + system)
per record:

- ``plain singer-sdk``: a default ``singer_sdk.Stream`` (default message writer, default type
  conformance) with the same schema, key and replication key, yielding records that are
  already typed, from memory;
- ``tap-lightspeed``: the real tap reading wire-form pages (every scalar a string, collections
  double-wrapped) served from memory by requests-mock, through the shared client (pacing,
  auth, retries), the wire reader and the msgspec writer.

The records are the same: the plain stream yields what the tap's reader makes of the same
pages. A pool of pages is cycled (every record shares one ``timeStamp``, so the sorted stream
stays sorted), so memory stays small for a few hundred thousand records. Singer output goes to
``/dev/null``. The figures are measurements, not assertions.

``--stream sale_lines`` measures the derived stream instead (no plain side): the same sales
pages (1 to 3 lines a sale), read three times by the tap with ``sales`` alone, ``sale_lines``
alone (``sales`` deselected) and both selected, each figure CPU per record emitted.

Usage::

    .venv/bin/python bench/bench_tap_cpu.py [--records 300000] [--stream sales] [--repeat 1]
    .venv/bin/python bench/bench_tap_cpu.py --stream sale_lines [--records 300000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

import requests_mock
from singer_sdk import Stream, Tap
from singer_sdk import typing as th

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lightspeed_client.client import LightspeedClient  # noqa: E402
from lightspeed_client.wire import RecordReader  # noqa: E402
from tap_lightspeed.tap import TapLightspeed  # noqa: E402
from tests.tap import wire_data  # noqa: E402

API_URL = "https://api.bench.invalid"
TOKEN_URL = "https://cloud.bench.invalid/auth/oauth/token"
ACCOUNT_ID = "1"
PAGE = 100
POOL_PAGES = 20
SCHEMAS = ROOT / "tap_lightspeed" / "schemas"
STREAMS = {
    # stream: (entity, key, builder of one wire record)
    "sales": ("Sale", "saleID", lambda i: wire_data.sale(i, 0, lines=1 + i % 3, payments=1)),
    "customers": ("Customer", "customerID", lambda i: wire_data.customer(i, 0, phones=i % 2)),
    "items": ("Item", "itemID", lambda i: wire_data.item(i, 0, shops=2)),
    "images": ("Image", "imageID", lambda i: wire_data.image(i, 0)),
}
#: Derived streams: the stream whose pages they come from, and the relation of its records.
DERIVED = {"sale_lines": ("sales", "SaleLines")}
RATE_HEADERS = {
    "Content-Type": "application/json",
    "X-LS-API-Bucket-Level": "1/90",
    "X-LS-API-Drip-Rate": "1",
    "X-LS-API-Request-Cost": "1",
}


def cpu_seconds() -> float:
    """User + system CPU time of this process."""
    times = os.times()
    return times.user + times.system


def devnull_stdout() -> io.TextIOWrapper:
    """A text stdout (with ``.buffer``) that discards everything."""
    return io.TextIOWrapper(open(os.devnull, "wb"), encoding="utf-8", write_through=True)


def wire_pages(stream: str) -> list[list[dict]]:
    """The pool of wire-form pages."""
    _, _, build = STREAMS[stream]
    return [[build(p * PAGE + i + 1) for i in range(PAGE)] for p in range(POOL_PAGES)]


def run_plain(stream: str, schema: dict, typed: list[dict], total: int) -> float:
    """CPU seconds of a default singer-sdk tap yielding ``total`` typed records from memory."""
    _, key, _ = STREAMS[stream]

    class MemoryStream(Stream):
        name = stream
        primary_keys = (key,)
        replication_key = "timeStamp"

        def get_records(self, context):  # type: ignore[no-untyped-def]
            pool = typed
            size = len(pool)
            for n in range(total):
                yield pool[n % size]

    class PlainTap(Tap):
        name = "tap-plain"
        config_jsonschema = th.PropertiesList().to_dict()

        def discover_streams(self):  # type: ignore[no-untyped-def]
            return [MemoryStream(self, schema=schema)]

    tap = PlainTap(config={}, parse_env_config=False)
    with redirect_stdout(devnull_stdout()):
        start = cpu_seconds()
        tap.sync_all()
        return cpu_seconds() - start


def run_tap(
    stream: str, pages: list[list[dict]], total: int, store: Path, selected: set[str] | None = None
) -> float:
    """CPU seconds of tap-lightspeed reading ``total`` records from mocked wire pages.

    Args:
        stream: The stream whose endpoint serves the pages.
        pages: The pool of wire pages.
        total: Records to serve (a multiple of the page size).
        store: Token store path.
        selected: The streams selected in the catalog (default: ``stream`` alone).

    Returns:
        CPU seconds of the sync.
    """
    entity, _, _ = STREAMS[stream]
    selected = selected or {stream}
    head = b'{"@attributes":{"next":"'
    tails = [
        b'","previous":""},"' + entity.encode() + b'":' + json.dumps(page).encode() + b"}"
        for page in pages
    ]
    page_count = total // PAGE

    def serve(request, context):  # type: ignore[no-untyped-def]
        context.headers.update(RATE_HEADERS)
        url = request.url
        base, _, after = url.partition("&after=")
        index = int(after) if after else 0
        following = f"{base}&after={index + 1}" if index + 1 < page_count else ""
        return head + following.encode() + tails[index % len(tails)]

    def token(request, context):  # type: ignore[no-untyped-def]
        return json.dumps(
            {
                "token_type": "Bearer",
                "expires_in": 3600,
                "access_token": "bench-access",
                "refresh_token": "bench-refresh-next",
            }
        )

    config = {
        "client_id": "bench",
        "client_secret": "bench-secret",
        "refresh_token": "bench-refresh",
        "account_id": ACCOUNT_ID,
        "api_url": API_URL,
        "token_url": TOKEN_URL,
        "token_store": str(store),
        "page_size": PAGE,
    }
    catalog = TapLightspeed(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"]["selected"] = entry["tap_stream_id"] in selected
    LightspeedClient.forget_all()
    store.unlink(missing_ok=True)
    tap = TapLightspeed(config=config, catalog=catalog, parse_env_config=False)
    with requests_mock.Mocker() as mocker, redirect_stdout(devnull_stdout()):
        mocker.post(TOKEN_URL, text=token)
        mocker.get(f"{API_URL}/API/V3/Account/{ACCOUNT_ID}/{entity}.json", content=serve)
        start = cpu_seconds()
        tap.sync_all()
        return cpu_seconds() - start


def run_derived(derived: str, total: int, repeat: int) -> None:
    """Print CPU per record of a derived stream next to its source stream's.

    Args:
        derived: The derived stream, e.g. ``sale_lines``.
        total: Source records to serve (a multiple of the page size).
        repeat: Runs per selection; the best counts.
    """
    source, relation = DERIVED[derived]
    entity, _, _ = STREAMS[source]
    pages = wire_pages(source)
    schema = json.loads((SCHEMAS / f"{source}.json").read_text())
    reader = RecordReader(schema, entity)
    per_page = [
        sum(len(record[relation]) for record in reader.read_page({entity: page})) for page in pages
    ]
    rows = sum(per_page[index % len(pages)] for index in range(total // PAGE))
    selections = {
        f"{source} alone (per {source} record)": ({source}, total),
        f"{derived} alone (per {derived} row)": ({derived}, rows),
        f"{source} + {derived} (per record)": ({source, derived}, total + rows),
    }
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, (selected, emitted) in selections.items():
            seconds = min(
                run_tap(source, pages, total, Path(tmp) / "tokens.json", selected)
                for _ in range(repeat)
            )
            best[label] = seconds / emitted * 1e6
    source_us, derived_us, _ = best.values()
    print(f"stream={derived} {source}={total} {derived}={rows} repeat={repeat}")
    print(f"{'':40}CPU us/record")
    for label, micros in best.items():
        print(f"{label:40}{micros:10.1f}")
    print(f"{f'ratio {derived} / {source}':40}{derived_us / source_us:10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--stream", choices=sorted({*STREAMS, *DERIVED}), default="sales")
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; the best counts")
    args = parser.parse_args()
    total = max(PAGE, args.records // PAGE * PAGE)
    if args.stream in DERIVED:
        run_derived(args.stream, total, args.repeat)
        return

    entity, _, _ = STREAMS[args.stream]
    schema = json.loads((SCHEMAS / f"{args.stream}.json").read_text())
    pages = wire_pages(args.stream)
    reader = RecordReader(schema, entity)
    typed = [record for page in pages for record in reader.read_page({entity: page})]

    plain, tap = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            plain.append(run_plain(args.stream, schema, typed, total))
            tap.append(run_tap(args.stream, pages, total, Path(tmp) / "tokens.json"))

    plain_us = min(plain) / total * 1e6
    tap_us = min(tap) / total * 1e6
    print(f"stream={args.stream} records={total} pages={total // PAGE} repeat={args.repeat}")
    print(f"{'':34}CPU us/record")
    print(f"{'plain singer-sdk stream (memory)':34}{plain_us:10.1f}")
    print(f"{'tap-lightspeed (wire pages, mock)':34}{tap_us:10.1f}")
    print(f"{'ratio tap / plain':34}{tap_us / plain_us:10.2f}")


if __name__ == "__main__":
    main()
