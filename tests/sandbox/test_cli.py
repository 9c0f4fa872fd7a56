"""`lightspeed-sandbox serve` as a subprocess: info file, curl-style sequence, clean exit."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            try:
                return json.loads(path.read_text())
            except ValueError:
                pass
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError("no info file")


def _command() -> list[str]:
    script = shutil.which("lightspeed-sandbox", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "lightspeed_sandbox"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_token_account_customers_and_clean_exit(tmp_path: Path, sig: int) -> None:
    info_file = tmp_path / "sandbox.json"
    proc = subprocess.Popen(
        [
            *_command(),
            "serve",
            "--port",
            "0",
            "--seed",
            "3",
            "--customers",
            "250",
            "--items",
            "20",
            "--sales",
            "20",
            "--accounts",
            "2",
            "--info-file",
            str(info_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = _wait_for(info_file, proc)
        assert stat.S_IMODE(info_file.stat().st_mode) == 0o600
        assert set(info) == {
            "base_url",
            "api_url",
            "auth_url",
            "token_url",
            "client_id",
            "client_secret",
            "redirect_uri",
            "accounts",
        }
        assert info["base_url"].startswith("http://127.0.0.1:")
        assert len(info["accounts"]) == 2
        account = info["accounts"][0]
        # token -> account -> a page of customers, like docs/sandbox.md's curl sequence.
        tok = requests.post(
            info["token_url"],
            data={
                "grant_type": "refresh_token",
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
                "refresh_token": account["refresh_token"],
            },
            timeout=10,
        ).json()
        headers = {"Authorization": f"Bearer {tok['access_token']}"}
        acct = requests.get(f"{info['api_url']}/API/V3/Account.json", headers=headers, timeout=10)
        account_id = acct.json()["Account"]["accountID"]
        assert account_id == account["account_id"]
        page = requests.get(
            f"{info['api_url']}/API/V3/Account/{account_id}/Customer.json",
            params={"limit": "100", "load_relations": '["Contact"]'},
            headers=headers,
            timeout=10,
        )
        assert page.status_code == 200
        assert len(page.json()["Customer"]) == 100
        assert page.json()["@attributes"]["next"]
        port = int(info["base_url"].rsplit(":", 1)[1])
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert json.loads(out)["client_id"] == info["client_id"]
    assert "stopped" in err
    assert info["client_secret"] not in err
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=1),
    ):
        pass


def test_help_lists_flags() -> None:
    out = subprocess.run(
        [*_command(), "serve", "--help"], capture_output=True, text=True, check=True
    )
    for flag in (
        "--no-bucket",
        "--drip-rate",
        "--error-rate",
        "--drop-rate",
        "--info-file",
        "--token-lifetime",
        "--empty-accounts",
    ):
        assert flag in out.stdout
