"""The shared client's token chain and authorize command against the real sandbox server."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from lightspeed_client import AuthorizationError, LightspeedClient
from lightspeed_sandbox import Sandbox, SandboxConfig

WORKER = r"""
import json, sys
from lightspeed_client import LightspeedClient
config = json.loads(sys.argv[1])
rounds = int(sys.argv[2])
client = LightspeedClient.for_config(config)
errors = []
for _ in range(rounds):
    try:
        client.authenticator.force_refresh()
        # Using the new access token is what kills the previous refresh token.
        client.session.get(client.account_url + "/Customer.json?limit=1").raise_for_status()
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
        break
print(json.dumps({"refreshes": client.authenticator.refresh_count, "errors": errors}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_clients():
    LightspeedClient.forget_all()
    yield
    LightspeedClient.forget_all()


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(
        SandboxConfig(seed=11, customers=20, items=10, sales=10, bucket_enabled=False)
    ) as sb:
        yield sb


def connector_config(sb: Sandbox, store: Path, refresh_token: str | None) -> dict:
    """Settings for the first account, starting from ``refresh_token`` (None: the store's)."""
    return sb.connection_settings(
        0, store, refresh_token=refresh_token or "", discover_account=True, max_retries=3
    )


def run_workers(configs: list[dict], rounds: int) -> list[dict]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(config), str(rounds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for config in configs
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_two_processes_refreshing_at_once_keep_one_valid_chain(sandbox, tmp_path):
    seed = sandbox.issue_refresh_token(sandbox.account_ids[0])
    config = connector_config(sandbox, tmp_path / "tokens.json", seed)
    results = run_workers([config, config], rounds=15)
    assert [r["errors"] for r in results] == [[], []]
    assert sum(r["refreshes"] for r in results) == 30
    # The chain is still good: a third process picks it up from the store and refreshes.
    client = LightspeedClient.for_config(config)
    client.authenticator.force_refresh()
    assert client.session.get(client.account_url + "/Customer.json?limit=1").ok


def test_without_a_shared_store_the_same_two_processes_break_the_chain(sandbox, tmp_path):
    """The control case: it shows the test above can fail."""
    seed = sandbox.issue_refresh_token(sandbox.account_ids[0])
    configs = [
        connector_config(sandbox, tmp_path / "a" / "tokens.json", seed),
        connector_config(sandbox, tmp_path / "b" / "tokens.json", seed),
    ]
    results = run_workers(configs, rounds=5)
    errors = [e for r in results for e in r["errors"]]
    assert any("invalid_grant" in e and "lightspeed-authorize" in e for e in errors)


def test_a_dead_chain_ends_the_run_with_the_authorize_advice(sandbox, tmp_path):
    seed = sandbox.issue_refresh_token(sandbox.account_ids[0])
    first = LightspeedClient.for_config(connector_config(sandbox, tmp_path / "1.json", seed))
    first.session.get(first.account_url + "/Customer.json?limit=1")  # seed now used and dead
    LightspeedClient.forget_all()
    second = LightspeedClient.for_config(connector_config(sandbox, tmp_path / "2.json", seed))
    with pytest.raises(
        AuthorizationError,
        match=r"Run `lightspeed-authorize` again",
    ):
        second.session.get(second.account_url + "/Customer.json?limit=1")


def authorize_command(sb: Sandbox, store: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "lightspeed_client.authorize",
        "--client-id",
        sb.client_id,
        "--auth-url",
        sb.auth_url,
        "--token-url",
        sb.token_url,
        "--api-url",
        sb.api_url,
        "--token-store",
        str(store),
        *extra,
    ]


def start_authorize(sb: Sandbox, store: Path, *extra: str, secret: str | None = None):
    env = {**os.environ, "LIGHTSPEED_CLIENT_SECRET": secret or sb.client_secret}
    return subprocess.Popen(
        authorize_command(sb, store, *extra),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def read_authorize_url(proc, sb: Sandbox) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip().startswith(sb.auth_url):
            return line.strip()
    raise AssertionError("no authorize URL printed")


def test_authorize_end_to_end_with_a_loopback_redirect(tmp_path):
    port = free_port()
    redirect = f"http://127.0.0.1:{port}/callback"
    store = tmp_path / "store" / "tokens.json"
    with Sandbox(SandboxConfig(seed=5, customers=5, items=5, sales=5, redirect_uri=redirect)) as sb:
        proc = start_authorize(sb, store, "--redirect-uri", redirect)
        url = read_authorize_url(proc, sb)
        assert "code_challenge_method=S256" in url
        assert "state=" in url
        # The "browser": the sandbox approves and redirects to the command's listener.
        landing = requests.get(url, timeout=30)
        assert landing.status_code == 200
        assert "authorization received" in landing.text
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert f"Authorized Lightspeed account {sb.account_ids[0]}" in out
        assert f"account_id: '{sb.account_ids[0]}'" in out
        saved = json.loads(store.read_text())
        assert stat.S_IMODE(store.stat().st_mode) == 0o600
        for secret in (saved["refresh_token"], saved["access_token"], sb.client_secret):
            assert secret not in out + err
        # The connectors start from the store alone: no refresh_token setting needed.
        client = LightspeedClient.for_config(connector_config(sb, store, None))
        client.authenticator.force_refresh()
        assert client.account_id == sb.account_ids[0]
        assert client.session.get(client.account_url + "/Customer.json?limit=1").ok


@pytest.fixture(scope="module")
def paste_sandbox():
    cfg = SandboxConfig(seed=6, customers=5, items=5, sales=5, auth_code_lifetime=1.0)
    with Sandbox(cfg) as sb:
        yield sb


def approve(url: str) -> str:
    response = requests.get(url, allow_redirects=False, timeout=30)
    assert response.status_code == 302
    return response.headers["Location"]


def test_authorize_with_a_pasted_redirect_url(paste_sandbox, tmp_path):
    sb = paste_sandbox
    store = tmp_path / "tokens.json"
    proc = start_authorize(sb, store, "--redirect-uri", sb.redirect_uri)
    location = approve(read_authorize_url(proc, sb))
    out, err = proc.communicate(location + "\n", timeout=60)
    assert proc.returncode == 0, err
    assert "Authorized Lightspeed account" in out
    assert json.loads(store.read_text())["account_id"] == sb.account_ids[0]


def test_authorize_refuses_a_redirect_from_another_attempt(paste_sandbox, tmp_path):
    sb = paste_sandbox
    proc = start_authorize(sb, tmp_path / "tokens.json", "--redirect-uri", sb.redirect_uri)
    location = approve(read_authorize_url(proc, sb))
    forged = location.replace("state=", "state=x", 1)
    _out, err = proc.communicate(forged + "\n", timeout=60)
    assert proc.returncode == 1
    assert "state does not match" in err
    assert not (tmp_path / "tokens.json").exists()


def test_authorize_explains_an_expired_code(paste_sandbox, tmp_path):
    sb = paste_sandbox
    proc = start_authorize(sb, tmp_path / "tokens.json", "--redirect-uri", sb.redirect_uri)
    location = approve(read_authorize_url(proc, sb))
    time.sleep(1.5)  # the sandbox's codes live 1 s here
    _out, err = proc.communicate(location + "\n", timeout=60)
    assert proc.returncode == 1
    assert "codes live 60 seconds" in err


def test_authorize_explains_a_bad_client_secret(paste_sandbox, tmp_path):
    sb = paste_sandbox
    proc = start_authorize(
        sb, tmp_path / "tokens.json", "--redirect-uri", sb.redirect_uri, secret="not-the-secret"
    )
    location = approve(read_authorize_url(proc, sb))
    _out, err = proc.communicate(location + "\n", timeout=60)
    assert proc.returncode == 1
    assert "Check the client_id and client_secret" in err
    assert "not-the-secret" not in err


def test_with_the_bucket_off_the_client_never_waits(sandbox, tmp_path):
    seed = sandbox.issue_refresh_token(sandbox.account_ids[0])
    client = LightspeedClient.for_config(connector_config(sandbox, tmp_path / "t.json", seed))
    for _ in range(60):  # more than any burst limit would allow in a second
        client.session.get(client.account_url + "/Customer.json?limit=1")
    assert client.pacer.stats.waits == 0
