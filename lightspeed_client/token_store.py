"""The token store: one small JSON file (mode 0600) shared by every process on one API client.

It holds the current refresh token (which rotates on every refresh), the current access token
and its expiry, so that a tap and a target running at the same time use one token chain. A
cross-process file lock (``<store>.lock``) serialises refreshes; writes are atomic (a temporary
file in the same folder, fsync, rename), so a crash never leaves a half-written store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from lightspeed_client.errors import ConfigurationError, LightspeedError

#: How long a process waits for another to release the store's lock. A holder refreshes
#: within ``auth.TOKEN_REFRESH_DEADLINE_SECONDS``, which is shorter.
LOCK_TIMEOUT_SECONDS = 120.0


def fingerprint(token: str) -> str:
    """Return a short one-way fingerprint of a token, safe to store and compare.

    Args:
        token: A refresh token.

    Returns:
        The first 16 hex digits of its SHA-256.
    """
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TokenState:
    """What the token store holds.

    Attributes:
        refresh_token: The current (not yet used) refresh token.
        access_token: The current access token, or None.
        expires_at: When the access token expires (seconds since the epoch).
        obtained_at: When the access token was issued (seconds since the epoch).
        account_id: The account the tokens grant, when known.
        seeded_from: Fingerprint of the refresh token this chain started from.
    """

    refresh_token: str
    access_token: str | None = None
    expires_at: float = 0.0
    obtained_at: float = 0.0
    account_id: str | None = None
    seeded_from: str | None = None


class TokenStore:
    """A token store file and its lock."""

    def __init__(self, path: Path | str) -> None:
        """Create a handle on a token store (the file need not exist yet).

        Args:
            path: Path of the store file.
        """
        self.path = Path(path)
        self._lock = FileLock(f"{self.path}.lock", timeout=LOCK_TIMEOUT_SECONDS)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cross-process lock of this store (re-entrant within a thread).

        Yields:
            Nothing; the lock is held inside the ``with`` block.

        Raises:
            LightspeedError: Another process held the lock for longer than
                ``LOCK_TIMEOUT_SECONDS``.
        """
        self._ensure_folder()
        try:
            self._lock.acquire()
        except Timeout:
            msg = (
                f"Another process held the lock of token store {self.path} for more than "
                f"{self._lock.timeout:.0f} s, longer than any token refresh takes: look for a "
                "hung tap-lightspeed, target-lightspeed or lightspeed-authorize using the same "
                f"API client, stop it, then run again (the lock file is {self._lock.lock_file})"
            )
            raise LightspeedError(msg) from None
        try:
            yield
        finally:
            self._lock.release()

    def read(self) -> TokenState | None:
        """Read the store.

        Returns:
            The stored state, or None when there is no store yet.

        Raises:
            ConfigurationError: The file exists but is not a token store.
        """
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
            return TokenState(**data)
        except (ValueError, TypeError) as exc:
            msg = (
                f"Token store {self.path} is not readable as a token store ({type(exc).__name__}); "
                "move it aside and run `lightspeed-authorize` again"
            )
            raise ConfigurationError(msg) from None

    def write(self, state: TokenState) -> None:
        """Replace the store atomically; the file is created with mode 0600.

        A write that fails leaves the previous store as it was and no temporary file behind.

        Args:
            state: The new state.
        """
        self._ensure_folder()
        payload = json.dumps(asdict(state), indent=2, sort_keys=True).encode()
        fd, tmp_name = tempfile.mkstemp(prefix=".tokens-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as tmp:
                os.fchmod(tmp.fileno(), 0o600)
                tmp.write(payload)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _ensure_folder(self) -> None:
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
