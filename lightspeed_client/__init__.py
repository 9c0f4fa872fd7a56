"""The Lightspeed Retail (R-Series) client shared by tap-lightspeed and target-lightspeed.

One home for what both connectors need: the OAuth authenticator with rotating refresh tokens
(`auth`, `token_store`), leaky-bucket pacing (`pacing`), retries (`session`), the reading of
error responses, `Retry-After` and backoff (`responses`), the OAuth scopes each entity needs
(`scopes`), the reading of Lightspeed's JSON (`wire`) and the connection settings
(`settings`).
"""

from __future__ import annotations

from lightspeed_client.client import LightspeedClient
from lightspeed_client.errors import (
    AuthorizationError,
    ConfigurationError,
    LightspeedAPIError,
    LightspeedError,
    MissingScopeError,
    RetriesExhaustedError,
    UncertainWriteError,
    WireFormatError,
)

__all__ = [
    "AuthorizationError",
    "ConfigurationError",
    "LightspeedAPIError",
    "LightspeedClient",
    "LightspeedError",
    "MissingScopeError",
    "RetriesExhaustedError",
    "UncertainWriteError",
    "WireFormatError",
]
