"""Command line: ``lightspeed-sandbox serve``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from .config import RELATION_IN_MODES, FaultConfig, SandboxConfig
from .sandbox import Sandbox


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(
        prog="lightspeed-sandbox",
        description="A local stand-in for the Lightspeed Retail (R-Series) API.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the sandbox server until SIGINT/SIGTERM")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (0: a free port)")
    serve.add_argument("--public-url", default=None, help="base URL used in next/previous links")
    serve.add_argument("--seed", type=int, default=1, help="data and fault seed")
    data = serve.add_argument_group("data volumes (per account)")
    data.add_argument("--customers", type=int, default=500)
    data.add_argument("--items", type=int, default=300)
    data.add_argument("--sales", type=int, default=400)
    data.add_argument("--images", type=int, default=None, help="default: items / 2")
    data.add_argument("--accounts", type=int, default=1)
    data.add_argument("--shops", type=int, default=2)
    data.add_argument(
        "--empty-accounts",
        type=int,
        default=0,
        help="the last N accounts start without records (targets for copies)",
    )
    rate = serve.add_argument_group("rate limits")
    rate.add_argument("--bucket-size", type=float, default=90.0)
    rate.add_argument("--drip-rate", type=float, default=1.0)
    rate.add_argument("--burst-limit", type=int, default=20)
    rate.add_argument("--no-bucket", action="store_true", help="turn the rate limits off")
    auth = serve.add_argument_group("OAuth")
    auth.add_argument("--token-lifetime", type=int, default=3600, help="access token expires_in")
    auth.add_argument("--code-lifetime", type=float, default=60.0)
    auth.add_argument("--client-id", default="sandbox-demo-client")
    auth.add_argument("--client-secret", default=None, help="default: random")
    auth.add_argument("--redirect-uri", default="https://localhost/callback")
    fault = serve.add_argument_group("faults")
    fault.add_argument("--error-rate", type=float, default=0.0, help="share of 5xx answers")
    fault.add_argument(
        "--error-statuses",
        default="500,502,503",
        help="statuses of injected errors: 5xx, 409 (edit conflict), 400 (Please try again "
        "later.), 520-524 (Cloudflare)",
    )
    fault.add_argument(
        "--error-requests", type=int, default=0, help="the next N requests get an error"
    )
    fault.add_argument(
        "--error-methods", default="", help="methods errors hit, e.g. POST,PUT (default: all)"
    )
    fault.add_argument(
        "--applied-statuses",
        default="524",
        help="errors answered after the request was carried out (default 524)",
    )
    fault.add_argument("--drop-rate", type=float, default=0.0, help="share of dropped bodies")
    fault.add_argument("--slow-rate", type=float, default=0.0)
    fault.add_argument("--slow-seconds", type=float, default=0.2)
    fault.add_argument("--storm-requests", type=int, default=0, help="next N requests get 429")
    fault.add_argument("--storm-seconds", type=float, default=0.0, help="429 for S seconds")
    fault.add_argument("--expire-tokens-every", type=float, default=None)
    fault.add_argument("--fault-seed", type=int, default=None)
    api = serve.add_argument_group("API behaviour")
    api.add_argument(
        "--relation-in",
        choices=RELATION_IN_MODES,
        default="refused",
        help="IN on a relation filter (Contact.email=IN,[..]): refused (400), ignored, supported",
    )
    api.add_argument(
        "--max-url-length",
        type=int,
        default=8190,
        help="longer request targets get 414 (0: no limit)",
    )
    serve.add_argument("--info-file", default=None, help="write the connection info (JSON, 0600)")
    serve.add_argument("--quiet", action="store_true", help="do not print the info to stdout")
    serve.add_argument("--log-level", default="WARNING")
    return parser


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """Build a :class:`SandboxConfig` from parsed arguments."""
    faults = FaultConfig(
        error_rate=args.error_rate,
        statuses=_statuses(args.error_statuses),
        error_requests=args.error_requests,
        error_methods=tuple(m.strip() for m in args.error_methods.split(",") if m.strip()),
        applied_statuses=_statuses(args.applied_statuses),
        drop_rate=args.drop_rate,
        slow_rate=args.slow_rate,
        slow_seconds=args.slow_seconds,
        storm_requests=args.storm_requests,
        storm_seconds=args.storm_seconds,
        expire_tokens_every=args.expire_tokens_every,
        seed=args.fault_seed,
    )
    empty = max(0, min(args.empty_accounts, args.accounts))
    blank = {"customers": 0, "items": 0, "sales": 0, "images": 0}
    return SandboxConfig(
        account_volumes={i: dict(blank) for i in range(args.accounts - empty, args.accounts)},
        seed=args.seed,
        customers=args.customers,
        items=args.items,
        sales=args.sales,
        images=args.images,
        accounts=args.accounts,
        shops=args.shops,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        bucket_enabled=not args.no_bucket,
        bucket_size=args.bucket_size,
        drip_rate=args.drip_rate,
        burst_limit=args.burst_limit,
        access_token_lifetime=args.token_lifetime,
        auth_code_lifetime=args.code_lifetime,
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uri=args.redirect_uri,
        relation_in=args.relation_in,
        max_url_length=args.max_url_length,
        faults=faults,
    )


def _statuses(text: str) -> tuple[int, ...]:
    return tuple(int(s) for s in text.split(",") if s.strip())


def write_info_file(path: str, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (mode 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def serve(args: argparse.Namespace) -> int:
    """Run the server until SIGINT or SIGTERM."""
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    sandbox = Sandbox(config_from_args(args))
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sandbox.start()
    try:
        text = json.dumps(sandbox.info(), indent=2)
        if args.info_file:
            write_info_file(args.info_file, text + "\n")
        if not args.quiet:
            print(text, flush=True)
        print(f"lightspeed-sandbox serving on {sandbox.base_url}", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    print("lightspeed-sandbox stopped", file=sys.stderr, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lightspeed-sandbox`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
