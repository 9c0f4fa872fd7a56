"""sale_lines and sale_payments: rows of the sales read, no request of their own, own bookmark."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.tap.conftest import bookmark_state, catalog_for, run_sync
from tests.tap.fake_api import ACCOUNT_ID
from tests.tap.wire_data import sale, ts

DERIVED = {
    "sale_lines": ("SaleLines", "saleLineID"),
    "sale_payments": ("SalePayments", "salePaymentID"),
}
FAMILY = {"sales", *DERIVED}


def _updatetime_filter(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("updatetime")
    return values[0] if values else None


@pytest.mark.parametrize("stream", sorted(DERIVED))
def test_one_row_per_element_with_its_sale_id_and_updatetime(api, config, stream):
    relation, key = DERIVED[stream]
    records = run_sync(config, streams=FAMILY).records
    expected = [
        {
            **element,
            "saleID": sale_record["saleID"],
            "sale_updatetime": sale_record["updatetime"],
            "account_id": ACCOUNT_ID,
        }
        for sale_record in records["sales"]
        for element in sale_record[relation]
    ]
    assert records[stream] == expected
    # Sales 1..6 of the standard dataset: 1, 0, 3, 2, 1, 2 lines; 1, 0, 2, 1, 0, 1 payments.
    assert len(expected) == (9 if stream == "sale_lines" else 5)
    assert len({row[key] for row in expected}) == len(expected)
    line = next(r for r in records["sale_lines"] if r["saleLineID"] == 301)
    assert line["saleID"] == 3
    assert line["sale_updatetime"] == ts(12)
    assert line["itemFeeID"] == 3
    assert line["unitPrice"] == 13.95


def test_no_request_of_their_own(api, config):
    run_sync(config, streams={"sales"})
    alone = api.list_requests()
    api.mocker.reset_mock()
    result = run_sync(config, streams=FAMILY)
    assert api.list_requests() == alone  # the same pages, nothing more
    assert all("/Sale.json" in url for url in alone)
    assert len(result.records["sale_lines"]) == 9


def test_deselected_sales_still_feed_the_derived_streams(api, config):
    result = run_sync(config, streams={"sale_lines"})
    assert "sales" not in result.records
    assert "sales" not in result.schemas
    assert "sale_payments" not in result.records
    assert sorted(result.ids("sale_lines", "saleLineID")) == [
        100,
        300,
        301,
        302,
        400,
        401,
        500,
        600,
        601,
    ]
    final = result.states[-1]["bookmarks"]
    assert "replication_key" not in final.get("sales", {})  # sales has no bookmark


def test_deselected_derived_streams_emit_nothing(api, config):
    result = run_sync(config, streams={"sales"})
    assert set(result.records) == {"sales"}
    assert set(result.schemas) == {"sales"}
    assert set(result.states[-1]["bookmarks"]) == {"sales"}


def test_the_nested_arrays_can_be_deselected_on_sales_alone(api, config):
    catalog = catalog_for(config, FAMILY)
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "sales")
    for md in entry["metadata"]:
        if md["breadcrumb"] in (["properties", "SaleLines"], ["properties", "SalePayments"]):
            md["metadata"]["selected"] = False
    result = run_sync(config, catalog=catalog)
    assert all("SaleLines" not in r and "SalePayments" not in r for r in result.records["sales"])
    assert len(result.records["sale_lines"]) == 9
    assert len(result.records["sale_payments"]) == 5


def test_wire_quirks_one_element_empty_and_missing_collections(api, config):
    missing = sale(7, 50)
    del missing["SaleLines"], missing["SalePayments"]
    api.data["Sale"] = [
        sale(1, 10, lines=1, payments=1),  # one element: an object, not a list
        sale(2, 20, lines=0, payments=0),  # empty: ""
        missing,  # no key at all
        sale(8, 60, lines=3, payments=2),
    ]
    assert isinstance(api.data["Sale"][0]["SaleLines"]["SaleLine"], dict)
    assert api.data["Sale"][1]["SaleLines"] == ""
    result = run_sync(config, streams=FAMILY)
    assert [(r["saleID"], r["saleLineID"]) for r in result.records["sale_lines"]] == [
        (1, 100),
        (8, 800),
        (8, 801),
        (8, 802),
    ]
    assert [(r["saleID"], r["salePaymentID"]) for r in result.records["sale_payments"]] == [
        (1, 10),
        (8, 80),
        (8, 81),
    ]
    assert result.ids("sales", "saleID") == [1, 2, 7, 8]


def test_an_edited_sale_re_emits_its_lines_in_the_next_run(api, config):
    first = run_sync(config, streams=FAMILY)
    state = first.states[-1]
    assert state["bookmarks"]["sale_lines"] == {
        "replication_key": "sale_updatetime",
        "replication_key_value": ts(40),
    }
    # Sale 3 (completed at second 12) is edited at second 90: a line is removed.
    api.put("Sale", sale(3, 12, lines=2, payments=2, updated=90))
    second = run_sync(config, state=state, streams=FAMILY)
    lines = [
        (r["saleID"], r["saleLineID"], r["sale_updatetime"]) for r in second.records["sale_lines"]
    ]
    # Sale 1 is the boundary second (asked again with >=), then sale 3 with its two lines.
    assert lines == [(1, 100, ts(40)), (3, 300, ts(90)), (3, 301, ts(90))]
    assert second.states[-1]["bookmarks"]["sale_lines"]["replication_key_value"] == ts(90)
    assert second.states[-1]["bookmarks"]["sale_payments"]["replication_key_value"] == ts(90)


def test_incremental_with_sales_deselected(api, config):
    first = run_sync(config, streams={"sale_lines"})
    api.put("Sale", sale(6, 36, lines=1, payments=1, updated=70))
    api.mocker.reset_mock()
    second = run_sync(config, state=first.states[-1], streams={"sale_lines"})
    assert _updatetime_filter(api.list_requests()[0]) == f">=,{ts(40)}"
    assert [(r["saleID"], r["saleLineID"]) for r in second.records["sale_lines"]] == [
        (1, 100),
        (6, 600),
    ]


def test_sales_read_from_the_earliest_bookmark_of_the_selected_streams(api, config):
    state = {
        "bookmarks": {
            "sales": {"replication_key": "updatetime", "replication_key_value": ts(36)},
            "sale_lines": {"replication_key": "sale_updatetime", "replication_key_value": ts(12)},
        }
    }
    result = run_sync(config, state=state, streams={"sales", "sale_lines"})
    assert _updatetime_filter(api.list_requests()[0]) == f">=,{ts(12)}"
    # Each stream follows its own bookmark: the sales changed from second 12 are read, those
    # changed from second 36 emitted as sales, those from second 12 give lines.
    assert result.ids("sales", "saleID") == [6, 1]
    assert {r["saleID"] for r in result.records["sale_lines"]} == {1, 3, 4, 5, 6}

    api.mocker.reset_mock()
    newer = bookmark_state("sale_lines", "sale_updatetime", ts(36))
    newer["bookmarks"]["sales"] = {"replication_key": "updatetime", "replication_key_value": ts(12)}
    result = run_sync(config, state=newer, streams={"sales", "sale_lines"})
    assert _updatetime_filter(api.list_requests()[0]) == f">=,{ts(12)}"
    assert sorted(result.ids("sales", "saleID")) == [1, 3, 4, 5, 6]
    assert [r["saleID"] for r in result.records["sale_lines"]] == [6, 6, 1]  # changed >= 36


def test_a_derived_stream_without_bookmark_reads_all_sales_again(api, config):
    state = bookmark_state("sales", "updatetime", ts(36))
    result = run_sync(config, state=state, streams=FAMILY)
    assert _updatetime_filter(api.list_requests()[0]) is None
    assert len(result.records["sale_lines"]) == 9
    assert result.ids("sales", "saleID") == [6, 1]  # from the sales bookmark only


def test_state_stays_small_with_many_sales(api, config):
    api.data["Sale"] = [sale(i, i, lines=1 + i % 3, payments=1) for i in range(1, 201)]
    config["page_size"] = 20
    result = run_sync(config, streams=FAMILY)
    assert len(result.records["sale_lines"]) == sum(1 + i % 3 for i in range(1, 201))
    final = result.states[-1]["bookmarks"]
    assert final == {
        "sales": {"replication_key": "updatetime", "replication_key_value": ts(200)},
        "sale_lines": {"replication_key": "sale_updatetime", "replication_key_value": ts(200)},
        "sale_payments": {"replication_key": "sale_updatetime", "replication_key_value": ts(200)},
    }
    # One STATE per derived stream and page at most, each the same few bookmarks (no
    # partition per sale), whatever the number of sales.
    assert len(result.states) <= 2 * 10 + 3
    assert max(len(json.dumps(state)) for state in result.states) < 800
    assert len(result.schemas) == 3


def test_an_interrupted_sync_resumes_the_derived_streams_from_their_last_state(api, config):
    api.faults[3] = 404  # the third page fails for good
    broken = run_sync(config, streams={"sale_lines"}, raise_errors=False)
    assert broken.error is not None
    got = {r["saleLineID"] for r in broken.records["sale_lines"]}
    assert got == {300, 301, 302, 400, 401, 500}  # pages 1 and 2: sales 2, 3, 4, 5
    state = broken.states[-1]
    assert state["bookmarks"]["sale_lines"]["replication_key_value"] == ts(24)

    resumed = run_sync(config, state=state, streams={"sale_lines"})
    again = {r["saleLineID"] for r in resumed.records["sale_lines"]}
    assert got | again == {100, 300, 301, 302, 400, 401, 500, 600, 601}
    assert again & got == {500}  # the boundary second (ts 24) only


def test_an_element_without_its_id_is_left_out_with_a_warning(api, config, caplog):
    api.data["Sale"] = [sale(1, 0, lines=3)]
    del api.data["Sale"][0]["SaleLines"]["SaleLine"][1]["saleLineID"]
    caplog.set_level(logging.WARNING)
    result = run_sync(config, streams=FAMILY)
    assert result.ids("sale_lines", "saleLineID") == [100, 102]
    assert len(result.records["sales"][0]["SaleLines"]) == 3  # sales keeps what came
    assert any(
        "'sale_lines'" in r.getMessage()
        and "Sale 1" in r.getMessage()
        and "saleLineID" in r.getMessage()
        for r in caplog.records
    )


def test_start_date_applies_to_the_derived_streams(api, config):
    config["start_date"] = ts(20)
    result = run_sync(config, streams={"sale_lines"})
    assert _updatetime_filter(api.list_requests()[0]) == f">=,{ts(20)}"
    assert [r["saleID"] for r in result.records["sale_lines"]] == [5, 6, 6, 1]
