"""Helpers for the Lightspeed wire format (section 6 of the API reference)."""

from __future__ import annotations

import datetime as _dt
import functools
import json
import time as _time
from typing import Any

try:  # msgspec ships with singer-sdk[msgspec]; fall back to the standard library.
    import msgspec as _msgspec
except ImportError:  # pragma: no cover
    _msgspec = None

_UTC = _dt.timezone.utc

HTTP_MESSAGES = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    411: "Length Required",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_fast_encode = _msgspec.json.Encoder().encode if _msgspec is not None else None


def dumps(obj: Any) -> bytes:
    """Serialize compactly to UTF-8 JSON bytes."""
    if _fast_encode is not None:
        return _fast_encode(obj)
    return _dumps(obj).encode("utf-8")


class ApiError(Exception):
    """An error answered with the Lightspeed error envelope (served as ``text/html``)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def body(self) -> bytes:
        """Return the JSON error envelope."""
        return dumps(
            {
                "httpCode": str(self.status),
                "httpMessage": HTTP_MESSAGES.get(self.status, "Error"),
                "message": self.message,
                "errorClass": "Exception",
            }
        )


_TS_CACHE: dict[int, str] = {}
_gmtime = _time.gmtime


def fmt_ts(epoch: int) -> str:
    """Format epoch seconds as ``2016-02-13T00:47:21+00:00``."""
    text = _TS_CACHE.get(epoch)
    if text is None:
        if len(_TS_CACHE) > 500_000:
            _TS_CACHE.clear()
        y, mo, d, h, mi, s = _gmtime(epoch)[:6]
        text = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}+00:00"
        _TS_CACHE[epoch] = text
    return text


def parse_ts(text: str) -> int:
    """Parse an ISO-8601 timestamp (offset optional, UTC assumed) to epoch seconds.

    Raises:
        ValueError: If the text is not a timestamp (e.g. a ``+`` that became a space).
    """
    text = text.strip() if text[:1].isspace() else text
    if " " in text[10:] and text[10:11] != " ":
        # "2024-01-01T00:00:00 00:00": an unencoded "+" that the URL decoding made a space.
        raise ValueError(f"invalid timestamp {text!r}")
    value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    return int(value.timestamp())


@functools.lru_cache(maxsize=1 << 16)
def fmt_cents(cents: int) -> str:
    """Format an amount in cents minimally: 1395 -> "13.95", 1300 -> "13", 1350 -> "13.5"."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    whole, frac = divmod(cents, 100)
    if not frac:
        return f"{sign}{whole}"
    if frac % 10 == 0:
        return f"{sign}{whole}.{frac // 10}"
    return f"{sign}{whole}.{frac:02d}"


def fmt_num(value: Any) -> str:
    """Format a number minimally ("0", "2.46", "0.09975"); strings pass through."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        text = f"{value:.10f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)


def to_cents(value: Any) -> int:
    """Parse a money value (string or number) to cents.

    Raises:
        ValueError: If the value is not a number.
    """
    if isinstance(value, bool):
        raise ValueError("boolean is not an amount")
    return round(float(value) * 100)


def wire_scalar(value: Any) -> str:
    """Convert a JSON scalar received in a write payload to its wire string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return fmt_num(value)
    return str(value)


def wrap(items: list[dict[str, Any]], name: str) -> Any:
    """Double-wrap a nested collection: ``""`` if empty, an object if one, else a list."""
    if not items:
        return ""
    return {name: items[0] if len(items) == 1 else items}


def unwrap(value: Any, name: str) -> list[dict[str, Any]]:
    """Read a double-wrapped collection (accepts object, list or ``""``)."""
    if not value:
        return []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if not isinstance(value, dict):
        return []
    inner = value.get(name, value if name not in value and value else None)
    if inner is None or inner == "":
        return []
    if isinstance(inner, list):
        return [v for v in inner if isinstance(v, dict)]
    if isinstance(inner, dict):
        return [inner]
    return []


def as_bool(value: Any) -> bool:
    """Interpret a wire or JSON boolean ("true", "1", True, 1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return str(value).strip().lower() in ("true", "1", "yes", "on")
