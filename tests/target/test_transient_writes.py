"""Writes under transient errors, injected by the sandbox as the docs describe them.

- a create in doubt (Cloudflare 520/524, the answer lost) is looked up; found, it is not sent
  again; not found, it is sent again after the session's backoff;
- an edit conflict (409) on an update: back off, read the record again, decide anew.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lightspeed_client.client import LightspeedClient
from lightspeed_client.errors import RetriesExhaustedError

from .conftest import MockedSandbox, messages, run_target

ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


def record_waits(config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the backoff sleeps of the config's shared session (instead of sleeping)."""
    waits: list[float] = []
    session = LightspeedClient.for_config(config).session
    session.backoff_base = 1.0
    monkeypatch.setattr(session, "_sleep", waits.append)
    return waits


def methods(mocked: MockedSandbox, since: int = 0) -> list[str]:
    return [r.method for r in mocked.requests()[since:]]


def customers(rows: list[dict]) -> list[str]:
    return messages("customers", rows)


# -- creates in doubt ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [520, 524])
def test_a_create_in_doubt_not_stored_is_sent_again_after_a_backoff(
    mocked, config, monkeypatch, status
):
    mocked.sb.set_faults(
        statuses=(status,), error_requests=1, error_methods=("POST",), applied_statuses=()
    )
    waits = record_waits(config, monkeypatch)
    result = run_target(config, customers([ADA]))
    assert result.summary["customers"]["created"] == 1
    assert len(mocked.records("Customer")) == 1
    # lookup, POST (in doubt), lookup (not there), backoff, POST again.
    assert methods(mocked) == ["GET", "POST", "GET", "POST"]
    assert len(waits) == 1
    assert 0.0 <= waits[0] <= 1.0


def test_a_create_stored_despite_a_524_is_found_not_sent_again(mocked, config, monkeypatch):
    mocked.sb.set_faults(statuses=(524,), error_requests=1, error_methods=("POST",))
    waits = record_waits(config, monkeypatch)
    result = run_target(config, customers([ADA]))
    assert result.summary["customers"]["created"] == 1
    assert len(mocked.records("Customer")) == 1
    assert methods(mocked) == ["GET", "POST", "GET"]
    assert waits == []
    assert mocked.sb.stats()["faults"]["errors_carried_out"] == 1


def test_creates_in_doubt_give_up_after_the_retry_budget_with_a_backoff_each(
    mocked, config, monkeypatch
):
    mocked.sb.set_faults(
        statuses=(520,), error_requests=100, error_methods=("POST",), applied_statuses=()
    )
    waits = record_waits(config, monkeypatch)
    result = run_target(config, customers([ADA]), raise_errors=False)
    assert isinstance(result.error, RetriesExhaustedError)
    attempts = config["max_retries"] + 1
    assert methods(mocked).count("POST") == attempts
    assert len(waits) == attempts - 1  # none after the last
    assert mocked.records("Customer") == []


# -- edit conflicts --------------------------------------------------------------------------


def written_once(mocked: MockedSandbox, config: dict[str, Any]) -> str:
    run_target(config, customers([ADA]))
    (stored,) = mocked.records("Customer")
    return stored["customerID"]


def test_an_edit_conflict_rereads_the_record_then_updates_it(mocked, config, monkeypatch):
    customer_id = written_once(mocked, config)
    mocked.sb.set_faults(statuses=(409,), error_requests=1, error_methods=("PUT",))
    waits = record_waits(config, monkeypatch)
    before = len(mocked.requests())
    result = run_target(config, customers([dict(ADA, last_name="King")]))
    assert result.summary["customers"]["updated"] == 1
    assert methods(mocked, before) == ["PUT", "GET", "PUT"]
    reread = mocked.requests()[before + 1]
    assert reread.url.split("?")[0].endswith(f"/Customer/{customer_id}.json")
    assert json.loads(mocked.requests()[before + 2].body)["lastName"] == "King"
    assert mocked.records("Customer")[0]["lastName"] == "King"
    assert len(waits) == 1


def test_an_edit_conflict_after_which_the_record_holds_the_values_sends_nothing_more(
    mocked, config, monkeypatch
):
    """The conflicting update wrote the same values (simulated: the PUT is carried out, then
    answered 409): read again, the record is up to date, and no second PUT goes out."""
    written_once(mocked, config)
    mocked.sb.set_faults(
        statuses=(409,), error_requests=1, error_methods=("PUT",), applied_statuses=(409,)
    )
    record_waits(config, monkeypatch)
    before = len(mocked.requests())
    result = run_target(config, customers([dict(ADA, last_name="King")]))
    assert methods(mocked, before) == ["PUT", "GET"]
    assert result.summary["customers"]["unchanged"] == 1
    assert mocked.records("Customer")[0]["lastName"] == "King"
    # The ledger holds the new values: a third run sends nothing.
    before = len(mocked.requests())
    run_target(config, customers([dict(ADA, last_name="King")]))
    assert methods(mocked, before) == []


def test_edit_conflicts_are_bounded(mocked, config, monkeypatch):
    written_once(mocked, config)
    mocked.sb.set_faults(statuses=(409,), error_requests=100, error_methods=("PUT",))
    waits = record_waits(config, monkeypatch)
    before = len(mocked.requests())
    result = run_target(config, customers([dict(ADA, last_name="King")]), raise_errors=False)
    assert isinstance(result.error, RetriesExhaustedError)
    assert "409" in str(result.error)
    tries = config["max_retries"] + 1
    assert methods(mocked, before) == ["PUT", *["GET", "PUT"] * (tries - 1)]
    assert len(waits) == tries - 1
    assert mocked.records("Customer")[0]["lastName"] == "Lovelace"
