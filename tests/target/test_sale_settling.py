"""Sales on a store that follows the official pages (the sandbox's default).

The target account computes a sale's total from its own taxes (the mocked sandbox's second
account: 5% + 4%, where the source rows were priced at 8%): a copy is created open, completed
when its payments equal that total, otherwise left open and reported (summary, rejects
file). ``voided`` is never written, ``archived`` only for sales that stay open, and only an
open copy's lines change.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from lightspeed_sandbox.wire import unwrap
from tests.target.conftest import messages, run_target

if TYPE_CHECKING:
    from pathlib import Path

    from tests.target.conftest import MockedSandbox


def sale(ref: str, *, paid: str = "10.90", **extra: Any) -> dict[str, Any]:
    """A completed sale of one 10.00 line (10.90 with the target account's 9% of taxes)."""
    row = {
        "reference_number": ref,
        "completed": True,
        "lines": [{"quantity": 1, "unit_price": 10}],
        "payments": [{"amount": paid}],
    }
    return {**row, **extra}


def stored(mocked: MockedSandbox, ref: str) -> dict[str, Any]:
    return next(s for s in mocked.records("Sale") if s["referenceNumber"] == ref)


def sent(mocked: MockedSandbox, method: str) -> list[dict]:
    return [json.loads(r.body) for r in mocked.requests(method) if r.body]


def test_a_sale_whose_payments_match_the_target_total_is_created_open_then_completed(
    mocked, config
):
    result = run_target(config, messages("sales", [sale("S-1")]))
    summary = result.summary["sales"]
    assert (summary["created"], summary["left_open"], summary["rejected"]) == (1, 0, 0)
    assert "completed" not in sent(mocked, "POST")[-1]
    assert sent(mocked, "PUT") == [{"completed": True}]
    copy = stored(mocked, "S-1")
    assert (copy["completed"], copy["total"]) == ("true", "10.9")


def test_a_sale_whose_payments_do_not_match_is_left_open_and_reported(
    mocked, config, tmp_path: Path, caplog
):
    caplog.set_level("INFO")
    rows = [sale("S-2", paid="10.80"), sale("S-3", paid="11.00")]
    result = run_target(dict(config, max_rejects=0), messages("sales", rows))
    assert result.error is None  # left open is not rejected: max_rejects=0 does not stop it
    summary = result.summary["sales"]
    assert (summary["created"], summary["left_open"], summary["rejected"]) == (2, 2, 0)
    assert [stored(mocked, ref)["completed"] for ref in ("S-2", "S-3")] == ["false", "false"]
    entries = [json.loads(x) for x in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [(e["outcome"], e["match_key"], e["message"]) for e in entries] == [
        (
            "left_open",
            "referenceNumber=S-2",
            "left open: payments 10.80 don't cover the target account's total 10.90",
        ),
        (
            "left_open",
            "referenceNumber=S-3",
            "left open: payments 11.00 exceed the target account's total 10.90",
        ),
    ]
    assert "Left open: 2" in caplog.text
    assert "2 sales left open" in caplog.text
    # A rerun leaves them as they are (a person acts on them), without writing.
    writes = len(mocked.writes())
    again = run_target(config, messages("sales", rows))
    assert again.summary["sales"]["unchanged"] == 2
    assert len(mocked.writes()) == writes


def test_voided_is_never_written_and_is_reported(mocked, config):
    run_target(config, messages("sales", [sale("S-4")]))
    result = run_target(config, messages("sales", [sale("S-4", voided=True)]))
    summary = result.summary["sales"]
    assert summary["rejected"] == 0
    assert summary["not_copied"] == {"voided": 1}
    assert all("voided" not in body for body in sent(mocked, "PUT") + sent(mocked, "POST"))
    assert stored(mocked, "S-4")["voided"] == "false"
    fresh = run_target(config, messages("sales", [sale("S-5", voided=True)]))
    assert fresh.summary["sales"]["not_copied"] == {"voided": 1}
    assert "voided" not in sent(mocked, "POST")[-1]


def test_archived_is_written_for_open_sales_reported_for_completed_ones(mocked, config):
    rows = [sale("S-6", archived=True), sale("S-7", paid="1", archived=True)]
    result = run_target(config, messages("sales", rows))
    summary = result.summary["sales"]
    assert summary["rejected"] == 0
    assert summary["not_copied"] == {"archived (a completed sale)": 1}
    assert all("archived" not in body for body in sent(mocked, "PUT") + sent(mocked, "POST"))
    completed, left_open = stored(mocked, "S-6"), stored(mocked, "S-7")
    assert (completed["completed"], completed["archived"]) == ("true", "false")
    assert (left_open["completed"], left_open["archived"]) == ("false", "true")
    assert len(mocked.requests("DELETE")) == 1


def test_complete_time_comes_from_the_source_and_promotions_are_off(mocked, config):
    when = "2026-03-01T12:00:00+00:00"
    run_target(config, messages("sales", [sale("S-8", completeTime=when)]))
    copy = stored(mocked, "S-8")
    assert (copy["completeTime"], copy["timeStamp"], copy["completed"]) == (when, when, "true")
    assert copy["enablePromotions"] == "false"
    run_target(dict(config, enable_promotions=True), messages("sales", [sale("S-9")]))
    assert stored(mocked, "S-9")["enablePromotions"] == "true"


def test_lines_with_zero_quantity_are_copied(mocked, config):
    row = sale("S-10")
    row["lines"].append({"quantity": 0, "unit_price": 3})
    result = run_target(config, messages("sales", [row]))
    assert result.summary["sales"]["created"] == 1
    lines = unwrap(stored(mocked, "S-10")["SaleLines"], "SaleLine")
    assert [line["unitQuantity"] for line in lines] == ["1", "0"]


def test_lines_of_an_open_copy_are_updated_those_of_a_completed_copy_are_reported(mocked, config):
    open_row = {**sale("S-11"), "completed": False, "payments": []}
    done_row = sale("S-12")
    run_target(config, messages("sales", [open_row, done_row]))
    open_row["lines"] = [{"quantity": 2, "unit_price": 10}, {"quantity": 1, "unit_price": 4}]
    done_row["lines"] = [{"quantity": 3, "unit_price": 10}]
    result = run_target(config, messages("sales", [open_row, done_row]))
    summary = result.summary["sales"]
    assert (summary["updated"], summary["rejected"]) == (2, 0)
    assert summary["not_copied"] == {"lines of a completed sale": 1}
    lines = unwrap(stored(mocked, "S-11")["SaleLines"], "SaleLine")
    assert [(x["unitQuantity"], x["unitPrice"]) for x in lines] == [("2", "10"), ("1", "4")]
    assert stored(mocked, "S-11")["total"] == "26.16"
    line_writes = [r for r in mocked.writes() if "/SaleLine" in r.url]
    assert [r.method for r in line_writes] == ["PUT", "POST"]
    done_lines = unwrap(stored(mocked, "S-12")["SaleLines"], "SaleLine")
    assert [x["unitQuantity"] for x in done_lines] == ["1"]


def test_a_run_stopped_before_the_sale_is_completed_completes_it_next_time(
    mocked, config, monkeypatch
):
    from lightspeed_client.errors import RetriesExhaustedError
    from target_lightspeed.api import LightspeedAPI

    real_update = LightspeedAPI.update

    def update_failing(self, entity, record_id, body):
        if body == {"completed": True}:
            raise RetriesExhaustedError(
                method="PUT", path=f"/Sale/{record_id}.json", attempts=6, last_failure="HTTP 503"
            )
        return real_update(self, entity, record_id, body)

    monkeypatch.setattr(LightspeedAPI, "update", update_failing)
    stopped = run_target(config, messages("sales", [sale("S-13")]), raise_errors=False)
    assert isinstance(stopped.error, RetriesExhaustedError)
    assert stored(mocked, "S-13")["completed"] == "false"
    monkeypatch.setattr(LightspeedAPI, "update", real_update)
    again = run_target(config, messages("sales", [sale("S-13")]))
    assert again.summary["sales"]["updated"] == 1
    assert stored(mocked, "S-13")["completed"] == "true"
    assert len([s for s in mocked.records("Sale") if s["referenceNumber"] == "S-13"]) == 1


class Killed(BaseException):
    """The process dies (SIGKILL) right after a request took effect."""


def test_a_run_killed_before_the_ledger_heard_of_the_create_settles_the_sale_next_time(
    mocked, config, monkeypatch
):
    """The POST took effect but the run died before the ledger recorded it (still pending):
    the next run finds the open copy by its reference number, with the record's content,
    and must still archive it (and complete the completed one) instead of leaving it as is."""
    from target_lightspeed.api import LightspeedAPI

    real_create = LightspeedAPI.create

    def create_then_die(self, entity, body):
        real_create(self, entity, body)
        raise Killed

    monkeypatch.setattr(LightspeedAPI, "create", create_then_die)
    rows = [sale("S-14", paid="1", archived=True)]
    with pytest.raises(Killed):
        run_target(config, messages("sales", rows))
    assert (stored(mocked, "S-14")["archived"], stored(mocked, "S-14")["completed"]) == (
        "false",
        "false",
    )
    monkeypatch.setattr(LightspeedAPI, "create", create_then_die)
    with pytest.raises(Killed):
        run_target(config, messages("sales", [sale("S-15")]))
    monkeypatch.setattr(LightspeedAPI, "create", real_create)
    again = run_target(config, messages("sales", [*rows, sale("S-15")]))
    assert again.summary["sales"]["created"] == 0
    assert stored(mocked, "S-14")["archived"] == "true"
    assert stored(mocked, "S-15")["completed"] == "true"
    for ref in ("S-14", "S-15"):
        assert len([s for s in mocked.records("Sale") if s["referenceNumber"] == ref]) == 1
    # Settled now: a third run sends nothing.
    before = len(mocked.writes())
    third = run_target(config, messages("sales", [*rows, sale("S-15")]))
    assert third.summary["sales"]["unchanged"] == 2
    assert len(mocked.writes()) == before
