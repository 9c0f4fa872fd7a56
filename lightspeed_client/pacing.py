"""Pacing requests by Lightspeed's leaky bucket, so that a steady client never sees a 429.

Every response says how full the bucket is (``X-LS-API-Bucket-Level: 12.5/90``), how fast it
drains (``X-LS-API-Drip-Rate``) and what the request cost (``X-LS-API-Request-Cost``). Before
each request the pacer estimates the current level from the last reading and the drip since,
and waits exactly as long as needed for ``level + expected cost <= size``. Costs are learned
per kind of request from the headers; nothing about the cost model is hard-coded beyond a
first guess for a kind never seen. The per-second burst limiter (``X-LS-API-Burst-Level``)
is honoured the same way.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

#: First guesses for a kind of request never seen (2026 model: reads 1, writes 1-5).
FIRST_GUESS_COST = {"GET": 1.0, "HEAD": 1.0}
FIRST_GUESS_WRITE_COST = 5.0
BURST_WINDOW_SECONDS = 1.0
#: Delays shorter than this are rounding noise, not waits.
NEGLIGIBLE_DELAY = 1e-6

_ID_SEGMENT = re.compile(r"/\d+(?=/|\.json|$)")


def request_kind(method: str, url: str) -> str:
    """Name the kind of a request for learning its cost: method, path shape and relations.

    Args:
        method: HTTP method.
        url: Full URL.

    Returns:
        For instance ``GET /API/V3/Account/{id}/Sale.json load_relations=[...]``.
    """
    parts = urlsplit(url)
    shape = _ID_SEGMENT.sub("/{id}", parts.path)
    extras = [
        f"{key}={value}"
        for key, value in parse_qsl(parts.query)
        if key in {"load_relations", "count"}
    ]
    return " ".join([method.upper(), shape, *extras])


def _parse_fraction(value: str | None) -> tuple[float, float] | None:
    if not value or "/" not in value:
        return None
    level, _, size = value.partition("/")
    try:
        return float(level), float(size)
    except ValueError:
        return None


def _parse_float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class PacerStats:
    """What the pacer did, for progress lines and benchmarks."""

    waits: int = 0
    waited_seconds: float = 0.0
    rate_limited: int = 0


class LeakyBucketPacer:
    """Waits before each request as long as the bucket (as last reported) requires.

    One pacer serves every request made on one set of credentials in a process; it is
    thread-safe.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Create a pacer that knows nothing of the bucket yet.

        Args:
            clock: Monotonic time source.
            sleep: Sleeper (replaced in tests).
        """
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.level: float | None = None
        self.size: float | None = None
        self.drip_rate = 1.0
        self._observed_at = 0.0
        self._blocked_until = 0.0
        self.burst_size: float | None = None
        self._sent_at: deque[float] = deque()
        self.costs: dict[str, float] = {}
        self.stats = PacerStats()

    def expected_cost(self, kind: str) -> float:
        """Return the cost expected for a kind of request (learned, else a first guess).

        Args:
            kind: From :func:`request_kind`.

        Returns:
            The expected cost in bucket units.
        """
        learned = self.costs.get(kind)
        if learned is not None:
            return learned
        return FIRST_GUESS_COST.get(kind.split(" ", 1)[0], FIRST_GUESS_WRITE_COST)

    def delay_for(self, cost: float) -> float:
        """Seconds to wait before a request of this cost may go (without waiting).

        Args:
            cost: Expected cost of the request.

        Returns:
            Seconds to wait; 0 when it may go now.
        """
        with self._lock:
            return self._delay_locked(cost, self._clock())

    def wait_turn(self, kind: str, cost: float | None = None) -> float:
        """Block until a request may go without overflowing the bucket, then count it as sent.

        Args:
            kind: From :func:`request_kind`.
            cost: Expected cost; learned from earlier responses when None.

        Returns:
            Seconds waited.
        """
        expected = self.expected_cost(kind) if cost is None else cost
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                delay = self._delay_locked(expected, now)
                if delay <= NEGLIGIBLE_DELAY:
                    self._sent_at.append(now)
                    while self._sent_at[0] <= now - BURST_WINDOW_SECONDS:
                        self._sent_at.popleft()
                    if self.level is not None:
                        # Count the request in the estimate at once, so that concurrent
                        # callers do not all take the same free room.
                        self.level = self._level_at(now) + expected
                        self._observed_at = now
                    break
            self._sleep(delay)
            waited += delay
        if waited:
            self.stats.waits += 1
            self.stats.waited_seconds += waited
        return waited

    def observe(self, kind: str, headers: Mapping[str, str]) -> None:
        """Learn the bucket's state and the request's cost from a response's headers.

        Args:
            kind: From :func:`request_kind`.
            headers: The response headers (case-insensitive mapping).
        """
        bucket = _parse_fraction(headers.get("X-LS-API-Bucket-Level"))
        drip = _parse_float(headers.get("X-LS-API-Drip-Rate"))
        cost = _parse_float(headers.get("X-LS-API-Request-Cost"))
        burst = _parse_fraction(headers.get("X-LS-API-Burst-Level"))
        with self._lock:
            now = self._clock()
            if bucket is not None:
                self.level, self.size = bucket
                self._observed_at = now
            if drip is not None and drip > 0:
                self.drip_rate = drip
            if cost is not None and cost > 0:
                self.costs[kind] = cost
            if burst is not None:
                self.burst_size = burst[1]

    def rate_limited(self, retry_after: float, headers: Mapping[str, str]) -> None:
        """Record a 429: nothing goes out before ``Retry-After`` has passed.

        Args:
            retry_after: Seconds the server asked to wait.
            headers: The 429 response's headers.
        """
        bucket = _parse_fraction(headers.get("X-LS-API-Bucket-Level"))
        with self._lock:
            now = self._clock()
            self.stats.rate_limited += 1
            self._blocked_until = max(self._blocked_until, now + retry_after)
            if bucket is not None:
                self.level, self.size = bucket
                self._observed_at = now

    # Internals -------------------------------------------------------------------------

    def _level_at(self, now: float) -> float:
        if self.level is None:
            return 0.0
        return max(0.0, self.level - self.drip_rate * (now - self._observed_at))

    def _delay_locked(self, cost: float, now: float) -> float:
        delay = max(0.0, self._blocked_until - now)
        if self.level is not None and self.size is not None:
            # Never ask for more room than the bucket has: a cost above the size waits
            # for an empty bucket, as the API serves the request that first overflows it.
            room_needed = min(cost, self.size)
            excess = self._level_at(now) + room_needed - self.size
            if excess > 0:
                delay = max(delay, excess / self.drip_rate)
        if self.burst_size:
            while self._sent_at and self._sent_at[0] <= now - BURST_WINDOW_SECONDS:
                self._sent_at.popleft()
            # Keep one request of margin below the burst limit.
            if len(self._sent_at) >= max(self.burst_size - 1, 1):
                delay = max(delay, self._sent_at[0] + BURST_WINDOW_SECONDS - now)
        return delay
