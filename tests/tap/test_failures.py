"""Failures mid-sync: token refresh, rate limits, server errors, too-heavy pages."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlsplit

import pytest

from lightspeed_client.errors import LightspeedAPIError
from tap_lightspeed.client import PageTooHeavyError
from tests.tap.conftest import STREAM_ENTITIES, run_sync

ALL = {"customers", "items", "images", "sales"}
KEYS = {"customers": "customerID", "items": "itemID", "images": "imageID", "sales": "saleID"}


def _limit(url: str) -> int:
    return int(dict(parse_qsl(urlsplit(url).query))["limit"])


def _assert_complete_and_unique(api, result) -> None:
    for stream, key in KEYS.items():
        ids = result.ids(stream, key)
        expected = {int(r[key]) for r in api.data[STREAM_ENTITIES[stream]]}
        assert sorted(ids) == sorted(expected), stream


def test_401_mid_sync_refreshes_and_goes_on(api, config):
    api.faults[4] = 401  # the access token is revoked at the fourth page
    result = run_sync(config, streams=ALL)
    _assert_complete_and_unique(api, result)
    assert api.token_requests == 2  # the first token, then one refresh after the 401
    assert api.refresh_token == "refresh-2"


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_rate_limit_and_server_errors_mid_sync_lose_nothing(api, config, status):
    api.faults.update({2: status, 5: status, 6: status, 11: status})
    result = run_sync(config, streams=ALL)
    _assert_complete_and_unique(api, result)
    assert not api.faults  # every injected failure was met, and retried


def test_too_heavy_page_is_retried_with_a_smaller_limit(api, config, caplog):
    config["page_size"] = 100
    api.max_limit["Sale"] = 30
    caplog.set_level(logging.WARNING)
    result = run_sync(config, streams={"sales"})
    assert sorted(result.ids("sales", "saleID")) == [1, 2, 3, 4, 5, 6]
    assert [_limit(u) for u in api.list_requests()] == [100, 50, 25]
    assert sum("retrying the same page with limit=" in r.getMessage() for r in caplog.records) == 2


def test_smaller_limit_keeps_the_other_parameters(api, config):
    config["page_size"] = 4
    config["start_date"] = "2024-01-01T00:00:00+00:00"
    api.max_limit["Customer"] = 3
    result = run_sync(config, streams={"customers"})
    assert sorted(result.ids("customers", "customerID")) == [1, 2, 3, 4, 5, 6, 7]
    first, retried, *later = api.list_requests()
    assert retried == first.replace("limit=4", "limit=2")
    assert all(_limit(u) == 2 for u in later)  # next links repeat the smaller limit
    assert all("after=" in u for u in later)


@pytest.mark.parametrize("status", [500, 504])
def test_server_error_after_client_retries_is_retried_with_a_smaller_limit(api, config, status):
    config["page_size"] = 8
    api.max_limit["Item"] = 2
    api.heavy_status = status
    result = run_sync(config, streams={"items"})
    assert sorted(result.ids("items", "itemID")) == [1, 2, 3, 4, 5]
    limits = [_limit(u) for u in api.list_requests()]
    # the client retries each failing size (max_retries=3: 4 attempts) before the tap halves it
    assert limits == [8] * 4 + [4] * 4 + [2] * 3


def test_gives_up_after_limit_one(api, config):
    config["page_size"] = 5
    api.max_limit["Customer"] = 0
    result = run_sync(config, streams={"customers"}, raise_errors=False)
    assert isinstance(result.error, PageTooHeavyError)
    assert "limit=1" in str(result.error)
    assert [_limit(u) for u in api.list_requests()] == [5, 2, 1]
    assert result.records["customers"] == []


def test_other_client_errors_are_not_retried(api, config):
    api.faults[1] = 403
    result = run_sync(config, streams={"customers"}, raise_errors=False)
    assert isinstance(result.error, LightspeedAPIError)
    assert result.error.status == 403
    assert len(api.list_requests()) == 1
