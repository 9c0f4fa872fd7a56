"""Fixtures for tap-lightspeed tests: a fake API on requests-mock and a sync runner."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests_mock

from lightspeed_client.client import LightspeedClient
from tap_lightspeed.tap import TapLightspeed
from tests.tap.fake_api import ACCOUNT_ID, API_URL, FIRST_REFRESH_TOKEN, TOKEN_URL, FakeLightspeed
from tests.tap.wire_data import standard_dataset

STREAM_ENTITIES = {
    "customers": "Customer",
    "items": "Item",
    "images": "Image",
    "sales": "Sale",
    "item_shops": "ItemShop",
}


def base_config(token_store: str, **overrides: Any) -> dict[str, Any]:
    """A complete tap config pointing at the fake API."""
    config = {
        "client_id": "test-client",
        "client_secret": "test-secret",
        "refresh_token": FIRST_REFRESH_TOKEN,
        "account_id": ACCOUNT_ID,
        "api_url": API_URL,
        "token_url": TOKEN_URL,
        "token_store": token_store,
        "max_retries": 3,
        "page_size": 2,
    }
    config.update(overrides)
    return config


def fast_retries(config: dict[str, Any]) -> None:
    """Make the shared client's retry backoff instant for this config."""
    LightspeedClient.for_config(config).session.backoff_base = 0.0


@dataclass
class SyncResult:
    """What a sync wrote (parsed Singer messages) and the error that ended it, if any."""

    messages: list[dict] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def records(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = defaultdict(list)
        for message in self.messages:
            if message["type"] == "RECORD":
                out[message["stream"]].append(message["record"])
        return out

    @property
    def states(self) -> list[dict]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def schemas(self) -> dict[str, dict]:
        return {m["stream"]: m for m in self.messages if m["type"] == "SCHEMA"}

    def ids(self, stream: str, key: str) -> list[int]:
        return [r[key] for r in self.records[stream]]


def bookmark_state(stream: str, replication_key: str, value: str) -> dict:
    """A STATE holding one completed bookmark, as the SDK writes it."""
    return {
        "bookmarks": {stream: {"replication_key": replication_key, "replication_key_value": value}}
    }


def catalog_for(config: dict[str, Any], streams: set[str]) -> dict:
    """A discovered catalog with exactly ``streams`` selected."""
    catalog = TapLightspeed(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def run_sync(
    config: dict[str, Any],
    *,
    state: dict | None = None,
    streams: set[str] | None = None,
    catalog: dict | None = None,
    raise_errors: bool = True,
) -> SyncResult:
    """Run a full tap sync in-process and parse what it wrote to stdout."""
    if catalog is None and streams is not None:
        catalog = catalog_for(config, streams)
    tap = TapLightspeed(config=config, state=state, catalog=catalog, parse_env_config=False)
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    result = SyncResult()
    try:
        with redirect_stdout(buffer):
            tap.sync_all()
    except Exception as exc:
        if raise_errors:
            raise
        result.error = exc
    buffer.flush()
    raw = buffer.buffer.getvalue().decode()  # type: ignore[attr-defined]
    result.messages = [json.loads(line) for line in raw.splitlines() if line.strip()]
    return result


@pytest.fixture(autouse=True)
def _fresh_clients() -> Any:
    """Every test starts with no shared client (no cached tokens or pacing)."""
    LightspeedClient.forget_all()
    yield
    LightspeedClient.forget_all()


@pytest.fixture
def api() -> Any:
    """The fake API with the standard dataset, active for the test."""
    with requests_mock.Mocker() as mocker:
        yield FakeLightspeed(mocker, data=standard_dataset())


@pytest.fixture
def config(tmp_path: Any) -> dict[str, Any]:
    """A config for the fake API with a private token store and instant retries."""
    cfg = base_config(str(tmp_path / "tokens.json"))
    fast_retries(cfg)
    return cfg
