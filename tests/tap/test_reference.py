"""The reference streams (shops, registers, employees, categories, ...), one test per stream.

Against the sandbox, which serves each table as its official page documents it (fields,
sortable fields, archiving): records typed and complete, archived rows present, STATE for
the incremental streams, the whole table each time for the full-table ones. Against the fake
API: the wire quirks (one record as an object, zero records without the key, ``""`` for an
empty object).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from jsonschema import Draft7Validator, FormatChecker

from lightspeed_client.client import LightspeedClient
from lightspeed_sandbox import Sandbox
from tap_lightspeed.client import SCHEMAS
from tap_lightspeed.streams import REFERENCE_STREAM_TYPES, CreditAccountsStream, ReferenceStream
from tests.tap.conftest import run_sync
from tests.tap.wire_data import reference_row

if TYPE_CHECKING:
    from tests.tap.fake_api import FakeLightspeed

STREAMS = {stream.name: stream for stream in REFERENCE_STREAM_TYPES}
INCREMENTAL = sorted(name for name, stream in STREAMS.items() if not stream.full_table)
FULL_TABLE = sorted(name for name, stream in STREAMS.items() if stream.full_table)
ARCHIVING = sorted(name for name, stream in STREAMS.items() if stream.include_archived)
#: Fields that put every fake row in a stream's first request sequence (see ``_passes``).
FIRST_PASS_ONLY = {CreditAccountsStream.name: {"giftCard": "false"}}


def _passes(name: str, records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A sync's records per request sequence, in order: one, but two for credit accounts.

    ``credit_accounts`` reads the store credit, then the gift cards (``giftCard=true``).
    """
    if name != CreditAccountsStream.name:
        return [records]
    passes = [
        [r for r in records if r["giftCard"] is gift_cards]
        for gift_cards in CreditAccountsStream.GIFT_CARD_PASSES
    ]
    assert [r for run in passes for r in run] == records  # every row once, pass after pass
    return passes


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One small store for the module (its reference tables do not depend on the volumes)."""
    sb = Sandbox(seed=5, customers=10, items=10, sales=10, bucket_enabled=False).start()
    yield sb
    sb.stop()


@pytest.fixture
def sandbox_config(sandbox: Sandbox, tmp_path: Path) -> Iterator[dict[str, Any]]:
    LightspeedClient.forget_all()
    yield sandbox.connection_settings(0, tmp_path / "tokens.json", page_size=2)
    LightspeedClient.forget_all()


def _table_rows(sandbox: Sandbox, entity: str) -> dict[int, dict[str, Any]]:
    table = sandbox.app.accounts[sandbox.account_ids[0]].tables[entity]
    return {rid: table.get(rid) for rid in range(1, table.n + 1)}


def _requests_of(result_urls: list[str], entity: str) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(url).query)
        for url in result_urls
        if urlsplit(url).path.endswith(f"/{entity}.json")
    ]


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_every_row_comes_typed_with_no_unknown_field(sandbox, sandbox_config, name):
    stream = STREAMS[name]
    key = stream.primary_keys[0]
    result = run_sync(sandbox_config, streams={name})
    records = result.records[name]
    expected = _table_rows(sandbox, stream.entity)
    assert len(expected) >= 3  # a handful, so that paging (page_size 2) is exercised
    assert sorted(r[key] for r in records) == sorted(expected)
    validator = Draft7Validator(SCHEMAS.get_schema(name), format_checker=FormatChecker())
    for record in records:
        assert not list(validator.iter_errors(record)), record
        assert not record.get("_extra_fields"), record
        wire = expected[record[key]]
        assert set(wire) - {"Contact"} <= set(record), set(wire) - set(record)
    assert set(result.records) == {name}


@pytest.mark.parametrize("name", ARCHIVING)
def test_archived_rows_come_too(sandbox_config, name):
    records = run_sync(sandbox_config, streams={name}).records[name]
    archived = [r for r in records if r["archived"] is True]
    assert archived, f"{name}: the sandbox has archived rows; none came"
    assert any(r["archived"] is False for r in records)


@pytest.mark.parametrize("name", sorted(set(STREAMS) - set(ARCHIVING)))
def test_entities_that_do_not_archive_are_not_asked_to(name):
    stream = STREAMS[name]
    assert stream.include_archived is False
    assert "archived" not in SCHEMAS.get_schema(name)["properties"]


@pytest.mark.parametrize("name", INCREMENTAL)
def test_incremental_streams_resume_from_their_bookmark(sandbox_config, name):
    stream = STREAMS[name]
    first = run_sync(sandbox_config, streams={name})
    stamps = [r["timeStamp"] for r in first.records[name]]
    for run in _passes(name, first.records[name]):
        run_stamps = [r["timeStamp"] for r in run]
        assert run_stamps == sorted(run_stamps)  # sorted by timeStamp, as the endpoint can
    bookmark = first.states[-1]["bookmarks"][name]
    assert bookmark["replication_key"] == "timeStamp"
    assert bookmark["replication_key_value"] == max(stamps)

    second = run_sync(sandbox_config, streams={name}, state=first.states[-1])
    again = second.records[name]
    assert again, "the boundary second is read again"
    assert all(r["timeStamp"] >= max(stamps) for r in again)
    assert len(again) < len(stamps)
    assert {r[stream.primary_keys[0]] for r in again} <= {
        r[stream.primary_keys[0]] for r in first.records[name]
    }


@pytest.mark.parametrize("name", FULL_TABLE)
def test_full_table_streams_read_the_whole_table_every_time(sandbox_config, name):
    stream = STREAMS[name]
    key = stream.primary_keys[0]
    first = run_sync(sandbox_config, streams={name})
    ids = [r[key] for r in first.records[name]]
    assert ids == sorted(ids)  # sorted by id: the only sort the endpoint knows
    bookmark = first.states[-1].get("bookmarks", {}).get(name, {})
    assert "replication_key_value" not in bookmark
    second = run_sync(sandbox_config, streams={name}, state=first.states[-1])
    assert [r[key] for r in second.records[name]] == ids


# -- Wire quirks, against the fake API ---------------------------------------------------


def _fake_run(
    api: FakeLightspeed, config: dict[str, Any], stream: type[ReferenceStream], rows: list[dict]
) -> tuple[list[dict], list[dict[str, list[str]]]]:
    api.data = {stream.entity: rows}
    result = run_sync(config, streams={stream.name})
    return result.records[stream.name], _requests_of(api.list_requests(), stream.entity)


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_request_asks_for_the_documented_sort_and_archived(api, config, name):
    stream = STREAMS[name]
    _, requests = _fake_run(api, config, stream, [reference_row(stream, 1, 0)])
    first = requests[0]
    expected_sort = stream.primary_keys[0] if stream.full_table else "timeStamp"
    assert first["sort"] == [expected_sort]
    assert ("archived" in first) is stream.include_archived
    assert ("timeStamp" in first) is (not stream.full_table and "start_date" in config)


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_one_record_pages_are_objects_and_zero_records_have_no_key(api, config, name):
    stream = STREAMS[name]
    key = stream.primary_keys[0]
    config["page_size"] = 1
    rows = [reference_row(stream, i, i * 10, **FIRST_PASS_ONLY.get(name, {})) for i in (1, 2, 3)]
    records, requests = _fake_run(api, config, stream, rows)
    assert [r[key] for r in records] == [1, 2, 3]
    later_passes = len(_passes(name, [])) - 1
    # three one-record pages (objects), then an empty one, then a later pass's empty page
    assert len(requests) == 4 + later_passes
    assert all(isinstance(page.get(stream.entity), dict) for page in api.pages[:3])
    assert all(stream.entity not in page for page in api.pages[3:])

    LightspeedClient.forget_all()
    api.pages.clear()
    records, _ = _fake_run(api, config, stream, [])
    assert records == []
    assert stream.entity not in api.pages[0]


@pytest.mark.parametrize(
    "name",
    sorted(
        name
        for name in STREAMS
        if any(
            "object" in p["type"] and n != "_extra_fields"
            for n, p in SCHEMAS.get_schema(name)["properties"].items()
        )
    ),
)
def test_empty_string_objects_read_as_null(api, config, name):
    stream = STREAMS[name]
    properties = SCHEMAS.get_schema(name)["properties"]
    objects = [n for n, p in properties.items() if "object" in p["type"] and n != "_extra_fields"]
    assert objects
    row = reference_row(stream, 1, 0, **dict.fromkeys(objects, ""))
    records, _ = _fake_run(api, config, stream, [row])
    assert [records[0][n] for n in objects] == [None] * len(objects)


# -- Credit accounts: store credit, then gift cards -----------------------------------------


def test_credit_accounts_read_store_credit_then_gift_cards(sandbox, sandbox_config):
    result = run_sync(sandbox_config, streams={"credit_accounts"})
    records = result.records["credit_accounts"]
    store_credit, gift_cards = _passes("credit_accounts", records)
    assert store_credit
    assert gift_cards
    assert all(r["customerID"] for r in store_credit)
    assert all(r["customerID"] == 0 and len(r["code"]) >= 8 for r in gift_cards)
    assert sorted(r["creditAccountID"] for r in records) == sorted(
        _table_rows(sandbox, "CreditAccount")
    )


@pytest.mark.parametrize("lists_all", [False, True], ids=["gift-cards-alone", "all-accounts"])
def test_credit_accounts_come_once_however_the_gift_card_query_reads(api, config, lists_all):
    """``giftCard=true`` lists the gift cards alone, or (another reading of the page) all."""
    api.gift_card_query_lists_all = lists_all
    rows = [
        reference_row(CreditAccountsStream, i, i * 10, giftCard="true" if i > 2 else "false")
        for i in (1, 2, 3, 4)
    ]
    records, requests = _fake_run(api, config, CreditAccountsStream, rows)
    assert [r["creditAccountID"] for r in records] == [1, 2, 3, 4]
    assert [r["giftCard"] for r in records] == [False, False, True, True]
    passes = ["giftCard" in q for q in requests]
    assert passes[0] is False
    assert passes[-1] is True
    assert passes == sorted(passes)  # every page of the store credit, then the gift cards
    first_gift_card_page = requests[passes.index(True)]
    assert first_gift_card_page["giftCard"] == ["true"]
    assert first_gift_card_page["sort"] == ["timeStamp"]
    assert first_gift_card_page["archived"] == ["true"]


@pytest.mark.parametrize("lists_all", [False, True], ids=["gift-cards-alone", "all-accounts"])
def test_a_credit_account_without_gift_card_flag_comes_once(api, config, lists_all):
    """A row whose ``giftCard`` is empty counts as store credit: it never comes twice."""
    api.gift_card_query_lists_all = lists_all
    rows = [reference_row(CreditAccountsStream, i, i * 10, giftCard="false") for i in (1, 2)]
    rows[1]["giftCard"] = ""
    records, _ = _fake_run(api, config, CreditAccountsStream, rows)
    assert [r["creditAccountID"] for r in records] == [1, 2]


# -- Item matrices: the official page's sample -----------------------------------------------

#: ``GET /ItemMatrix/{itemMatrixID}.json``'s sample response on the official page
#: (docs/endpoints/itemmatrix.md): the values of each attribute of the matrix's set come as
#: ``attribute1Values``, ``attribute2Values``.
ITEM_MATRIX_SAMPLE = {
    "itemMatrixID": "2",
    "description": "T-shirt",
    "tax": "true",
    "defaultCost": "0",
    "itemType": "default",
    "serialized": "false",
    "modelYear": "0",
    "archived": "false",
    "timeStamp": "2021-03-31T18:32:28+00:00",
    "itemAttributeSetID": "1",
    "manufacturerID": "0",
    "categoryID": "0",
    "defaultVendorID": "0",
    "taxClassID": "0",
    "seasonID": "0",
    "departmentID": "0",
    "Prices": {
        "ItemPrice": [
            {"amount": "20", "useTypeID": "1", "useType": "Default"},
            {"amount": "0", "useTypeID": "2", "useType": "MSRP"},
            {"amount": "0", "useTypeID": "3", "useType": "Online"},
        ]
    },
    "attribute1Values": ["Black", "White"],
    "attribute2Values": ["Small", "Medium", "Large"],
}


def test_item_matrices_read_the_documented_sample_whole(api, config, caplog):
    stream = STREAMS["item_matrices"]
    records, _ = _fake_run(api, config, stream, [ITEM_MATRIX_SAMPLE])
    (matrix,) = records
    assert "not in the schema" not in caplog.text
    assert "_extra_fields" not in matrix
    assert matrix["attribute1Values"] == ["Black", "White"]
    assert matrix["attribute2Values"] == ["Small", "Medium", "Large"]
    assert "attribute3Values" not in matrix  # a two-attribute set: not sent, not invented
    assert [price["amount"] for price in matrix["Prices"]] == [20, 0, 0]
    assert matrix["itemAttributeSetID"] == 1
