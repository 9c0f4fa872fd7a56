"""tap-lightspeed against a sandbox that misbehaves the way the real API can.

5% of API requests answered with a 5xx, dropped connections (the body cut after the headers),
slow responses, a 429 storm in the middle of the sync, access tokens dying every three seconds
despite their ``expires_in``, and the leaky bucket on. The records out must be exactly the
sandbox's records: no id missing, none invented.
"""

from __future__ import annotations

import threading
import time

import pytest

from lightspeed_client.client import LightspeedClient
from tests.faults.conftest import (
    STREAM_ENTITIES,
    record_ids,
    register_token_store,
    run_tap,
    sandbox_ids,
)

FAULTS = {
    "error_rate": 0.05,
    "statuses": (500, 502, 503, 504),
    "drop_rate": 0.03,
    "slow_rate": 0.05,
    "slow_seconds": 0.3,
    "expire_tokens_every": 3.0,
    "seed": 5,
}


@pytest.mark.slow
def test_every_record_arrives_despite_5xx_drops_slowness_storm_and_expiring_tokens(
    sandbox_factory, work, evidence
):
    sb = sandbox_factory(
        seed=21,
        customers=1200,
        items=500,
        sales=700,
        images=250,
        bucket_size=90,
        drip_rate=50.0,
        burst_limit=20,
    )
    account = sb.account_ids[0]
    config = sb.connection_settings(
        account, work.tokens / "tokens.json", discover_account=True, page_size=25, max_retries=10
    )
    register_token_store(evidence, config)
    config_path = work.write_input("config.json", config)
    sb.set_faults(**FAULTS)

    # The 429 storm comes in the middle of the sync, once 40 API requests have been served,
    # while access tokens keep expiring early.
    storm_started = threading.Event()
    done = threading.Event()

    def storm_in_the_middle() -> None:
        while not done.is_set() and sb.stats()["requests"] < 40:
            done.wait(0.02)
        if done.is_set():
            return
        sb.set_faults(**FAULTS, storm_requests=8)
        storm_started.set()
        while not done.is_set() and sb.stats()["429s"]["storm"] < 8:
            done.wait(0.02)
        sb.set_faults(**FAULTS)

    stormer = threading.Thread(target=storm_in_the_middle, daemon=True)
    stormer.start()
    try:
        run = run_tap(work, "tap", config_path)
    finally:
        done.set()
        stormer.join(timeout=5)

    assert run.returncode == 0, run.stderr_text()[-4000:]
    got = record_ids(run.messages())
    expected = sandbox_ids(sb, account)
    for stream in STREAM_ENTITIES:
        missing = sorted(expected[stream] - got[stream])
        extra = sorted(got[stream] - expected[stream])
        assert not missing, f"{stream}: {len(missing)} ids missing, e.g. {missing[:10]}"
        assert not extra, f"{stream}: ids the sandbox does not hold: {extra[:10]}"
        assert len(got[stream]) == len(expected[stream]) > 0

    # The faults really happened (else this test would prove nothing).
    stats = sb.stats()
    assert storm_started.is_set()
    assert stats["429s"]["storm"] == 8
    assert stats["faults"]["errors"] > 0
    assert stats["faults"]["dropped"] > 0
    assert stats["faults"]["slow"] > 0
    assert stats["faults"]["expired_tokens"] > 0
    assert stats["refreshes"] >= 2


def test_a_token_that_dies_again_during_a_429_wait_is_refreshed_again(sandbox_factory, tmp_path):
    """A request whose retries outlast a (second) access token must refresh once more."""
    sb = sandbox_factory(seed=3, customers=5, items=2, sales=2, bucket_enabled=False)
    config = sb.connection_settings(0, tmp_path / "tokens" / "tokens.json", discover_account=True)
    LightspeedClient.forget_all()
    try:
        client = LightspeedClient.for_config(config)
        url = client.account_url + "/Customer.json?limit=1"
        assert client.session.get(url).ok
        issued = time.monotonic()
        sb.set_faults(expire_tokens_every=1.0)
        # The token must be older than a second: there is no event to wait for, only time.
        time.sleep(max(0.0, 1.2 - (time.monotonic() - issued)))
        # 401 (aged token) -> refresh -> three 429s of Retry-After 1 s -> the new token has
        # aged past a second too -> 401 again.
        sb.set_faults(expire_tokens_every=1.0, storm_requests=3)
        assert client.session.get(url).ok
    finally:
        LightspeedClient.forget_all()
