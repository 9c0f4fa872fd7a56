"""target-lightspeed killed mid-run, and a tap and a target sharing one token chain.

- SIGKILL the target at random points (seeded; counted in writes the sandbox received), run
  it again each time, then once to the end: every input record is in the sandbox exactly once.
- A tap and a target run at the same time on the same credentials (one token store), with
  access tokens dying every 0.3 seconds so that both refresh many times: the refresh chain
  never breaks, and a third process can still refresh afterwards.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lightspeed_client.client import LightspeedClient
from lightspeed_sandbox import two_accounts
from tests.faults.conftest import (
    CATALOG,
    TAP,
    TARGET,
    Workdir,
    register_token_store,
    run_tap,
    running,
    target_settings,
    wait_until,
)

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox

TARGET_STREAMS = ("customers", "items", "sales")


def extract(sb: Sandbox, work: Workdir, account: int, label: str) -> tuple[Path, dict]:
    """Run the tap on an account (own token store); return the input file and its records."""
    config = sb.connection_settings(account, work.tokens / f"{label}-tokens.json")
    run = run_tap(work, label, work.write_input(f"{label}.json", config))
    assert run.returncode == 0, run.stderr_text()[-3000:]
    records: dict[str, list[dict]] = {s: [] for s in TARGET_STREAMS}
    lines = []
    for message in run.messages():
        if message.get("stream") in TARGET_STREAMS:
            lines.append(json.dumps(message))
            if message["type"] == "RECORD":
                records[message["stream"]].append(message["record"])
    path = work.out / f"{label}-input.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path, records


def emails(record: dict) -> tuple:
    contact = record.get("Contact") or {}
    value = contact.get("Emails") or []
    if isinstance(value, dict):
        value = value.get("ContactEmail", [])
    if isinstance(value, dict):
        value = [value]
    return tuple(sorted(e["address"] for e in value))


def customer_sig(record: dict) -> tuple:
    return (record.get("firstName") or "", record.get("lastName") or "", emails(record))


def item_sig(record: dict) -> tuple:
    return (record.get("description") or "", record.get("customSku") or "")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 31])
def test_target_killed_mid_run_then_rerun_writes_each_record_exactly_once(
    sandbox_factory, work, evidence, seed
):
    sb = sandbox_factory(two_accounts(seed=seed, customers=60, items=40, sales=40))
    input_path, records = extract(sb, work, 0, "source")
    config = target_settings(sb, work, 1)
    register_token_store(evidence, config)
    config_path = work.write_input("target.json", config)
    total = sum(len(r) for r in records.values())
    # Every response a little slow: a run long enough to be killed anywhere.
    sb.set_faults(slow_rate=1.0, slow_seconds=0.01, seed=seed)

    rng = random.Random(seed)
    kill_points = sorted(rng.sample(range(1, total - 1), 3))
    for runs, point in enumerate([*kill_points, None], start=1):
        label = f"target-{runs}"
        with (
            open(input_path, "rb") as stdin,
            open(work.out / f"{label}.stdout", "wb") as out,
            open(work.out / f"{label}.stderr", "wb") as err,
            running(
                [TARGET, "--config", str(config_path)], stdin=stdin, stdout=out, stderr=err
            ) as proc,
        ):
            if point is not None:
                wait_until(
                    lambda p=point, pr=proc: sb.stats()["writes"] >= p or pr.poll() is not None,
                    timeout=120,
                    what=f"{point} writes",
                )
                proc.kill()
            returncode = proc.wait(timeout=180)
        if point is None:
            stderr = (work.out / f"{label}.stderr").read_text()
            assert returncode == 0, stderr[-3000:]
    sb.clear_faults()

    target = sb.account_ids[1]
    got_customers = Counter(customer_sig(r) for r in sb.records(target, "Customer"))
    got_items = Counter(item_sig(r) for r in sb.records(target, "Item"))
    got_sales = Counter(r.get("referenceNumber") for r in sb.records(target, "Sale"))
    assert got_customers == Counter(customer_sig(r) for r in records["customers"])
    assert got_items == Counter(item_sig(r) for r in records["items"])
    # A sale keeps its referenceNumber; one without gets ``sales-<source saleID>``.
    assert got_sales == Counter(
        r.get("referenceNumber") or f"sales-{r['saleID']}" for r in records["sales"]
    )
    # Nothing is rejected; copies total with the second account's taxes, so the rejects file
    # may list sales left open (a person's work, not a reject).
    rejects_file = work.out / "rejects.jsonl"
    entries = rejects_file.read_text().splitlines() if rejects_file.exists() else []
    assert [e for e in map(json.loads, entries) if e.get("outcome") != "left_open"] == []


@pytest.mark.slow
def test_tap_and_target_on_one_token_chain_refresh_many_times_without_breaking_it(
    sandbox_factory, work, evidence
):
    sb = sandbox_factory(
        two_accounts(empty_second=False, seed=17, customers=400, items=150, sales=150)
    )
    input_path, records = extract(sb, work, 1, "other-account")
    # One chain for account 0, shared by a tap (reading it) and a target (writing into it).
    shared = target_settings(sb, work, 0, token_store=str(work.tokens / "shared.json"))
    register_token_store(evidence, shared)
    tap_config = {
        k: shared[k]
        for k in (
            "client_id",
            "client_secret",
            "refresh_token",
            "account_id",
            "api_url",
            "token_url",
            "token_store",
        )
    }
    tap_config["page_size"] = 20
    tap_path = work.write_input("tap.json", tap_config)
    target_path = work.write_input("target.json", shared)
    before = {int(r["customerID"]) for r in sb.records(sb.account_ids[0], "Customer")}
    sb.set_faults(expire_tokens_every=0.3, slow_rate=1.0, slow_seconds=0.05, seed=9)

    files = {name: work.out / name for name in ("tap.stdout", "tap.stderr", "t.out", "t.err")}
    with (
        open(files["tap.stdout"], "wb") as tap_out,
        open(files["tap.stderr"], "wb") as tap_err,
        open(files["t.out"], "wb") as t_out,
        open(files["t.err"], "wb") as t_err,
        open(input_path, "rb") as stdin,
        running(
            [TAP, "--config", str(tap_path), "--catalog", str(CATALOG)],
            stdout=tap_out,
            stderr=tap_err,
        ) as tap,
        running(
            [TARGET, "--config", str(target_path)], stdin=stdin, stdout=t_out, stderr=t_err
        ) as target,
    ):
        tap_rc = tap.wait(timeout=180)
        target_rc = target.wait(timeout=180)
    sb.clear_faults()
    tap_log, target_log = files["tap.stderr"].read_text(), files["t.err"].read_text()
    assert tap_rc == 0, tap_log[-3000:]
    assert target_rc == 0, target_log[-3000:]
    for log in (tap_log, target_log):
        assert "invalid_grant" not in log
        # Each process met dead access tokens many times and refreshed (or adopted the
        # other's fresh token from the shared store).
        assert log.count("Access token refused") >= 3, log[-2000:]
    assert sb.stats()["refreshes"] >= 6

    # The chain still works for a third process.
    LightspeedClient.forget_all()
    try:
        client = LightspeedClient.for_config(tap_config)
        client.authenticator.force_refresh()
        assert client.session.get(client.account_url + "/Customer.json?limit=1").ok
    finally:
        LightspeedClient.forget_all()
    # Both did their work: the tap read every record of account 0 it started with, and the
    # target's customers are in account 0.
    tap_ids = {
        json.loads(line)["record"]["customerID"]
        for line in files["tap.stdout"].read_text().splitlines()
        if '"stream":"customers"' in line and '"type":"RECORD"' in line
    }
    assert before <= tap_ids
    written = {customer_sig(r) for r in sb.records(sb.account_ids[0], "Customer")}
    assert {customer_sig(r) for r in records["customers"]} <= written
