"""lightspeed-sandbox: a faithful local stand-in for the Lightspeed Retail (R-Series) API."""

from __future__ import annotations

from .config import EMPTY_VOLUMES, FaultConfig, SandboxConfig, two_accounts
from .sandbox import Sandbox, access_token, connection_settings

__all__ = [
    "EMPTY_VOLUMES",
    "FaultConfig",
    "Sandbox",
    "SandboxConfig",
    "access_token",
    "connection_settings",
    "two_accounts",
]
