"""Connection settings shared by tap-lightspeed and target-lightspeed.

The names mirror the fields of Lightspeed's connector documentation: API Path (``api_url``),
Client ID, Client Secret, Redirect URL, Auth URL and Access Token URL.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from singer_sdk import typing as th

from lightspeed_client.errors import ConfigurationError
from lightspeed_client.responses import MAX_RETRY_AFTER_SECONDS
from lightspeed_client.session import MAX_RATE_LIMITED_RETRIES

DEFAULT_API_URL = "https://api.lightspeedapp.com"
DEFAULT_AUTH_URL = "https://cloud.lightspeedapp.com/auth/oauth/authorize"
DEFAULT_TOKEN_URL = "https://cloud.lightspeedapp.com/auth/oauth/token"
DEFAULT_MAX_RETRIES = 8
DEFAULT_REQUEST_TIMEOUT = 60.0

CONNECTION_PROPERTIES = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType,
        required=True,
        title="Client ID",
        description="Client ID of your Lightspeed API client (Lightspeed's developer portal).",
    ),
    th.Property(
        "client_secret",
        th.StringType,
        required=True,
        secret=True,
        title="Client Secret",
        description="Client secret of your Lightspeed API client.",
    ),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        title="Refresh Token",
        description=(
            "The first refresh token, as issued by `lightspeed-authorize`. Refresh tokens "
            "rotate: every later one lives in the token store, which takes precedence unless "
            "this setting holds a token the store was not started from. Not needed when "
            "`lightspeed-authorize` wrote the token store."
        ),
    ),
    th.Property(
        "account_id",
        th.StringType,
        title="Account ID",
        description=(
            "Lightspeed account ID. When missing it is read from `GET /API/V3/Account.json`."
        ),
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=DEFAULT_API_URL,
        title="API Path",
        description="Base URL of the Lightspeed Retail API (plain http only for loopback).",
    ),
    th.Property(
        "auth_url",
        th.StringType,
        default=DEFAULT_AUTH_URL,
        title="Auth URL",
        description="OAuth authorize URL, used by `lightspeed-authorize`.",
    ),
    th.Property(
        "token_url",
        th.StringType,
        default=DEFAULT_TOKEN_URL,
        title="Access Token URL",
        description="OAuth token URL.",
    ),
    th.Property(
        "redirect_uri",
        th.StringType,
        title="Redirect URL",
        description="Redirect URL registered for your API client, used by `lightspeed-authorize`.",
    ),
    th.Property(
        "token_store",
        th.StringType,
        title="Token Store",
        description=(
            "Path of the token store file (mode 0600) that keeps the rotating refresh token "
            "and the current access token, shared by every process using these credentials. "
            "Default: `$XDG_STATE_HOME/lightspeed-connectors/tokens-<client_id>.json` "
            "(`~/.local/state/...`)."
        ),
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=DEFAULT_MAX_RETRIES,
        title="Max Retries",
        description=(
            "Retries of one request, with backoff, after transient failures before the run "
            "fails: server errors (5xx, Cloudflare's 520-524), edit conflicts (409), a 400 "
            '"Please try again later." and dropped connections, all counted together. '
            "429s are not counted: they are waited out as Retry-After asks, up to "
            f"{MAX_RATE_LIMITED_RETRIES} times (a Retry-After over "
            f"{MAX_RETRY_AFTER_SECONDS:.0f} s fails the run)."
        ),
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=DEFAULT_REQUEST_TIMEOUT,
        title="Request Timeout",
        description="Seconds to wait for a response before the request counts as failed.",
    ),
)


def default_token_store_path(client_id: str) -> Path:
    """Return the per-user default token store for an API client.

    Args:
        client_id: The OAuth client ID; one store per client.

    Returns:
        ``$XDG_STATE_HOME/lightspeed-connectors/tokens-<client_id>.json``.
    """
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", client_id)[:80] or "client"
    return Path(state_home) / "lightspeed-connectors" / f"tokens-{safe_id}.json"


def check_url(name: str, url: str) -> str:
    """Refuse URLs that would send credentials in clear text to another machine.

    Args:
        name: Setting name, for the error message.
        url: The URL to check.

    Returns:
        The URL without a trailing slash.

    Raises:
        ConfigurationError: The URL is not http(s), or is plain http to a non-loopback host.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        msg = f"Setting '{name}' must be an http(s) URL, got {url!r}"
        raise ConfigurationError(msg)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        msg = (
            f"Setting '{name}' uses plain http to {parts.hostname}; only https is allowed, "
            "except for loopback addresses (the local sandbox)"
        )
        raise ConfigurationError(msg)
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    """Tell whether a host name or address is this machine's loopback.

    Args:
        host: Host name or IP address.

    Returns:
        True for ``localhost``, 127.0.0.0/8 and ``::1``.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ConnectionSettings:
    """Validated connection settings, with defaults applied."""

    client_id: str
    client_secret: str
    refresh_token: str | None
    account_id: str | None
    api_url: str
    auth_url: str
    token_url: str
    redirect_uri: str | None
    token_store: Path
    max_retries: int
    request_timeout: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ConnectionSettings:
        """Read and check the connection settings of a tap or target config.

        Args:
            config: The plugin's config.

        Returns:
            The settings.

        Raises:
            ConfigurationError: A required setting is missing or a URL is unacceptable.
        """
        missing = [key for key in ("client_id", "client_secret") if not config.get(key)]
        if missing:
            msg = f"Missing required setting(s): {', '.join(missing)}"
            raise ConfigurationError(msg)
        client_id = str(config["client_id"])
        store = config.get("token_store")
        max_retries = int(config.get("max_retries", DEFAULT_MAX_RETRIES))
        if max_retries < 0:
            msg = "Setting 'max_retries' must be 0 or more"
            raise ConfigurationError(msg)
        return cls(
            client_id=client_id,
            client_secret=str(config["client_secret"]),
            refresh_token=config.get("refresh_token") or None,
            account_id=str(config["account_id"]) if config.get("account_id") else None,
            api_url=check_url("api_url", config.get("api_url") or DEFAULT_API_URL),
            auth_url=check_url("auth_url", config.get("auth_url") or DEFAULT_AUTH_URL),
            token_url=check_url("token_url", config.get("token_url") or DEFAULT_TOKEN_URL),
            redirect_uri=config.get("redirect_uri") or None,
            token_store=Path(store).expanduser() if store else default_token_store_path(client_id),
            max_retries=max_retries,
            request_timeout=float(config.get("request_timeout") or DEFAULT_REQUEST_TIMEOUT),
        )
