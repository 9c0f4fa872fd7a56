"""Incremental state: resumable, boundary second repeated, nothing missed, changes come back."""

from __future__ import annotations

import copy
import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from tap_lightspeed.client import LightspeedStream
from tap_lightspeed.tap import TapLightspeed
from tests.tap.conftest import bookmark_state, run_sync
from tests.tap.wire_data import customer, image, sale, ts

SORTED_STREAMS = [("customers", "Customer", "customerID"), ("sales", "Sale", "saleID")]
REPLICATION_KEYS = {"sales": "updatetime"}  # the others: timeStamp

#: STATE messages written by the tap before sales followed ``updatetime`` (main at 763523d,
#: standard dataset, STATE after every record): the last one of a complete sync, and the last
#: one of a sync whose third page failed.
LEGACY_SALES_STATES = {
    "complete": {
        "bookmarks": {
            "sales": {
                "replication_key": "timeStamp",
                "replication_key_value": "2024-03-01T10:00:36+00:00",
            }
        }
    },
    "interrupted": {
        "bookmarks": {
            "sales": {
                "replication_key_signpost": "2026-12-02T07:16:50+00:00",
                "starting_replication_value": None,
                "replication_key": "timeStamp",
                "replication_key_value": "2024-03-01T10:00:12+00:00",
            }
        }
    },
}
ALL_SORTED_STREAMS = [
    *SORTED_STREAMS,
    ("items", "Item", "itemID"),
    ("item_shops", "ItemShop", "itemShopID"),
]


@pytest.fixture
def frequent_state(monkeypatch):
    """A STATE message after every record, so that every record is a possible resume point."""
    monkeypatch.setattr(LightspeedStream, "STATE_MSG_FREQUENCY", 1)


def test_sorted_streams_are_declared_sorted_and_images_not(config):
    streams = TapLightspeed(config=config, parse_env_config=False).streams
    assert streams["customers"].is_sorted
    assert streams["items"].is_sorted
    assert streams["sales"].is_sorted
    assert streams["item_shops"].is_sorted
    assert not streams["images"].is_sorted
    assert all(s.check_sorted for s in streams.values())


@pytest.mark.usefixtures("frequent_state")
@pytest.mark.parametrize(("stream", "entity", "key"), ALL_SORTED_STREAMS)
def test_resume_from_any_state_repeats_at_most_the_boundary_second(
    api, config, stream, entity, key
):
    full = run_sync(config, streams={stream})
    all_ids = {r[key] for r in full.records[stream]}
    assert len(all_ids) == len(api.data[entity])

    emitted: list[dict] = []
    resume_points = []
    for message in full.messages:
        if message["type"] == "RECORD" and message["stream"] == stream:
            emitted.append(message["record"])
        elif message["type"] == "STATE":
            bookmark = message["value"].get("bookmarks", {}).get(stream, {})
            if "replication_key_value" in bookmark:
                resume_points.append((list(emitted), message["value"]))
    assert len(resume_points) >= 3

    for before, state in resume_points:
        bookmark = state["bookmarks"][stream]["replication_key_value"]
        resumed = run_sync(config, state=state, streams={stream})
        again = resumed.records[stream]
        seen_before = {r[key] for r in before}
        assert seen_before | {r[key] for r in again} == all_ids, bookmark
        repeated = [r for r in again if r[key] in seen_before]
        replication_key = REPLICATION_KEYS.get(stream, "timeStamp")
        assert all(r[replication_key] == bookmark for r in repeated), (bookmark, repeated)


@pytest.mark.usefixtures("frequent_state")
def test_sync_interrupted_by_a_failure_resumes_from_its_last_state(api, config):
    api.faults[3] = 404  # the third page fails for good
    broken = run_sync(config, streams={"customers"}, raise_errors=False)
    assert broken.error is not None
    got = {r["customerID"] for r in broken.records["customers"]}
    assert got == {1, 2, 3, 4}
    state = broken.states[-1]
    assert state["bookmarks"]["customers"]["replication_key_value"] == ts(10)

    resumed = run_sync(config, state=state, streams={"customers"})
    again = resumed.ids("customers", "customerID")
    assert got | set(again) == {1, 2, 3, 4, 5, 6, 7}
    assert sorted(set(again) & got) == [3, 4]  # the boundary second (ts 10) only


@pytest.mark.parametrize(("stream", "entity", "key"), SORTED_STREAMS)
def test_changed_record_comes_back_on_the_next_run(api, config, stream, entity, key):
    first = run_sync(config, streams={stream})
    state = first.states[-1]
    bookmark = state["bookmarks"][stream]["replication_key_value"]
    changed = {
        "Customer": customer(2, 100, firstName="Renamed"),
        "Sale": sale(2, 100, referenceNumber="CHANGED"),
    }[entity]
    api.put(entity, changed)
    replication_key = REPLICATION_KEYS.get(stream, "timeStamp")

    second = run_sync(config, state=state, streams={stream})
    records = {r[key]: r for r in second.records[stream]}
    assert 2 in records
    assert records[2][replication_key] == ts(100)
    field, value = (
        ("firstName", "Renamed") if entity == "Customer" else ("referenceNumber", "CHANGED")
    )
    assert records[2][field] == value
    # Only the changed record and those at the old bookmark's second come back.
    assert all(r[replication_key] in {bookmark, ts(100)} for r in records.values())
    assert second.states[-1]["bookmarks"][stream]["replication_key_value"] == ts(100)


def test_unchanged_source_repeats_only_the_boundary_second(api, config):
    first = run_sync(config, streams={"sales"})
    second = run_sync(config, state=first.states[-1], streams={"sales"})
    assert second.ids("sales", "saleID") == [1]  # the last second, asked again with >=


def test_sale_voided_after_completion_comes_back_on_the_next_run(api, config):
    first = run_sync(config, streams={"sales"})
    assert first.states[-1]["bookmarks"]["sales"] == {
        "replication_key": "updatetime",
        "replication_key_value": ts(40),
    }
    # Sale 3 was completed at second 12; voiding it at second 90 leaves its timeStamp alone.
    api.put("Sale", sale(3, 12, lines=3, payments=2, updated=90, voided="true"))

    second = run_sync(config, state=first.states[-1], streams={"sales"})
    records = {r["saleID"]: r for r in second.records["sales"]}
    assert set(records) == {1, 3}  # the boundary second (40), and the voided sale
    assert records[3]["voided"] is True
    assert records[3]["timeStamp"] == ts(12)
    assert records[3]["updatetime"] == ts(90)
    assert second.states[-1]["bookmarks"]["sales"]["replication_key_value"] == ts(90)


@pytest.mark.parametrize("shape", sorted(LEGACY_SALES_STATES))
def test_timestamp_bookmark_of_the_previous_version_resumes_on_updatetime(api, config, shape):
    state = copy.deepcopy(LEGACY_SALES_STATES[shape])
    bookmark = state["bookmarks"]["sales"]["replication_key_value"]
    # Sale 3 (completed at second 12) is voided at second 50, after the bookmark was saved.
    api.put("Sale", sale(3, 12, lines=3, payments=2, updated=50, voided="true"))

    result = run_sync(config, state=state, streams={"sales"})
    first_url = api.list_requests()[0]
    assert "sort=updatetime" in first_url
    assert parse_qs(urlsplit(first_url).query)["updatetime"] == [f">=,{bookmark}"]
    records = {r["saleID"]: r for r in result.records["sales"]}
    # Never from scratch, never skipping: exactly the sales changed at or after the bookmark.
    expected = {int(r["saleID"]) for r in api.data["Sale"] if r["updatetime"] >= bookmark}
    assert set(records) == expected
    assert 3 in records
    assert records[3]["voided"] is True
    assert result.states[-1]["bookmarks"]["sales"] == {
        "replication_key": "updatetime",
        "replication_key_value": ts(50),
    }


def test_legacy_bookmark_value_is_normalised_to_utc(api, config):
    state = bookmark_state("sales", "timeStamp", "2024-03-01T05:00:24-05:00")
    result = run_sync(config, state=state, streams={"sales"})
    query = parse_qs(urlsplit(api.list_requests()[0]).query)
    assert query["updatetime"] == [">=,2024-03-01T10:00:24+00:00"]
    assert sorted(result.ids("sales", "saleID")) == [1, 5, 6]


def test_images_changed_record_comes_back_and_bookmark_only_at_the_end(api, config):
    first = run_sync(config, streams={"images"})
    state = first.states[-1]
    assert state["bookmarks"]["images"] == {
        "replication_key": "timeStamp",
        "replication_key_value": ts(40),
    }
    api.put("Image", image(1, 70, description="new crop"))
    second = run_sync(config, state=state, streams={"images"})
    records = {r["imageID"]: r for r in second.records["images"]}
    assert set(records) == {1, 4}  # changed, and the boundary second
    assert records[1]["description"] == "new crop"
    assert second.states[-1]["bookmarks"]["images"]["replication_key_value"] == ts(70)


@pytest.mark.usefixtures("frequent_state")
def test_interrupted_unsorted_images_sync_keeps_the_previous_bookmark(api, config):
    api.faults[2] = 404
    broken = run_sync(config, streams={"images"}, raise_errors=False)
    assert broken.error is not None
    for state in broken.states:
        images_state = state.get("bookmarks", {}).get("images", {})
        assert "replication_key_value" not in images_state  # only in progress_markers


def test_images_bookmark_never_passes_the_sync_start(api, config):
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    api.put("Image", image(9, 0, timeStamp=future.strftime("%Y-%m-%dT%H:%M:%S+00:00")))
    before = dt.datetime.now(dt.timezone.utc)
    result = run_sync(config, streams={"images"})
    assert 9 in result.ids("images", "imageID")
    bookmark = dt.datetime.fromisoformat(
        result.states[-1]["bookmarks"]["images"]["replication_key_value"]
    )
    assert bookmark <= before
    assert bookmark >= before - dt.timedelta(minutes=6)


def test_records_older_than_the_bookmark_are_not_emitted(api, config):
    # Should the API ignore the filter, records older than the bookmark are still left out.
    config["start_date"] = ts(20)
    api.mocker.register_uri(
        "GET",
        "https://api.lightspeed.test/API/V3/Account/120645/Sale.json",
        json={"@attributes": {"next": ""}, "Sale": [sale(1, 0), sale(5, 24), sale(6, 36)]},
        headers={"X-LS-API-Bucket-Level": "1/90"},
    )
    result = run_sync(config, streams={"sales"})
    assert result.ids("sales", "saleID") == [5, 6]
