"""Reading Lightspeed's HTTP answers for errors and retries: one home for the session and auth.

- :func:`error_body` and :func:`error_message` read an error body (JSON even when it is
  served as ``text/html``);
- :func:`retry_after_seconds` reads ``Retry-After``; :data:`MAX_RETRY_AFTER_SECONDS` is the
  longest wait the client accepts from it;
- :func:`asks_to_try_again_later` recognises Lightspeed's transient 400;
- :func:`backoff_seconds` is the capped, fully jittered exponential backoff between retries.
"""

from __future__ import annotations

import json
from typing import Any

import backoff
import requests

#: The longest ``Retry-After`` the client waits, in seconds. The leaky bucket asks for a few
#: seconds (the cost of the refused request over the drip rate, under a minute even for a
#: large sale at one drip per second); a longer demand (maintenance, a suspended client, a
#: proxy's own limit) is not waited out, because waiting once would stall a run and waiting
#: again after each refusal would stall it for hours: the request fails with a message that
#: says so, and the next run starts where this one stopped.
MAX_RETRY_AFTER_SECONDS = 300.0
#: The wait after a 429 that carries no (readable) ``Retry-After``.
DEFAULT_RETRY_AFTER_SECONDS = 1.0
#: Lightspeed's ``message`` on a 400 that is transient, not a fault of the request.
TRY_AGAIN_LATER_MESSAGE = "Please try again later."


def error_body(response: requests.Response) -> dict[str, Any] | None:
    """Read a JSON error body, whatever its ``Content-Type`` says.

    Args:
        response: A non-2xx response.

    Returns:
        The body's JSON object, or None when the body is not one.
    """
    try:
        body = json.loads(response.text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def error_message(response: requests.Response) -> str:
    """Read Lightspeed's message from an error response.

    Args:
        response: A non-2xx response.

    Returns:
        The ``message`` (or OAuth ``error_description``), else the status line.
    """
    body = error_body(response) or {}
    for key in ("message", "error_description", "httpMessage", "error"):
        if body.get(key):
            return str(body[key])
    return f"{response.status_code} {response.reason or ''}".strip()


def asks_to_try_again_later(response: requests.Response) -> bool:
    """Tell whether a response is Lightspeed's transient 400 "Please try again later.".

    Args:
        response: A response.

    Returns:
        True for a 400 whose ``message`` is "Please try again later." (case and a missing
        final full stop do not matter).
    """
    if response.status_code != 400:
        return False
    message = error_message(response).strip().rstrip(".").casefold()
    return message == TRY_AGAIN_LATER_MESSAGE.rstrip(".").casefold()


def retry_after_seconds(response: requests.Response) -> float | None:
    """Read the seconds a response's ``Retry-After`` asks to wait (not capped).

    Args:
        response: A response.

    Returns:
        The seconds (0 or more), or None when the header is absent or not a number of seconds.
    """
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def backoff_seconds(retry: int, *, base: float, cap: float) -> float:
    """Return a wait before a retry: exponential from ``base``, capped, with full jitter.

    Args:
        retry: Which retry this is (1 for the first).
        base: The first retry's longest wait, in seconds (doubled for each later retry).
        cap: The longest wait, in seconds.

    Returns:
        A random wait between 0 and ``min(cap, base * 2 ** (retry - 1))`` seconds.
    """
    ceiling = min(cap, base * 2.0 ** min(max(retry - 1, 0), 62))
    return backoff.full_jitter(ceiling)
