"""SIGKILL tap-lightspeed at random points of a sync and resume from the last STATE each time.

The kill points are drawn with a seeded generator (counted in RECORD lines read from the tap's
stdout). Each new run gets ``--state`` with the value of the last STATE message any earlier run
printed, exactly as an orchestrator would. Access tokens die every second, so kills also land
around refreshes and token-store writes. The union of every run's records must cover every
record of the sandbox.
"""

from __future__ import annotations

import json
import random

import pytest

from tests.faults.conftest import (
    STREAM_ENTITIES,
    last_state,
    record_ids,
    register_token_store,
    run_tap,
    sandbox_ids,
)

KILLS = 6


@pytest.mark.slow
@pytest.mark.parametrize("seed", [7, 2024])
def test_union_of_killed_and_resumed_runs_covers_every_record(
    sandbox_factory, work, evidence, seed
):
    sb = sandbox_factory(
        seed=seed,
        customers=900,
        items=400,
        sales=500,
        images=200,
        bucket_enabled=False,
        expire_tokens_every=1.0,
    )
    account = sb.account_ids[0]
    total = sum(len(ids) for ids in sandbox_ids(sb, account).values())
    config = sb.connection_settings(
        account, work.tokens / "tokens.json", discover_account=True, page_size=50
    )
    register_token_store(evidence, config)
    config_path = work.write_input("config.json", config)

    rng = random.Random(seed)
    union: dict[str, set[int]] = {name: set() for name in STREAM_ENTITIES}
    state: dict | None = None
    kills = 0
    runs = 0
    while True:
        runs += 1
        assert runs <= KILLS + 1
        state_path = None
        if state is not None:
            state_path = work.out / f"state-{runs}.json"
            state_path.write_text(json.dumps(state))
        # A resumed run prints at least every record not seen yet: a kill point below that
        # count always lands inside the run.
        unseen = total - sum(len(ids) for ids in union.values())
        kill_at = rng.randint(1, unseen - 1) if kills < KILLS and unseen > 1 else None
        run = run_tap(
            work, f"run-{runs}", config_path, state=state_path, kill_after_records=kill_at
        )
        messages = run.messages()
        for stream, ids in record_ids(messages).items():
            union[stream] |= ids
        state = last_state(messages) or state
        if not run.killed:
            assert run.returncode == 0, run.stderr_text()[-4000:]
            break
        assert run.returncode == -9
        kills += 1

    assert kills == KILLS, f"only {kills} kills landed inside a run"
    expected = sandbox_ids(sb, account)
    for stream in STREAM_ENTITIES:
        missing = sorted(expected[stream] - union[stream])
        assert not missing, f"{stream}: {len(missing)} ids never extracted, e.g. {missing[:10]}"
        assert union[stream] <= expected[stream]
    # The chain survived every kill: the last run refreshed and read without a new token.
    assert sb.stats()["refreshes"] >= 2
