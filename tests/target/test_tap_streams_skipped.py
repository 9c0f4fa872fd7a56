"""``tap-lightspeed | target-lightspeed`` with the tap's default catalog copies an account.

The tap's default streams include images, sale lines and payments, which are no entity the
target writes: their records are counted and skipped (not an "unmapped stream" stop), while
a stream that is neither an entity nor one of the tap's stops the run as before.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tap_lightspeed.streams import DERIVED_STREAM_TYPES, STREAM_TYPES
from target_lightspeed.runtime import TAP_STREAMS_NOT_WRITTEN
from tests.target.conftest import SHARED_IDS, messages, run_target, tap_config, target_config

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox

BIN = Path(sys.executable).parent


def test_the_skipped_streams_are_the_taps_streams_without_an_entity():
    tap_streams = {stream.name for stream in (*STREAM_TYPES, *DERIVED_STREAM_TYPES)}
    assert tap_streams - {"customers", "items", "sales"} == TAP_STREAMS_NOT_WRITTEN
    assert {"images", "sale_lines", "sale_payments", "item_shops"} <= TAP_STREAMS_NOT_WRITTEN


def test_tap_piped_into_target_without_a_catalog_copies_and_skips_the_rest(
    two_account_sandbox: Callable[..., Sandbox], tmp_path: Path
):
    sb = two_account_sandbox(seed=4, customers=12, items=8, sales=6, images=5)
    tap_file = tmp_path / "tap.json"
    tap_file.write_text(json.dumps(tap_config(sb, tmp_path)))
    target_file = tmp_path / "target.json"
    target_file.write_text(
        json.dumps(target_config(sb, tmp_path, keep_foreign_keys=SHARED_IDS), default=str)
    )
    tap = subprocess.Popen(
        [str(BIN / "tap-lightspeed"), "--config", str(tap_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    target = subprocess.run(
        [str(BIN / "target-lightspeed"), "--config", str(target_file)],
        stdin=tap.stdout,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tap.stdout is not None
    tap.stdout.close()
    assert tap.wait(timeout=60) == 0
    assert target.returncode == 0, target.stderr[-2000:]
    for stream in ("images", "sale_lines", "sale_payments"):
        assert f"summary: stream '{stream}': read " in target.stderr
        assert "skipped (a tap-lightspeed stream" in target.stderr
    source, copy = sb.account_ids
    assert len(sb.records(copy, "Customer")) == len(sb.records(source, "Customer"))
    assert len(sb.records(copy, "Item")) == len(sb.records(source, "Item"))
    assert len(sb.records(copy, "Sale")) == len(sb.records(source, "Sale"))
    assert sb.records(copy, "Image") == []
    # The last STATE of the tap (every stream's bookmark, skipped ones included) came out.
    final_state = json.loads(target.stdout.strip().splitlines()[-1])
    assert {"images", "sale_lines"} <= set(final_state["bookmarks"])


def test_a_stream_that_is_not_the_taps_still_stops_the_run(config):
    run = run_target(config, messages("crm_contacts", [{"id": 1}]), raise_errors=False)
    assert run.error is not None
    assert "Stream 'crm_contacts' is not mapped" in str(run.error)


def test_stream_entities_can_still_map_a_name_the_tap_uses(config):
    config = {**config, "stream_entities": {"images": "customers"}}
    record = {"id": 1, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    run = run_target(config, messages("images", [record]))
    assert run.summary["images"]["entity"] == "customers"
    assert run.summary["images"]["created"] == 1
