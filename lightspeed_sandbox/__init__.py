"""lightspeed-sandbox: a faithful local stand-in for the Lightspeed Retail (R-Series) API."""

from __future__ import annotations

from .config import FaultConfig, SandboxConfig
from .sandbox import Sandbox

__all__ = ["FaultConfig", "Sandbox", "SandboxConfig"]
