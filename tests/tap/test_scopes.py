"""Scopes: a stream the token may not read stops the run, naming the stream, the endpoint and
the scopes (on the command line without a traceback, like a refused refresh token);
docs/connecting.md lists each stream's scopes and a scope set that reads them all.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lightspeed_client.errors import MissingScopeError
from lightspeed_client.scopes import ALL, REQUESTABLE_SCOPES
from tap_lightspeed.streams import DERIVED_STREAM_TYPES, READ_SCOPES, STREAM_TYPES
from tests.tap.conftest import catalog_for, run_sync

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox

TAP_BIN = str(Path(sys.executable).with_name("tap-lightspeed"))
CONNECTING = Path(__file__).resolve().parents[2] / "docs" / "connecting.md"
DEFAULT_STREAMS = {
    cls.name for cls in (*STREAM_TYPES, *DERIVED_STREAM_TYPES) if cls.selected_by_default
}
_ROW = re.compile(r"^\| ((?:`[a-z_]+`(?:, )?)+)[^|]*\| (.+) \|$")


def scopes_section() -> str:
    """The ``## Scopes`` section of docs/connecting.md."""
    text = CONNECTING.read_text()
    start = text.index("\n## Scopes\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def documented_table(heading: str) -> dict[str, set[str]]:
    """The first table under ``heading``: each stream of a row -> the scopes of its row."""
    section = scopes_section()
    lines = section[section.index(heading) :].splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows: dict[str, set[str]] = {}
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        match = _ROW.match(line)
        if match:
            scopes = set(re.findall(r"`(employee:[a-z_]+)`", match.group(2)))
            for stream in re.findall(r"`([a-z_]+)`", match.group(1)):
                rows[stream] = scopes
    return rows


def documented_scope_set(name: str) -> list[str]:
    """The scopes of the ``lightspeed-authorize`` command commented ``# <name>``."""
    match = re.search(rf"# {name}\n.*--scope \"([^\"]+)\"", scopes_section())
    assert match, name
    return match.group(1).split()


@pytest.fixture
def sb(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    return sandbox_factory(seed=5, customers=20, items=30, sales=20, bucket_enabled=False)


def token_config(sb: Sandbox, tmp_path: Path, scopes: list[str]) -> dict:
    account = sb.account_ids[0]
    refresh = sb.issue_refresh_token(account, " ".join(scopes))
    return sb.connection_settings(0, tmp_path / "tokens.json", refresh_token=refresh)


def run_tap_cli(tmp_path: Path, config: dict, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``tap-lightspeed`` command with ``config`` (written to a file) and ``args``."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    return subprocess.run(
        [TAP_BIN, "--config", str(config_file), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_stream_without_its_scope_stops_naming_stream_endpoint_and_scopes(sb, tmp_path):
    scopes = [s for s in REQUESTABLE_SCOPES if s not in (ALL, "employee:purchase_orders")]
    config = token_config(sb, tmp_path, scopes)
    result = run_sync(config, streams={"customers", "orders"}, raise_errors=False)
    error = result.error
    assert isinstance(error, MissingScopeError)
    message = str(error)
    account = sb.account_ids[0]
    assert message.startswith(f"Stream 'orders': GET /API/V3/Account/{account}/Order.json ")
    assert "HTTP 403" in message
    assert "Reading Order needs one of the scopes employee:purchase_orders, employee:all" in message
    assert error.needed == ("employee:purchase_orders", ALL)
    # Nothing secret, no query string; the streams before it were read.
    token_store = Path(config["token_store"]).read_text()
    for secret in (config["client_secret"], *json.loads(token_store).values()):
        if isinstance(secret, str) and len(secret) > 8:
            assert secret not in message
    assert "limit=" not in message
    assert len(result.records["customers"]) == 20


def test_the_command_line_stops_with_one_line_and_exit_status_1(sb, tmp_path):
    config = token_config(sb, tmp_path, ["employee:inventory_read"])
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog_for(config, {"sales"})))
    run = run_tap_cli(tmp_path, config, "--catalog", str(catalog_file))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    stop = [line for line in run.stderr.splitlines() if "Stream 'sales': GET " in line]
    assert len(stop) == 1, run.stderr
    assert "employee:register, employee:register_read, employee:all" in stop[0]


def test_docs_list_the_scopes_of_every_stream():
    documented = documented_table("### What the tap reads")
    expected = {name: set(scopes) - {ALL} for name, scopes in READ_SCOPES.items()}
    assert documented == expected


def test_the_documented_warehouse_scopes_read_every_default_stream_and_none_is_spare():
    scopes = set(documented_scope_set("read every stream selected by default"))
    assert scopes <= set(REQUESTABLE_SCOPES)
    assert ALL not in scopes

    def uncovered(granted: set[str]) -> set[str]:
        return {s for s in DEFAULT_STREAMS if granted.isdisjoint(READ_SCOPES[s])}

    assert uncovered(scopes) == set()
    for scope in scopes:
        assert uncovered(scopes - {scope}), f"{scope} is not needed"


def test_the_documented_warehouse_scopes_sync_every_default_stream(sb, tmp_path):
    scopes = documented_scope_set("read every stream selected by default")
    result = run_sync(token_config(sb, tmp_path, scopes), streams=DEFAULT_STREAMS)
    assert set(result.records) >= {"customers", "items", "sales", "orders", "employees"}
    assert sb.stats()["status"].get("403", 0) == 0


def test_a_refused_refresh_token_also_stops_without_a_traceback(sb, tmp_path):
    config = sb.connection_settings(0, tmp_path / "tokens.json", refresh_token="def50200gone")
    run = run_tap_cli(tmp_path, config)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "Run `lightspeed-authorize` again" in run.stderr
