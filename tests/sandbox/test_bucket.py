"""The leaky bucket, its headers, the burst limiter, and turning it off."""

from __future__ import annotations

import time

from lightspeed_sandbox import Sandbox, SandboxConfig

from .conftest import Api


def level_of(resp) -> float:
    return float(resp.headers["X-LS-API-Bucket-Level"].split("/")[0])


def test_headers_on_every_response() -> None:
    cfg = SandboxConfig(customers=20, items=5, sales=5, bucket_size=90, drip_rate=1, burst_limit=20)
    with Sandbox(cfg) as sb:
        api = Api(sb)
        resp = api.get("Customer.json", {"limit": "2"})
        assert resp.headers["X-LS-API-Bucket-Level"] == "1/90"
        assert resp.headers["X-LS-API-Drip-Rate"] == "1"
        assert resp.headers["X-LS-API-Request-Cost"] == "1"
        assert resp.headers["X-LS-API-Burst-Level"] == "1/20"
        resp = api.get("Customer.json", {"load_relations": '["Contact","Tags"]'})
        assert resp.headers["X-LS-API-Request-Cost"] == "1.6"  # (0.1 + 0.2) x 2
        resp = api.get("Customer/1.json", {"load_relations": '["Contact","Tags"]'})
        assert resp.headers["X-LS-API-Request-Cost"] == "1.3"
        level = level_of(resp)
        assert 3.5 < level <= 4.9


def test_overflow_then_429_until_level_drops() -> None:
    cfg = SandboxConfig(customers=20, items=5, sales=5, bucket_size=5, drip_rate=4, burst_limit=100)
    with Sandbox(cfg) as sb:
        api = Api(sb)
        resp = api.get("Customer.json", {"count": "1"})  # costs 10: overflows but is served
        assert resp.status_code == 200
        assert level_of(resp) > 5
        refused = api.get("Customer.json")
        assert refused.status_code == 429
        assert refused.headers["X-LS-API-RateLimit-Type"] == "api-leaky-bucket"
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["Content-Type"].startswith("text/html")
        assert refused.json()["httpCode"] == "429"
        assert refused.headers["X-LS-Acct-Id"] == api.account
        time.sleep((level_of(refused) - 5) / 4 + 0.1)
        assert api.get("Customer.json").status_code == 200
        stats = sb.stats()
        assert stats["429s"]["api-leaky-bucket"] == 1
        log = sb.request_log()
        assert [e["status"] for e in log][-3:] == [200, 429, 200]
        assert log[-2]["rate_limit_type"] == "api-leaky-bucket"


def test_well_paced_client_never_sees_429() -> None:
    cfg = SandboxConfig(
        customers=20, items=5, sales=5, bucket_size=6, drip_rate=20, burst_limit=1000
    )
    with Sandbox(cfg) as sb:
        api = Api(sb)
        level = 0.0
        started = time.monotonic()
        last = started
        for _ in range(60):
            now = time.monotonic()
            level = max(0.0, level - (now - last) * 20)
            if level + 1 > 6:
                time.sleep((level + 1 - 6) / 20 + 0.005)
            resp = api.get("Customer.json", {"limit": "1"})
            assert resp.status_code == 200
            level, last = level_of(resp), time.monotonic()
        assert sb.stats()["429s"]["total"] == 0


def test_burst_limiter() -> None:
    cfg = SandboxConfig(
        customers=20, items=5, sales=5, bucket_size=1000, drip_rate=1, burst_limit=5
    )
    with Sandbox(cfg) as sb:
        api = Api(sb)
        statuses = [api.get("Customer.json", {"limit": "1"}) for _ in range(7)]
        assert [r.status_code for r in statuses[:5]] == [200] * 5
        refused = statuses[5]
        assert refused.status_code == 429
        assert refused.headers["X-LS-API-RateLimit-Type"] == "api-burst-limiter"
        assert refused.headers["Retry-After"] == "1"
        assert statuses[4].headers["X-LS-API-Burst-Level"] == "5/5"
        time.sleep(1.05)
        assert api.get("Customer.json", {"limit": "1"}).status_code == 200
        assert sb.stats()["429s"]["api-burst-limiter"] >= 1


def test_bucket_per_account_and_client() -> None:
    cfg = SandboxConfig(customers=5, items=5, sales=5, accounts=2, bucket_size=3, drip_rate=0.5)
    with Sandbox(cfg) as sb:
        a, b = Api(sb, sb.account_ids[0]), Api(sb, sb.account_ids[1])
        for _ in range(4):  # the 4th overflows (level ~3.99 > 3) and is still served
            assert a.get("Customer.json").status_code == 200
        assert a.get("Customer.json").status_code == 429
        assert b.get("Customer.json").status_code == 200


def test_disabled_bucket_never_limits() -> None:
    cfg = SandboxConfig(
        customers=5, items=5, sales=5, bucket_enabled=False, bucket_size=2, burst_limit=2
    )
    with Sandbox(cfg) as sb:
        api = Api(sb)
        for _ in range(40):
            resp = api.get("Customer.json", {"count": "1"})
            assert resp.status_code == 200
            assert resp.headers["X-LS-API-Bucket-Level"] == "0/2"
            assert "X-LS-API-Burst-Level" not in resp.headers  # no limit to announce
        sb.configure_bucket(enabled=True, reset=True)
        api.get("Customer.json", {"count": "1"})
        assert api.get("Customer.json").status_code == 429
