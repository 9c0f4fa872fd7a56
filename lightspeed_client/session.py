"""One mechanism for every request: pacing, authentication, retries and error reading.

:class:`LightspeedSession` is a :class:`requests.Session` whose ``send`` runs each request
through the leaky-bucket pacer, sets a fresh bearer token, and retries:

- a 401 once, after the authenticator refreshed (or adopted another process's token);
- a 429 after ``Retry-After`` (the pacer holds every other request back as well);
- 500/502/503/504 and dropped or timed-out connections, with capped exponential backoff and
  full jitter.

Anything else that is not a success raises :class:`LightspeedAPIError` with Lightspeed's
``message``, the method and the path (never the query string). Creates (POST) are not retried
after a failure that may have stored them: :class:`UncertainWriteError` tells the caller to
look the record up first.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import backoff
import requests
from typing_extensions import override

from lightspeed_client.errors import (
    LightspeedAPIError,
    RetriesExhaustedError,
    UncertainWriteError,
)
from lightspeed_client.pacing import LeakyBucketPacer, request_kind

if TYPE_CHECKING:
    from lightspeed_client.auth import LightspeedAuthenticator

LOGGER = logging.getLogger("lightspeed_client.session")

RETRIABLE_STATUSES = frozenset({500, 502, 503, 504})
#: Methods whose repetition cannot create a second record.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: A 429 storm is waited out this many times (each wait is the server's Retry-After).
MAX_RATE_LIMITED_RETRIES = 50
DEFAULT_RETRY_AFTER = 1.0
CONNECTION_FAILURES = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def error_message(response: requests.Response) -> str:
    """Read Lightspeed's message from an error response (JSON even when served as text/html).

    Args:
        response: A non-2xx response.

    Returns:
        The ``message`` (or OAuth ``error_description``), else the status line.
    """
    try:
        body = json.loads(response.text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error_description", "httpMessage", "error"):
            if body.get(key):
                return str(body[key])
    return f"{response.status_code} {response.reason or ''}".strip()


def retry_after_seconds(response: requests.Response) -> float:
    """Seconds a 429 asks to wait (``Retry-After``), with a default when absent.

    Args:
        response: A 429 response.

    Returns:
        Seconds to wait.
    """
    try:
        return max(float(response.headers.get("Retry-After", DEFAULT_RETRY_AFTER)), 0.0)
    except ValueError:
        return DEFAULT_RETRY_AFTER


@dataclass
class SessionStats:
    """Counts of what the session did."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    connection_errors: int = 0
    unauthorized: int = 0


class LightspeedSession(requests.Session):
    """A requests session that paces, authenticates and retries every Lightspeed request."""

    def __init__(
        self,
        *,
        authenticator: LightspeedAuthenticator,
        pacer: LeakyBucketPacer,
        max_retries: int = 8,
        request_timeout: float = 60.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Create the session.

        Args:
            authenticator: Sets the bearer token; refreshed on a 401.
            pacer: The leaky-bucket pacer shared by every request on these credentials.
            max_retries: Retries after 5xx and connection failures (429s are waited out
                separately, up to ``MAX_RATE_LIMITED_RETRIES`` times).
            request_timeout: Default timeout of one attempt, in seconds.
            backoff_base: First backoff wait, in seconds (doubled each retry, then jittered).
            backoff_cap: Longest backoff wait, in seconds.
            sleep: Sleeper (replaced in tests).
        """
        super().__init__()
        self.authenticator = authenticator
        self.pacer = pacer
        self.max_retries = max_retries
        self.request_timeout = request_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self.stats = SessionStats()
        self.headers["Accept"] = "application/json"

    @override
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.request_timeout
        method = (request.method or "GET").upper()
        path = urlsplit(request.url or "").path
        kind = request_kind(method, request.url or "")
        expected_cost: float | None = kwargs.pop("expected_cost", None)
        refreshed_after_401 = False
        failures = 0
        rate_limited = 0
        waits = backoff.expo(base=2, factor=self.backoff_base, max_value=self.backoff_cap)
        next(waits)  # prime the generator
        while True:
            self.pacer.wait_turn(kind, expected_cost)
            attempt = self.authenticator.authenticate_request(request.copy())
            self.stats.requests += 1
            try:
                response = super().send(attempt, **kwargs)
            except CONNECTION_FAILURES as exc:
                self.stats.connection_errors += 1
                failure = _describe_connection_failure(exc)
                if method not in IDEMPOTENT_METHODS and not _surely_not_sent(exc):
                    raise UncertainWriteError(method=method, path=path, failure=failure) from None
                failures += 1
                if failures > self.max_retries:
                    raise RetriesExhaustedError(
                        method=method, path=path, attempts=failures, last_failure=failure
                    ) from None
                self._back_off(waits, method, path, failure, failures)
                continue

            self.pacer.observe(kind, response.headers)
            status = response.status_code
            if status < 400:
                return response
            if status != 401:
                # Only a 401 right after a refresh is final: after a 429 or 5xx wait the new
                # token may have expired in turn, and deserves its own refresh.
                refreshed_after_401 = False
            if status == 401 and not refreshed_after_401:
                self.stats.unauthorized += 1
                refreshed_after_401 = True
                rejected = (attempt.headers.get("Authorization") or "").removeprefix("Bearer ")
                self.authenticator.handle_unauthorized(rejected)
                continue
            if status == 429:
                self.stats.rate_limited += 1
                rate_limited += 1
                wait = retry_after_seconds(response)
                self.pacer.rate_limited(wait, response.headers)
                if rate_limited > MAX_RATE_LIMITED_RETRIES:
                    raise RetriesExhaustedError(
                        method=method,
                        path=path,
                        attempts=rate_limited,
                        last_failure="HTTP 429 Too Many Requests",
                        status=429,
                    )
                LOGGER.warning(
                    "%s %s: 429 (%s); waiting %.1f s as asked",
                    method,
                    path,
                    response.headers.get("X-LS-API-RateLimit-Type", "rate limit"),
                    wait,
                )
                continue
            if status in RETRIABLE_STATUSES:
                self.stats.server_errors += 1
                failure = f"HTTP {status} {error_message(response)}"
                if method not in IDEMPOTENT_METHODS:
                    raise UncertainWriteError(method=method, path=path, failure=failure)
                failures += 1
                if failures > self.max_retries:
                    raise RetriesExhaustedError(
                        method=method,
                        path=path,
                        attempts=failures,
                        last_failure=failure,
                        status=status,
                    )
                self._back_off(waits, method, path, failure, failures)
                continue
            raise LightspeedAPIError(
                status=status, method=method, path=path, message=error_message(response)
            )

    def _back_off(self, waits: Any, method: str, path: str, failure: str, failures: int) -> None:
        wait = backoff.full_jitter(next(waits))
        self.stats.retries += 1
        LOGGER.warning(
            "%s %s: %s; retry %d/%d in %.2f s",
            method,
            path,
            failure,
            failures,
            self.max_retries,
            wait,
        )
        self._sleep(wait)


def _surely_not_sent(exc: Exception) -> bool:
    """Tell whether a connection failure happened before the request reached the server."""
    return isinstance(exc, requests.exceptions.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError)
        and "NewConnectionError" in repr(exc.args[0] if exc.args else exc)
    )


def _describe_connection_failure(exc: Exception) -> str:
    """Name a connection failure without the URL (which may carry a query)."""
    if isinstance(exc, requests.Timeout):
        return "the request timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection dropped in the middle of the response"
    return "the connection failed or was reset"
