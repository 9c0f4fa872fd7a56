"""Fixtures and helpers for target-lightspeed tests.

Two ways to reach an API, never the network:

- ``MockedSandbox``: the sandbox's request handler mounted on requests-mock, so tests see
  every request (``mocker.request_history``) while the API behaves like the real one;
- a real ``Sandbox`` on loopback (for the subprocess and end-to-end tests).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests
import requests_mock

from lightspeed_client.client import LightspeedClient
from lightspeed_sandbox.httpserver import Request
from tap_lightspeed.tap import TapLightspeed
from target_lightspeed.target import TargetLightspeed
from tests.conftest import target_settings

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox

MOCK_URL = "https://lightspeed.mock"
#: Reference ids the sandbox's accounts share, so a copy may keep them.
SHARED_IDS = [
    "categoryID",
    "taxClassID",
    "manufacturerID",
    "customerTypeID",
    "taxCategoryID",
    "employeeID",
    "registerID",
    "shopID",
    "paymentTypeID",
    "discountID",
    "seasonID",
    "defaultVendorID",
]

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "tap_lightspeed" / "schemas"


def tap_schema(stream: str) -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / f"{stream}.json").read_text())


class MockedSandbox:
    """A sandbox app answering through requests-mock (no socket)."""

    def __init__(self, mocker: requests_mock.Mocker, sandbox: Sandbox) -> None:
        self.mocker = mocker
        self.sb = sandbox
        self.app = sandbox.app
        self.app.base_url = MOCK_URL
        self.drop_next_posts = 0
        mocker.register_uri(requests_mock.ANY, requests_mock.ANY, text=self._handle)

    def _handle(self, request: Any, context: Any) -> str:
        parts = urlsplit(request.url)
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        response = self.app(
            Request(
                method=request.method,
                target=parts.path + (f"?{parts.query}" if parts.query else ""),
                path=parts.path,
                query=parts.query,
                headers=headers,
                body=body,
                client="127.0.0.1",
            )
        )
        if response.drop or (
            request.method == "POST" and parts.path.startswith("/API/") and self.drop_next_posts
        ):
            if not response.drop:
                self.drop_next_posts -= 1
            raise requests.exceptions.ChunkedEncodingError("connection dropped mid-body")
        context.status_code = response.status
        context.headers.update(dict(response.headers))
        context.headers["Content-Type"] = response.content_type
        return response.body.decode()

    # -- helpers ---------------------------------------------------------------------------
    def requests(self, method: str | None = None, entity: str | None = None) -> list[Any]:
        out = []
        for req in self.mocker.request_history:
            path = urlsplit(req.url).path
            if not path.startswith("/API/"):
                continue
            if method and req.method != method:
                continue
            if entity and f"/{entity}" not in path:
                continue
            out.append(req)
        return out

    def writes(self) -> list[Any]:
        return [r for r in self.requests() if r.method in ("POST", "PUT", "DELETE")]

    def records(self, entity: str, account: int = 1) -> list[dict[str, Any]]:
        return self.sb.records(self.sb.account_ids[account], entity)


def target_config(
    sb: Sandbox, tmp_path: Path, account: int = 1, base_url: str | None = None, **overrides: Any
) -> dict[str, Any]:
    tokens = tmp_path / f"tokens-{account}.json"
    settings = {"base_url": base_url, "max_retries": 5, **overrides}
    return target_settings(sb, account, tokens, tmp_path, **settings)


def tap_config(sb: Sandbox, tmp_path: Path, account: int = 0, base_url: str | None = None) -> dict:
    return sb.connection_settings(
        account, tmp_path / f"tap-tokens-{account}.json", base_url=base_url
    )


def fast(config: dict[str, Any]) -> dict[str, Any]:
    """No backoff sleeps for this config's shared client."""
    LightspeedClient.for_config(config).session.backoff_base = 0.0
    return config


def run_tap(config: dict[str, Any], streams: set[str]) -> list[str]:
    """Run the tap in-process and return its output lines."""
    tap = TapLightspeed(config=config, parse_env_config=False)
    catalog = tap.catalog_dict
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"]["selected"] = entry["tap_stream_id"] in streams
    tap = TapLightspeed(config=config, catalog=catalog, parse_env_config=False)
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with redirect_stdout(buffer):
        tap.sync_all()
    buffer.flush()
    raw = buffer.buffer.getvalue().decode()  # type: ignore[attr-defined]
    return [line for line in raw.splitlines() if line.strip()]


@dataclass
class TargetRun:
    states: list[dict] = field(default_factory=list)
    error: BaseException | None = None
    target: TargetLightspeed | None = None

    @property
    def summary(self) -> dict[str, dict[str, Any]]:
        assert self.target is not None
        return {name: s.as_dict() for name, s in self.target.runtime.report.streams.items()}


def run_target(config: dict[str, Any], lines: list[str], *, raise_errors: bool = True) -> TargetRun:
    """Run the target in-process on Singer lines; return the state values it emitted."""
    target = TargetLightspeed(config=config, parse_env_config=False)
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    result = TargetRun(target=target)
    try:
        with redirect_stdout(buffer):
            target.listen(io.StringIO("\n".join(lines) + "\n"))
    except Exception as exc:
        if raise_errors:
            raise
        result.error = exc
    buffer.flush()
    raw = buffer.buffer.getvalue().decode()  # type: ignore[attr-defined]
    for line in raw.splitlines():
        if line.strip():  # targets emit each state value as one line
            result.states.append(json.loads(line))
    return result


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value))


def messages(
    stream: str, records: list[dict], schema: dict | None = None, key: str = "id"
) -> list[str]:
    """SCHEMA + RECORD lines for a stream (schema: the tap's, or one accepting anything)."""
    schema = schema or {"type": "object", "properties": {}, "additionalProperties": True}
    lines = [
        json.dumps({"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": []})
    ]
    lines += [
        json.dumps({"type": "RECORD", "stream": stream, "record": r}, default=_default)
        for r in records
    ]
    return lines


def state(value: dict) -> str:
    return json.dumps({"type": "STATE", "value": value})


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    LightspeedClient.forget_all()
    yield
    LightspeedClient.forget_all()


@pytest.fixture
def sandbox_pair(two_account_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A fresh sandbox (not listening) whose second account is empty."""
    return two_account_sandbox(
        start=False, seed=5, customers=30, items=20, sales=20, burst_limit=10_000
    )


@pytest.fixture
def mocked(sandbox_pair: Sandbox) -> Iterator[MockedSandbox]:
    """The sandbox answering through requests-mock."""
    with requests_mock.Mocker() as mocker:
        yield MockedSandbox(mocker, sandbox_pair)


@pytest.fixture
def config(mocked: MockedSandbox, tmp_path: Path) -> dict[str, Any]:
    """A target config for the mocked sandbox's empty account, instant retries."""
    return fast(target_config(mocked.sb, tmp_path, base_url=MOCK_URL))
