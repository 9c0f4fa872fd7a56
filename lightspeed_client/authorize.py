"""``lightspeed-authorize``: the connector documentation's "Authorize" button, on the command line.

It prints the authorize URL (with ``state`` and PKCE), then takes the authorization code: by
listening on the redirect URI when that is a loopback ``http`` address, otherwise from the
redirect URL (or bare code) the user pastes. It checks ``state``, exchanges the code, writes
the token store (mode 0600) and prints the account and the settings for ``meltano.yml``.
Tokens are never printed.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import getpass
import hashlib
import http.server
import json
import os
import secrets
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from lightspeed_client.auth import raise_for_token_error, token_state_from_response
from lightspeed_client.client import LightspeedClient
from lightspeed_client.errors import LightspeedError
from lightspeed_client.settings import (
    ConnectionSettings,
    default_token_store_path,
    is_loopback,
)
from lightspeed_client.wire import as_list, decode_json

DEFAULT_SCOPE = "employee:all"
LISTEN_TIMEOUT_SECONDS = 300.0


class AuthorizeError(LightspeedError):
    """The authorization could not be completed; the message says why and what to do."""


def pkce_pair() -> tuple[str, str]:
    """Make a PKCE code verifier and its S256 challenge.

    Returns:
        The verifier and the challenge.
    """
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(settings: ConnectionSettings, *, scope: str, state: str, challenge: str) -> str:
    """Build the URL the user opens to approve access.

    Args:
        settings: Connection settings (client ID, auth URL, redirect URI).
        scope: Space-separated scopes.
        state: The anti-forgery value echoed back on the redirect.
        challenge: PKCE S256 code challenge.

    Returns:
        The authorize URL.
    """
    query = {
        "response_type": "code",
        "client_id": settings.client_id,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if settings.redirect_uri:
        query["redirect_uri"] = settings.redirect_uri
    return f"{settings.auth_url}?{urlencode(query)}"


def code_from_redirect(text: str, expected_state: str) -> tuple[str, bool]:
    """Read the authorization code from a pasted redirect URL, query string or bare code.

    Args:
        text: What the user pasted (or the query of the redirect the listener received).
        expected_state: The state sent with the authorize URL.

    Returns:
        The code, and whether ``state`` was present and checked.

    Raises:
        AuthorizeError: The redirect carries an error, a wrong state, or no code.
    """
    text = text.strip()
    if not text:
        msg = "Nothing was pasted: paste the URL the browser was redirected to, or its code."
        raise AuthorizeError(msg)
    query = urlsplit(text).query if "://" in text else text.lstrip("?")
    if "=" not in query:
        return text, False  # a bare code
    params = {key: values[0] for key, values in parse_qs(query).items()}
    if "error" in params:
        detail = params.get("error_description") or params["error"]
        msg = f"Lightspeed did not authorize the request: {detail}"
        raise AuthorizeError(msg)
    state = params.get("state")
    if state is not None and not secrets.compare_digest(state, expected_state):
        msg = (
            "The redirect's state does not match this run's: it belongs to another "
            "authorization attempt (or was forged). Start again and use the new URL."
        )
        raise AuthorizeError(msg)
    code = params.get("code")
    if not code:
        msg = "The redirect URL carries no code; paste the whole URL the browser landed on."
        raise AuthorizeError(msg)
    return code, state is not None


class _RedirectCatcher(http.server.BaseHTTPRequestHandler):
    """Receives the browser's redirect on a loopback redirect URI."""

    server: _RedirectServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.rstrip("/") != self.server.expected_path.rstrip("/"):
            self.send_error(404)
            return
        self.server.received_query = parts.query
        body = (
            b"<html><body><h1>Lightspeed authorization received</h1>"
            b"<p>You can close this window and return to the terminal.</p></body></html>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.done.set()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the request line (which holds the code) out of the terminal."""


class _RedirectServer(http.server.HTTPServer):
    def __init__(self, address: tuple[str, int], expected_path: str) -> None:
        super().__init__(address, _RedirectCatcher)
        self.expected_path = expected_path or "/"
        self.received_query: str | None = None
        self.done = threading.Event()


def listen_for_redirect(redirect_uri: str) -> _RedirectServer:
    """Start listening on a loopback redirect URI (before the user opens the URL).

    Args:
        redirect_uri: An ``http://127.0.0.1:PORT/path`` style URI.

    Returns:
        The running server; its ``done`` event is set once the redirect arrived.
    """
    parts = urlsplit(redirect_uri)
    host = parts.hostname or "127.0.0.1"
    server = _RedirectServer((host, parts.port or 80), parts.path)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    return server


def exchange_code(
    settings: ConnectionSettings, code: str, verifier: str, http: requests.Session
) -> requests.Response:
    """Exchange the authorization code for the first tokens.

    Args:
        settings: Connection settings.
        code: The authorization code.
        verifier: The PKCE code verifier.
        http: Session to post with.

    Returns:
        The token endpoint's successful response.
    """
    form = {
        "grant_type": "authorization_code",
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
        "code": code,
        "code_verifier": verifier,
    }
    if settings.redirect_uri:
        form["redirect_uri"] = settings.redirect_uri
    try:
        response = http.post(settings.token_url, data=form, timeout=settings.request_timeout)
    except requests.RequestException as exc:
        msg = f"Could not reach the token endpoint {settings.token_url} ({type(exc).__name__})"
        raise AuthorizeError(msg) from None
    if not response.ok:
        raise_for_token_error(
            response,
            grant="authorization_code",
            secrets=(settings.client_secret, code, verifier),
        )
    return response


def _read_config(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"Cannot read config file {path}: {exc}"
        raise AuthorizeError(msg) from None
    if not isinstance(data, dict):
        msg = f"Config file {path} must hold a JSON object"
        raise AuthorizeError(msg)
    return data


def build_settings(args: argparse.Namespace, stdin: TextIO) -> ConnectionSettings:
    """Merge the config file, environment and flags into connection settings.

    Args:
        args: Parsed command line.
        stdin: Where to prompt for a missing client secret.

    Returns:
        The settings.
    """
    config = _read_config(args.config)
    env = os.environ
    overrides = {
        "client_id": args.client_id or env.get("LIGHTSPEED_CLIENT_ID"),
        "redirect_uri": args.redirect_uri,
        "auth_url": args.auth_url,
        "token_url": args.token_url,
        "api_url": args.api_url,
        "token_store": args.token_store,
    }
    config.update({key: value for key, value in overrides.items() if value})
    config.setdefault("client_secret", env.get("LIGHTSPEED_CLIENT_SECRET"))
    if not config.get("client_secret") and stdin.isatty():
        config["client_secret"] = getpass.getpass("Client secret: ")
    config.pop("refresh_token", None)  # a new chain starts here
    return ConnectionSettings.from_config(config)


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Run the authorization.

    Args:
        args: Parsed command line.
        stdin: Where pasted redirect URLs are read.
        stdout: Where instructions and results are printed.

    Returns:
        The exit status.
    """
    settings = build_settings(args, stdin)
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    url = authorize_url(settings, scope=args.scope, state=state, challenge=challenge)
    redirect = urlsplit(settings.redirect_uri or "")
    listen = (
        not args.no_listen
        and redirect.scheme == "http"
        and bool(redirect.hostname)
        and is_loopback(redirect.hostname or "")
    )
    server = None
    if listen:
        server = listen_for_redirect(settings.redirect_uri or "")
    print("Open this URL in a browser, sign in to Lightspeed and approve access:\n", file=stdout)
    print(f"  {url}\n", file=stdout, flush=True)
    try:
        if server is not None:
            print(
                f"Waiting for the redirect on {settings.redirect_uri} ...", file=stdout, flush=True
            )
            if not server.done.wait(args.timeout):
                msg = f"No redirect arrived within {args.timeout:.0f} s; run the command again."
                raise AuthorizeError(msg)
            code, _checked = code_from_redirect(server.received_query or "", state)
        else:
            print(
                "Then paste the URL you were redirected to (or just its code) and press Enter:",
                file=stdout,
                flush=True,
            )
            code, checked = code_from_redirect(stdin.readline(), state)
            if not checked:
                print("(A bare code was pasted, so its state could not be checked.)", file=stdout)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()

    http = requests.Session()
    response = exchange_code(settings, code, verifier, http)
    token_state = token_state_from_response(response, now=time.time())
    client = LightspeedClient(settings)
    client.token_store.write(token_state)
    account = client.session.get(f"{settings.api_url}/API/V3/Account.json")
    accounts = as_list(decode_json(account.content).get("Account"))
    account_id = str(accounts[0].get("accountID")) if accounts else token_state.account_id
    name = accounts[0].get("name") if accounts else None
    if account_id and account_id != token_state.account_id:
        client.token_store.write(dataclasses.replace(token_state, account_id=account_id))
    print(
        f"\nAuthorized Lightspeed account {account_id}" + (f" ({name})." if name else "."),
        file=stdout,
    )
    print(
        f"Tokens saved to {settings.token_store} (mode 0600). The refresh token rotates "
        "there on every refresh: keep this file, and share it between the tap and the target.",
        file=stdout,
    )
    print(
        "\nSettings for meltano.yml (put the client secret in .env as "
        "TAP_LIGHTSPEED_CLIENT_SECRET / TARGET_LIGHTSPEED_CLIENT_SECRET, never in meltano.yml):",
        file=stdout,
    )
    print(f"  client_id: {settings.client_id}", file=stdout)
    print(f"  account_id: '{account_id}'", file=stdout)
    if settings.token_store != default_token_store_path(settings.client_id):
        print(f"  token_store: {settings.token_store}", file=stdout)
    if settings.api_url != "https://api.lightspeedapp.com":
        print(f"  api_url: {settings.api_url}", file=stdout)
        print(f"  token_url: {settings.token_url}", file=stdout)
    return 0


def parser() -> argparse.ArgumentParser:
    """Build the command-line parser.

    Returns:
        The parser.
    """
    p = argparse.ArgumentParser(
        prog="lightspeed-authorize",
        description=(
            "Authorize tap-lightspeed / target-lightspeed against a Lightspeed Retail account "
            "and write the token store. The client secret comes from --config, the "
            "LIGHTSPEED_CLIENT_SECRET environment variable, or a prompt."
        ),
    )
    p.add_argument("--config", help="JSON config file with the connector settings")
    p.add_argument("--client-id", help="OAuth client ID (or LIGHTSPEED_CLIENT_ID)")
    p.add_argument("--redirect-uri", help="Redirect URL registered for the client")
    p.add_argument("--auth-url", help="OAuth authorize URL")
    p.add_argument("--token-url", help="OAuth token URL")
    p.add_argument("--api-url", help="API base URL")
    p.add_argument("--token-store", help="Token store path (default: per user, per client)")
    p.add_argument("--scope", default=DEFAULT_SCOPE, help=f"Scopes (default: {DEFAULT_SCOPE})")
    p.add_argument(
        "--no-listen",
        action="store_true",
        help="Do not listen on a loopback redirect URI; read the pasted redirect URL instead",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=LISTEN_TIMEOUT_SECONDS,
        help="Seconds to wait for the redirect when listening",
    )
    return p


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Entry point of ``lightspeed-authorize``.

    Args:
        argv: Arguments (default: the command line).
        stdin: Input stream (default: ``sys.stdin``).
        stdout: Output stream (default: ``sys.stdout``).

    Returns:
        The exit status: 0 on success, 1 when authorization failed.
    """
    args = parser().parse_args(argv)
    out = stdout or sys.stdout
    try:
        return run(args, stdin or sys.stdin, out)
    except LightspeedError as exc:
        print(f"\nlightspeed-authorize: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
