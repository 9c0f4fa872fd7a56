"""Errors raised by the shared Lightspeed client.

Messages name what failed (method, path, field, record) and what to do about it. They never
contain a client secret, an access token or a refresh token, nor a query string.
"""

from __future__ import annotations

from lightspeed_client.scopes import ALL, describe_needed, entity_of_path, scopes_for


class LightspeedError(Exception):
    """Base class of every error raised by the Lightspeed client."""


class ConfigurationError(LightspeedError):
    """A setting is missing or unacceptable (for instance a plain-HTTP URL to a remote host)."""


class AuthorizationError(LightspeedError):
    """The OAuth server refused the credentials; the message says which action fixes it."""

    def __init__(self, message: str, *, error: str | None = None) -> None:
        super().__init__(message)
        #: The OAuth ``error`` code, such as ``invalid_grant`` or ``invalid_client``.
        self.error = error


class LightspeedAPIError(LightspeedError):
    """The API answered with a status that is not retried (or kept failing after retries).

    Attributes:
        status: The HTTP status code.
        method: The HTTP method of the request.
        path: The URL path of the request, without its query string.
        message: Lightspeed's own message from the error body, when it had one.
    """

    def __init__(self, *, status: int, method: str, path: str, message: str) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.message = message
        super().__init__(f"{method} {path} failed with HTTP {status}: {message}")


class MissingScopeError(LightspeedAPIError):
    """403 Forbidden: the token does not carry a scope the request needs.

    The message names the request, Lightspeed's own message and the scopes the official pages
    say the entity needs (:mod:`lightspeed_client.scopes`); :meth:`about` puts what was being
    done (a stream, a record) in front of it.

    Attributes:
        entity: The entity the path reads or writes (None when it names none).
        write: Whether the request writes (POST, PUT, DELETE).
        needed: The scopes that would allow it (any one), ``employee:all`` last.
        subject: What was being done, e.g. ``Stream 'orders'`` (None until :meth:`about`).
    """

    def __init__(
        self,
        *,
        method: str,
        path: str,
        message: str,
        write: bool,
        subject: str | None = None,
    ) -> None:
        super().__init__(status=403, method=method, path=path, message=message)
        self.entity = entity_of_path(path)
        self.write = write
        self.needed = scopes_for(self.entity, write=write) if self.entity else (ALL,)
        self.subject = subject
        prefix = f"{subject}: " if subject else ""
        needs = describe_needed(self.entity, write=write)
        self.args = (
            f"{prefix}{method} {path} failed with HTTP 403 (Forbidden): {message.rstrip('.')}. "
            f"{needs[:1].upper()}{needs[1:]}: authorize again with such a scope "
            "(lightspeed-authorize --scope ...; docs/connecting.md#scopes). A 403 also answers "
            "a token of another account.",
        )

    def about(self, subject: str) -> MissingScopeError:
        """Return the same error with what was being done in front (kept if already set).

        Args:
            subject: E.g. ``Stream 'orders'`` or ``Stream 'customers', record email=...``.

        Returns:
            The error to raise.
        """
        if self.subject is not None:
            return self
        return MissingScopeError(
            method=self.method,
            path=self.path,
            message=self.message,
            write=self.write,
            subject=subject,
        )


class RetriesExhaustedError(LightspeedError):
    """Retriable failures (429, 5xx, dropped connections) went on past the retry budget."""

    def __init__(
        self,
        *,
        method: str,
        path: str,
        attempts: int,
        last_failure: str,
        status: int | None = None,
    ) -> None:
        #: HTTP status of the last failure (None when the connection itself failed).
        self.status = status
        self.method = method
        self.path = path
        self.attempts = attempts
        self.last_failure = last_failure
        super().__init__(
            f"{method} {path} still failing after {attempts} attempts; last: {last_failure}"
        )


class UncertainWriteError(LightspeedError):
    """A create (POST) failed in a way that leaves unknown whether Lightspeed stored it.

    A 5xx or a connection dropped after the request was sent may or may not have created the
    record. Retrying blindly could create it twice, so the caller must look it up first.
    """

    def __init__(self, *, method: str, path: str, failure: str) -> None:
        self.method = method
        self.path = path
        self.failure = failure
        super().__init__(
            f"{method} {path}: {failure}; the write may or may not have been stored, "
            "look the record up before retrying"
        )


class WireFormatError(LightspeedError):
    """A value in an API response cannot be read as the type its JSON schema declares."""

    def __init__(self, *, entity: str, record_id: str | None, field: str, detail: str) -> None:
        self.entity = entity
        self.record_id = record_id
        self.field = field
        self.detail = detail
        which = f"{entity} {record_id}" if record_id is not None else entity
        super().__init__(f"{which}: field '{field}': {detail}")
