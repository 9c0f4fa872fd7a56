"""Faults on demand, reproducible with a seed."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import FaultConfig


@dataclass
class FaultPlan:
    """What happens to one API request."""

    error: int = 0
    storm: bool = False
    drop: bool = False
    slow: float = 0.0


class FaultInjector:
    """Draws faults from a seeded generator (three draws per API request, always).

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
        self.storm_until = time.monotonic() + config.storm_seconds if config.storm_seconds else 0.0

    def plan(self) -> FaultPlan:
        """Decide the faults of the next API request."""
        cfg = self.config
        plan = FaultPlan()
        if self.storm_left > 0:
            self.storm_left -= 1
            plan.storm = True
        elif self.storm_until and time.monotonic() < self.storm_until:
            plan.storm = True
        if not (cfg.error_rate or cfg.drop_rate or cfg.slow_rate):
            return plan
        rng = self.rng
        e, d, s, pick = rng.random(), rng.random(), rng.random(), rng.random()
        if not plan.storm and e < cfg.error_rate and cfg.statuses:
            plan.error = int(cfg.statuses[int(pick * len(cfg.statuses)) % len(cfg.statuses)])
        elif not plan.storm and d < cfg.drop_rate:
            plan.drop = True
        if s < cfg.slow_rate:
            plan.slow = cfg.slow_seconds
        return plan
