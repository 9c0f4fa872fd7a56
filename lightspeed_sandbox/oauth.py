"""The OAuth 2.0 authorization server: codes, JWT access tokens, rotating refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from lightspeed_client.scopes import REQUESTABLE_SCOPES, token_allows

#: The scope values a client may request (the Access Scopes page, through the client's table).
KNOWN_SCOPES = frozenset(REQUESTABLE_SCOPES)
ACCESS_DENIED = {
    "error": "access_denied",
    "error_description": "The resource owner or authorization server denied the request.",
    "hint": "Access token could not be verified",
}


class OAuthError(Exception):
    """A token-endpoint error ``{"error","error_description","hint"}``."""

    def __init__(
        self, status: int, error: str, description: str, hint: str = "", retry_after: int = 0
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.hint = hint
        self.retry_after = retry_after

    def payload(self) -> dict[str, str]:
        """Return the JSON error body."""
        return {"error": self.error, "error_description": self.description, "hint": self.hint}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class AuthCode:
    """A pending authorization code."""

    account_id: str
    client_id: str
    scope: str
    redirect_uri: str
    expires: float
    challenge: str | None
    method: str


@dataclass
class RefreshToken:
    """A refresh token and its place in the rotation chain."""

    token: str
    account_id: str
    client_id: str
    scope: str
    expires: float
    alive: bool = True
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    uses: list[float] = field(default_factory=list)


@dataclass
class AccessToken:
    """Server-side record of an issued access token."""

    jti: str
    account_id: str
    client_id: str
    scope: str
    issued: float
    expires: float
    refresh_token: str | None
    used: bool = False


class OAuthServer:
    """Authorization server state. Not thread-safe: callers hold the sandbox lock.

    Args:
        client_id: The demo client's id.
        client_secret: The demo client's secret.
        redirect_uri: The demo client's registered redirect URI.
        access_lifetime: ``expires_in`` of access tokens.
        refresh_lifetime: Lifetime of an unused refresh token.
        code_lifetime: Lifetime of an authorization code.
        refresh_retry_limit: Refreshes per minute allowed with one refresh token.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        access_lifetime: int,
        refresh_lifetime: int,
        code_lifetime: float,
        refresh_retry_limit: int,
    ) -> None:
        self.clients = {client_id: (client_secret, redirect_uri)}
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime
        self.code_lifetime = code_lifetime
        self.refresh_retry_limit = refresh_retry_limit
        self._key = secrets.token_bytes(32)
        self.codes: dict[str, AuthCode] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.early_expiry: float | None = None
        self.refreshes = 0
        self.tokens_issued = 0

    # -- authorize ----------------------------------------------------------------------------
    def authorize(
        self,
        client_id: str,
        scope: str,
        redirect_uri: str,
        account_id: str,
        challenge: str | None,
        method: str,
    ) -> str:
        """Create an authorization code (the user always approves) and return it."""
        code = "def502" + secrets.token_hex(24)
        self.codes[code] = AuthCode(
            account_id,
            client_id,
            scope,
            redirect_uri,
            time.time() + self.code_lifetime,
            challenge,
            method,
        )
        return code

    def check_scope(self, scope: str) -> str:
        """Validate a space-separated scope string and return it normalized.

        Raises:
            OAuthError: ``invalid_scope``.
        """
        parts = scope.split()
        bad = [s for s in parts if s not in KNOWN_SCOPES]
        if bad or not parts:
            raise OAuthError(
                400,
                "invalid_scope",
                "The requested scope is invalid, unknown, or malformed",
                f"Check the `{bad[0] if bad else scope}` scope",
            )
        return " ".join(parts)

    def check_client(self, client_id: str, client_secret: str | None = None) -> str:
        """Authenticate a client and return its registered redirect URI.

        Raises:
            OAuthError: 401 ``invalid_client``.
        """
        entry = self.clients.get(client_id)
        if entry is None or (
            client_secret is not None and not hmac.compare_digest(entry[0], client_secret)
        ):
            raise OAuthError(401, "invalid_client", "Client authentication failed")
        return entry[1]

    # -- token endpoint -----------------------------------------------------------------------
    def token(self, form: dict[str, str]) -> dict[str, Any]:
        """Handle a token request (both grants) and return the token response.

        Raises:
            OAuthError: On any documented error.
        """
        grant = form.get("grant_type", "")
        if not grant:
            raise OAuthError(
                400,
                "invalid_request",
                "The request is missing a required parameter, includes an invalid parameter "
                "value, includes a parameter more than once, or is otherwise malformed.",
                "Check the `grant_type` parameter",
            )
        if grant not in ("authorization_code", "refresh_token"):
            raise OAuthError(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
                "Check that all required parameters have been provided",
            )
        for name in ("client_id", "client_secret"):
            if not form.get(name):
                raise OAuthError(
                    400,
                    "invalid_request",
                    "The request is missing a required parameter, includes an invalid parameter "
                    "value, includes a parameter more than once, or is otherwise malformed.",
                    f"Check the `{name}` parameter",
                )
        self.check_client(form["client_id"], form["client_secret"])
        if grant == "authorization_code":
            return self._grant_code(form)
        return self._grant_refresh(form)

    def _grant_code(self, form: dict[str, str]) -> dict[str, Any]:
        code_text = form.get("code", "")
        if not code_text:
            raise OAuthError(
                400,
                "invalid_request",
                "The request is missing a required parameter, includes an invalid parameter "
                "value, includes a parameter more than once, or is otherwise malformed.",
                "Check the `code` parameter",
            )
        code = self.codes.pop(code_text, None)
        if code is None or code.client_id != form["client_id"]:
            raise OAuthError(
                400, "invalid_grant", _GRANT_DESC, "Authorization code has been revoked"
            )
        if code.expires < time.time():
            raise OAuthError(400, "invalid_grant", _GRANT_DESC, "Authorization code has expired")
        if form.get("redirect_uri") and form["redirect_uri"] != code.redirect_uri:
            raise OAuthError(400, "invalid_grant", _GRANT_DESC, "Invalid redirect URI")
        if code.challenge:
            verifier = form.get("code_verifier", "")
            if not verifier:
                raise OAuthError(
                    400,
                    "invalid_request",
                    "The request is missing a required parameter, includes an invalid parameter "
                    "value, includes a parameter more than once, or is otherwise malformed.",
                    "Check the `code_verifier` parameter",
                )
            if code.method == "S256":
                computed = _b64url(hashlib.sha256(verifier.encode()).digest())
            else:
                computed = verifier
            if not hmac.compare_digest(computed, code.challenge):
                raise OAuthError(
                    400, "invalid_grant", _GRANT_DESC, "Failed to verify `code_verifier`."
                )
        refresh = self.new_refresh_token(code.account_id, code.client_id, code.scope)
        return self._issue(code.account_id, code.client_id, code.scope, refresh.token)

    def _grant_refresh(self, form: dict[str, str]) -> dict[str, Any]:
        if "scope" in form:
            raise OAuthError(
                400,
                "invalid_grant",
                _GRANT_DESC,
                "Scope must not be sent when refreshing a token",
            )
        text = form.get("refresh_token", "")
        if not text:
            raise OAuthError(
                400,
                "invalid_request",
                "The request is missing a required parameter, includes an invalid parameter "
                "value, includes a parameter more than once, or is otherwise malformed.",
                "Check the `refresh_token` parameter",
            )
        rt = self.refresh_tokens.get(text)
        now = time.time()
        if rt is None or rt.client_id != form["client_id"]:
            raise OAuthError(400, "invalid_grant", _GRANT_DESC, "Cannot decrypt the refresh token")
        if not rt.alive:
            raise OAuthError(400, "invalid_grant", _GRANT_DESC, "Token has been revoked")
        if rt.expires < now:
            raise OAuthError(400, "invalid_grant", _GRANT_DESC, "Token has expired")
        rt.uses = [t for t in rt.uses if t > now - 60]
        if len(rt.uses) >= self.refresh_retry_limit:
            raise OAuthError(
                429,
                "too_many_requests",
                "The refresh token was used too often.",
                f"A refresh may be retried at most {self.refresh_retry_limit} times a minute",
                retry_after=int(60 - (now - rt.uses[0])) + 1,
            )
        rt.uses.append(now)
        # Using a child refresh token proves the client received it: the parent dies.
        self._retire_parent(rt)
        child = self.new_refresh_token(rt.account_id, rt.client_id, rt.scope, parent=rt.token)
        self.refreshes += 1
        return self._issue(rt.account_id, rt.client_id, rt.scope, child.token)

    def _retire_parent(self, rt: RefreshToken) -> None:
        if rt.parent is None:
            return
        parent = self.refresh_tokens.get(rt.parent)
        if parent is None:
            return
        parent.alive = False
        for sibling in parent.children:
            if sibling != rt.token and sibling in self.refresh_tokens:
                self.refresh_tokens[sibling].alive = False

    def new_refresh_token(
        self, account_id: str, client_id: str, scope: str, parent: str | None = None
    ) -> RefreshToken:
        """Create a refresh token (as if the user authorized) and return it."""
        token = "def50200" + secrets.token_hex(48)
        rt = RefreshToken(token, account_id, client_id, scope, time.time() + self.refresh_lifetime)
        rt.parent = parent
        if parent is not None and parent in self.refresh_tokens:
            self.refresh_tokens[parent].children.append(token)
        self.refresh_tokens[token] = rt
        return rt

    def _issue(self, account_id: str, client_id: str, scope: str, refresh: str) -> dict[str, Any]:
        now = time.time()
        jti = secrets.token_hex(20)
        claims = {
            "aud": client_id,
            "jti": jti,
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now) + self.access_lifetime,
            "sub": "1",
            "scopes": scope.split(),
            "acct": account_id,
        }
        header = {"typ": "JWT", "alg": "HS256"}
        signing = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        sig = _b64url(hmac.new(self._key, signing.encode(), hashlib.sha256).digest())
        self.access_tokens[jti] = AccessToken(
            jti, account_id, client_id, scope, now, now + self.access_lifetime, refresh
        )
        self.tokens_issued += 1
        return {
            "token_type": "Bearer",
            "expires_in": self.access_lifetime,
            "access_token": f"{signing}.{sig}",
            "refresh_token": refresh,
        }

    # -- resource server side -----------------------------------------------------------------
    def verify(self, token: str) -> AccessToken | None:
        """Verify a bearer token; return its record or ``None`` (-> 401 access_denied).

        The first successful use of an access token kills the refresh token that was used to
        obtain it (rotation since 2026-01-15).
        """
        parts = token.split(".")
        if len(parts) != 3:
            return None
        signing = f"{parts[0]}.{parts[1]}"
        expected = _b64url(hmac.new(self._key, signing.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            return None
        try:
            claims = json.loads(_b64url_decode(parts[1]))
        except ValueError:
            return None
        record = self.access_tokens.get(claims.get("jti", ""))
        now = time.time()
        if record is None or record.expires < now:
            return None
        if self.early_expiry is not None and now - record.issued > self.early_expiry:
            return None
        if not record.used:
            record.used = True
            rt = self.refresh_tokens.get(record.refresh_token or "")
            if rt is not None:
                self._retire_parent(rt)
        return record


_GRANT_DESC = (
    "The provided authorization grant (e.g., authorization code, resource owner credentials) or "
    "refresh token is invalid, expired, revoked, does not match the redirection URI used in the "
    "authorization request, or was issued to another client."
)


def scope_allows(scope: str, entity: str, write: bool) -> bool:
    """Return whether a token's scope allows reading or writing an entity.

    The table is :data:`lightspeed_client.scopes.ENTITY_SCOPES`, from the official pages; an
    entity it does not know needs ``employee:all``.
    """
    return token_allows(scope.split(), entity, write=write)
