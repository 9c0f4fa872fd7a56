"""End-to-end fixtures: Meltano (its own venv), the sandbox, the local PostgreSQL.

The plugins come from ``meltano install`` (``scripts/test`` runs it into ``.meltano/``); every
test gets a private Meltano system database, token store, ledger and PostgreSQL schema, and
removes them afterwards. PostgreSQL is reached with ``psql`` (the project's environment has no
PostgreSQL driver; the plugins bring their own).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from lightspeed_sandbox import Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parents[2]
MELTANO = ROOT / ".meltano-venv" / "bin" / "meltano"
PLUGIN_BINS = {
    "tap-lightspeed": ROOT / ".meltano/extractors/tap-lightspeed/venv/bin/tap-lightspeed",
    "tap-postgres": ROOT / ".meltano/extractors/tap-postgres/venv/bin/tap-postgres",
    "target-postgres": ROOT / ".meltano/loaders/target-postgres/venv/bin/target-postgres-typed",
    "target-duckdb": ROOT / ".meltano/loaders/target-duckdb/venv/bin/target-duckdb",
    "target-lightspeed": ROOT / ".meltano/loaders/target-lightspeed/venv/bin/target-lightspeed",
}
PG = {
    "host": os.environ.get("E2E_PGHOST", "127.0.0.1"),
    "port": os.environ.get("E2E_PGPORT", "5432"),
    "user": os.environ.get("E2E_PGUSER", "postgres"),
    "password": os.environ.get("E2E_PGPASSWORD", "postgres"),  # ignored by trust auth
    "database": os.environ.get("E2E_PGDATABASE", "test"),
}
# Variables of the user's shell that would leak into the plugins' settings.
LEAKY_PREFIXES = ("TAP_", "TARGET_", "MELTANO_", "LIGHTSPEED_")


def load_script(name: str) -> ModuleType:
    """Import a module of ``scripts/`` (not a package) by its name, e.g. ``"demo"``."""
    spec = importlib.util.spec_from_file_location(
        f"scripts_{name}", ROOT / "scripts" / f"{name}.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pg_url(driver: str = "postgresql") -> str:
    """Return the URL of the test database for a SQLAlchemy driver."""
    return f"{driver}://{PG['user']}:{PG['password']}@{PG['host']}:{PG['port']}/{PG['database']}"


def psql(sql: str) -> str:
    """Run SQL with ``psql`` (stops at the first error) and return its unaligned output."""
    # A session time zone far from UTC: times must be read back as instants, not wall clocks.
    env = {**os.environ, "PGPASSWORD": PG["password"], "PGTZ": "America/St_Johns"}
    result = subprocess.run(
        [
            "psql",
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            PG["host"],
            "-p",
            PG["port"],
            "-U",
            PG["user"],
            "-d",
            PG["database"],
        ],
        input=sql,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def query(sql: str) -> list[dict[str, Any]]:
    """Return the rows of a SELECT as dicts (through ``json_agg``)."""
    out = psql(f"select coalesce(json_agg(q), '[]'::json) from ({sql}) q;")
    return json.loads(out)


@pytest.fixture(scope="session")
def meltano_installed() -> Path:
    """Check that Meltano and the plugins are installed (``scripts/test`` installs them)."""
    if shutil.which("psql") is None:
        pytest.fail("psql is needed by the end-to-end tests (PostgreSQL client)")
    missing = [str(p.relative_to(ROOT)) for p in [MELTANO, *PLUGIN_BINS.values()] if not p.exists()]
    if missing:
        pytest.fail(
            "Meltano or its plugins are not installed (run scripts/test, which installs "
            f"them): missing {', '.join(missing)}"
        )
    psql("select 1;")
    return MELTANO


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema name in the test database, dropped afterwards."""
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        psql(f"drop schema if exists {name} cascade;")


@dataclass
class MeltanoRunner:
    """Runs ``meltano`` in the project with a private system database and token store."""

    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    logs: list[Path] = field(default_factory=list)

    def base_env(self) -> dict[str, str]:
        """The environment of a Meltano run: the user's, minus plugin settings, plus ours."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY_PREFIXES)}
        env.update(
            {
                "MELTANO_DATABASE_URI": f"sqlite:///{self.workdir / 'meltano.db'}",
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                "LIGHTSPEED_SANDBOX_TOKEN_STORE": str(self.workdir / "tokens.json"),
            }
        )
        env.update(self.env)
        return env

    def point_at(self, sandbox: Sandbox, account_id: str) -> None:
        """Point the ``sandbox`` environment's connectors at a running sandbox account."""
        self.env.update(
            {
                "LIGHTSPEED_SANDBOX_PORT": str(sandbox.port),
                "LIGHTSPEED_SANDBOX_CLIENT_ID": sandbox.client_id,
                "LIGHTSPEED_SANDBOX_CLIENT_SECRET": sandbox.client_secret,
                "LIGHTSPEED_SANDBOX_REFRESH_TOKEN": sandbox.issue_refresh_token(account_id),
            }
        )

    def run(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        """Run ``meltano --environment=sandbox ARGS`` and return its log; fail on errors."""
        log = self.workdir / f"meltano-{len(self.logs) + 1}.log"
        self.logs.append(log)
        env = {**self.base_env(), **(extra_env or {})}
        with log.open("wb") as out:
            result = subprocess.run(
                [str(MELTANO), "--environment=sandbox", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=600,
            )
        text = log.read_text(errors="replace")
        assert result.returncode == 0, "\n".join(text.splitlines()[-40:])
        return text


@pytest.fixture
def meltano(meltano_installed: Path, tmp_path: Path) -> Iterator[MeltanoRunner]:
    """A Meltano runner whose state, token store and logs live in ``tmp_path`` (removed after)."""
    try:
        yield MeltanoRunner(workdir=tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


class StoreApi:
    """The store's staff writing through the API, on a token chain of their own."""

    def __init__(self, sandbox: Sandbox, account_id: str) -> None:
        self.http = requests.Session()
        token = self.http.post(
            sandbox.token_url,
            data={
                "grant_type": "refresh_token",
                "client_id": sandbox.client_id,
                "client_secret": sandbox.client_secret,
                "refresh_token": sandbox.issue_refresh_token(account_id),
            },
            timeout=30,
        )
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        self.base = f"{sandbox.api_url}/API/V3/Account/{account_id}"

    def write(self, method: str, path: str, payload: dict[str, Any] | None = None) -> dict:
        """Send one write and return the stored record."""
        resp = self.http.request(method, f"{self.base}/{path}", json=payload, timeout=30)
        assert resp.status_code == 200, resp.text
        return next(v for k, v in resp.json().items() if k != "@attributes")


def small_sandbox(**overrides: Any) -> SandboxConfig:
    """A small, seeded sandbox with the default leaky bucket and a fast drip."""
    values: dict[str, Any] = {
        "seed": 11,
        "customers": 120,
        "items": 80,
        "sales": 100,
        "images": 40,
        "drip_rate": 50.0,
    }
    values.update(overrides)
    return SandboxConfig(**values)
