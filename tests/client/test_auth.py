from __future__ import annotations

import json
import logging
import os
import stat

import pytest
import requests

from lightspeed_client import (
    AuthorizationError,
    LightspeedAPIError,
    LightspeedClient,
    LightspeedError,
)
from lightspeed_client import token_store as token_store_module
from lightspeed_client.token_store import (
    LOCK_TIMEOUT_SECONDS,
    TokenState,
    TokenStore,
    fingerprint,
)

from .conftest import ACCOUNT, API, CLIENT_SECRET, FIRST_REFRESH, FakeTime, bucket_headers

ACCOUNT_JSON = {"@attributes": {"count": "1"}, "Account": {"accountID": ACCOUNT, "name": "Kit"}}
CUSTOMERS_URL = f"{API}/API/V3/Account/{ACCOUNT}/Customer.json"


def read_store(config) -> dict:
    with open(config["token_store"]) as handle:
        return json.load(handle)


def test_rotated_refresh_token_is_stored_before_the_new_access_token_is_used(
    config, token_endpoint, requests_mock
):
    seen = []

    def api(request, context):
        # At the moment the new access token reaches the API, the store already holds the
        # refresh token that came with it.
        seen.append((request.headers["Authorization"], read_store(config)["refresh_token"]))
        context.headers.update(bucket_headers(1))
        return json.dumps({"@attributes": {"next": "", "previous": ""}})

    requests_mock.get(CUSTOMERS_URL, text=api)
    client = LightspeedClient.for_config(config)
    client.session.get(CUSTOMERS_URL)
    assert seen == [("Bearer access-token-1", "def50-refresh-1")]
    assert token_endpoint.valid_refresh == {"def50-refresh-1"}
    form = token_endpoint.forms[0]
    assert form == {
        "grant_type": "refresh_token",
        "client_id": "client-id-1",
        "client_secret": CLIENT_SECRET,
        "refresh_token": FIRST_REFRESH,
    }
    assert "scope" not in form


def test_token_store_is_private_and_atomic(config, token_endpoint, requests_mock, tmp_path):
    requests_mock.get(CUSTOMERS_URL, json={}, headers=bucket_headers(1))
    LightspeedClient.for_config(config).session.get(CUSTOMERS_URL)
    mode = stat.S_IMODE(os.stat(config["token_store"]).st_mode)
    assert mode == 0o600
    leftovers = [p.name for p in (tmp_path / "state").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    stored = read_store(config)
    assert stored["access_token"] == "access-token-1"
    assert stored["seeded_from"] == fingerprint(FIRST_REFRESH)


def test_access_token_is_reused_until_close_to_expiry_then_refreshed_ahead(
    config, token_endpoint, requests_mock
):
    now = [1_000_000.0]
    requests_mock.get(CUSTOMERS_URL, json={}, headers=bucket_headers(1))
    client = LightspeedClient.for_config(config)
    client.authenticator._clock = lambda: now[0]
    client.session.get(CUSTOMERS_URL)
    now[0] += 3000  # 600 s left: more than the 300 s margin
    client.session.get(CUSTOMERS_URL)
    assert token_endpoint.issued == 1
    now[0] += 400  # 200 s left: inside the margin, refresh before sending
    client.session.get(CUSTOMERS_URL)
    assert token_endpoint.issued == 2
    api_calls = [r for r in requests_mock.request_history if r.url == CUSTOMERS_URL]
    assert [r.headers["Authorization"] for r in api_calls] == [
        "Bearer access-token-1",
        "Bearer access-token-1",
        "Bearer access-token-2",
    ]


def test_a_short_lived_token_is_refreshed_at_four_fifths_of_its_life(
    config, token_endpoint, requests_mock
):
    token_endpoint.expires_in = 10
    now = [5_000.0]
    requests_mock.get(CUSTOMERS_URL, json={}, headers=bucket_headers(1))
    client = LightspeedClient.for_config(config)
    client.authenticator._clock = lambda: now[0]
    client.session.get(CUSTOMERS_URL)
    now[0] += 7.9
    client.session.get(CUSTOMERS_URL)
    assert token_endpoint.issued == 1
    now[0] += 0.2
    client.session.get(CUSTOMERS_URL)
    assert token_endpoint.issued == 2


def test_401_refreshes_once_and_retries(config, token_endpoint, requests_mock):
    requests_mock.get(
        CUSTOMERS_URL,
        [
            {"status_code": 401, "json": {"error": "access_denied"}, "headers": bucket_headers(1)},
            {"status_code": 200, "json": {"ok": 1}, "headers": bucket_headers(2)},
        ],
    )
    client = LightspeedClient.for_config(config)
    response = client.session.get(CUSTOMERS_URL)
    assert response.json() == {"ok": 1}
    assert token_endpoint.issued == 2
    auth_headers = [
        r.headers["Authorization"] for r in requests_mock.request_history if r.url == CUSTOMERS_URL
    ]
    assert auth_headers == ["Bearer access-token-1", "Bearer access-token-2"]


def test_a_second_401_in_a_row_is_an_error_not_a_loop(config, token_endpoint, requests_mock):
    requests_mock.get(
        CUSTOMERS_URL,
        status_code=401,
        headers={"Content-Type": "text/html"},
        text=json.dumps({"error": "access_denied", "hint": "Access token could not be verified"}),
    )
    client = LightspeedClient.for_config(config)
    with pytest.raises(LightspeedAPIError) as raised:
        client.session.get(CUSTOMERS_URL + "?limit=5")
    assert raised.value.status == 401
    assert token_endpoint.issued == 2
    assert "limit" not in str(raised.value)


def test_after_a_401_a_token_refreshed_by_another_process_is_adopted(
    config, token_endpoint, requests_mock
):
    requests_mock.get(
        CUSTOMERS_URL,
        [
            {"status_code": 401, "json": {}, "headers": bucket_headers(1)},
            {"status_code": 200, "json": {}, "headers": bucket_headers(1)},
        ],
    )
    client = LightspeedClient.for_config(config)
    client.authenticator.access_token()  # issued 1
    # Another process rotates the chain meanwhile and stores its tokens.
    store = TokenStore(config["token_store"])
    other = store.read()
    store.write(
        TokenState(
            refresh_token="def50-other",
            access_token="access-token-other",
            expires_at=other.expires_at + 100,
            obtained_at=other.obtained_at + 100,
            account_id=ACCOUNT,
            seeded_from=other.seeded_from,
        )
    )
    client.session.get(CUSTOMERS_URL)
    assert token_endpoint.issued == 1  # no refresh of our own
    assert requests_mock.last_request.headers["Authorization"] == "Bearer access-token-other"


def test_the_store_wins_over_the_setting_it_was_seeded_from(config, token_endpoint):
    client = LightspeedClient.for_config(config)
    client.authenticator.force_refresh()
    client.authenticator.force_refresh()
    LightspeedClient.forget_all()
    # A new process with the same config (still holding the first, now dead, token).
    fresh = LightspeedClient.for_config(config)
    fresh.authenticator.force_refresh()
    assert token_endpoint.forms[-1]["refresh_token"] == "def50-refresh-2"
    assert read_store(config)["refresh_token"] == "def50-refresh-3"


def test_a_new_refresh_token_setting_starts_a_new_chain(config, token_endpoint):
    LightspeedClient.for_config(config).authenticator.force_refresh()
    LightspeedClient.forget_all()
    token_endpoint.valid_refresh.add("def50-reauthorized")
    new_config = {**config, "refresh_token": "def50-reauthorized"}
    LightspeedClient.for_config(new_config).authenticator.access_token()
    assert token_endpoint.forms[-1]["refresh_token"] == "def50-reauthorized"
    assert read_store(config)["seeded_from"] == fingerprint("def50-reauthorized")


def test_invalid_grant_says_to_authorize_again_without_leaking(config, token_endpoint, caplog):
    token_endpoint.valid_refresh.clear()
    client = LightspeedClient.for_config(config)
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthorizationError) as raised:
        client.authenticator.access_token()
    message = str(raised.value)
    assert raised.value.error == "invalid_grant"
    assert "lightspeed-authorize" in message
    assert "chain is broken" in message
    assert FIRST_REFRESH not in message
    assert CLIENT_SECRET not in message + caplog.text


def test_invalid_client_says_to_check_id_and_secret(config, token_endpoint):
    client = LightspeedClient.for_config({**config, "client_secret": "wrong-secret-value"})
    with pytest.raises(AuthorizationError) as raised:
        client.authenticator.access_token()
    assert raised.value.error == "invalid_client"
    assert "client_id and client_secret" in str(raised.value)
    assert "wrong-secret-value" not in str(raised.value)


def test_no_refresh_token_anywhere_is_explained(config, token_endpoint):
    client = LightspeedClient.for_config({**config, "refresh_token": None})
    with pytest.raises(AuthorizationError, match="Run `lightspeed-authorize` first"):
        client.authenticator.access_token()
    assert token_endpoint.forms == []


def test_token_endpoint_hiccups_are_retried(config, requests_mock):
    good = {
        "token_type": "Bearer",
        "expires_in": 1800,
        "access_token": "access-token-x",
        "refresh_token": "def50-x",
    }
    requests_mock.post(
        config["token_url"],
        [{"status_code": 503, "text": "busy"}, {"status_code": 200, "json": good}],
    )
    client = LightspeedClient.for_config(config)
    slept = []
    client.authenticator._sleep = slept.append
    assert client.authenticator.access_token() == "access-token-x"
    state = TokenStore(config["token_store"]).read()
    assert state.expires_at - state.obtained_at == 1800
    assert len(slept) == 1


def client_on_fake_time(config, monkeypatch) -> tuple[LightspeedClient, FakeTime]:
    """A client whose token attempts and waits run on a fake clock."""
    fake = FakeTime()
    client = LightspeedClient.for_config(config)
    client.authenticator._sleep = fake.sleep
    client.authenticator._monotonic = fake.clock
    monkeypatch.setattr("lightspeed_client.auth.time.sleep", fake.sleep)
    return client, fake


def test_a_refresh_releases_the_lock_before_a_waiter_gives_up(config, requests_mock, monkeypatch):
    client, fake = client_on_fake_time(config, monkeypatch)

    def times_out(request, _context):
        fake.now += request.timeout  # each attempt takes its whole timeout
        raise requests.exceptions.ReadTimeout("read timed out")

    requests_mock.post(config["token_url"], text=times_out)
    started = fake.now
    with pytest.raises(LightspeedError) as raised:
        client.authenticator.access_token()
    held = fake.now - started
    assert held < LOCK_TIMEOUT_SECONDS
    assert "Token refresh failed" in str(raised.value)
    assert "ReadTimeout" in str(raised.value)
    assert requests_mock.call_count >= 2  # the deadline cuts attempts short, not out


def test_a_token_endpoint_asking_to_wait_too_long_fails_clearly(config, requests_mock, monkeypatch):
    client, fake = client_on_fake_time(config, monkeypatch)
    requests_mock.post(
        config["token_url"], status_code=503, text="maintenance", headers={"Retry-After": "86400"}
    )
    with pytest.raises(LightspeedError) as raised:
        client.authenticator.access_token()
    assert fake.slept == []
    assert "86400 s" in str(raised.value)
    assert "run again later" in str(raised.value)
    assert requests_mock.call_count == 1


def test_a_lock_held_too_long_ends_in_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(token_store_module, "LOCK_TIMEOUT_SECONDS", 0.2)
    holder = TokenStore(tmp_path / "tokens.json")
    waiter = TokenStore(tmp_path / "tokens.json")
    with holder.locked(), pytest.raises(LightspeedError) as raised, waiter.locked():
        pass
    message = str(raised.value)
    assert f"lock of token store {tmp_path / 'tokens.json'}" in message
    assert "hung tap-lightspeed, target-lightspeed" in message
    with waiter.locked():  # free again once the holder is done
        pass


def test_a_failed_write_leaves_the_store_and_no_temporary_file(tmp_path, monkeypatch):
    store = TokenStore(tmp_path / "tokens.json")
    store.write(TokenState(refresh_token="def50-old"))

    def disk_full(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lightspeed_client.token_store.os.fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.write(TokenState(refresh_token="def50-new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]
    assert store.read() == TokenState(refresh_token="def50-old")


def test_unwritable_store_fails_before_the_new_token_is_used(
    config, token_endpoint, requests_mock, monkeypatch
):
    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    requests_mock.get(CUSTOMERS_URL, json={}, headers=bucket_headers(1))
    monkeypatch.setattr("lightspeed_client.token_store.os.replace", disk_full)
    client = LightspeedClient.for_config(config)
    with pytest.raises(AuthorizationError) as raised:
        client.session.get(CUSTOMERS_URL)
    assert "No space left on device" in str(raised.value)
    assert "previous refresh token still works" in str(raised.value)
    assert "def50-refresh-1" not in str(raised.value)
    # The new access token never reached the API.
    assert [r.url for r in requests_mock.request_history] == [config["token_url"]]


def test_account_id_is_read_from_the_api_when_not_set(config, token_endpoint, requests_mock):
    requests_mock.get(f"{API}/API/V3/Account.json", json=ACCOUNT_JSON, headers=bucket_headers(1))
    client = LightspeedClient.for_config({**config, "account_id": None})
    assert client.account_id == ACCOUNT
    assert client.account_url == f"{API}/API/V3/Account/{ACCOUNT}"


def test_a_token_that_expires_during_a_429_wait_is_refreshed_again(
    config, token_endpoint, requests_mock
):
    requests_mock.get(
        CUSTOMERS_URL,
        [
            {"status_code": 401, "json": {}},
            {"status_code": 429, "json": {}, "headers": {"Retry-After": "0"}},
            {"status_code": 401, "json": {}},
            {"status_code": 200, "json": {"ok": 1}, "headers": bucket_headers(1)},
        ],
    )
    client = LightspeedClient.for_config(config)
    assert client.session.get(CUSTOMERS_URL).json() == {"ok": 1}
    assert token_endpoint.issued == 3
