"""The :class:`Sandbox`: an in-process Lightspeed Retail API on loopback."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import threading
import urllib.parse
import urllib.request
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from .app import SandboxApp
from .config import FaultConfig, SandboxConfig
from .httpserver import SandboxHTTPServer


class Sandbox:
    """A running (or startable) sandbox server.

    Use as a context manager, or call :meth:`start` and :meth:`stop`::

        with Sandbox(SandboxConfig(seed=7, customers=500)) as sb:
            token = sb.issue_refresh_token(sb.account_ids[0])

    Args:
        config: The configuration (defaults to ``SandboxConfig()``).
        **overrides: Fields of :class:`SandboxConfig` to override.
    """

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any) -> None:
        cfg = config or SandboxConfig()
        if overrides:
            cfg = dataclasses.replace(cfg, **overrides)
        self.config = cfg
        self.client_secret = cfg.client_secret or secrets.token_urlsafe(24)
        self.app = SandboxApp(cfg, self.client_secret)
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Sandbox:
        """Bind the port and serve in a background thread.

        Returns:
            The sandbox itself.
        """
        if self._server is not None:
            return self
        server = SandboxHTTPServer((self.config.host, self.config.port), self.app)
        host, port = server.server_address[:2]
        shown = host if ":" not in str(host) else f"[{host}]"
        self.base_url = (self.config.public_url or f"http://{shown}:{port}").rstrip("/")
        self.app.base_url = self.base_url
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"lightspeed-sandbox:{port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and release the port."""
        server = self._server
        if server is None:
            return
        self._server = None
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    # -- addresses and credentials -----------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound port (0 before start)."""
        return self._server.server_address[1] if self._server else 0

    @property
    def api_url(self) -> str:
        """Base URL of the API (same host as auth)."""
        return self.base_url

    @property
    def auth_url(self) -> str:
        """The authorize endpoint."""
        return f"{self.base_url}/auth/oauth/authorize"

    @property
    def token_url(self) -> str:
        """The token endpoint."""
        return token_url(self.base_url)

    @property
    def client_id(self) -> str:
        """The demo OAuth client id."""
        return self.config.client_id

    @property
    def redirect_uri(self) -> str:
        """The demo client's registered redirect URI."""
        return self.config.redirect_uri

    @property
    def account_ids(self) -> list[str]:
        """Ids of the sandbox's accounts."""
        return list(self.app.accounts)

    def account_name(self, account_id: str) -> str:
        """Return an account's name."""
        return self.app.accounts[account_id].name

    def issue_refresh_token(self, account_id: str, scope: str = "employee:all") -> str:
        """Return a new refresh token for an account, as if the user had authorized."""
        return self.app.issue_refresh_token(account_id, scope)

    def connection_settings(
        self,
        account: int | str,
        token_store: str | os.PathLike[str],
        *,
        refresh_token: str | None = None,
        base_url: str | None = None,
        discover_account: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """Return tap or target settings that connect to one of the sandbox's accounts.

        Args:
            account: The account: its position in :attr:`account_ids`, or its id.
            token_store: Where the connector keeps its token chain.
            refresh_token: The refresh token to start from (default: a new one is issued).
            base_url: The URL the connector reaches the sandbox at (default: where it listens).
            discover_account: Leave ``account_id`` out, so that the connector asks the API.
            **extra: More settings (they win over the ones above).

        Returns:
            The settings, see :func:`connection_settings`.
        """
        account_id = self.account_ids[account] if isinstance(account, int) else account
        url = base_url or self.base_url
        info = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "api_url": url,
            "token_url": token_url(url),
            "accounts": [
                {
                    "account_id": account_id,
                    "refresh_token": (
                        self.issue_refresh_token(account_id)
                        if refresh_token is None
                        else refresh_token
                    ),
                }
            ],
        }
        return connection_settings(info, token_store, 0, discover_account=discover_account, **extra)

    def info(self, with_refresh_tokens: bool = True) -> dict[str, Any]:
        """Return the connection info printed by the CLI (includes the demo credentials)."""
        return {
            "base_url": self.base_url,
            "api_url": self.api_url,
            "auth_url": self.auth_url,
            "token_url": self.token_url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri,
            "accounts": [
                {
                    "account_id": acct,
                    "name": self.account_name(acct),
                    **(
                        {"refresh_token": self.issue_refresh_token(acct)}
                        if with_refresh_tokens
                        else {}
                    ),
                }
                for acct in self.account_ids
            ],
        }

    # -- test hooks --------------------------------------------------------------------------
    def set_faults(
        self,
        error_rate: float = 0.0,
        statuses: tuple[int, ...] = (500, 502, 503),
        error_requests: int = 0,
        error_methods: tuple[str, ...] = (),
        applied_statuses: tuple[int, ...] = (524,),
        drop_rate: float = 0.0,
        slow_rate: float = 0.0,
        slow_seconds: float = 0.2,
        storm_requests: int = 0,
        storm_seconds: float = 0.0,
        storm_retry_after: int = 1,
        expire_tokens_every: float | None = None,
        seed: int | None = None,
    ) -> FaultConfig:
        """Replace the active faults (all arguments default to "off") and reseed.

        Returns:
            The new fault configuration.
        """
        config = FaultConfig(
            error_rate=error_rate,
            statuses=tuple(statuses),
            error_requests=error_requests,
            error_methods=tuple(error_methods),
            applied_statuses=tuple(applied_statuses),
            drop_rate=drop_rate,
            slow_rate=slow_rate,
            slow_seconds=slow_seconds,
            storm_requests=storm_requests,
            storm_seconds=storm_seconds,
            storm_retry_after=storm_retry_after,
            expire_tokens_every=expire_tokens_every,
            seed=seed,
        )
        self.app.set_faults(config)
        return config

    def set_relation_in(self, mode: str) -> None:
        """Change what ``IN`` on a relation filter does (``refused``, ``ignored``, ``supported``).

        Raises:
            ValueError: For another mode.
        """
        self.app.set_behaviour(relation_in=mode)

    def clear_faults(self) -> None:
        """Turn every fault off."""
        self.app.set_faults(FaultConfig())

    def configure_bucket(
        self,
        enabled: bool | None = None,
        size: float | None = None,
        drip_rate: float | None = None,
        burst_limit: int | None = None,
        reset: bool = False,
    ) -> None:
        """Change the leaky bucket and burst limiter at run time (``reset`` empties buckets)."""
        self.app.configure_bucket(enabled, size, drip_rate, burst_limit, reset)

    def stats(self) -> dict[str, Any]:
        """Return counters: requests, 429s by type, faults, writes, refreshes, ..."""
        return self.app.stats()

    def reset_stats(self) -> None:
        """Zero the counters and clear the request log."""
        self.app.reset_stats()

    def request_log(self) -> list[dict[str, Any]]:
        """Return the request log (method, path, query, status, cost, bucket_level, ...)."""
        return self.app.request_log()

    def records(self, account_id: str, entity: str) -> list[dict[str, Any]]:
        """Return every stored record of an entity in wire form."""
        return self.app.records(account_id, entity)

    def void_sale(self, account_id: str, sale_id: int) -> dict[str, Any]:
        """Void a sale as Lightspeed Retail's Register does (the API has no void action)."""
        return self.app.void_sale(account_id, sale_id)


def token_url(base_url: str) -> str:
    """Return the token endpoint of a sandbox at ``base_url``."""
    return f"{base_url}/auth/oauth/token"


def connection_settings(
    info: Mapping[str, Any],
    token_store: str | os.PathLike[str],
    account: int = 0,
    *,
    discover_account: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """Return tap or target settings for an account of a sandbox described by ``info``.

    ``info`` is what :meth:`Sandbox.info` returns and ``lightspeed-sandbox serve --info-file``
    writes, so a sandbox in another process is reached the same way.

    Args:
        info: The sandbox's connection info (with the accounts' refresh tokens).
        token_store: Where the connector keeps its token chain.
        account: Position of the account in ``info["accounts"]``.
        discover_account: Leave ``account_id`` out, so that the connector asks the API.
        **extra: More settings (they win over the ones above).

    Returns:
        ``client_id``, ``client_secret``, ``refresh_token``, ``account_id``, ``api_url``,
        ``token_url`` and ``token_store``, plus ``extra``.
    """
    chosen = info["accounts"][account]
    settings: dict[str, Any] = {
        "client_id": info["client_id"],
        "client_secret": info["client_secret"],
        "refresh_token": chosen["refresh_token"],
        "account_id": chosen["account_id"],
        "api_url": info["api_url"],
        "token_url": info["token_url"],
        "token_store": str(token_store),
    }
    if discover_account:
        del settings["account_id"]
    settings.update(extra)
    return settings


def access_token(info: Mapping[str, Any], account: int = 0, timeout: float = 30.0) -> str:
    """Trade an account's refresh token from ``info`` for an access token.

    One refresh-token grant at the token endpoint, as the README's ``curl`` does; the refresh
    token in ``info`` is used up (the sandbox rotates it).

    Args:
        info: The sandbox's connection info (see :func:`connection_settings`).
        account: Position of the account in ``info["accounts"]``.
        timeout: Seconds to wait for the answer.

    Returns:
        The access token.

    Raises:
        urllib.error.HTTPError: When the sandbox refuses the grant.
    """
    form = {
        "grant_type": "refresh_token",
        "client_id": info["client_id"],
        "client_secret": info["client_secret"],
        "refresh_token": info["accounts"][account]["refresh_token"],
    }
    request = urllib.request.Request(
        info["token_url"], data=urllib.parse.urlencode(form).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return str(json.loads(response.read())["access_token"])
