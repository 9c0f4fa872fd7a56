"""A sale voided after completion reaches the tap's next incremental run.

The sandbox freezes a completed sale's legacy ``timeStamp`` at its completion and moves
``updatetime`` on every later change, as the official Sale page says. A tap following
``timeStamp`` would never see the void (checked by switching ``SalesStream``'s replication
key to ``timeStamp``: this test then fails); the tap follows ``updatetime``.
"""

from __future__ import annotations

import io
import json
import time
from contextlib import redirect_stdout
from typing import TYPE_CHECKING, Any

from tap_lightspeed.tap import TapLightspeed

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lightspeed_sandbox import Sandbox


def sync_sales(config: dict[str, Any], state: dict[str, Any]) -> tuple[list[dict], dict]:
    """Run the tap's sales stream in-process; return its records and its last state."""
    catalog = TapLightspeed(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"]["selected"] = entry["tap_stream_id"] == "sales"
    tap = TapLightspeed(config=config, catalog=catalog, state=state, parse_env_config=False)
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with redirect_stdout(buffer):
        tap.sync_all()
    buffer.flush()
    records, last_state = [], state
    for line in buffer.buffer.getvalue().decode().splitlines():  # type: ignore[attr-defined]
        message = json.loads(line)
        if message["type"] == "RECORD":
            records.append(message["record"])
        elif message["type"] == "STATE":
            last_state = message["value"]
    return records, last_state


def test_a_void_after_completion_is_emitted_by_the_next_incremental_run(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed=9, customers=20, items=20, sales=60, bucket_enabled=False)
    account = sb.account_ids[0]
    config = sb.connection_settings(0, tmp_path / "tokens.json")
    first, state = sync_sales(config, {})
    assert len(first) == 60
    sale = next(s for s in first if s["completed"] and not s["voided"])
    time.sleep(1.1)  # the void lands in a later second than anything the first run saw
    voided = sb.void_sale(account, sale["saleID"])
    assert voided["timeStamp"] == sb.records(account, "Sale")[sale["saleID"] - 1]["timeStamp"]
    second, _ = sync_sales(config, state)
    emitted = {s["saleID"]: s for s in second}
    assert sale["saleID"] in emitted
    assert emitted[sale["saleID"]]["voided"] is True
    assert len(second) < len(first)  # incremental: not everything again
