"""Fixtures for the sandbox tests: real servers on loopback, stopped after use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from lightspeed_sandbox import Sandbox, two_accounts


def as_list(body: Any, key: str) -> list[dict[str, Any]]:
    """Read a resource key that may be missing, an object, or a list (``""``: empty)."""
    value = body.get(key) if isinstance(body, dict) else None
    if value is None:
        return []
    return [value] if isinstance(value, dict) else list(value)


class Api:
    """A tiny test client: refresh-token login, GET/POST helpers, paging."""

    def __init__(self, sb: Sandbox, account_id: str | None = None, scope: str = "employee:all"):
        self.sb = sb
        self.account = account_id or sb.account_ids[0]
        self.session = requests.Session()
        self.refresh_token = sb.issue_refresh_token(self.account, scope)
        self.login()

    def login(self) -> dict[str, Any]:
        resp = requests.post(
            self.sb.token_url,
            data={
                "grant_type": "refresh_token",
                "client_id": self.sb.client_id,
                "client_secret": self.sb.client_secret,
                "refresh_token": self.refresh_token,
            },
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        body = resp.json()
        self.refresh_token = body["refresh_token"]
        self.session.headers["Authorization"] = f"Bearer {body['access_token']}"
        return body

    def url(self, path: str) -> str:
        return f"{self.sb.base_url}/API/V3/Account/{self.account}/{path}"

    def get(self, path: str, params: Any = None, **kw: Any) -> requests.Response:
        return self.session.get(self.url(path), params=params, timeout=30, **kw)

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.session.request(method, self.url(path), timeout=30, **kw)

    def pages(self, path: str, params: Any = None) -> Iterator[dict[str, Any]]:
        resp = self.get(path, params)
        while True:
            assert resp.status_code == 200, resp.text
            body = resp.json()
            yield body
            nxt = body["@attributes"]["next"]
            if not nxt:
                return
            resp = self.session.get(nxt, timeout=30)

    def all_url(self, url: str, entity: str) -> list[dict]:
        out: list[dict] = []
        while url:
            resp = self.session.get(url, timeout=30)
            assert resp.status_code == 200, resp.text
            body = resp.json()
            out.extend(as_list(body, entity))
            url = body["@attributes"]["next"]
        return out

    def all(self, entity: str, params: Any = None, path: str | None = None) -> list[dict]:
        out: list[dict] = []
        for body in self.pages(path or f"{entity}.json", params):
            out.extend(as_list(body, entity))
        return out


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """Two accounts with data (3000 customers each), the bucket off, for the whole session."""
    cfg = two_accounts(empty_second=False, seed=7, customers=3000, items=400, sales=600, images=500)
    with Sandbox(cfg) as sb:
        yield sb


@pytest.fixture(scope="session")
def api(sandbox: Sandbox) -> Api:
    return Api(sandbox)


@pytest.fixture
def small(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A small, fresh sandbox (two accounts, bucket on) for tests that change state or limits."""
    return sandbox_factory(seed=3, customers=60, items=40, sales=50, accounts=2)
