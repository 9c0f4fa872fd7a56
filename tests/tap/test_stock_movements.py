"""Purchasing and stock-movement streams against the fake API: records, archived rows, STATE,
wire quirks at every depth, and the derived streams fed by their parent's page.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tap_lightspeed.tap import TapLightspeed
from tests.tap.conftest import bookmark_state, run_sync
from tests.tap.stock_movement_data import CHILDREN, TEMPLATES, record, stock_movement_dataset
from tests.tap.test_cli_and_catalog import DERIVED as CATALOG_DERIVED
from tests.tap.wire_data import ts

#: Stream -> (wire entity, path, incremental on timeStamp).
STREAMS = {
    "orders": ("Order", "/Order.json", True),
    "transfers": ("Transfer", "/Inventory/Transfer.json", True),
    "transfer_items": ("TransferItem", "/TransferItem.json", True),
    "inventory_counts": ("InventoryCount", "/InventoryCount.json", False),
    "inventory_count_items": ("InventoryCountItem", "/InventoryCountItem.json", False),
    "vendor_returns": ("VendorReturn", "/VendorReturn.json", True),
    "workorders": ("Workorder", "/Workorder.json", True),
    "special_orders": ("SpecialOrder", "/SpecialOrder.json", True),
}
#: Derived stream -> (parent stream, relation, row key, parent key, marker, parent's field).
DERIVED = {
    stream: spec
    for stream, spec in CATALOG_DERIVED.items()
    if stream in {"order_lines", "vendor_return_items"}
}
PYTHON_TYPES = {"integer": int, "number": (int, float), "boolean": bool, "string": str}


@pytest.fixture
def movements_api(api):
    """The fake API holding the stock-movement dataset (five records per entity)."""
    api.data.update(stock_movement_dataset())
    return api


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _requests_for(api, path: str) -> list[str]:
    return [url for url in api.list_requests() if urlsplit(url).path.endswith(path)]


def _assert_typed(config: dict, stream: str, row: dict) -> None:
    """Every value has its schema's type; timestamps are normalised UTC."""
    tap = TapLightspeed(config=config, parse_env_config=False)
    properties = tap.streams[stream].schema["properties"]
    for name, value in row.items():
        if value is None or name == "_extra_fields" or name not in properties:
            continue
        kind = next(k for k in properties[name]["type"] if k != "null")
        if kind == "array":
            assert isinstance(value, list), (stream, name, value)
            continue
        assert isinstance(value, PYTHON_TYPES[kind]), (stream, name, value)
        if kind != "boolean":
            assert not isinstance(value, bool), (stream, name, value)
        if properties[name].get("format") == "date-time":
            assert value.endswith("+00:00"), (stream, name, value)


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_records_typed_with_archived_rows(movements_api, config, stream):
    entity, path, _ = STREAMS[stream]
    key, template, archivable = TEMPLATES[entity]
    rows = run_sync(config, streams={stream}).records[stream]
    assert sorted(row[key] for row in rows) == [1, 2, 3, 4, 5]
    for row in rows:
        _assert_typed(config, stream, row)
        assert not row.get("_extra_fields")
        assert set(template) <= set(row)  # every documented field of the sample is kept
    third = next(row for row in rows if row[key] == 3)
    assert third["timeStamp"] == ts(10)
    if archivable:
        assert third["archived"] is True
        assert [row[key] for row in rows if row["archived"]] == [3]
    first = _requests_for(movements_api, path)[0]
    assert _query(first).get("archived") == (["true"] if archivable else None)


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_one_request_per_page_in_the_documented_order(movements_api, config, stream):
    entity, path, incremental = STREAMS[stream]
    run_sync(config, streams={stream})
    requests = movements_api.list_requests()
    assert len(requests) == 3  # five records, pages of two: 2, 2 and 1 (an object)
    assert all(urlsplit(url).path.endswith(path) for url in requests)
    first = _query(requests[0])
    assert first.get("sort") == (["timeStamp"] if incremental else None)
    relation = CHILDREN.get(entity, (None,))[0]
    assert first.get("load_relations") == ([f'["{relation}"]'] if relation else None)


@pytest.mark.parametrize("stream", sorted(s for s, spec in STREAMS.items() if spec[2]))
def test_incremental_streams_resume_from_their_bookmark(movements_api, config, stream):
    entity = STREAMS[stream][0]
    key = TEMPLATES[entity][0]
    first = run_sync(config, streams={stream})
    bookmark = first.states[-1]["bookmarks"][stream]
    assert bookmark["replication_key"] == "timeStamp"
    assert bookmark["replication_key_value"] == ts(30)
    movements_api.mocker.reset_mock()
    movements_api.put(entity, record(entity, 6, 40))
    again = run_sync(config, streams={stream}, state=bookmark_state(stream, "timeStamp", ts(20)))
    assert again.ids(stream, key) == [4, 5, 6]
    assert _query(movements_api.list_requests()[0])["timeStamp"] == [f">=,{ts(20)}"]
    assert again.states[-1]["bookmarks"][stream]["replication_key_value"] == ts(40)


@pytest.mark.parametrize("stream", sorted(s for s, spec in STREAMS.items() if not spec[2]))
def test_full_table_streams_read_everything_every_time(movements_api, config, stream):
    entity = STREAMS[stream][0]
    key = TEMPLATES[entity][0]
    first = run_sync(config, streams={stream})
    assert "replication_key_value" not in first.states[-1]["bookmarks"].get(stream, {})
    again = run_sync(config, streams={stream}, state=first.states[-1])
    assert sorted(again.ids(stream, key)) == [1, 2, 3, 4, 5]
    assert all("timeStamp" not in _query(url) for url in movements_api.list_requests())


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_zero_records_come_without_the_resource_key(movements_api, config, stream):
    entity = STREAMS[stream][0]
    movements_api.data[entity] = []
    result = run_sync(config, streams={stream})
    assert result.error is None
    assert stream not in result.records
    assert stream in result.schemas
    assert movements_api.pages[-1] == {"@attributes": {"next": "", "previous": ""}}


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_a_single_record_comes_as_an_object(movements_api, config, stream):
    entity = STREAMS[stream][0]
    key = TEMPLATES[entity][0]
    movements_api.data[entity] = [record(entity, 7, 5)]
    result = run_sync(config, streams={stream})
    assert isinstance(movements_api.pages[-1][entity], dict)
    assert result.ids(stream, key) == [7]


@pytest.mark.parametrize("stream", sorted(DERIVED))
def test_child_rows_at_every_depth_of_the_wire(movements_api, config, stream):
    parent, relation, row_key, parent_key, marker, _ = DERIVED[stream]
    result = run_sync(config, streams={parent, stream})
    parents = {row[parent_key]: row for row in result.records[parent]}
    assert not parents[1][relation]  # "" on the wire: no child
    assert len(parents[2][relation]) == 1  # one child: an object on the wire
    assert len(parents[3][relation]) == 3
    rows = result.records[stream]
    assert [(row[parent_key], row[row_key]) for row in rows] == [
        (2, 200),
        (3, 300),
        (3, 301),
        (3, 302),
        (4, 400),
        (4, 401),
        (5, 500),
    ]
    for row in rows:
        _assert_typed(config, stream, row)
        assert row[marker] == parents[row[parent_key]]["timeStamp"]
        element = next(e for e in parents[row[parent_key]][relation] if e[row_key] == row[row_key])
        assert row["account_id"] == parents[row[parent_key]]["account_id"]
        assert row == {
            **element,
            "account_id": row["account_id"],
            parent_key: row[parent_key],
            marker: row[marker],
        }


@pytest.mark.parametrize("stream", sorted(DERIVED))
def test_child_rows_cost_no_request_of_their_own(movements_api, config, stream):
    parent = DERIVED[stream][0]
    run_sync(config, streams={parent})
    alone = movements_api.list_requests()
    movements_api.mocker.reset_mock()
    result = run_sync(config, streams={parent, stream})
    assert movements_api.list_requests() == alone
    assert len(result.records[stream]) == 7


@pytest.mark.parametrize("stream", sorted(DERIVED))
def test_child_rows_keep_their_own_bookmark(movements_api, config, stream):
    parent, _relation, row_key, parent_key, marker, _ = DERIVED[stream]
    result = run_sync(config, streams={stream})
    assert parent not in result.records  # read for the child stream only
    final = result.states[-1]["bookmarks"]
    assert final[stream] == {"replication_key": marker, "replication_key_value": ts(30)}
    again = run_sync(config, streams={stream}, state=bookmark_state(stream, marker, ts(20)))
    assert [row[parent_key] for row in again.records[stream]] == [4, 4, 5]
    assert all(row[row_key] // 100 == row[parent_key] for row in again.records[stream])
