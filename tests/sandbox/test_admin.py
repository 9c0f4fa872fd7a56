"""Admin endpoints and their in-process equivalents; secrets stay out of logs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import requests

from .conftest import Api

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox


def test_stats_requests_records_over_http(small: Sandbox) -> None:
    small.configure_bucket(enabled=False)
    api = Api(small)
    api.get("Customer.json", {"limit": "2"})
    api.get("Customer/999.json")
    api.request("POST", "Customer.json", json={"firstName": "Ann"})
    base = f"{small.base_url}/_admin"
    stats = requests.get(f"{base}/stats", timeout=5).json()
    assert stats["requests"] == 3
    assert stats["writes"] == 1
    assert stats["status"] == {"200": 2, "404": 1}
    assert stats["records_served"] >= 3
    assert stats["refreshes"] == 1
    assert set(stats["429s"]) >= {"api-leaky-bucket", "api-burst-limiter"}
    log = requests.get(f"{base}/requests", timeout=5).json()["requests"]
    assert [e["method"] for e in log] == ["GET", "GET", "POST"]
    first = log[0]
    for key in ("method", "path", "query", "status", "cost", "bucket_level", "account", "time"):
        assert key in first
    assert first["query"] == "limit=2"
    assert first["account"] == api.account
    records = requests.get(f"{base}/records/{api.account}/Customer", timeout=5).json()
    assert records["count"] == 61
    assert records["records"][-1]["firstName"] == "Ann"
    assert records["records"][-1]["Contact"]["Emails"] == ""
    assert small.records(api.account, "Customer")[-1]["customerID"] == "61"
    assert requests.get(f"{base}/records/1/Customer", timeout=5).status_code == 404
    assert requests.post(f"{base}/reset-stats", timeout=5).json() == {"ok": True}
    assert small.stats()["requests"] == 0
    assert small.request_log() == []


def test_refresh_token_endpoint(small: Sandbox) -> None:
    account = small.account_ids[1]
    resp = requests.post(
        f"{small.base_url}/_admin/refresh-token", json={"account_id": account}, timeout=5
    )
    rt = resp.json()["refresh_token"]
    tok = requests.post(
        small.token_url,
        data={
            "grant_type": "refresh_token",
            "client_id": small.client_id,
            "client_secret": small.client_secret,
            "refresh_token": rt,
        },
        timeout=5,
    )
    assert tok.status_code == 200
    bad = requests.post(
        f"{small.base_url}/_admin/refresh-token", json={"account_id": "1"}, timeout=5
    )
    assert bad.status_code == 400


def test_bucket_admin(small: Sandbox) -> None:
    resp = requests.post(
        f"{small.base_url}/_admin/bucket", json={"size": 50, "drip_rate": 5}, timeout=5
    )
    assert resp.json()["size"] == 50
    api = Api(small)
    assert api.get("Customer.json").headers["X-LS-API-Bucket-Level"].endswith("/50")


def test_secrets_never_logged(small: Sandbox, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    api = Api(small)
    api.get("Customer.json")
    api.get("Nope.json")
    token = api.session.headers["Authorization"][7:]
    text = caplog.text + repr(small.request_log()) + repr(small.stats())
    assert small.client_secret not in text
    assert token not in text
    assert api.refresh_token not in text
