from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pytest

from lightspeed_client import LightspeedClient

API = "https://api.lightspeed.test"
TOKEN_URL = "https://cloud.lightspeed.test/auth/oauth/token"
ACCOUNT = "120645"
CLIENT_SECRET = "client-secret-5e3c1f0a"
FIRST_REFRESH = "def50-first-refresh-token"


@dataclass
class RotatingTokenEndpoint:
    """A requests-mock token endpoint with Lightspeed's rotation: each refresh token works once."""

    valid_refresh: set[str] = field(default_factory=lambda: {FIRST_REFRESH})
    expires_in: int = 3600
    issued: int = 0
    forms: list[dict[str, str]] = field(default_factory=list)
    error: tuple[int, dict] | None = None

    def __call__(self, request, context):
        form = {k: v[0] for k, v in parse_qs(request.text).items()}
        self.forms.append(form)
        if self.error is not None:
            context.status_code, body = self.error
            context.headers["Content-Type"] = "text/html"
            return json.dumps(body)
        if form.get("client_secret") != CLIENT_SECRET:
            context.status_code = 401
            return json.dumps({"error": "invalid_client", "error_description": "Client failed"})
        token = form.get("refresh_token")
        if form.get("grant_type") != "refresh_token" or "scope" in form:
            context.status_code = 400
            return json.dumps({"error": "invalid_grant", "error_description": "bad grant"})
        if token not in self.valid_refresh:
            context.status_code = 400
            return json.dumps(
                {
                    "error": "invalid_grant",
                    "error_description": "The refresh token is invalid.",
                    "hint": "Token has been revoked",
                }
            )
        self.valid_refresh.discard(token)
        self.issued += 1
        new_refresh = f"def50-refresh-{self.issued}"
        self.valid_refresh.add(new_refresh)
        return json.dumps(
            {
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "access_token": f"access-token-{self.issued}",
                "refresh_token": new_refresh,
            }
        )


@pytest.fixture(autouse=True)
def _fresh_clients():
    LightspeedClient.forget_all()
    yield
    LightspeedClient.forget_all()


@pytest.fixture
def config(tmp_path):
    return {
        "client_id": "client-id-1",
        "client_secret": CLIENT_SECRET,
        "refresh_token": FIRST_REFRESH,
        "account_id": ACCOUNT,
        "api_url": API,
        "token_url": TOKEN_URL,
        "token_store": str(tmp_path / "state" / "tokens.json"),
    }


@pytest.fixture
def token_endpoint(requests_mock):
    endpoint = RotatingTokenEndpoint()
    requests_mock.post(TOKEN_URL, text=endpoint)
    return endpoint


def bucket_headers(level: float, size: float = 90, drip: float = 1, cost: float = 1) -> dict:
    return {
        "X-LS-API-Bucket-Level": f"{level}/{size}",
        "X-LS-API-Drip-Rate": str(drip),
        "X-LS-API-Request-Cost": str(cost),
        "X-LS-Acct-Id": ACCOUNT,
    }


class FakeTime:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
