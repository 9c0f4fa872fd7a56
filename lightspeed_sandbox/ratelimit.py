"""The leaky bucket (per account and client) and the burst limiter."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Decision:
    """Outcome of charging a request.

    Attributes:
        allowed: Whether the request is served.
        level: Bucket level after the decision.
        burst: Requests in the current 1-second window.
        limit_type: ``api-leaky-bucket`` or ``api-burst-limiter`` when refused.
        retry_after: Seconds to wait when refused.
    """

    allowed: bool
    level: float
    burst: int
    limit_type: str = ""
    retry_after: int = 0


@dataclass
class Bucket:
    """State of one leaky bucket."""

    level: float = 0.0
    updated: float = field(default_factory=time.monotonic)
    window: deque = field(default_factory=deque)


class RateLimiter:
    """Leaky buckets keyed by (account, client).

    Args:
        size: Bucket size.
        drip_rate: Units drained per second.
        burst_limit: Requests per 1-second window.
        enabled: When False nothing is ever refused and the level stays 0.
    """

    def __init__(self, size: float, drip_rate: float, burst_limit: int, enabled: bool) -> None:
        self.size = float(size)
        self.drip_rate = float(drip_rate)
        self.burst_limit = int(burst_limit)
        self.enabled = enabled
        self.buckets: dict[tuple[str, str], Bucket] = {}

    def _drain(self, bucket: Bucket, now: float) -> None:
        elapsed = now - bucket.updated
        if elapsed > 0:
            bucket.level = max(0.0, bucket.level - elapsed * self.drip_rate)
            bucket.updated = now
        window = bucket.window
        while window and window[0] <= now - 1.0:
            window.popleft()

    def peek(self, key: tuple[str, str]) -> tuple[float, int]:
        """Return the current (level, burst count) without charging."""
        bucket = self.buckets.get(key)
        if bucket is None or not self.enabled:
            return 0.0, 0
        self._drain(bucket, time.monotonic())
        return bucket.level, len(bucket.window)

    def charge(self, key: tuple[str, str], cost: float) -> Decision:
        """Charge a request of ``cost`` to the bucket of ``key``.

        The request that first overflows the bucket is still served; following ones are refused
        until the level drops below the size.
        """
        if not self.enabled:
            return Decision(True, 0.0, 0)
        now = time.monotonic()
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(updated=now)
        self._drain(bucket, now)
        if bucket.level >= self.size:
            wait = (bucket.level + cost - self.size) / self.drip_rate if self.drip_rate else 60
            return Decision(
                False,
                bucket.level,
                len(bucket.window),
                "api-leaky-bucket",
                max(1, math.ceil(wait)),
            )
        if self.burst_limit and len(bucket.window) >= self.burst_limit:
            wait = 1.0 - (now - bucket.window[0])
            return Decision(
                False,
                bucket.level,
                len(bucket.window),
                "api-burst-limiter",
                max(1, math.ceil(wait)),
            )
        bucket.level += cost
        bucket.window.append(now)
        return Decision(True, bucket.level, len(bucket.window))

    def reset(self) -> None:
        """Empty every bucket."""
        self.buckets.clear()


def fmt_level(value: float) -> str:
    """Format a bucket level the way the headers show it (``12.5``, ``3``)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"
