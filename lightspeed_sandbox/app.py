"""The sandbox application: routing, OAuth endpoints, API endpoints, admin endpoints."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections import Counter, deque
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from .accounts import Account, parse_json_body, write_cost
from .config import FAULT_FIELDS, RELATION_IN_MODES, FaultConfig, SandboxConfig
from .entities import ENTITIES, SPECS, WRITABLE
from .entities.base import not_found
from .entities.images import ITEM_IMAGE_SORTS, add_image, image_ids
from .entities.sales import void, write_line
from .faults import CLOUDFLARE_ERRORS, ERROR_MESSAGES, FaultInjector, FaultPlan, cloudflare_page
from .httpserver import Request, Response
from .oauth import ACCESS_DENIED, OAuthError, OAuthServer, scope_allows
from .query import Page, encode_cursor, parse_list_query, parse_relations, run_list
from .ratelimit import RateLimiter, fmt_level
from .routing import Match, RouteTable
from .wire import ApiError, dumps, unwrap

log = logging.getLogger("lightspeed_sandbox")

HTML = "text/html; charset=UTF-8"
JSON = "application/json"
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
KNOWN_METHODS = WRITE_METHODS | {"GET"}

#: Every path the sandbox serves -> the :class:`SandboxApp` method serving it, per HTTP method.
ROUTES = RouteTable(
    [
        ("/API/{rest:any}", {"*": "api"}),
        ("/auth/oauth/authorize", {"*": "authorize"}),
        ("/auth/oauth/token", {"POST": "token"}, "Use POST on the token endpoint."),
        ("/_admin/stats", {"GET": "admin_stats"}),
        ("/_admin/requests", {"GET": "admin_requests"}),
        ("/_admin/records/{account}/{entity}", {"GET": "admin_records"}),
        (
            "/_admin/faults",
            {"GET": "admin_faults", "POST": "admin_set_faults", "PUT": "admin_set_faults"},
        ),
        ("/_admin/refresh-token", {"POST": "admin_refresh_token"}),
        ("/_admin/reset-stats", {"POST": "admin_reset_stats"}),
        ("/_admin/void-sale/{account}/{id}", {"POST": "admin_void_sale"}),
        (
            "/_admin/bucket",
            {"GET": "admin_bucket", "POST": "admin_set_bucket", "PUT": "admin_set_bucket"},
        ),
        (
            "/_admin/behaviour",
            {"GET": "admin_behaviour", "POST": "admin_set_behaviour", "PUT": "admin_set_behaviour"},
        ),
        ("/_admin/{rest:any}", {"*": "admin_unknown"}),
        ("/{health:health}", {"*": "health"}),
    ],
    {"any": ".*", "health": "|health|healthz"},
)

_ON_ACCOUNT = "{method} is not allowed on Account."
_ON_ENTITY = "{method} is not allowed on {entity}."
_ON_THIS_PATH = "{method} is not allowed on this {entity} path."
#: The API below ``/API/V3`` (``.json`` removed) -> the :class:`SandboxApp` method resolving
#: it, per HTTP method; the refusal answers other methods, the scope is checked first.
API_ROUTES = RouteTable(
    [
        ("/Account", {"GET": "account"}, _ON_ACCOUNT),
        ("/Account/{account}", {"GET": "account"}, _ON_ACCOUNT),
        (
            "/Account/{account}/{entity:writable}",
            {"GET": "entity_list", "POST": "entity_write"},
            _ON_THIS_PATH,
            "{entity}",
        ),
        ("/Account/{account}/{entity:entity}", {"GET": "entity_list"}, _ON_ENTITY, "{entity}"),
        (
            "/Account/{account}/{entity:writable}/{id}",
            {"GET": "entity_single", "PUT": "entity_write", "DELETE": "entity_write"},
            _ON_THIS_PATH,
            "{entity}",
        ),
        (
            "/Account/{account}/{entity:entity}/{id}",
            {"GET": "entity_single"},
            _ON_ENTITY,
            "{entity}",
        ),
        (
            "/Account/{account}/Inventory/{entity:transfer}",
            {"GET": "entity_list"},
            _ON_ENTITY,
            "{entity}",
        ),
        (
            "/Account/{account}/Inventory/{entity:transfer}/{id}",
            {"GET": "entity_single"},
            _ON_ENTITY,
            "{entity}",
        ),
        (
            "/Account/{account}/{entity:item}/{id}/Image",
            {"GET": "item_images", "POST": "item_image_upload"},
            _ON_ENTITY,
            "Image",
        ),
        (
            "/Account/{account}/{entity:sale}/{id}/SaleLine",
            {"GET": "sale_lines", "POST": "sale_line_write"},
            _ON_ENTITY,
            "SaleLine",
        ),
        (
            "/Account/{account}/{entity:sale}/{id}/SaleLine/{line}",
            {"PUT": "sale_line_write", "DELETE": "sale_line_write"},
            _ON_ENTITY,
            "SaleLine",
        ),
    ],
    {
        "entity": "|".join(ENTITIES),
        "writable": "|".join(sorted(WRITABLE)),
        "item": "Item",
        "sale": "Sale",
        "transfer": "Transfer",
    },
)


def _json_response(status: int, payload: Any, headers: list | None = None) -> Response:
    return Response(status, dumps(payload), JSON, headers or [])


class SandboxApp:
    """All the state of a sandbox and the request handler.

    Args:
        cfg: The configuration.
        client_secret: The demo client's secret.
    """

    def __init__(self, cfg: SandboxConfig, client_secret: str) -> None:
        self.cfg = cfg
        self.lock = threading.RLock()
        self.base_url = ""
        first_id = 120645
        self.accounts: dict[str, Account] = {}
        for index in range(max(1, cfg.accounts)):
            account_id = str(first_id + index)
            self.accounts[account_id] = Account(cfg, index, account_id)
        self.oauth = OAuthServer(
            cfg.client_id,
            client_secret,
            cfg.redirect_uri,
            cfg.access_token_lifetime,
            cfg.refresh_token_lifetime,
            cfg.auth_code_lifetime,
            cfg.refresh_retry_limit,
        )
        self.limiter = RateLimiter(
            cfg.bucket_size, cfg.drip_rate, cfg.burst_limit, cfg.bucket_enabled
        )
        self.faults = FaultInjector(cfg.faults, cfg.seed)
        self.relation_in = cfg.relation_in
        self.max_url_length = cfg.max_url_length
        self.oauth.early_expiry = cfg.faults.expire_tokens_every
        self.log: deque[dict[str, Any]] = deque(maxlen=cfg.request_log_size)
        self._reset_counters()

    # -- stats -------------------------------------------------------------------------------
    def _reset_counters(self) -> None:
        self.counters: Counter[str] = Counter()
        self.status_counts: Counter[str] = Counter()
        self.limit_counts: Counter[str] = Counter()
        self.fault_counts: Counter[str] = Counter()
        self.write_counts: Counter[str] = Counter()
        self.started = time.time()

    def reset_stats(self) -> None:
        """Zero the counters and clear the request log."""
        with self.lock:
            self._reset_counters()
            self.log.clear()
            self.oauth.refreshes = 0
            self.oauth.tokens_issued = 0

    def stats(self) -> dict[str, Any]:
        """Return counters as a JSON-friendly dict."""
        with self.lock:
            return {
                "requests": self.counters["api_requests"],
                "token_requests": self.counters["token_requests"],
                "records_served": self.counters["records_served"],
                "status": dict(self.status_counts),
                "429s": {
                    "api-leaky-bucket": self.limit_counts["api-leaky-bucket"],
                    "api-burst-limiter": self.limit_counts["api-burst-limiter"],
                    "storm": self.limit_counts["storm"],
                    "total": sum(self.limit_counts.values()),
                },
                "faults": {
                    "errors": self.fault_counts["error"],
                    "errors_carried_out": self.fault_counts["applied_error"],
                    "dropped": self.fault_counts["drop"],
                    "slow": self.fault_counts["slow"],
                    "expired_tokens": self.fault_counts["expired_token"],
                },
                "writes": sum(self.write_counts.values()),
                "writes_by_entity": dict(self.write_counts),
                "refreshes": self.oauth.refreshes,
                "tokens_issued": self.oauth.tokens_issued,
                "auth_failures": self.counters["auth_failures"],
                "uptime": round(time.time() - self.started, 3),
            }

    def set_faults(self, config: FaultConfig) -> None:
        """Replace the active faults."""
        with self.lock:
            self.faults.configure(config)
            self.oauth.early_expiry = config.expire_tokens_every

    # -- entry point -------------------------------------------------------------------------
    def __call__(self, req: Request) -> Response:
        """Handle one HTTP request."""
        path = req.path
        limit = self.max_url_length
        if limit and len(req.target) > limit:
            # The edge refuses it before any route, account or token is looked at.
            page = b"<html><head><title>414 Request-URI Too Large</title></head></html>"
            return Response(414, page, HTML)
        try:
            match = ROUTES.match(req.method, path)
            if match is None:
                raise ApiError(404, f"Route not found: {path}")
            if match.handler is None:
                raise ApiError(405, match.fill(match.route.refusal, method=req.method))
            return getattr(self, match.handler)(req, match)
        except ApiError as err:
            return Response(err.status, err.body(), HTML, list(err.headers.items()))
        except Exception:  # pragma: no cover - defensive
            log.exception("sandbox error on %s %s", req.method, path)
            err = ApiError(500, "Internal error in the sandbox.")
            return Response(500, err.body(), HTML)

    def health(self, req: Request, match: Match) -> Response:
        """Serve ``/``, ``/health`` and ``/healthz``."""
        return _json_response(200, {"status": "ok", "service": "lightspeed-sandbox"})

    # -- OAuth -------------------------------------------------------------------------------
    def token(self, req: Request, match: Match) -> Response:
        """Serve ``POST /auth/oauth/token``."""
        with self.lock:
            self.counters["token_requests"] += 1
        form = self._token_form(req)
        try:
            with self.lock:
                payload = self.oauth.token(form)
            return Response(
                200,
                dumps(payload),
                JSON,
                [("Cache-Control", "no-store"), ("Pragma", "no-cache")],
            )
        except OAuthError as err:
            headers = [("Cache-Control", "no-store")]
            if err.retry_after:
                headers.append(("Retry-After", str(err.retry_after)))
            if err.status == 401:
                headers.append(("WWW-Authenticate", 'Basic realm="OAuth"'))
            return Response(err.status, dumps(err.payload()), JSON, headers)

    def _token_form(self, req: Request) -> dict[str, str]:
        ctype = req.headers.get("content-type", "").lower()
        form: dict[str, str] = {}
        if "json" in ctype:
            try:
                data = json.loads(req.body or b"{}")
            except ValueError:
                data = None
            if not isinstance(data, dict):
                return {"grant_type": ""}
            form = {k: str(v) for k, v in data.items() if v is not None}
        else:
            form = dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
        auth = req.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                form.setdefault("client_id", user)
                form.setdefault("client_secret", pw)
            except (ValueError, UnicodeDecodeError):
                pass
        return form

    def authorize(self, req: Request, match: Match) -> Response:
        """Serve ``/auth/oauth/authorize``: approve at once and redirect with a code."""
        params = dict(parse_qsl(req.query, keep_blank_values=True))
        client_id = params.get("client_id", "")
        try:
            with self.lock:
                registered = self.oauth.check_client(client_id)
        except OAuthError as err:
            return Response(err.status, dumps(err.payload()), JSON)
        redirect = params.get("redirect_uri") or registered
        if redirect != registered:
            err = OAuthError(
                400,
                "invalid_request",
                "The redirect URI does not match the one registered for the client.",
                "Check the `redirect_uri` parameter",
            )
            return Response(400, dumps(err.payload()), JSON)
        state = params.get("state")

        def bounce(query: dict[str, str]) -> Response:
            if state is not None:
                query["state"] = state
            sep = "&" if "?" in redirect else "?"
            return Response(302, b"", HTML, [("Location", redirect + sep + urlencode(query))])

        if params.get("response_type") != "code":
            return bounce(
                {
                    "error": "unsupported_response_type",
                    "error_description": "The authorization server does not support obtaining "
                    "an authorization code using this method.",
                }
            )
        try:
            scope = self.oauth.check_scope(params.get("scope", "employee:all"))
        except OAuthError as err:
            return bounce({"error": err.error, "error_description": err.description})
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method", "plain" if challenge else "")
        if challenge and method not in ("S256", "plain"):
            return bounce(
                {
                    "error": "invalid_request",
                    "error_description": "Unsupported code_challenge_method",
                }
            )
        account_id = params.get("account_id") or next(iter(self.accounts))
        if account_id not in self.accounts:
            return bounce({"error": "access_denied", "error_description": "Unknown account"})
        with self.lock:
            code = self.oauth.authorize(client_id, scope, redirect, account_id, challenge, method)
        return bounce({"code": code})

    def issue_refresh_token(self, account_id: str, scope: str = "employee:all") -> str:
        """Create a refresh token for an account, as if the user had authorized.

        Raises:
            KeyError: For an unknown account.
        """
        if account_id not in self.accounts:
            raise KeyError(account_id)
        with self.lock:
            client_id = next(iter(self.oauth.clients))
            return self.oauth.new_refresh_token(account_id, client_id, scope).token

    # -- API ---------------------------------------------------------------------------------
    def api(self, req: Request, match: Match) -> Response:
        """Serve ``/API/...``: auth, faults, rate limits, then the resource."""
        started = time.perf_counter()
        path = req.path
        entry: dict[str, Any] = {
            "method": req.method,
            "path": path,
            "query": req.query,
            "status": 0,
            "cost": 0.0,
            "bucket_level": 0.0,
            "account": None,
            "time": time.time(),
            "rate_limit_type": None,
            "fault": None,
        }
        wants_json = path.endswith(".json") or "application/json" in req.headers.get("accept", "")
        resp = self._api_inner(req, entry, wants_json)
        entry["status"] = resp.status
        entry["duration"] = round(time.perf_counter() - started, 6)
        with self.lock:
            self.counters["api_requests"] += 1
            self.status_counts[str(resp.status)] += 1
            self.log.append(entry)
        return resp

    def _api_inner(self, req: Request, entry: dict[str, Any], wants_json: bool) -> Response:
        auth = req.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        with self.lock:
            record = self.oauth.verify(token) if token else None
        if record is None:
            with self.lock:
                self.counters["auth_failures"] += 1
                if token and self._expired_early(token):
                    self.fault_counts["expired_token"] += 1
                    entry["fault"] = "expired_token"
            return Response(401, dumps(ACCESS_DENIED), HTML, [("WWW-Authenticate", "Bearer")])
        account = self.accounts[record.account_id]
        entry["account"] = account.account_id
        key = (account.account_id, record.client_id)
        with self.lock:
            plan = self.faults.plan(req.method)
        base_headers = [("X-LS-Acct-Id", account.account_id)]
        if plan.storm:
            with self.lock:
                self.limit_counts["storm"] += 1
                level, burst = self.limiter.peek(key)
            entry.update(rate_limit_type="api-leaky-bucket", fault="storm", bucket_level=level)
            retry = self.faults.config.storm_retry_after
            headers = base_headers + self._bucket_headers(level, 0, burst)
            headers += [
                ("Retry-After", str(retry)),
                ("X-LS-API-RateLimit-Type", "api-leaky-bucket"),
            ]
            return self._error(429, "Rate limit exceeded. Please retry later.", headers)
        if plan.error and not plan.applied:
            return self._injected_error(plan, entry, base_headers)
        try:
            handler, cost = self._route(req, account, record.scope, wants_json)
        except ApiError as err:
            handler, cost = err, 1.0
        with self.lock:
            decision = self.limiter.charge(key, cost)
        entry["cost"] = cost
        entry["bucket_level"] = round(decision.level, 4)
        headers = base_headers + self._bucket_headers(decision.level, cost, decision.burst)
        if not decision.allowed:
            with self.lock:
                self.limit_counts[decision.limit_type] += 1
            entry["rate_limit_type"] = decision.limit_type
            headers += [
                ("Retry-After", str(decision.retry_after)),
                ("X-LS-API-RateLimit-Type", decision.limit_type),
            ]
            return self._error(429, "Rate limit exceeded. Please retry later.", headers)
        if isinstance(handler, ApiError):
            return self._error(handler.status, handler.message, headers)
        try:
            with self.lock:
                status, body, served = handler()
                self.counters["records_served"] += served
        except ApiError as err:
            return self._error(err.status, err.message, headers)
        if plan.error:
            # Carried out, but the answer is lost on the way back (Cloudflare's 524).
            return self._injected_error(plan, entry, base_headers)
        resp = Response(status, body, JSON, headers)
        self._apply_transport_faults(plan, resp, entry)
        return resp

    def _injected_error(
        self, plan: FaultPlan, entry: dict[str, Any], headers: list[tuple[str, str]]
    ) -> Response:
        """Answer an injected error: Lightspeed's JSON envelope, or Cloudflare's 52x page."""
        with self.lock:
            self.fault_counts["error"] += 1
            if plan.applied:
                self.fault_counts["applied_error"] += 1
        entry["fault"] = f"error-{plan.error}" + ("-applied" if plan.applied else "")
        headers = list(headers)
        if plan.error == 503:
            headers.append(("Retry-After", "1"))
        if plan.error in CLOUDFLARE_ERRORS:
            return Response(plan.error, cloudflare_page(plan.error), HTML, headers)
        return self._error(plan.error, ERROR_MESSAGES.get(plan.error, "Server error."), headers)

    def _expired_early(self, token: str) -> bool:
        early = self.oauth.early_expiry
        if early is None:
            return False
        try:
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            rec = self.oauth.access_tokens.get(claims.get("jti", ""))
        except (ValueError, IndexError):
            return False
        return rec is not None and rec.expires > time.time()

    def _apply_transport_faults(self, plan: FaultPlan, resp: Response, entry: dict) -> None:
        if plan.slow:
            resp.delay = plan.slow
            with self.lock:
                self.fault_counts["slow"] += 1
            entry["fault"] = "slow"
        if plan.drop and resp.body:
            resp.drop = True
            with self.lock:
                self.fault_counts["drop"] += 1
            entry["fault"] = "drop"

    def _bucket_headers(self, level: float, cost: float, burst: int) -> list[tuple[str, str]]:
        lim = self.limiter
        headers = [
            ("X-LS-API-Bucket-Level", f"{fmt_level(level)}/{fmt_level(lim.size)}"),
            ("X-LS-API-Drip-Rate", fmt_level(lim.drip_rate)),
            ("X-LS-API-Request-Cost", fmt_level(cost)),
        ]
        if lim.enabled and lim.burst_limit:
            # A limiter that is off has no burst limit to announce.
            headers.append(("X-LS-API-Burst-Level", f"{burst}/{lim.burst_limit}"))
        return headers

    @staticmethod
    def _error(status: int, message: str, headers: list[tuple[str, str]]) -> Response:
        return Response(status, ApiError(status, message).body(), HTML, headers)

    # -- routing -----------------------------------------------------------------------------
    def _route(self, req: Request, account: Account, scope: str, wants_json: bool) -> tuple:
        """Resolve an API request to (callable, cost) without executing it.

        The checks come in the API's order: JSON, the route, the account, the id, the token's
        scope, the method.
        """
        if not wants_json:
            raise ApiError(
                406,
                "The sandbox serves JSON only: add the .json suffix or Accept: application/json.",
            )
        path = req.path[:-5] if req.path.endswith(".json") else req.path
        parts = [p for p in path.split("/") if p]
        # parts: API, V3 (V2; none for the V2 API), Account[, id, Resource[, id[, Sub]]]
        v2 = len(parts) >= 2 and parts[1] == "Account"
        rest = parts[1:] if v2 else parts[2:]
        found = None
        if len(parts) >= 2 and (v2 or parts[1] in ("V3", "V2")):
            found = API_ROUTES.match(req.method, "/" + "/".join(rest))
        if found is None:
            raise ApiError(404, f"Route not found: {req.path}")
        params = found.params
        acct = params.get("account", account.account_id)
        if acct != account.account_id:
            raise ApiError(
                403, f"Access denied: this token does not grant access to account {acct}."
            )
        if "id" in params and not params["id"].isdigit():
            raise not_found(params["entity"], params["id"])
        route = found.route
        if route.scope is not None:
            scope_entity = found.fill(route.scope)
            if not scope_allows(scope, scope_entity, req.method in WRITE_METHODS):
                raise ApiError(
                    403,
                    f"Access denied: the token's scope does not allow this on {scope_entity}.",
                )
            if req.method not in KNOWN_METHODS:
                raise ApiError(405, f"{req.method} is not allowed.")
        if found.handler is None:
            raise ApiError(405, found.fill(route.refusal, method=req.method))
        query = parse_qsl(req.query, keep_blank_values=True)
        resolve = getattr(self, found.handler)
        return resolve(req, account, found, query, v2)

    def account(self, req: Request, account: Account, match: Match, query: list, v2: bool) -> tuple:
        """``GET Account``, ``GET Account/{id}``: the token's account."""
        return (lambda: self._account_list(account)), 1.0

    def entity_list(
        self, req: Request, account: Account, match: Match, query: list, v2: bool
    ) -> tuple:
        """``GET Account/{id}/{Entity}``: a page of records."""
        return self._list_route(req, account, match.params["entity"], query, v2)

    def entity_single(
        self, req: Request, account: Account, match: Match, query: list, v2: bool
    ) -> tuple:
        """``GET Account/{id}/{Entity}/{id}``: one record."""
        entity, rid = match.params["entity"], int(match.params["id"])
        rels, rel_cost = parse_relations(SPECS[entity], dict(query).get("load_relations"), False)
        return (lambda: self._single(account, entity, rid, rels)), 1.0 + rel_cost

    def entity_write(
        self, req: Request, account: Account, match: Match, query: list, v2: bool
    ) -> tuple:
        """``POST Account/{id}/{Entity}``, ``PUT``/``DELETE Account/{id}/{Entity}/{id}``."""
        entity = match.params["entity"]
        rid = int(match.params["id"]) if "id" in match.params else None
        verb = {"POST": "created", "PUT": "updated", "DELETE": "deleted"}[req.method]
        payload = parse_json_body(req.body, entity, verb) if req.method != "DELETE" else {}
        cost = write_cost(entity, payload, req.method)
        return (lambda: self._write(account, entity, req.method, rid, payload)), cost

    def item_images(
        self, req: Request, account: Account, match: Match, query: list, v2: bool
    ) -> tuple:
        """``GET Account/{id}/Item/{id}/Image``: a page of an item's images."""
        rid = int(match.params["id"])
        return self._list_route(req, account, "Image", query, v2, scope_item=rid)

    def item_image_upload(
        self, req: Request, account: Account, match: Match, query: list, v2: bool
    ) -> tuple:
        """``POST Account/{id}/Item/{id}/Image``: upload an image (multipart)."""
        rid = int(match.params["id"])
        return (lambda: self._upload_image(req, account, rid)), 1.5

    def sale_lines(
        self, req: Request, account: Account, match: Match, query: list, v2: bool
    ) -> tuple:
        """``GET Account/{id}/Sale/{id}/SaleLine``: a sale's lines."""
        rid = int(match.params["id"])
        return (lambda: self._sale_lines(account, rid)), 1.0

    def sale_line_write(
        self, req: Request, account: Account, match: Match, query: list, v2: bool
    ) -> tuple:
        """``POST Sale/{id}/SaleLine``, ``PUT``/``DELETE Sale/{id}/SaleLine/{id}`` (2 drips)."""
        sid, line = int(match.params["id"]), match.params.get("line")
        if line is not None and not line.isdigit():
            raise not_found("SaleLine", line)
        verb = {"POST": "created", "PUT": "updated", "DELETE": "deleted"}[req.method]
        payload = parse_json_body(req.body, "SaleLine", verb) if req.method != "DELETE" else {}

        def run() -> tuple[int, bytes, int]:
            now = int(time.time())
            rec = write_line(account, sid, int(line) if line else None, req.method, payload, now)
            self.write_counts["SaleLine"] += 1
            return 200, dumps({"@attributes": {"count": "1"}, "SaleLine": rec}), 1

        return run, 2.0

    def _account_list(self, account: Account) -> tuple[int, bytes, int]:
        return 200, dumps({"@attributes": {"count": "1"}, "Account": account.account_record()}), 1

    def _single(
        self, account: Account, entity: str, rid: int, rels: frozenset[str]
    ) -> tuple[int, bytes, int]:
        table = account.tables[entity]
        if not table.exists(rid):
            raise not_found(entity, rid)
        rec = account.materialize(entity, rid, rels)
        return 200, dumps({"@attributes": {"count": "1"}, entity: rec}), 1

    def _list_route(
        self,
        req: Request,
        account: Account,
        entity: str,
        params: list[tuple[str, str]],
        v2: bool,
        scope_item: int | None = None,
    ) -> tuple:
        spec = SPECS[entity]
        if v2:
            return self._v2_route(req, account, entity, params)
        sorts = ITEM_IMAGE_SORTS if scope_item is not None else spec.sorts
        q = parse_list_query(spec, params, sorts, relation_in=self.relation_in)
        cost = 10.0 if q.count else 1.0 + q.relation_cost
        if scope_item is not None and not account.tables["Item"].exists(scope_item):
            raise not_found("Item", scope_item)

        def run() -> tuple[int, bytes, int]:
            table = account.tables[entity]
            scope = None
            if scope_item is not None:
                allowed = set(image_ids(account, scope_item))
                scope = allowed.__contains__
            elif (list_scope := ENTITIES[entity].list_scope) is not None:
                scope = list_scope(account, q)

            def materialize(rid: int, rels: frozenset[str]) -> dict[str, Any]:
                return account.materialize(entity, rid, rels)

            result = run_list(table, q, materialize, scope)
            if isinstance(result, int):
                return 200, dumps({"@attributes": {"count": str(result)}}), 0
            return 200, self._page_body(req, entity, q.sort_field, result), len(result.ids)

        return run, cost

    def _page_body(self, req: Request, entity: str, sort_field: str, page: Page) -> bytes:
        pk = SPECS[entity].pk
        base = f"{self.base_url}{req.path}"
        kept = [
            part
            for part in req.query.split("&")
            if part and part.split("=", 1)[0] not in ("after", "before")
        ]

        def link(name: str, rec: dict[str, Any], rid: int) -> str:
            value: Any = rid if sort_field == pk else rec.get(sort_field)
            cursor = quote(encode_cursor(value, rid), safe="")
            return f"{base}?{'&'.join([*kept, f'{name}={cursor}'])}"

        attrs = {
            "next": link("after", page.records[-1], page.ids[-1]) if page.has_next else "",
            "previous": link("before", page.records[0], page.ids[0]) if page.has_previous else "",
        }
        out: dict[str, Any] = {"@attributes": attrs}
        if page.records:
            out[entity] = page.records[0] if len(page.records) == 1 else page.records
        return dumps(out)

    def _v2_route(
        self, req: Request, account: Account, entity: str, params: list[tuple[str, str]]
    ) -> tuple:
        spec = SPECS[entity]
        clean = [(k, v) for k, v in params if k not in ("offset", "orderby", "orderby_desc")]
        q = parse_list_query(spec, clean, spec.sorts, relation_in=self.relation_in)
        raw = dict(params)
        try:
            offset = int(raw.get("offset", "0"))
        except ValueError as exc:
            raise ApiError(400, "offset must be an integer.") from exc
        if offset < 0:
            raise ApiError(400, "offset must be an integer.")
        cost = 1.0 + q.relation_cost

        def run() -> tuple[int, bytes, int]:
            table = account.tables[entity]

            def materialize(rid: int, rels: frozenset[str]) -> dict[str, Any]:
                return account.materialize(entity, rid, rels)

            q.count = True
            total = run_list(table, q, materialize)
            q.count = False
            records: list[dict[str, Any]] = []
            skipped = 0
            want = q.limit
            q.limit = 100
            after = None
            while len(records) < want:
                q.after = after
                page = run_list(table, q, materialize)
                assert isinstance(page, Page)
                for rec in page.records:
                    if skipped < offset:
                        skipped += 1
                    elif len(records) < want:
                        records.append(rec)
                if not page.has_next:
                    break
                after = (page.ids[-1], page.ids[-1])
            attrs = {"count": str(total), "offset": str(offset), "limit": str(want)}
            out: dict[str, Any] = {"@attributes": attrs}
            if records:
                out[entity] = records[0] if len(records) == 1 else records
            return 200, dumps(out), len(records)

        return run, cost

    def _sale_lines(self, account: Account, sid: int) -> tuple[int, bytes, int]:
        table = account.tables["Sale"]
        if not table.exists(sid):
            raise not_found("Sale", sid)
        lines = unwrap(table.get(sid, frozenset({"SaleLines"})).get("SaleLines"), "SaleLine")
        out: dict[str, Any] = {"@attributes": {"next": "", "previous": ""}}
        if lines:
            out["SaleLine"] = lines[0] if len(lines) == 1 else lines
        return 200, dumps(out), len(lines)

    def _write(
        self, account: Account, entity: str, method: str, rid: int | None, payload: dict
    ) -> tuple[int, bytes, int]:
        rec = account.write(entity, method, rid, payload)
        self.write_counts[entity] += 1
        return 200, dumps({"@attributes": {"count": "1"}, entity: rec}), 1

    def _upload_image(self, req: Request, account: Account, iid: int) -> tuple[int, bytes, int]:
        ctype = req.headers.get("content-type", "")
        if "multipart/form-data" not in ctype.lower() or "boundary=" not in ctype:
            raise ApiError(400, "Image not created. Send multipart/form-data with an image part.")
        boundary = ctype.split("boundary=", 1)[1].split(";")[0].strip().strip('"')
        parts = parse_multipart(req.body, boundary)
        data: dict[str, Any] = {}
        if "data" in parts:
            try:
                loaded = json.loads(parts["data"][1] or b"{}")
            except ValueError as exc:
                raise ApiError(400, "Image not created. The data part is not valid JSON.") from exc
            if isinstance(loaded, dict):
                data = loaded
        image = parts.get("image")
        if image is None or not image[1]:
            raise ApiError(400, "Image not created. No image file was uploaded.")
        filename = image[0] or data.get("filename") or "image.jpg"
        rec = add_image(account, iid, data, filename, len(image[1]))
        self.write_counts["Image"] += 1
        return 200, dumps({"@attributes": {"count": "1"}, "Image": rec}), 1

    # -- admin (JSON, for tests and tooling) ---------------------------------------------------
    def admin_stats(self, req: Request, match: Match) -> Response:
        """``GET /_admin/stats``: the counters."""
        return _json_response(200, self.stats())

    def admin_requests(self, req: Request, match: Match) -> Response:
        """``GET /_admin/requests[?since=&limit=]``: the request log."""
        params = dict(parse_qsl(req.query))
        entries = self.request_log()
        if "since" in params:
            since = float(params["since"])
            entries = [e for e in entries if e["time"] >= since]
        if "limit" in params:
            entries = entries[-int(params["limit"]) :]
        return _json_response(200, {"requests": entries})

    def admin_records(self, req: Request, match: Match) -> Response:
        """``GET /_admin/records/{account}/{Entity}``: every stored record."""
        try:
            records = self.records(match.params["account"], match.params["entity"])
        except KeyError as exc:
            return _json_response(404, {"error": f"unknown account or entity: {exc}"})
        return _json_response(200, {"count": len(records), "records": records})

    def admin_set_faults(self, req: Request, match: Match) -> Response:
        """``POST``/``PUT /_admin/faults``: replace the active faults."""
        try:
            body = json.loads(req.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("expected an object")
            config = faults_from_dict(body)
        except (ValueError, TypeError) as exc:
            return _json_response(400, {"error": str(exc)})
        self.set_faults(config)
        return _json_response(200, {"faults": config.to_dict()})

    def admin_faults(self, req: Request, match: Match) -> Response:
        """``GET /_admin/faults``: the active faults."""
        return _json_response(200, {"faults": self.faults.config.to_dict()})

    def admin_refresh_token(self, req: Request, match: Match) -> Response:
        """``POST /_admin/refresh-token`` ``{"account_id", "scope"}``: a new refresh token."""
        try:
            body = json.loads(req.body or b"{}")
            account_id = str(body["account_id"])
            token = self.issue_refresh_token(account_id, body.get("scope", "employee:all"))
        except (ValueError, KeyError, TypeError):
            return _json_response(400, {"error": "unknown or missing account_id"})
        return _json_response(200, {"refresh_token": token})

    def admin_reset_stats(self, req: Request, match: Match) -> Response:
        """``POST /_admin/reset-stats``: zero the counters."""
        self.reset_stats()
        return _json_response(200, {"ok": True})

    def admin_void_sale(self, req: Request, match: Match) -> Response:
        """``POST /_admin/void-sale/{account}/{saleID}``: void a sale as the Register does."""
        try:
            sale = self.void_sale(match.params["account"], int(match.params["id"]))
        except KeyError as exc:
            return _json_response(404, {"error": f"unknown account: {exc}"})
        except (ApiError, ValueError) as exc:
            return _json_response(400, {"error": str(exc)})
        return _json_response(200, {"Sale": sale})

    def void_sale(self, account_id: str, sale_id: int) -> dict[str, Any]:
        """Void a sale (the API cannot: see :func:`lightspeed_sandbox.entities.sales.void`).

        Raises:
            KeyError: Unknown account.
            ApiError: Unknown or already voided sale.
        """
        with self.lock:
            return void(self.accounts[account_id], sale_id, int(time.time()))

    def admin_set_bucket(self, req: Request, match: Match) -> Response:
        """``POST``/``PUT /_admin/bucket``: change the rate limiter."""
        body = json.loads(req.body or b"{}")
        self.configure_bucket(**body)
        return _json_response(200, self.bucket_config())

    def admin_bucket(self, req: Request, match: Match) -> Response:
        """``GET /_admin/bucket``: the rate limiter's settings."""
        return _json_response(200, self.bucket_config())

    def admin_set_behaviour(self, req: Request, match: Match) -> Response:
        """``POST``/``PUT /_admin/behaviour``: ``{"relation_in", "max_url_length"}``."""
        try:
            body = json.loads(req.body or b"{}")
            if not isinstance(body, dict) or set(body) - {"relation_in", "max_url_length"}:
                raise ValueError("expected an object with relation_in and/or max_url_length")
            self.set_behaviour(**body)
        except (ValueError, TypeError) as exc:
            return _json_response(400, {"error": str(exc)})
        return self.admin_behaviour(req, match)

    def admin_behaviour(self, req: Request, match: Match) -> Response:
        """``GET /_admin/behaviour``: what IN on relation filters does, the URL limit."""
        return _json_response(
            200, {"relation_in": self.relation_in, "max_url_length": self.max_url_length}
        )

    def set_behaviour(
        self, relation_in: str | None = None, max_url_length: int | None = None
    ) -> None:
        """Change the API behaviours a test may vary (see :class:`SandboxConfig`).

        Raises:
            ValueError: For an unknown ``relation_in`` mode or a negative length.
        """
        if relation_in is not None:
            if relation_in not in RELATION_IN_MODES:
                raise ValueError(f"relation_in must be one of {', '.join(RELATION_IN_MODES)}")
            self.relation_in = relation_in
        if max_url_length is not None:
            if int(max_url_length) < 0:
                raise ValueError("max_url_length must not be negative")
            self.max_url_length = int(max_url_length)

    def admin_unknown(self, req: Request, match: Match) -> Response:
        """Any other ``/_admin/`` path or method."""
        return _json_response(404, {"error": f"unknown admin endpoint {req.method} {req.path}"})

    def request_log(self) -> list[dict[str, Any]]:
        """Return a copy of the request log."""
        with self.lock:
            return [dict(e) for e in self.log]

    def records(self, account_id: str, entity: str) -> list[dict[str, Any]]:
        """Return every stored record of an entity in wire form (with stored relations).

        Raises:
            KeyError: Unknown account or entity.
        """
        with self.lock:
            account = self.accounts[account_id]
            if entity not in account.tables:
                raise KeyError(entity)
            return account.records(entity)

    def configure_bucket(
        self,
        enabled: bool | None = None,
        size: float | None = None,
        drip_rate: float | None = None,
        burst_limit: int | None = None,
        reset: bool = False,
    ) -> None:
        """Change the rate limiter at run time."""
        with self.lock:
            lim = self.limiter
            if enabled is not None:
                lim.enabled = bool(enabled)
            if size is not None:
                lim.size = float(size)
            if drip_rate is not None:
                lim.drip_rate = float(drip_rate)
            if burst_limit is not None:
                lim.burst_limit = int(burst_limit)
            if reset:
                lim.reset()

    def bucket_config(self) -> dict[str, Any]:
        """Return the rate limiter's settings."""
        lim = self.limiter
        return {
            "enabled": lim.enabled,
            "size": lim.size,
            "drip_rate": lim.drip_rate,
            "burst_limit": lim.burst_limit,
        }


def faults_from_dict(body: dict[str, Any]) -> FaultConfig:
    """Build a :class:`FaultConfig` from a JSON object (unknown keys are an error).

    Raises:
        ValueError: On unknown keys or bad values.
    """
    unknown = set(body) - FAULT_FIELDS - {"clear"}
    if unknown:
        raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
    values = {k: v for k, v in body.items() if k != "clear"}
    for key in ("statuses", "applied_statuses"):
        if key in values:
            values[key] = tuple(int(s) for s in values[key])
    if "error_methods" in values:
        values["error_methods"] = tuple(str(m) for m in values["error_methods"])
    for key in ("error_rate", "drop_rate", "slow_rate", "slow_seconds", "storm_seconds"):
        if key in values:
            values[key] = float(values[key])
            if values[key] < 0:
                raise ValueError(f"{key} must not be negative")
    return FaultConfig(**values)


def parse_multipart(body: bytes, boundary: str) -> dict[str, tuple[str | None, bytes]]:
    """Parse a multipart/form-data body into ``{name: (filename, content)}``."""
    out: dict[str, tuple[str | None, bytes]] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk.lstrip(b"\n")
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = chunk.partition(b"\n\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        elif content.endswith(b"\n"):
            content = content[:-1]
        name = None
        filename = None
        for line in head.decode("utf-8", "replace").splitlines():
            if line.lower().startswith("content-disposition"):
                for item in line.split(";")[1:]:
                    key, _, value = item.strip().partition("=")
                    value = value.strip().strip('"')
                    if key.lower() == "name":
                        name = value
                    elif key.lower() == "filename":
                        filename = value
        if name:
            out[name] = (filename, content)
    return out
