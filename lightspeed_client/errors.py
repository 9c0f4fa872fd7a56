"""Errors raised by the shared Lightspeed client.

Messages name what failed (method, path, field, record) and what to do about it. They never
contain a client secret, an access token or a refresh token, nor a query string.
"""

from __future__ import annotations


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
