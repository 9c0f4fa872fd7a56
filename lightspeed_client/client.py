"""The Lightspeed client: settings, token chain, pacing and session for one set of credentials."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cached_property
from typing import Any, ClassVar

from lightspeed_client.auth import LightspeedAuthenticator
from lightspeed_client.errors import LightspeedError
from lightspeed_client.pacing import LeakyBucketPacer
from lightspeed_client.session import LightspeedSession
from lightspeed_client.settings import ConnectionSettings
from lightspeed_client.token_store import TokenStore, fingerprint
from lightspeed_client.wire import as_list, decode_json


class LightspeedClient:
    """Everything needed to talk to one Lightspeed account.

    Use :meth:`for_config` so that every stream (or sink) of a process shares one client: one
    token chain, one pacer for the account's bucket.
    """

    _instances: ClassVar[dict[tuple[Any, ...], LightspeedClient]] = {}
    _instances_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, settings: ConnectionSettings) -> None:
        """Create a client.

        Args:
            settings: Validated connection settings.
        """
        self.settings = settings
        self.token_store = TokenStore(settings.token_store)
        self.authenticator = LightspeedAuthenticator(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            token_url=settings.token_url,
            token_store=self.token_store,
            refresh_token=settings.refresh_token,
            timeout=settings.request_timeout,
        )
        self.pacer = LeakyBucketPacer()
        self.session = LightspeedSession(
            authenticator=self.authenticator,
            pacer=self.pacer,
            max_retries=settings.max_retries,
            request_timeout=settings.request_timeout,
        )

    @classmethod
    def for_config(cls, config: Mapping[str, Any]) -> LightspeedClient:
        """Return this process's client for a tap or target config (created once).

        Args:
            config: The plugin's config.

        Returns:
            The shared client.
        """
        settings = ConnectionSettings.from_config(config)
        key = (
            settings.api_url,
            settings.token_url,
            settings.client_id,
            fingerprint(settings.client_secret),
            fingerprint(settings.refresh_token or ""),
            settings.account_id,
            str(settings.token_store),
            settings.max_retries,
            settings.request_timeout,
        )
        with cls._instances_lock:
            client = cls._instances.get(key)
            if client is None:
                client = cls._instances[key] = cls(settings)
            return client

    @classmethod
    def forget_all(cls) -> None:
        """Drop every shared client (tests start each case afresh)."""
        with cls._instances_lock:
            for client in cls._instances.values():
                client.session.close()
            cls._instances.clear()

    @cached_property
    def account_id(self) -> str:
        """The account ID: the setting, else ``GET /API/V3/Account.json``."""
        if self.settings.account_id:
            return self.settings.account_id
        response = self.session.get(f"{self.settings.api_url}/API/V3/Account.json")
        accounts = as_list(decode_json(response.content).get("Account"))
        if len(accounts) != 1 or not accounts[0].get("accountID"):
            msg = (
                f"GET /API/V3/Account.json returned {len(accounts)} accounts; "
                "set the account_id setting"
            )
            raise LightspeedError(msg)
        return str(accounts[0]["accountID"])

    @property
    def account_url(self) -> str:
        """Base URL of the account's resources: ``{api_url}/API/V3/Account/{account_id}``."""
        return f"{self.settings.api_url}/API/V3/Account/{self.account_id}"
