"""Faults on demand: 5xx at a rate, dropped bodies, slow answers, 429 storms, early expiry."""

from __future__ import annotations

import time

import pytest
import requests

from lightspeed_sandbox import FaultConfig, Sandbox, SandboxConfig

from .conftest import Api


@pytest.fixture
def fsb() -> Sandbox:
    with Sandbox(
        SandboxConfig(seed=11, customers=300, items=10, sales=10, bucket_enabled=False)
    ) as sb:
        yield sb


def test_5xx_at_a_rate(fsb: Sandbox) -> None:
    api = Api(fsb)
    fsb.set_faults(error_rate=0.3, statuses=(500, 502, 503), seed=5)
    statuses = [api.get("Customer.json", {"limit": "1"}).status_code for _ in range(100)]
    errors = [s for s in statuses if s != 200]
    assert 15 <= len(errors) <= 45
    assert set(errors) <= {500, 502, 503}
    assert len(set(errors)) >= 2
    assert fsb.stats()["faults"]["errors"] == len(errors)
    resp = next(r for r in (api.get("Customer.json") for _ in range(50)) if r.status_code >= 500)
    assert resp.headers["Content-Type"].startswith("text/html")
    assert resp.json()["httpCode"] == str(resp.status_code)
    fsb.clear_faults()
    assert all(api.get("Customer.json").status_code == 200 for _ in range(10))


def test_faults_are_reproducible_with_a_seed() -> None:
    sequences = []
    for _ in range(2):
        with Sandbox(
            SandboxConfig(seed=1, customers=5, items=5, sales=5, bucket_enabled=False)
        ) as sb:
            api = Api(sb)
            sb.set_faults(error_rate=0.4, statuses=(500, 503), slow_rate=0.0, seed=99)
            sequences.append([api.get("Customer.json").status_code for _ in range(40)])
    assert sequences[0] == sequences[1]
    assert len(set(sequences[0])) > 1


def test_dropped_connection_mid_body(fsb: Sandbox) -> None:
    api = Api(fsb)
    fsb.set_faults(drop_rate=1.0)
    broken = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
    with pytest.raises(broken, match=r"IncompleteRead|Connection"):
        api.get("Customer.json", {"limit": "100"})
    fsb.clear_faults()
    # The client recovers on a new connection.
    assert api.get("Customer.json").status_code == 200
    assert fsb.stats()["faults"]["dropped"] == 1


def test_drop_is_partial_body(fsb: Sandbox) -> None:
    import socket

    api = Api(fsb)
    fsb.set_faults(drop_rate=1.0)
    host, port = fsb.base_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port))) as sock:
        path = f"/API/V3/Account/{api.account}/Customer.json?limit=50"
        auth = api.session.headers["Authorization"]
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1]
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
    )
    assert head.startswith(b"HTTP/1.1 200")
    assert 0 < len(body) < length


def test_slow_responses(fsb: Sandbox) -> None:
    api = Api(fsb)
    fsb.set_faults(slow_rate=1.0, slow_seconds=0.3)
    started = time.monotonic()
    assert api.get("Customer.json", {"limit": "1"}).status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.session.get(api.url("Customer.json"), timeout=0.1)
    assert fsb.stats()["faults"]["slow"] == 2


def test_429_storm_by_requests(fsb: Sandbox) -> None:
    api = Api(fsb)
    fsb.set_faults(storm_requests=4)
    statuses = [api.get("Customer.json", {"limit": "1"}) for _ in range(6)]
    assert [r.status_code for r in statuses] == [429] * 4 + [200] * 2
    assert statuses[0].headers["Retry-After"] == "1"
    assert statuses[0].headers["X-LS-API-RateLimit-Type"] == "api-leaky-bucket"
    assert fsb.stats()["429s"]["storm"] == 4


def test_429_storm_by_time(fsb: Sandbox) -> None:
    api = Api(fsb)
    fsb.set_faults(storm_seconds=0.4)
    assert api.get("Customer.json").status_code == 429
    time.sleep(0.5)
    assert api.get("Customer.json").status_code == 200


def test_access_tokens_expire_early(fsb: Sandbox) -> None:
    api = Api(fsb)
    fsb.set_faults(expire_tokens_every=0.3)
    assert api.get("Customer.json").status_code == 200
    time.sleep(0.4)
    resp = api.get("Customer.json")
    assert resp.status_code == 401
    assert resp.json()["hint"] == "Access token could not be verified"
    body = api.login()
    assert body["expires_in"] == 3600  # the promise is still an hour
    assert api.get("Customer.json").status_code == 200
    assert fsb.stats()["faults"]["expired_tokens"] == 1


def test_faults_from_config_and_admin_endpoint() -> None:
    cfg = SandboxConfig(
        customers=5, items=5, sales=5, faults=FaultConfig(error_rate=1.0, statuses=(502,))
    )
    with Sandbox(cfg) as sb:
        api = Api(sb)
        assert api.get("Customer.json").status_code == 502
        resp = requests.post(f"{sb.base_url}/_admin/faults", json={}, timeout=5)
        assert resp.status_code == 200
        assert api.get("Customer.json").status_code == 200
        resp = requests.post(
            f"{sb.base_url}/_admin/faults", json={"error_rate": 1, "statuses": [503]}, timeout=5
        )
        assert resp.json()["faults"]["statuses"] == [503]
        assert api.get("Customer.json").status_code == 503
        bad = requests.post(f"{sb.base_url}/_admin/faults", json={"nope": 1}, timeout=5)
        assert bad.status_code == 400
        # Faults never touch the token endpoint.
        assert api.login()["token_type"] == "Bearer"


def test_flat_fault_settings_in_config() -> None:
    cfg = SandboxConfig(customers=5, items=5, sales=5, error_rate=1.0, statuses=(500,))
    assert cfg.faults.error_rate == 1.0
    with Sandbox(cfg) as sb:
        assert Api(sb).get("Customer.json").status_code == 500
