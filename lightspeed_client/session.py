"""One mechanism for every request: pacing, authentication, retries and error reading.

:class:`LightspeedSession` is a :class:`requests.Session` whose ``send`` runs each request
through the leaky-bucket pacer, sets a fresh bearer token, and retries:

- a 401 once, after the authenticator refreshed (or adopted another process's token);
- a 429 after ``Retry-After`` (the pacer holds every other request back as well), up to
  ``MAX_RATE_LIMITED_RETRIES`` times; a ``Retry-After`` longer than
  :data:`~lightspeed_client.responses.MAX_RETRY_AFTER_SECONDS` fails the request at once;
- transient failures, with capped exponential backoff and full jitter, up to ``max_retries``
  times in all: 500/502/503/504, Cloudflare's 520-524, 409 (edit conflict), a 400 whose
  message is "Please try again later.", and dropped or timed-out connections.

Anything else that is not a success raises :class:`LightspeedAPIError` with Lightspeed's
``message``, the method and the path (never the query string); a 403 raises its subclass
:class:`MissingScopeError`, which also names the scopes the request needs. Creates (POST)
are not retried after a failure that may have stored them (a server error, a connection lost
after sending): :class:`UncertainWriteError` tells the caller to look the record up first,
and :meth:`LightspeedSession.wait_before_retry` gives it the session's backoff before it
sends the create again. Failures that say the request was not carried out (429, 409, the 400,
521-523, a connection never made) are retried for creates too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.utils import resolve_proxies
from typing_extensions import override

from lightspeed_client.errors import (
    LightspeedAPIError,
    MissingScopeError,
    RetriesExhaustedError,
    UncertainWriteError,
)
from lightspeed_client.pacing import LeakyBucketPacer, request_kind
from lightspeed_client.responses import (
    DEFAULT_RETRY_AFTER_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    asks_to_try_again_later,
    backoff_seconds,
    error_message,
    retry_after_seconds,
)

if TYPE_CHECKING:
    from lightspeed_client.auth import LightspeedAuthenticator

LOGGER = logging.getLogger("lightspeed_client.session")

#: Server errors retried with backoff. The server may have done the work before failing, so a
#: create (POST) that got one is in doubt. 520 (unknown error from the origin) and 524 (the
#: origin took too long to answer) are Cloudflare's, in front of Lightspeed.
SERVER_ERROR_STATUSES = frozenset({500, 502, 503, 504, 520, 524})
#: Answers retried with backoff that say the request was not carried out, so a create that
#: got one is sent again: 409 (edit conflict with a simultaneous update) and Cloudflare's
#: 521, 522 and 523 (Lightspeed's servers refused, did not take, or could not be reached for
#: the connection). Lightspeed's 400 "Please try again later." is one too
#: (:func:`~lightspeed_client.responses.asks_to_try_again_later`).
NOT_CARRIED_OUT_STATUSES = frozenset({409, 521, 522, 523})
#: Lightspeed's edit conflict: another update of the record came in at the same time.
EDIT_CONFLICT = 409
#: Forbidden: the token lacks a scope (:class:`MissingScopeError` names the ones needed).
FORBIDDEN = 403
#: Methods that write (the others read).
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
#: Methods whose repetition cannot create a second record.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: A 429 storm is waited out this many times (each wait is the server's Retry-After).
MAX_RATE_LIMITED_RETRIES = 50
CONNECTION_FAILURES = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass
class SessionStats:
    """Counts of what the session did.

    ``server_errors`` counts the 5xx (Cloudflare's 520 and 524 included); ``not_carried_out``
    the answers that refused a request without doing it (409, the 400 "Please try again
    later.", Cloudflare's 521-523).
    """

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    not_carried_out: int = 0
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
            max_retries: Retries of one request after transient failures (server errors,
                Cloudflare's 520-524, 409, the 400 "Please try again later.", dropped
                connections), all counted together. 429s are waited out separately, up to
                ``MAX_RATE_LIMITED_RETRIES`` times.
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
        #: The proxies of each scheme and host, read from the environment once per session.
        self._proxies_by_origin: dict[tuple[str, str], dict[str, str]] = {}

    def proxies_for(self, request: requests.PreparedRequest) -> dict[str, str]:
        """Return the proxies for a request's scheme and host (``HTTPS_PROXY``, ``NO_PROXY``...).

        ``requests`` reads them from the environment on every send, about a third of the
        time of a small lookup; a run's settings do not change, so they are read once per
        scheme and host.

        Args:
            request: The prepared request.

        Returns:
            The proxies ``requests`` would use for it.
        """
        parts = urlsplit(request.url or "")
        origin = (parts.scheme, parts.netloc)
        proxies = self._proxies_by_origin.get(origin)
        if proxies is None:
            proxies = resolve_proxies(request, self.proxies, self.trust_env)
            self._proxies_by_origin[origin] = proxies
        return proxies

    @override
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send a request with pacing, a fresh token and retries.

        Besides :meth:`requests.Session.send`'s arguments, it takes ``expected_cost`` (the
        request's drips, when known beforehand) and ``retry_conflicts``: False makes a 409
        raise :class:`LightspeedAPIError` at once, for a caller that re-reads the record and
        builds a new body before it retries.

        Args:
            request: The prepared request.
            **kwargs: :meth:`requests.Session.send`'s arguments, ``expected_cost`` and
                ``retry_conflicts``.

        Returns:
            The successful response.
        """
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.request_timeout
        if not kwargs.get("proxies"):
            kwargs["proxies"] = self.proxies_for(request)
        method = (request.method or "GET").upper()
        path = urlsplit(request.url or "").path
        kind = request_kind(method, request.url or "")
        expected_cost: float | None = kwargs.pop("expected_cost", None)
        retry_conflicts: bool = kwargs.pop("retry_conflicts", True)
        refreshed_after_401 = False
        failures = 0
        rate_limited = 0
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
                self._retry_or_give_up(method, path, failure, failures, status=None)
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
                self._wait_out_rate_limit(response, method, path, rate_limited)
                continue
            if status == EDIT_CONFLICT and not retry_conflicts:
                raise LightspeedAPIError(
                    status=status, method=method, path=path, message=error_message(response)
                )
            not_carried_out = status in NOT_CARRIED_OUT_STATUSES or asks_to_try_again_later(
                response
            )
            if not_carried_out or status in SERVER_ERROR_STATUSES:
                failure = f"HTTP {status} {error_message(response)}"
                if not_carried_out:
                    self.stats.not_carried_out += 1
                else:
                    self.stats.server_errors += 1
                    if method not in IDEMPOTENT_METHODS:
                        raise UncertainWriteError(method=method, path=path, failure=failure)
                failures += 1
                self._retry_or_give_up(method, path, failure, failures, status=status)
                continue
            if status == FORBIDDEN:
                raise MissingScopeError(
                    method=method,
                    path=path,
                    message=error_message(response),
                    write=method in WRITE_METHODS,
                )
            raise LightspeedAPIError(
                status=status, method=method, path=path, message=error_message(response)
            )

    def backoff_seconds(self, retry: int) -> float:
        """Return this session's wait before a retry (capped exponential, full jitter).

        Args:
            retry: Which retry this is (1 for the first).

        Returns:
            A random wait between 0 and ``min(backoff_cap, backoff_base * 2 ** (retry - 1))``.
        """
        return backoff_seconds(retry, base=self.backoff_base, cap=self.backoff_cap)

    def wait_before_retry(self, retry: int, *, method: str, path: str, failure: str) -> float:
        """Sleep this session's backoff before a retry, and log and count it.

        The session calls it between its own retries; a caller that retries a request itself
        (a create sent again after :class:`UncertainWriteError` and a lookup that did not
        find it) calls it to back off the same way.

        Args:
            retry: Which retry this is (1 for the first).
            method: The request's HTTP method, for the log.
            path: The request's path (no query string), for the log.
            failure: What failed, for the log.

        Returns:
            The seconds waited.
        """
        wait = self.backoff_seconds(retry)
        self.stats.retries += 1
        LOGGER.warning(
            "%s %s: %s; retry %d/%d in %.2f s",
            method,
            path,
            failure,
            retry,
            self.max_retries,
            wait,
        )
        self._sleep(wait)
        return wait

    def _retry_or_give_up(
        self, method: str, path: str, failure: str, failures: int, *, status: int | None
    ) -> None:
        """Back off before the next attempt, or raise when the retry budget is spent."""
        if failures > self.max_retries:
            raise RetriesExhaustedError(
                method=method, path=path, attempts=failures, last_failure=failure, status=status
            )
        self.wait_before_retry(failures, method=method, path=path, failure=failure)

    def _wait_out_rate_limit(
        self, response: requests.Response, method: str, path: str, rate_limited: int
    ) -> None:
        """Hold this and every other request back for a 429's ``Retry-After``, or give up."""
        asked = retry_after_seconds(response)
        wait = DEFAULT_RETRY_AFTER_SECONDS if asked is None else asked
        if wait > MAX_RETRY_AFTER_SECONDS:
            message = (
                f"{error_message(response)}; Retry-After asks to wait {wait:.0f} s, longer than "
                f"the {MAX_RETRY_AFTER_SECONDS:.0f} s this client waits (maintenance, or the "
                "API client's access is held back): run again later"
            )
            raise LightspeedAPIError(status=429, method=method, path=path, message=message)
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
