"""Faults on demand, reproducible with a seed."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import FaultConfig


#: Lightspeed's messages of the errors it answers itself (JSON error envelope).
ERROR_MESSAGES = {
    400: "Please try again later.",
    409: "Conflict: the record was changed by another request at the same time.",
    500: "An unexpected error occurred.",
    502: "Bad gateway.",
    503: "The service is temporarily unavailable (overloaded or in maintenance).",
    504: "Gateway timeout.",
}
#: Cloudflare's own error pages (HTML, not Lightspeed's JSON): the origin could not answer.
CLOUDFLARE_ERRORS = {
    520: "Web server is returning an unknown error",
    521: "Web server is down",
    522: "Connection timed out",
    523: "Origin is unreachable",
    524: "A timeout occurred",
}


def cloudflare_page(status: int) -> bytes:
    """Return the HTML page Cloudflare answers a 52x with."""
    title = f"{status}: {CLOUDFLARE_ERRORS[status]}"
    return (
        f"<!DOCTYPE html><html><head><title>api.lightspeedapp.com | {title}</title></head>"
        f"<body><h1>{title}</h1><p>Error code {status}</p></body></html>"
    ).encode()


@dataclass
class FaultPlan:
    """What happens to one API request.

    Attributes:
        error: The error status answered (0: none).
        applied: Whether the request is carried out before the error is answered.
        storm: Whether a 429 storm answers it.
        drop: Whether the connection is closed part way through the body.
        slow: Delay of the response, in seconds.
    """

    error: int = 0
    applied: bool = False
    storm: bool = False
    drop: bool = False
    slow: float = 0.0


class FaultInjector:
    """Draws faults from a seeded generator (four draws per API request while a rate is set).

    Args:
        config: The faults to inject.
        default_seed: Seed used when ``config.seed`` is None.
    """

    def __init__(self, config: FaultConfig, default_seed: int) -> None:
        self.default_seed = default_seed
        self.configure(config)

    def configure(self, config: FaultConfig) -> None:
        """Replace the fault configuration and reseed."""
        self.config = config
        seed = config.seed if config.seed is not None else self.default_seed
        self.rng = random.Random(f"faults:{seed}")
        self.storm_left = int(config.storm_requests)
        self.errors_left = int(config.error_requests)
        self.errors_given = 0
        self.storm_until = time.monotonic() + config.storm_seconds if config.storm_seconds else 0.0

    def plan(self, method: str = "GET") -> FaultPlan:
        """Decide the faults of the next API request.

        Args:
            method: The request's HTTP method (errors hit only ``error_methods``).

        Returns:
            The plan.
        """
        cfg = self.config
        plan = FaultPlan()
        if self.storm_left > 0:
            self.storm_left -= 1
            plan.storm = True
        elif self.storm_until and time.monotonic() < self.storm_until:
            plan.storm = True
        hit = not plan.storm and (not cfg.error_methods or method.upper() in cfg.error_methods)
        if hit and self.errors_left > 0 and cfg.statuses:
            self.errors_left -= 1
            self._set_error(plan, cfg.statuses[self.errors_given % len(cfg.statuses)])
            self.errors_given += 1
        if not (cfg.error_rate or cfg.drop_rate or cfg.slow_rate):
            return plan
        rng = self.rng
        e, d, s, pick = rng.random(), rng.random(), rng.random(), rng.random()
        if not plan.error and hit and e < cfg.error_rate and cfg.statuses:
            self._set_error(plan, cfg.statuses[int(pick * len(cfg.statuses)) % len(cfg.statuses)])
        if not (plan.storm or plan.error) and d < cfg.drop_rate:
            plan.drop = True
        if s < cfg.slow_rate:
            plan.slow = cfg.slow_seconds
        return plan

    def _set_error(self, plan: FaultPlan, status: int) -> None:
        plan.error = int(status)
        plan.applied = plan.error in self.config.applied_statuses
