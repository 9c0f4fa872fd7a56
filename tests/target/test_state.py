"""STATE: a dry run emits none; rejected records do not hold it back (docs/target.md)."""

from __future__ import annotations

import json
import logging

from .conftest import messages, run_target, state

ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
GRACE = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}


def test_a_dry_run_emits_no_state(mocked, config, caplog):
    lines = [
        *messages("customers", [ADA]),
        state({"bookmarks": {"customers": 1}}),
        *messages("customers", [GRACE])[1:],
        state({"bookmarks": {"customers": 2}}),
    ]
    caplog.set_level(logging.INFO, logger="target-lightspeed")
    result = run_target(dict(config, dry_run=True), lines)
    assert result.states == []
    assert result.summary["customers"]["created"] == 2
    assert mocked.writes() == []
    assert "Dry run: STATE is not emitted" in caplog.text
    # The real run after it starts from the same bookmark and emits the STATE.
    real = run_target(config, lines)
    assert real.states[-1] == {"bookmarks": {"customers": 2}}
    assert len(mocked.records("Customer")) == 2


def test_a_rejected_record_still_lets_state_advance(mocked, config, tmp_path):
    rows = [{"description": "Good", "custom_sku": "G1"}, {"description": "", "custom_sku": "X1"}]
    lines = [*messages("items", rows), state({"bookmarks": {"items": 2}})]
    result = run_target(config, lines)
    assert result.summary["items"]["created"] == 1
    assert result.summary["items"]["rejected"] == 1
    assert result.states == [{"bookmarks": {"items": 2}}]
    (reject,) = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert reject["record"]["custom_sku"] == "X1"


def test_a_record_lightspeed_rejects_still_lets_state_advance(mocked, config):
    """Rejected by the API (a 400 on the POST), not by the target: STATE goes on too."""
    rows = [
        {"description": "Good", "custom_sku": "G2"},
        {"description": "Bad", "category_id": 999_999},
    ]
    lines = [*messages("items", rows), state({"bookmarks": {"items": 2}})]
    result = run_target(dict(config, keep_foreign_keys=["categoryID"]), lines)
    summary = result.summary["items"]
    assert (summary["created"], summary["rejected"]) == (1, 1)
    assert "HTTP 400" in summary["reasons"]["rejected"]
    assert result.states == [{"bookmarks": {"items": 2}}]
