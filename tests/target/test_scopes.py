"""Scopes of the target: the ones docs/connecting.md gives each stream are enough to write it,
and a 403 stops the run naming the stream, the record, the endpoint and the scopes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lightspeed_client.errors import MissingScopeError
from tests.tap.test_scopes import documented_scope_set, documented_table
from tests.target.conftest import SHARED_IDS, fast, run_tap, run_target, tap_config, target_config

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox

STREAMS = ("customers", "items", "sales")


@pytest.fixture
def sb(two_account_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return two_account_sandbox(seed=11, customers=15, items=15, sales=15, burst_limit=10_000)


@pytest.fixture
def lines(sb: Sandbox, tmp_path: Path) -> list[str]:
    return run_tap(tap_config(sb, tmp_path), set(STREAMS))


def of_stream(lines: list[str], stream: str) -> list[str]:
    return [line for line in lines if json.loads(line).get("stream") == stream]


def scoped_config(sb: Sandbox, tmp_path: Path, scopes: set[str], name: str) -> dict[str, Any]:
    refresh = sb.issue_refresh_token(sb.account_ids[1], " ".join(sorted(scopes)))
    config = target_config(sb, tmp_path, keep_foreign_keys=SHARED_IDS, refresh_token=refresh)
    return fast({**config, "token_store": str(tmp_path / f"tokens-{name}.json")})


def test_the_documented_scope_of_each_stream_is_enough_to_write_it(sb, tmp_path, lines):
    documented = documented_table("### What the target writes")
    assert set(documented) == set(STREAMS)
    # One stream per run, each with a token holding only that stream's scope (sales last:
    # they refer to the customers and items written before, read with employee:register).
    for stream in STREAMS:
        config = scoped_config(sb, tmp_path, documented[stream], stream)
        run = run_target(config, of_stream(lines, stream))
        assert run.summary[stream]["created"] == run.summary[stream]["read"] > 0, stream
    assert sb.stats()["status"].get("403", 0) == 0
    union = documented_scope_set("write customers, items and sales")
    assert set(union) == set().union(*documented.values())


def test_a_missing_scope_stops_naming_stream_record_endpoint_and_scopes(sb, tmp_path, lines):
    config = scoped_config(sb, tmp_path, {"employee:customers", "employee:register"}, "partial")
    run = run_target(config, lines, raise_errors=False)
    error = run.error
    assert isinstance(error, MissingScopeError)
    message = str(error)
    account = sb.account_ids[1]
    assert message.startswith("Stream 'items'"), message
    assert f"/API/V3/Account/{account}/" in message
    assert "employee:inventory" in message
    assert config["client_secret"] not in message
    # The customers before it were written.
    assert run.summary["customers"]["created"] == run.summary["customers"]["read"] > 0


def test_a_write_the_scope_does_not_allow_names_the_record(sb, tmp_path, lines):
    # employee:inventory_read reads items and price levels but writes nothing.
    config = scoped_config(sb, tmp_path, {"employee:inventory_read"}, "read-only")
    run = run_target(config, of_stream(lines, "items"), raise_errors=False)
    error = run.error
    assert isinstance(error, MissingScopeError)
    message = str(error)
    assert message.startswith("Stream 'items', record "), message
    assert "POST /API/V3/Account/" in message
    assert "Writing Item needs one of the scopes employee:inventory, employee:product_edit" in (
        message
    )
