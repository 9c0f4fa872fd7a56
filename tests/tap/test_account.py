"""``account_id``: every record names its account, first in every stream's schema and key."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lightspeed_client.client import LightspeedClient
from tap_lightspeed.tap import TapLightspeed
from tests.tap.conftest import catalog_for, run_sync
from tests.tap.fake_api import ACCOUNT_ID

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox

FAMILY = {"customers", "items", "images", "sales", "sale_lines", "sale_payments", "item_shops"}


def test_every_stream_starts_with_account_id_in_its_schema_and_key(config):
    for stream in TapLightspeed(config=config, parse_env_config=False).streams.values():
        assert next(iter(stream.schema["properties"])) == "account_id", stream.name
        assert stream.schema["properties"]["account_id"] == {"type": ["string"]}, stream.name
        assert stream.primary_keys[0] == "account_id", stream.name
        assert len(stream.primary_keys) == 2, stream.name  # the account, then the entity's id


def test_records_carry_the_configured_account(api, config):
    result = run_sync(config, streams=FAMILY)
    assert set(result.records) == FAMILY
    for stream, records in result.records.items():
        assert records, stream
        assert {r["account_id"] for r in records} == {ACCOUNT_ID}, stream
        assert result.schemas[stream]["key_properties"][0] == "account_id", stream


def test_the_account_is_discovered_once_when_not_configured(api, config):
    del config["account_id"]
    result = run_sync(config, streams=FAMILY)
    for stream, records in result.records.items():
        assert {r["account_id"] for r in records} == {ACCOUNT_ID}, stream
    asked = [r.url for r in api.mocker.request_history if r.path.endswith("/v3/account.json")]
    assert len(asked) == 1


def _without_account_id(catalog: dict) -> dict:
    """A catalog as an earlier version discovered it: no account_id, the entity's key alone."""
    old = copy.deepcopy(catalog)
    for entry in old["streams"]:
        entry["schema"]["properties"].pop("account_id")
        entry["key_properties"] = entry["key_properties"][1:]
        entry["metadata"] = [
            md for md in entry["metadata"] if md["breadcrumb"] != ["properties", "account_id"]
        ]
        for md in entry["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"]["table-key-properties"] = entry["key_properties"]
    return old


def test_an_older_input_catalog_keeps_its_shape_and_key(api, config):
    catalog = _without_account_id(catalog_for(config, {"customers", "sales", "sale_lines"}))
    result = run_sync(config, catalog=catalog)
    assert result.schemas["customers"]["key_properties"] == ["customerID"]
    assert result.schemas["sale_lines"]["key_properties"] == ["saleLineID"]
    for stream in ("customers", "sales", "sale_lines"):
        assert "account_id" not in result.schemas[stream]["schema"]["properties"], stream
        assert result.records[stream], stream
        assert all("account_id" not in r for r in result.records[stream]), stream


def test_two_sandbox_accounts_give_the_same_ids_with_their_own_account(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(accounts=2, bucket_enabled=False, customers=12, items=8, sales=6)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for index, account in enumerate(sb.account_ids):
        LightspeedClient.forget_all()
        config = sb.connection_settings(
            index, tmp_path / f"tokens-{index}.json", discover_account=True
        )
        runs[account] = run_sync(config, streams={"customers", "sales", "sale_lines"}).records
    first, second = sb.account_ids
    assert first != second
    for stream, key in (("customers", "customerID"), ("sales", "saleID")):
        ids = [{r[key] for r in runs[a][stream]} for a in (first, second)]
        assert ids[0] & ids[1], stream  # the same ids in both accounts...
        for account in (first, second):
            assert {r["account_id"] for r in runs[account][stream]} == {account}, stream
            expected = {int(r[key]) for r in sb.records(account, stream.title()[:-1])}
            assert {r[key] for r in runs[account][stream]} == expected, stream
        keys = {(r["account_id"], r[key]) for a in (first, second) for r in runs[a][stream]}
        # ...so only (account_id, id) tells every row apart.
        assert len(keys) == sum(len(runs[a][stream]) for a in (first, second)), stream


@pytest.mark.parametrize("stream", ["customers", "sale_lines"])
def test_account_id_is_a_key_property_that_cannot_be_deselected(config, stream):
    catalog = catalog_for(config, {stream})
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == stream)
    crumb = next(md for md in entry["metadata"] if md["breadcrumb"] == ["properties", "account_id"])
    assert crumb["metadata"]["inclusion"] == "automatic"
