"""A small in-memory Lightspeed V3 API on requests-mock, serving records in wire form.

It behaves like section 4-6 of the API reference: ``limit``, ``sort`` (per-endpoint list),
``archived``, ``load_relations``, timestamp filters (``timeStamp``, ``updatetime``) with encoded
operators, an opaque ``after`` cursor repeated into ``@attributes.next`` with every original
parameter, one record as an object, zero records as a missing key, rate headers on every
response. It also rotates refresh tokens and can inject failures (401, 429, 5xx, too-heavy
pages) at chosen requests.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import operator
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests_mock

API_URL = "https://api.lightspeed.test"
TOKEN_URL = "https://cloud.lightspeed.test/auth/oauth/token"
ACCOUNT_ID = "120645"
FIRST_REFRESH_TOKEN = "refresh-0"

ID_FIELDS = {
    "Customer": "customerID",
    "Item": "itemID",
    "Image": "imageID",
    "Sale": "saleID",
    "ItemShop": "itemShopID",
    "Order": "orderID",
    "Transfer": "transferID",
    "TransferItem": "transferItemID",
    "InventoryCount": "inventoryCountID",
    "InventoryCountItem": "inventoryCountItemID",
    "VendorReturn": "vendorReturnID",
    "Workorder": "workorderID",
    "SpecialOrder": "specialOrderID",
    "Shop": "shopID",
    "Register": "registerID",
    "Employee": "employeeID",
    "Category": "categoryID",
    "Manufacturer": "manufacturerID",
    "Vendor": "vendorID",
    "PaymentType": "paymentTypeID",
    "TaxClass": "taxClassID",
    "TaxCategory": "taxCategoryID",
    "CustomerType": "customerTypeID",
    "PriceLevel": "priceLevelID",
    "ItemAttributeSet": "itemAttributeSetID",
    "Season": "seasonID",
    "ItemMatrix": "itemMatrixID",
    "CreditAccount": "creditAccountID",
    "Discount": "discountID",
}
SORTABLE = {
    "Customer": {"customerID", "timeStamp", "firstName", "lastName"},
    "Item": {"itemID", "timeStamp", "description"},
    "Image": {"imageID"},
    "Sale": {"saleID", "timeStamp", "completeTime", "updatetime"},
    "ItemShop": {"itemShopID", "timeStamp"},
    "Order": {"orderID", "timeStamp"},
    "Transfer": {"transferID", "timeStamp"},
    "TransferItem": {"transferItemID", "timeStamp", "transferID"},
    "InventoryCount": {"inventoryCountID"},
    "InventoryCountItem": {"inventoryCountItemID", "inventoryCountID", "itemID"},
    "VendorReturn": {"vendorReturnID", "timeStamp"},
    "Workorder": {"workorderID", "timeStamp"},
    "SpecialOrder": {"specialOrderID", "timeStamp"},
    # The reference tables' "Sortable Fields", from their official pages.
    "Shop": {"shopID"},
    "Register": {"registerID"},
    "Employee": {"employeeID", "timeStamp"},
    "Category": {"categoryID", "timeStamp", "leftNode", "rightNode"},
    "Manufacturer": {"manufacturerID", "timeStamp", "name"},
    "Vendor": {"vendorID", "timeStamp", "name"},
    "PaymentType": {"paymentTypeID"},
    "TaxClass": {"taxClassID", "timeStamp"},
    "TaxCategory": {"taxCategoryID", "timeStamp"},
    "CustomerType": {"customerTypeID"},
    "PriceLevel": {"priceLevelID", "name"},  # the page says "orderLineID": a typo
    "ItemAttributeSet": {"itemAttributeSetID"},
    "Season": {"seasonID"},
    "Discount": {"discountID", "timeStamp"},
    "ItemMatrix": {"itemMatrixID", "timeStamp", "description"},
    "CreditAccount": {"creditAccountID", "timeStamp", "customerID"},
}
#: Timestamp fields that can be filtered on (``updatetime`` only exists on sales).
TIME_FILTERS = {"timeStamp", "updatetime", "completeTime"}
#: Filter operators on timestamps.
COMPARISONS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
}
#: Relation keys that only come with ``load_relations`` (Item Prices always come).
RELATIONS = {
    "Customer": {"Contact", "CustomFieldValues"},
    "Item": {"ItemShops", "ItemAttributes", "ItemVendorNums"},
    "Sale": {"SaleLines", "SalePayments"},
    "Order": {"OrderLines"},
    "VendorReturn": {"VendorReturnItems"},
    "TaxCategory": {"TaxCategoryClasses"},
}
RATE_HEADERS = {
    "X-LS-API-Bucket-Level": "1/90",
    "X-LS-API-Drip-Rate": "1",
    "X-LS-API-Request-Cost": "1",
    "X-LS-API-Burst-Level": "1/20",
}


def _parse_ts(text: str) -> dt.datetime:
    if " " in text:
        msg = f"invalid timestamp {text!r} (an unencoded '+')"
        raise ValueError(msg)
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _error(context: object, status: int, message: str, **headers: str) -> str:
    context.status_code = status  # type: ignore[attr-defined]
    context.headers.update({"Content-Type": "text/html", **headers})  # type: ignore[attr-defined]
    return json.dumps(
        {"httpCode": str(status), "httpMessage": "Error", "message": message, "errorClass": "E"}
    )


@dataclass
class FakeLightspeed:
    """The fake API. ``data`` maps an entity (``"Customer"``) to its wire records."""

    mocker: requests_mock.Mocker
    data: dict[str, list[dict]] = field(default_factory=dict)
    #: API request number (1-based, list requests only) -> status to answer instead.
    faults: dict[int, int] = field(default_factory=dict)
    #: Entity -> largest ``limit`` served; larger pages fail with ``heavy_status``.
    max_limit: dict[str, int] = field(default_factory=dict)
    heavy_status: int = 400
    api_requests: int = 0
    token_requests: int = 0
    refresh_token: str = FIRST_REFRESH_TOKEN
    access_token: str | None = None
    #: Every response body served to list requests, in order (decoded).
    pages: list[dict] = field(default_factory=list)
    #: ``CreditAccount.json?giftCard=true`` lists every account, not the gift cards alone
    #: (the page only says the query must be passed for gift cards to be included).
    gift_card_query_lists_all: bool = False

    def __post_init__(self) -> None:
        base = re.escape(API_URL)
        self.mocker.register_uri(
            "GET",
            re.compile(rf"{base}/API/V3/Account/{ACCOUNT_ID}/(Inventory/)?(\w+)\.json"),
            text=self._list,
        )
        self.mocker.register_uri("GET", f"{API_URL}/API/V3/Account.json", text=self._account)
        self.mocker.register_uri("POST", TOKEN_URL, text=self._token)

    # -- helpers for tests ------------------------------------------------------------------

    def list_requests(self) -> list[str]:
        """URLs of the list requests received, in order."""
        return [
            r.url for r in self.mocker.request_history if r.method == "GET" and "/Account/" in r.url
        ]

    def put(self, entity: str, record: dict) -> None:
        """Insert or replace a record (by id)."""
        key = ID_FIELDS[entity]
        rows = self.data.setdefault(entity, [])
        rows[:] = [r for r in rows if r[key] != record[key]]
        rows.append(record)

    # -- handlers ---------------------------------------------------------------------------

    def _authorized(self, request: object) -> bool:
        header = request.headers.get("Authorization", "")  # type: ignore[attr-defined]
        return self.access_token is not None and header == f"Bearer {self.access_token}"

    def _token(self, request: object, context: object) -> str:
        self.token_requests += 1
        form = dict(parse_qsl(request.body or ""))  # type: ignore[attr-defined]
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != (
            self.refresh_token
        ):
            context.status_code = 400  # type: ignore[attr-defined]
            return json.dumps({"error": "invalid_grant", "error_description": "bad token"})
        n = self.token_requests
        self.access_token = f"access-{n}"
        self.refresh_token = f"refresh-{n}"
        return json.dumps(
            {
                "token_type": "Bearer",
                "expires_in": 3600,
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
            }
        )

    def _account(self, request: object, context: object) -> str:
        context.headers.update(RATE_HEADERS)  # type: ignore[attr-defined]
        if not self._authorized(request):
            return _error(context, 401, "Access token could not be verified")
        return json.dumps(
            {"@attributes": {"count": "1"}, "Account": {"accountID": ACCOUNT_ID, "name": "Kit"}}
        )

    def _list(self, request: object, context: object) -> str:
        context.headers.update({**RATE_HEADERS, "Content-Type": "application/json"})  # type: ignore[attr-defined]
        if not self._authorized(request):
            return _error(context, 401, "Access token could not be verified")
        self.api_requests += 1
        fault = self.faults.pop(self.api_requests, None)
        if fault == 401:
            self.access_token = None
            return _error(context, 401, "Access token could not be verified")
        if fault == 429:
            return _error(context, 429, "Rate limited", **{"Retry-After": "0"})
        if fault:
            return _error(context, fault, "Injected failure")

        parts = urlsplit(request.url)  # type: ignore[attr-defined]
        entity = parts.path.rsplit("/", 1)[-1].removesuffix(".json")
        if entity not in ID_FIELDS:
            return _error(context, 404, f"Unknown resource {entity}")
        id_field = ID_FIELDS[entity]
        params = parse_qsl(parts.query, keep_blank_values=True)
        query = dict(params)

        limit = int(query.get("limit", "100"))
        if not 1 <= limit <= 100:
            return _error(context, 400, "limit must be 1..100")
        if entity in self.max_limit and limit > self.max_limit[entity]:
            return _error(context, self.heavy_status, "Too many relations for this page size")
        sort = query.get("sort", id_field)
        if sort.lstrip("-") not in SORTABLE[entity]:
            return _error(context, 400, f"sort must be one of {sorted(SORTABLE[entity])}")

        rows = list(self.data.get(entity, []))
        archived = query.get("archived", "false")
        if archived == "false":
            rows = [r for r in rows if r.get("archived") != "true"]
        elif archived == "only":
            rows = [r for r in rows if r.get("archived") == "true"]

        if entity == "CreditAccount" and "giftCard" not in query:
            rows = [r for r in rows if r.get("giftCard") != "true"]
        elif entity == "CreditAccount" and not self.gift_card_query_lists_all:
            rows = [r for r in rows if r.get("giftCard") == query["giftCard"]]

        for time_field in TIME_FILTERS & query.keys():
            op, _, value = query[time_field].partition(",")
            try:
                bound = _parse_ts(value)
            except ValueError as exc:
                return _error(context, 400, str(exc))
            if op not in COMPARISONS:
                return _error(context, 400, f"bad operator {op!r}")
            compare = COMPARISONS[op]
            rows = [r for r in rows if compare(_parse_ts(r[time_field]), bound)]

        def key(row: dict) -> tuple:
            value = row.get(sort.lstrip("-"), "")
            return (int(value) if sort == id_field else value, int(row[id_field]))

        rows.sort(key=key)
        if "after" in query:
            cursor = json.loads(base64.urlsafe_b64decode(query["after"]))
            rows = [r for r in rows if key(r) > tuple(cursor)]
        page = rows[:limit]

        relations = set(json.loads(query.get("load_relations", "[]")))
        page = [
            {k: v for k, v in r.items() if k not in RELATIONS.get(entity, set()) - relations}
            for r in page
        ]
        next_url = ""
        if len(page) == limit:
            after = base64.urlsafe_b64encode(json.dumps(list(key(page[-1]))).encode()).decode()
            kept = [(k, v) for k, v in params if k != "after"]
            next_url = f"{API_URL}{parts.path}?{urlencode([*kept, ('after', after)])}"
        body: dict = {"@attributes": {"next": next_url, "previous": ""}}
        if page:
            body[entity] = page[0] if len(page) == 1 else page
        self.pages.append(body)
        return json.dumps(body)
