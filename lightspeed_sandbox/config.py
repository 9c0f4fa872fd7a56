"""Configuration of the sandbox: data volumes, OAuth, rate limiting and faults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

#: Statuses the fault injector can answer with: server errors, Lightspeed's edit conflict
#: (409) and transient 400 "Please try again later.", and Cloudflare's 520-524.
FAULT_STATUSES = frozenset({400, 409, 500, 502, 503, 504, 520, 521, 522, 523, 524})
#: What the sandbox does with ``IN`` on a relation filter (``Contact.email=IN,[..]``), which
#: no official page documents: ``refused`` (400, the default), ``ignored`` (the filter is
#: dropped and every record returned) or ``supported`` (filtered like a plain field).
RELATION_IN_MODES = ("refused", "ignored", "supported")


@dataclass
class FaultConfig:
    """Faults injected into API responses (``/API/...`` only).

    Attributes:
        error_rate: Probability that a request is answered with an error from ``statuses``
            (the request is not carried out, unless its status is in ``applied_statuses``).
        statuses: The statuses drawn from (:data:`FAULT_STATUSES`): 5xx, 409 (edit
            conflict), 400 ("Please try again later.") and Cloudflare's 520-524.
        error_requests: The next N API requests (of ``error_methods``) get an error from
            ``statuses``, taken in turn.
        error_methods: Methods the errors hit (empty: every method), e.g. ``("PUT",)``.
        applied_statuses: Errors answered after the request was carried out: the origin did
            the work but its answer was lost (Cloudflare's 524: the origin timed out, and
            may well have finished). Every other error is answered before anything is done.
        drop_rate: Probability that the request is processed but the connection is closed
            after sending the headers and part of the body.
        slow_rate: Probability that a response is delayed by ``slow_seconds``.
        slow_seconds: Delay of a slow response.
        storm_requests: The next N API requests get a 429 (a "429 storm").
        storm_seconds: Every API request during the next S seconds gets a 429.
        storm_retry_after: ``Retry-After`` sent during a storm (seconds).
        expire_tokens_every: Access tokens older than this many seconds are rejected with 401
            although their ``expires_in`` promised longer (``None`` = off).
        seed: Seed of the fault random generator (``None`` = the sandbox seed).
    """

    error_rate: float = 0.0
    statuses: tuple[int, ...] = (500, 502, 503)
    error_requests: int = 0
    error_methods: tuple[str, ...] = ()
    applied_statuses: tuple[int, ...] = (524,)
    drop_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.2
    storm_requests: int = 0
    storm_seconds: float = 0.0
    storm_retry_after: int = 1
    expire_tokens_every: float | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        self.statuses = tuple(int(s) for s in self.statuses)
        self.applied_statuses = tuple(int(s) for s in self.applied_statuses)
        self.error_methods = tuple(str(m).upper() for m in self.error_methods)
        unknown = set(self.statuses) - FAULT_STATUSES
        if unknown:
            allowed = ", ".join(str(s) for s in sorted(FAULT_STATUSES))
            raise ValueError(
                f"cannot inject status {', '.join(map(str, sorted(unknown)))}: use {allowed}"
            )

    def active(self) -> bool:
        """Return True when any fault is configured."""
        return bool(
            self.error_rate
            or self.error_requests
            or self.drop_rate
            or self.slow_rate
            or self.storm_requests
            or self.storm_seconds
            or self.expire_tokens_every
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as a JSON-friendly dict."""
        data = dataclasses.asdict(self)
        data["statuses"] = list(self.statuses)
        data["error_methods"] = list(self.error_methods)
        data["applied_statuses"] = list(self.applied_statuses)
        return data


FAULT_FIELDS = frozenset(f.name for f in dataclasses.fields(FaultConfig))


@dataclass
class SandboxConfig:
    """Everything that shapes a sandbox.

    Volumes are per account. Rates are per second.

    Attributes:
        seed: Seed of the generated data (and of faults unless ``faults.seed`` is set).
        customers: Generated customers per account.
        items: Generated items per account.
        sales: Generated sales per account.
        images: Generated images per account (``None``: one for every second item).
        accounts: Number of accounts.
        account_volumes: Optional per-account overrides, e.g. ``{1: {"customers": 0}}`` makes
            the second account start without customers (index into ``account_ids``).
        shops: Real shops per account (each item has one ItemShop per shop plus the
            ``shopID "0"`` summary).
        host: Interface to bind (loopback by default).
        port: Port (0: a free port).
        public_url: Base URL written into ``next``/``previous`` links (default: the bound one).
        bucket_enabled: Whether the leaky bucket and the burst limiter apply.
        bucket_size: Size of the leaky bucket.
        drip_rate: Units drained per second.
        burst_limit: Requests allowed per 1-second window.
        access_token_lifetime: ``expires_in`` of access tokens (seconds).
        refresh_token_lifetime: Lifetime of an unused refresh token (seconds).
        auth_code_lifetime: Lifetime of an authorization code (seconds).
        refresh_retry_limit: Refreshes allowed per minute with one refresh token.
        client_id: Demo OAuth client id.
        client_secret: Demo OAuth client secret (``None``: random at start).
        redirect_uri: Registered redirect URI of the demo client.
        request_log_size: Entries kept in the request log.
        data_end: Latest generated timestamp (epoch seconds); data spreads over
            ``data_span_days`` before it.
        data_span_days: Days covered by generated timestamps.
        relation_in: What ``IN`` on a relation filter does (:data:`RELATION_IN_MODES`).
        max_url_length: Longest request target (path and query string, as sent) answered;
            a longer one gets 414 URI Too Long (0: no limit).
        faults: Faults active from the start.
        error_rate: Shortcut for ``faults.error_rate`` (likewise ``statuses``, ``drop_rate``,
            ``slow_rate``, ``slow_seconds``, ``storm_requests``, ``storm_seconds``,
            ``expire_tokens_every`` and ``fault_seed`` for ``faults.seed``); ``None`` keeps
            the value in ``faults``.
        lenient_sales: The sandbox's sales before they followed the official pages: a PUT
            may set ``voided`` and ``archived``, and completed sales can be archived. Off by
            default; for a test that needs the old behaviour.
    """

    seed: int = 1
    customers: int = 500
    items: int = 300
    sales: int = 400
    images: int | None = None
    accounts: int = 1
    account_volumes: dict[int, dict[str, int]] = field(default_factory=dict)
    shops: int = 2
    host: str = "127.0.0.1"
    port: int = 0
    public_url: str | None = None
    bucket_enabled: bool = True
    bucket_size: float = 90.0
    drip_rate: float = 1.0
    burst_limit: int = 20
    access_token_lifetime: int = 3600
    refresh_token_lifetime: int = 30 * 24 * 3600
    auth_code_lifetime: float = 60.0
    refresh_retry_limit: int = 5
    client_id: str = "sandbox-demo-client"
    client_secret: str | None = None
    redirect_uri: str = "https://localhost/callback"
    request_log_size: int = 100_000
    data_end: int = 1_782_864_000  # 2026-07-01T00:00:00+00:00
    data_span_days: int = 270
    relation_in: str = "refused"
    max_url_length: int = 8190
    faults: FaultConfig = field(default_factory=FaultConfig)
    error_rate: float | None = None
    statuses: tuple[int, ...] | None = None
    drop_rate: float | None = None
    slow_rate: float | None = None
    slow_seconds: float | None = None
    storm_requests: int | None = None
    storm_seconds: float | None = None
    expire_tokens_every: float | None = None
    fault_seed: int | None = None
    lenient_sales: bool = False

    def __post_init__(self) -> None:
        if self.relation_in not in RELATION_IN_MODES:
            raise ValueError(
                f"relation_in must be one of {', '.join(RELATION_IN_MODES)}, "
                f"not {self.relation_in!r}"
            )
        flat = {
            "error_rate": self.error_rate,
            "statuses": tuple(self.statuses) if self.statuses is not None else None,
            "drop_rate": self.drop_rate,
            "slow_rate": self.slow_rate,
            "slow_seconds": self.slow_seconds,
            "storm_requests": self.storm_requests,
            "storm_seconds": self.storm_seconds,
            "expire_tokens_every": self.expire_tokens_every,
            "seed": self.fault_seed,
        }
        overrides = {k: v for k, v in flat.items() if v is not None}
        if overrides:
            self.faults = dataclasses.replace(self.faults, **overrides)

    def volumes(self, index: int) -> dict[str, int]:
        """Return the data volumes of the account at ``index``.

        Args:
            index: Position of the account (0-based).

        Returns:
            ``{"customers", "items", "sales", "images"}``.
        """
        images = self.images if self.images is not None else self.items // 2
        vol = {
            "customers": self.customers,
            "items": self.items,
            "sales": self.sales,
            "images": images,
        }
        vol.update(self.account_volumes.get(index, {}))
        return {k: max(0, int(v)) for k, v in vol.items()}


#: The volumes of an account that starts with no records.
EMPTY_VOLUMES: dict[str, int] = {"customers": 0, "items": 0, "sales": 0, "images": 0}


def two_accounts(*, empty_second: bool = True, **overrides: Any) -> SandboxConfig:
    """A sandbox with two accounts and the leaky bucket off: the setup of copies and tests.

    The first account holds generated data; the second starts empty, ready to be copied into
    (``empty_second=False``: both hold generated data, e.g. to show they stay apart).

    Args:
        empty_second: Whether the second account starts without records.
        **overrides: Other :class:`SandboxConfig` fields (volumes, seed, bucket, ...).

    Returns:
        The configuration.
    """
    values: dict[str, Any] = {"accounts": 2, "bucket_enabled": False}
    if empty_second:
        values["account_volumes"] = {1: dict(EMPTY_VOLUMES)}
    values.update(overrides)
    return SandboxConfig(**values)
