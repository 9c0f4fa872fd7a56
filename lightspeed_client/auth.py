"""OAuth for Lightspeed Retail with rotating, single-use refresh tokens.

Every refresh returns a new refresh token and the old one dies once the new access token is
used, so two processes refreshing with the same token break the chain for good. The
authenticator therefore keeps the chain in a :class:`~lightspeed_client.token_store.TokenStore`
shared by every process on the same API client:

- the access token is refreshed ahead of its expiry, and at most once after a 401;
- a refresh takes the store's cross-process lock and re-reads the store first: when another
  process has already rotated, its tokens are used and no refresh is made;
- the rotated refresh token is written to the store (atomically, mode 0600) before the new
  access token is handed to anyone;
- one refresh, all its attempts and waits included, ends within
  ``TOKEN_REFRESH_DEADLINE_SECONDS``, shorter than the store's lock wait, so that a process
  waiting for the lock never gives up behind a refresh that is still going.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable

import requests
from singer_sdk.authenticators import APIAuthenticatorBase
from typing_extensions import override

from lightspeed_client.errors import AuthorizationError, LightspeedError
from lightspeed_client.responses import backoff_seconds, error_body, retry_after_seconds
from lightspeed_client.token_store import (
    LOCK_TIMEOUT_SECONDS,
    TokenState,
    TokenStore,
    fingerprint,
)

LOGGER = logging.getLogger("lightspeed_client.auth")

#: Refresh this long before expiry at most (a fifth of the token's lifetime when shorter).
DEFAULT_REFRESH_MARGIN = 300.0
#: Attempts at one refresh when the token endpoint fails in a retriable way.
TOKEN_ENDPOINT_ATTEMPTS = 4
RETRIABLE_TOKEN_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The longest one refresh may take, every attempt and wait included (a slow attempt is cut
#: short, a wait that would overrun ends the refresh). The refresh holds the token store's
#: lock, so this stays well under the lock's wait (the rest is for reading and writing the
#: store).
TOKEN_REFRESH_DEADLINE_SECONDS = LOCK_TIMEOUT_SECONDS - 30.0
#: Backoff between token attempts when the endpoint gives no ``Retry-After``, in seconds.
TOKEN_BACKOFF_BASE_SECONDS = 1.0
TOKEN_BACKOFF_CAP_SECONDS = 15.0


def redact(text: str, secrets: tuple[str | None, ...]) -> str:
    """Replace every occurrence of the given secrets in a text.

    Args:
        text: Any text about to be logged or raised.
        secrets: The secrets to hide; None and empty ones are skipped.

    Returns:
        The text with each secret replaced by ``[redacted]``.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def account_from_access_token(access_token: str) -> str | None:
    """Read the account ID from the ``acct`` claim of a JWT access token (not verified).

    Args:
        access_token: The access token.

    Returns:
        The account ID, or None when the token carries none.
    """
    parts = access_token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        return None
    account = claims.get("acct") if isinstance(claims, dict) else None
    return str(account) if account not in (None, "") else None


def token_error_details(response: requests.Response) -> tuple[str | None, str]:
    """Read the OAuth error code and description of a failed token request.

    The body is JSON even when served as ``text/html``.

    Args:
        response: The token endpoint's response.

    Returns:
        The ``error`` code (or None) and a human-readable description.
    """
    body = error_body(response)
    if body is None:
        return None, f"HTTP {response.status_code} {response.reason}"
    error = body.get("error")
    description = body.get("error_description") or body.get("message") or ""
    hint = body.get("hint")
    text = f"{error}: {description}" if error else str(description)
    if hint:
        text = f"{text} ({hint})"
    return (str(error) if error else None), text


def raise_for_token_error(
    response: requests.Response, *, grant: str, secrets: tuple[str | None, ...]
) -> None:
    """Turn a failed token request into an AuthorizationError that says what to do.

    Args:
        response: The token endpoint's (non-2xx) response.
        grant: ``refresh_token`` or ``authorization_code``.
        secrets: Secrets that must not appear in the message.

    Raises:
        AuthorizationError: Always.
    """
    error, details = token_error_details(response)
    details = redact(details, secrets)
    if error == "invalid_client":
        msg = (
            f"Lightspeed refused the API client ({details}). "
            "Check the client_id and client_secret settings."
        )
    elif error == "invalid_grant" and grant == "refresh_token":
        msg = (
            f"Lightspeed refused the refresh token ({details}): it was already used, revoked, "
            "or left unused for 30 days, so the token chain is broken. "
            "Run `lightspeed-authorize` again to authorize a new one."
        )
    elif error == "invalid_grant":
        msg = (
            f"Lightspeed refused the authorization code ({details}): codes live 60 seconds "
            "and work once. Run `lightspeed-authorize` again and finish promptly."
        )
    else:
        msg = (
            f"The token endpoint refused the {grant} grant "
            f"(HTTP {response.status_code}, {details})."
        )
    raise AuthorizationError(msg, error=error)


class LightspeedAuthenticator(APIAuthenticatorBase):
    """Bearer authentication with a token chain shared through a token store.

    Used by the tap's streams (as their ``authenticator``) and by the shared session, which
    calls it before every attempt. It only sets the ``Authorization`` header and never touches
    the URL, so filters such as ``timeStamp=%3E%3D%2C...`` go out exactly as built.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_url: str,
        token_store: TokenStore,
        refresh_token: str | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        timeout: float = 30.0,
        http: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Create the authenticator.

        Args:
            client_id: OAuth client ID.
            client_secret: OAuth client secret.
            token_url: The token endpoint.
            token_store: Where the token chain is kept and shared.
            refresh_token: The refresh token setting (the chain's first token).
            refresh_margin: Refresh this many seconds before expiry at most.
            timeout: Seconds to wait for the token endpoint (each attempt is cut shorter
                when the refresh's deadline is nearer).
            http: Session for token requests (a plain one by default).
            clock: Wall-clock time source (seconds since the epoch), for token expiry.
            monotonic: Monotonic time source, for the refresh's deadline.
            sleep: Sleeper between token attempts (replaced in tests, as the session's is).
        """
        super().__init__()
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_url = token_url
        self.token_store = token_store
        self._seed_token = refresh_token
        self.refresh_margin = refresh_margin
        self.timeout = timeout
        self._http = http or requests.Session()
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._state: TokenState | None = None
        self._thread_lock = threading.RLock()
        #: Refreshes this process made (each one a rotation of the chain).
        self.refresh_count = 0

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        return request

    @property
    def account_id(self) -> str | None:
        """The account the current tokens grant, when known."""
        with self._thread_lock:
            state = self._state or self.token_store.read()
        return state.account_id if state else None

    def access_token(self) -> str:
        """Return a valid access token, refreshing (or adopting another process's) when due.

        Returns:
            The access token.
        """
        with self._thread_lock:
            state = self._state
            if state is not None and state.access_token and not self._due(state):
                return state.access_token
            with self.token_store.locked():
                stored = self._usable_stored_state()
                if stored is not None and stored.access_token and not self._due(stored):
                    self._state = stored
                else:
                    self._state = self._refresh_locked(stored)
                return self._state.access_token or ""

    def handle_unauthorized(self, rejected_token: str | None) -> None:
        """React to a 401: adopt a newer token from the store, or refresh once.

        Args:
            rejected_token: The access token the API refused.
        """
        with self._thread_lock, self.token_store.locked():
            stored = self._usable_stored_state()
            if (
                stored is not None
                and stored.access_token
                and stored.access_token != rejected_token
                and not self._due(stored)
            ):
                LOGGER.info("Access token refused; another process already refreshed, using it")
                self._state = stored
                return
            LOGGER.info("Access token refused (401); refreshing it")
            self._state = self._refresh_locked(stored)

    def force_refresh(self) -> None:
        """Refresh now under the lock, whatever the current token's expiry (used by tests)."""
        with self._thread_lock, self.token_store.locked():
            self._state = self._refresh_locked(self._usable_stored_state())

    # Internals -------------------------------------------------------------------------

    def _secrets(self) -> tuple[str | None, ...]:
        state = self._state
        return (
            self._client_secret,
            self._seed_token,
            state.refresh_token if state else None,
            state.access_token if state else None,
        )

    def _due(self, state: TokenState) -> bool:
        lifetime = max(state.expires_at - state.obtained_at, 0.0)
        margin = min(self.refresh_margin, lifetime / 5)
        return self._clock() >= state.expires_at - margin

    def _usable_stored_state(self) -> TokenState | None:
        """Read the store; ignore it when the refresh_token setting starts a new chain."""
        stored = self.token_store.read()
        if stored is None or not stored.refresh_token:
            return None
        if self._seed_token and fingerprint(self._seed_token) != stored.seeded_from:
            LOGGER.info(
                "The refresh_token setting is not the one token store %s started from; "
                "starting a new token chain from the setting",
                self.token_store.path,
            )
            return None
        return stored

    def _refresh_locked(self, stored: TokenState | None) -> TokenState:
        """Refresh with the chain's current refresh token; the store lock must be held."""
        if stored is not None:
            refresh_token, seeded_from = stored.refresh_token, stored.seeded_from
        elif self._seed_token:
            refresh_token, seeded_from = self._seed_token, fingerprint(self._seed_token)
        else:
            msg = (
                f"No refresh token: token store {self.token_store.path} is empty and the "
                "refresh_token setting is not set. Run `lightspeed-authorize` first."
            )
            raise AuthorizationError(msg, error="missing_refresh_token")
        form = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "refresh_token": refresh_token,
        }
        response = self._post_token_request(form, secrets=(*self._secrets(), refresh_token))
        if not response.ok:
            raise_for_token_error(
                response, grant="refresh_token", secrets=(*self._secrets(), refresh_token)
            )
        new_state = token_state_from_response(
            response,
            now=self._clock(),
            previous_account=stored.account_id if stored else None,
            seeded_from=seeded_from,
        )
        try:
            self.token_store.write(new_state)
        except OSError as exc:
            msg = (
                f"Could not save the rotated refresh token to {self.token_store.path} "
                f"({exc.strerror or type(exc).__name__}). The new access token was not used, "
                "so the previous refresh token still works: fix the path and run again."
            )
            raise AuthorizationError(msg, error="token_store_unwritable") from None
        self.refresh_count += 1
        LOGGER.info(
            "Access token refreshed (valid %.0f s); rotated refresh token saved to %s",
            new_state.expires_at - new_state.obtained_at,
            self.token_store.path,
        )
        return new_state

    def _post_token_request(
        self, form: dict[str, str], *, secrets: tuple[str | None, ...]
    ) -> requests.Response:
        """POST to the token endpoint, retrying 429/5xx and dropped connections a few times.

        Every attempt and wait fits within ``TOKEN_REFRESH_DEADLINE_SECONDS``: an attempt's
        timeout is cut to the time left, and a wait (``Retry-After`` or backoff) that would
        overrun the deadline ends the refresh instead.
        """
        started = self._monotonic()
        deadline = started + TOKEN_REFRESH_DEADLINE_SECONDS
        failure = ""
        attempt = 0
        while attempt < TOKEN_ENDPOINT_ATTEMPTS:
            attempt += 1
            timeout = min(self.timeout, max(deadline - self._monotonic(), 1.0))
            asked: float | None = None
            try:
                response = self._http.post(self.token_url, data=form, timeout=timeout)
            except requests.RequestException as exc:
                failure = f"{type(exc).__name__} talking to the token endpoint"
            else:
                if response.status_code not in RETRIABLE_TOKEN_STATUSES:
                    return response
                failure = f"HTTP {response.status_code} from the token endpoint"
                asked = retry_after_seconds(response)
            if attempt == TOKEN_ENDPOINT_ATTEMPTS:
                break
            wait = asked
            if wait is None:
                wait = backoff_seconds(
                    attempt, base=TOKEN_BACKOFF_BASE_SECONDS, cap=TOKEN_BACKOFF_CAP_SECONDS
                )
            if self._monotonic() + wait >= deadline:
                failure = (
                    f"{failure}; waiting {wait:.0f} s more would take the refresh past its "
                    f"{TOKEN_REFRESH_DEADLINE_SECONDS:.0f} s limit, run again later"
                )
                break
            LOGGER.warning("%s; retrying in %.1f s", failure, wait)
            self._sleep(wait)
        elapsed = self._monotonic() - started
        msg = redact(
            f"Token refresh failed after {attempt} attempt(s) in {elapsed:.0f} s: {failure}",
            secrets,
        )
        raise LightspeedError(msg)


def token_state_from_response(
    response: requests.Response,
    *,
    now: float,
    previous_account: str | None = None,
    seeded_from: str | None = None,
) -> TokenState:
    """Build the new token state from a successful token response.

    Args:
        response: The token endpoint's 200 response.
        now: The current time (seconds since the epoch).
        previous_account: The account known before, when the token does not say.
        seeded_from: Fingerprint of the chain's first refresh token (None: this one).

    Returns:
        The new state.

    Raises:
        AuthorizationError: The response lacks a token.
    """
    try:
        body = json.loads(response.text)
        access_token = str(body["access_token"])
        refresh_token = str(body["refresh_token"])
        expires_in = float(body.get("expires_in") or 3600)
    except (ValueError, KeyError, TypeError):
        msg = "The token endpoint answered 200 without an access_token and refresh_token"
        raise AuthorizationError(msg, error="bad_token_response") from None
    return TokenState(
        refresh_token=refresh_token,
        access_token=access_token,
        expires_at=now + expires_in,
        obtained_at=now,
        account_id=account_from_access_token(access_token) or previous_account,
        seeded_from=seeded_from or fingerprint(refresh_token),
    )
