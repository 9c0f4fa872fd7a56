"""The command line (about, discover, sync with ``--config ENV``) and the stored catalog."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lightspeed_client.wire import EXTRA_FIELDS
from tap_lightspeed.tap import TapLightspeed
from tests.tap.conftest import fast_retries
from tests.tap.stock_movement_data import stock_movement_dataset

ROOT = Path(__file__).parents[2]
CATALOG = ROOT / "catalog" / "catalog.json"
SCHEMAS = ROOT / "tap_lightspeed" / "schemas"
#: The reference tables read whole on every sync: their pages list no ``timeStamp`` sort.
FULL_TABLE_STREAMS = {
    "shops",
    "registers",
    "payment_types",
    "customer_types",
    "price_levels",
    "item_attribute_sets",
    "seasons",
}
#: The reference tables, selected by default (small, and what every report joins to).
REFERENCE_STREAMS = {
    *FULL_TABLE_STREAMS,
    "employees",
    "categories",
    "manufacturers",
    "vendors",
    "tax_classes",
    "tax_categories",
    "discounts",
    "item_matrices",
    "credit_accounts",
}
MAIN_STREAMS = {
    "customers",
    "items",
    "images",
    "sales",
    "sale_lines",
    "sale_payments",
    "orders",
    "order_lines",
    "transfers",
    "transfer_items",
    "inventory_counts",
    "vendor_returns",
    "vendor_return_items",
    "special_orders",
    *REFERENCE_STREAMS,
}
#: Derived stream -> (parent schema, the parent's array it comes from, its primary key,
#: the parent's key, the row's change marker, the parent's field it copies).
DERIVED = {
    "sale_lines": ("sales", "SaleLines", "saleLineID", "saleID", "sale_updatetime", "updatetime"),
    "sale_payments": (
        "sales",
        "SalePayments",
        "salePaymentID",
        "saleID",
        "sale_updatetime",
        "updatetime",
    ),
    "order_lines": (
        "orders",
        "OrderLines",
        "orderLineID",
        "orderID",
        "order_timeStamp",
        "timeStamp",
    ),
    "vendor_return_items": (
        "vendor_returns",
        "VendorReturnItems",
        "vendorReturnItemID",
        "vendorReturnID",
        "vendor_return_timeStamp",
        "timeStamp",
    ),
}
REPLICATION_KEYS = {
    "sales": "updatetime",
    "sale_lines": "sale_updatetime",
    "sale_payments": "sale_updatetime",
    "order_lines": "order_timeStamp",
    "vendor_return_items": "vendor_return_timeStamp",
}
#: Streams whose endpoint cannot sort by ``timeStamp``: read whole on every sync.
FULL_TABLE = {"inventory_counts", "inventory_count_items", *FULL_TABLE_STREAMS}
REGENERATE = "tap-lightspeed --discover > catalog/catalog.json"


def _command() -> list[str]:
    script = Path(sys.executable).parent / "tap-lightspeed"
    if script.exists():
        return [str(script)]
    found = shutil.which("tap-lightspeed")
    return [found] if found else [sys.executable, "-m", "tap_lightspeed.tap"]


def _selected(catalog: dict) -> set[str]:
    return {
        entry["tap_stream_id"]
        for entry in catalog["streams"]
        for md in entry["metadata"]
        if md["breadcrumb"] == [] and md["metadata"].get("selected")
    }


def test_catalog_file_is_up_to_date():
    fresh = json.loads(
        TapLightspeed(
            config={"client_id": "x", "client_secret": "x"}, parse_env_config=False
        ).catalog_json_text
    )
    stored = json.loads(CATALOG.read_text())
    assert stored == fresh, f"catalog/catalog.json is out of date; regenerate it: {REGENERATE}"


def test_catalog_selects_the_main_streams_with_the_schema_files():
    catalog = json.loads(CATALOG.read_text())
    assert _selected(catalog) == MAIN_STREAMS
    for entry in catalog["streams"]:
        stream = entry["tap_stream_id"]
        if stream in FULL_TABLE:
            assert entry["replication_method"] == "FULL_TABLE"
            assert entry.get("replication_key") is None
        else:
            assert entry["replication_method"] == "INCREMENTAL"
            assert entry["replication_key"] == REPLICATION_KEYS.get(stream, "timeStamp")
        if stream not in DERIVED:  # those are built from their parent's file: see below
            schema = json.loads((SCHEMAS / f"{stream}.json").read_text())
            properties = entry["schema"]["properties"]
            assert next(iter(properties)) == "account_id", stream
            assert properties["account_id"] == {"type": ["string"]}, stream
            assert entry["schema"] == {
                **schema,
                "properties": {"account_id": {"type": ["string"]}, **schema["properties"]},
            }, stream
            assert entry["key_properties"][0] == "account_id", stream


@pytest.mark.parametrize("stream", sorted(DERIVED))
def test_derived_schemas_are_the_parent_array_items_with_key_parent_and_marker(stream):
    parent, relation, key, parent_key, marker, parent_marker = DERIVED[stream]
    parent_properties = json.loads((SCHEMAS / f"{parent}.json").read_text())["properties"]
    item = parent_properties[relation]["items"]["properties"]
    entry = next(
        e for e in json.loads(CATALOG.read_text())["streams"] if e["tap_stream_id"] == stream
    )
    properties = entry["schema"]["properties"]
    assert entry["key_properties"] == ["account_id", key]
    assert list(properties)[:4] == ["account_id", key, parent_key, marker]
    assert properties["account_id"] == {"type": ["string"]}
    assert properties[key] == {"type": ["integer"]}
    assert properties[parent_key] == {"type": ["integer"]}
    assert properties[marker] == parent_properties[parent_marker]
    assert set(properties) == {"account_id", *item, parent_key, marker}
    for name, sub in item.items():
        if name not in {key, parent_key}:
            assert properties[name] == sub, name


#: Top-level time fields of the schemas.
TIME_FIELDS = {"timeStamp", "createTime", "updatetime", "completeTime", "openTime"}
#: Streams whose records carry no ``timeStamp`` (their pages list none).
UNSTAMPED_STREAMS = FULL_TABLE_STREAMS - {"shops"}  # Shop has one, but no sort on it


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.json")), ids=lambda p: p.stem)
def test_schema_files_are_complete_singer_schemas(path):
    schema = json.loads(path.read_text())
    key = next(k for k in schema["properties"] if k.endswith("ID"))
    assert schema["properties"][key]["type"] == ["integer"]  # the primary key, first

    def walk(node: dict, where: str) -> None:
        types = node.get("type")
        assert types, where
        if where not in {key, ""} and not where.endswith("[]"):
            assert "null" in types, f"{path.name}: {where} is not nullable"
        if "object" in types and "properties" in node:
            assert node["properties"][EXTRA_FIELDS] == {"type": ["object", "null"]}, where
            for name, sub in node["properties"].items():
                walk(sub, f"{where}.{name}" if where else name)
        elif "object" in types:  # JSON kept as it comes: only these
            assert where.rpartition(".")[2] in {EXTRA_FIELDS, "value"}, where
        if "array" in types:  # relations; item matrices' attribute values are plain text
            assert "object" in node["items"]["type"] or node["items"] == {
                "type": ["string", "null"]
            }, where
            walk(node["items"], f"{where}[]")

    walk(schema, "")
    # Every time field is a date-time; a few reference tables have no timeStamp.
    for name in TIME_FIELDS & schema["properties"].keys():
        assert schema["properties"][name] == {"type": ["string", "null"], "format": "date-time"}
    assert "timeStamp" in schema["properties"] or path.stem in UNSTAMPED_STREAMS


def test_cli_about_markdown():
    out = subprocess.run(
        [*_command(), "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert out.startswith("# `tap-lightspeed`")
    for setting in ("client_id", "refresh_token", "start_date", "page_size", "token_store"):
        assert f"| {setting} |" in out


def test_cli_discover_prints_the_stored_catalog(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"client_id": "x", "client_secret": "y"}))
    out = subprocess.run(
        [*_command(), "--config", str(config), "--discover"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert json.loads(out) == json.loads(CATALOG.read_text())


def test_cli_sync_with_config_env(api, config, monkeypatch):
    for key, value in config.items():
        monkeypatch.setenv(f"TAP_LIGHTSPEED_{key.upper()}", str(value))
    fast_retries(config)
    api.data.update(stock_movement_dataset())
    result = CliRunner().invoke(TapLightspeed.cli, ["--config", "ENV"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    messages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    records = [m for m in messages if m["type"] == "RECORD"]
    assert {m["stream"] for m in records} == MAIN_STREAMS
    # + 9 sale lines, 5 payments, 6 stock-movement streams of 5 records, 7 order lines,
    # 7 vendor-return items, 3 rows (archived ones included) per reference table
    assert len(records) == 7 + 5 + 4 + 6 + 9 + 5 + 6 * 5 + 7 + 7 + 3 * len(REFERENCE_STREAMS)
    assert messages[-1]["type"] == "STATE"
