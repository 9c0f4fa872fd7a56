"""Writing to Lightspeed: the one place that knows the write-side wire form.

The reader (:mod:`lightspeed_client.wire`) turns responses into plain records; this module does
the reverse for write payloads (section 8 of the API reference):

- nested collections are written in the wrapped form (``"Contact": {"Emails": {"ContactEmail":
  [...]}}``, ``"Prices": {"ItemPrice": [...]}``, ``"SaleLines": {"SaleLine": [...]}``, ...):
  :func:`to_wire` wraps the plain lists of a payload;
- read-only fields (ids, ``systemSku``, ``createTime``, ``timeStamp``, ``calc*``, ``avgCost``,
  totals) are never sent: :func:`is_read_only`;
- values become what the API accepts: :class:`~decimal.Decimal` as a minimal decimal string,
  datetimes as UTC ``YYYY-MM-DDTHH:MM:SS+00:00``, booleans as JSON booleans;
- :func:`write_problem` finds what Lightspeed would refuse or silently cut in a body: text
  longer than its field holds (:data:`TEXT_LIMITS`), a negative amount where none is allowed
  (:data:`NON_NEGATIVE_FIELDS`);
- :func:`write_cost` estimates the bucket cost of a write (the 2026 cost model) for pacing;
- :func:`payload_hash` and :func:`matches_existing` tell whether a write would change anything.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lightspeed_client.wire import as_list, normalize_timestamp

#: Collection key -> element key of the wrapped form (section 6.7).
WRAPPED_COLLECTIONS: dict[str, str] = {
    "Emails": "ContactEmail",
    "Phones": "ContactPhone",
    "Addresses": "ContactAddress",
    "Websites": "ContactWebsite",
    "Prices": "ItemPrice",
    "ItemShops": "ItemShop",
    "SaleLines": "SaleLine",
    "SalePayments": "SalePayment",
    "Images": "Image",
    "CustomFieldValues": "CustomFieldValue",
}

#: Read-only fields per wire entity (nested entities by their element name).
READ_ONLY_FIELDS: dict[str, frozenset[str]] = {
    "Customer": frozenset({"customerID", "contactID", "createTime", "timeStamp", "measurementID"}),
    "Contact": frozenset({"contactID", "timeStamp"}),
    # ``archived``: an Item PUT cannot archive (only DELETE does), so it is never sent.
    "Item": frozenset({"itemID", "systemSku", "createTime", "timeStamp", "avgCost", "archived"}),
    "ItemShop": frozenset({"itemShopID", "itemID", "timeStamp", "sellable"}),
    "Sale": frozenset(
        {
            "saleID",
            "createTime",
            "timeStamp",
            "updatetime",
            "updateTime",
            "completeTime",
            "ticketNumber",
            "total",
            "totalDue",
            "balance",
            "taxTotal",
            "change",
            "displayableSubtotal",
            "displayableTotal",
            "tax1Rate",
            "tax2Rate",
        }
    ),
    "SaleLine": frozenset(
        {
            "saleLineID",
            "saleID",
            "createTime",
            "timeStamp",
            "avgCost",
            "fifoCost",
            "normalUnitPrice",
            "displayableSubtotal",
            "displayableUnitPrice",
            "tax1Rate",
            "tax2Rate",
        }
    ),
    "SalePayment": frozenset(
        {"salePaymentID", "saleID", "createTime", "ccChargeID", "refPaymentID", "paymentID"}
    ),
}

#: Default limit of a written text field, in characters: Lightspeed's text columns (names,
#: SKUs, address lines, reference numbers...) hold 255 characters; longer text is refused or
#: cut, depending on the field. The API reference gives no per-field figure, so the target
#: holds every written text field to this conservative limit, listed per field below.
TEXT_LIMIT = 255

#: Longest text per written field (characters), per wire entity or nested element. Every
#: text field the target writes is listed: a longer value rejects the record, naming the
#: field and the limit, instead of reaching Lightspeed. (``upc`` and ``ean`` have their own,
#: stricter check: 11 to 14 digits.)
TEXT_LIMITS: dict[str, dict[str, int]] = {
    "Customer": dict.fromkeys(
        ("firstName", "lastName", "title", "company", "companyRegistrationNumber", "vatNumber"),
        TEXT_LIMIT,
    ),
    "Contact": {"custom": TEXT_LIMIT},
    "ContactEmail": {"address": TEXT_LIMIT},
    "ContactPhone": {"number": TEXT_LIMIT},
    "ContactAddress": dict.fromkeys(
        ("address1", "address2", "city", "state", "stateCode", "zip", "country", "countryCode"),
        TEXT_LIMIT,
    ),
    "ContactWebsite": {"url": TEXT_LIMIT},
    "Item": dict.fromkeys(("description", "customSku", "manufacturerSku"), TEXT_LIMIT),
    "Sale": dict.fromkeys(("referenceNumber", "referenceNumberSource"), TEXT_LIMIT),
}

#: Amounts that cannot be negative, per wire entity: an item's prices and its default cost.
#: (A sale line's quantity and a payment's amount can: returns and refunds.)
NON_NEGATIVE_FIELDS: dict[str, frozenset[str]] = {
    "Item": frozenset({"defaultCost"}),
    "ItemPrice": frozenset({"amount"}),
}

_NO_LIMITS: dict[str, int] = {}
_SCALARS = frozenset({str, int, float, bool, Decimal, type(None)})

#: Entities whose writes cost more (section 3): Sale and SaleLine writes cost 2.
_SALE_ENTITIES = frozenset({"Sale", "SaleLine"})


def is_read_only(entity: str, field: str) -> bool:
    """Tell whether a field of an entity must never be sent in a write.

    Args:
        entity: Wire entity or nested element name (``Customer``, ``SaleLine``, ...).
        field: Field name.

    Returns:
        True for ids, ``systemSku``, ``createTime``, ``timeStamp``, ``calc*`` and totals.
    """
    return field.startswith("calc") or field in READ_ONLY_FIELDS.get(entity, frozenset())


def wire_scalar(value: Any) -> Any:
    """Turn one Python value into what the API accepts in a write.

    Args:
        value: A record value: str, int, bool, Decimal, float, datetime, date or None.

    Returns:
        Decimal and float as a minimal decimal string (``"13.95"``, ``"0"``), datetime and
        date as UTC ``YYYY-MM-DDTHH:MM:SS+00:00``, everything else unchanged.

    Raises:
        ValueError: A number that is not finite.
    """
    if value is None or value.__class__ in (str, int, bool):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            msg = f"{value} is not a finite number"
            raise ValueError(msg)
        return format_decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"{value} is not a finite number"
            raise ValueError(msg)
        return format_decimal(Decimal(repr(value)))
    if isinstance(value, (datetime, date)):
        return normalize_timestamp(value)
    return value


def format_decimal(value: Decimal) -> str:
    """Format a decimal minimally, as Lightspeed does (``"2.46"``, ``"0"``, ``"100"``).

    Args:
        value: A finite decimal.

    Returns:
        The text, without exponent or trailing zeros.
    """
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def to_wire(entity: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Build the JSON body of a write from a plain payload.

    Plain lists under a collection key (``Emails``, ``Prices``, ``SaleLines``, ...) are
    wrapped (``{"ContactEmail": [...]}``), read-only fields are dropped at every level, None
    values are left out and scalars are converted by :func:`wire_scalar`.

    Args:
        entity: The wire entity (``Customer``, ``Item``, ``Sale``).
        payload: The payload with plain lists and Python values.

    Returns:
        The body, ready for JSON encoding.
    """
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if value is None or is_read_only(entity, key):
            continue
        element = WRAPPED_COLLECTIONS.get(key)
        if element is not None:
            items = _unwrapped(value, element)
            out[key] = {element: [to_wire(element, item) for item in items]}
        elif isinstance(value, Mapping):
            out[key] = to_wire(key, value)
        else:
            out[key] = wire_scalar(value)
    return out


def write_problem(entity: str, body: Mapping[str, Any], where: str = "") -> str | None:
    """Find the first value of a write body that Lightspeed would refuse or cut.

    Checks the text limits (:data:`TEXT_LIMITS`) and the amounts that cannot be negative
    (:data:`NON_NEGATIVE_FIELDS`), at every level of the body.

    Args:
        entity: The wire entity (``Customer``, ``Item``, ``Sale``).
        body: A body from :func:`to_wire` (or a plain payload).
        where: Path of ``body`` in the record, for the message.

    Returns:
        None when the body is acceptable, else a message naming the field (by its path, e.g.
        ``Contact.Emails[0].address`` or ``Prices[1].amount``) and the rule.
    """
    limits = TEXT_LIMITS.get(entity, _NO_LIMITS)
    non_negative = NON_NEGATIVE_FIELDS.get(entity, frozenset())
    for key, value in body.items():
        if value.__class__ in _SCALARS:  # the common case, first and cheap
            limit = limits.get(key)
            if limit is not None and value.__class__ is str and len(value) > limit:
                return (
                    f"field '{where}{key}': {len(value)} characters, more than the {limit} "
                    "Lightspeed takes"
                )
            if key in non_negative and _is_negative(value):
                what = "price" if entity == "ItemPrice" else key
                use = body.get("useType") if entity == "ItemPrice" else None
                shown = f" ({use})" if use else ""
                return f"field '{where}{key}'{shown}: {value} is negative; a {what} cannot be"
            continue
        element = WRAPPED_COLLECTIONS.get(key)
        if element is not None:
            for index, item in enumerate(_unwrapped(value, element)):
                problem = write_problem(element, item, f"{where}{key}[{index}].")
                if problem is not None:
                    return problem
        elif isinstance(value, Mapping):
            problem = write_problem(key, value, f"{where}{key}.")
            if problem is not None:
                return problem
    return None


def _is_negative(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    try:
        return Decimal(str(value)) < 0
    except InvalidOperation:
        return False


def _unwrapped(value: Any, element: str) -> list[Any]:
    if isinstance(value, Mapping) and set(value) == {element}:
        value = value[element]
    return [item for item in as_list(value) if isinstance(item, Mapping)]


def encode(body: Mapping[str, Any]) -> bytes:
    """Encode a write body as compact JSON with sorted keys (stable for hashing).

    Args:
        body: A body from :func:`to_wire`.

    Returns:
        UTF-8 JSON bytes.
    """
    return json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def payload_hash(body: Mapping[str, Any]) -> str:
    """Hash a write body (what was last written, for the ledger).

    Args:
        body: A body from :func:`to_wire`.

    Returns:
        Hex SHA-256 of the canonical JSON.
    """
    return hashlib.sha256(encode(body)).hexdigest()


def nested_count(body: Any) -> int:
    """Count nested entities in a write body (Contact, each ContactEmail, each SaleLine, ...).

    Args:
        body: A body from :func:`to_wire`.

    Returns:
        The count; wrappers such as ``SaleLines`` or ``Emails`` are not entities themselves.
    """
    if not isinstance(body, Mapping):
        return 0
    count = 0
    for key, value in body.items():
        if not key[:1].isupper():
            continue
        if key in WRAPPED_COLLECTIONS:
            count += nested_count(value)
            continue
        for element in value if isinstance(value, list) else [value]:
            if isinstance(element, Mapping):
                count += 1 + nested_count(element)
    return count


def write_cost(entity: str, method: str, body: Mapping[str, Any] | None = None) -> float:
    """Estimate the bucket cost of a write (section 3, model since 2026-03-17).

    Args:
        entity: The wire entity written.
        method: ``POST``, ``PUT`` or ``DELETE``.
        body: The write body.

    Returns:
        1 per request (2 for Sale/SaleLine, +3 when the payload completes the sale),
        +0.5 per nested entity.
    """
    cost = 2.0 if entity in _SALE_ENTITIES else 1.0
    if method.upper() == "DELETE" or not body:
        return cost
    if entity == "Sale" and body.get("completed") in (True, "true", "1", 1):
        cost += 3.0
    return cost + 0.5 * nested_count(body)


# Comparing a payload with a stored record -------------------------------------------------


def _same_scalar(stored: Any, wanted: Any) -> bool:
    if wanted is None:
        return True
    if isinstance(wanted, bool):
        return str(stored).lower() in (("true", "1") if wanted else ("false", "0", ""))
    if isinstance(wanted, (int, Decimal, float)):
        try:
            return Decimal(str(stored if stored not in (None, "") else "0")) == Decimal(str(wanted))
        except InvalidOperation:
            return False
    if isinstance(wanted, str) and wanted[:4].isdigit() and "T" in wanted and ":" in wanted:
        try:
            return normalize_timestamp(str(stored)) == normalize_timestamp(wanted)
        except (ValueError, TypeError):
            pass
    return ("" if stored is None else str(stored)) == wanted


def _same_elements(stored: list[Any], wanted: list[Any], element: str) -> bool:
    if element == "ItemPrice":  # priced by level (id, else name); the others stay as they are
        by_level = {}
        for e in (e for e in stored if isinstance(e, Mapping)):
            by_level[f"id:{e.get('useTypeID')}"] = by_level[f"name:{e.get('useType')}"] = e
        keys = [
            f"id:{w['useTypeID']}"
            if w.get("useTypeID") not in (None, "")
            else f"name:{w.get('useType')}"
            for w in wanted
        ]
        return all(
            key in by_level and matches_existing(by_level[key], w)
            for key, w in zip(keys, wanted, strict=True)
        )
    if len(stored) != len(wanted):
        return False
    return all(
        isinstance(s, Mapping) and matches_existing(s, w)
        for s, w in zip(stored, wanted, strict=True)
    )


def matches_existing(stored: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """Tell whether a stored record (wire form) already holds every value of a write body.

    Fields the body does not set are ignored (a PUT leaves them as they are); collections
    compare element by element (prices by ``useType``); numbers compare as numbers,
    booleans as ``"true"``/``"false"``, timestamps as instants, missing values as ``""``.

    Args:
        stored: A record as the API returned it (strings, wrapped collections).
        body: A body from :func:`to_wire` or a plain payload.

    Returns:
        True when writing the body would change nothing.
    """
    for key, wanted in body.items():
        current = stored.get(key)
        element = WRAPPED_COLLECTIONS.get(key)
        if element is not None:
            if not _same_elements(
                _unwrapped(current, element), _unwrapped(wanted, element), element
            ):
                return False
        elif isinstance(wanted, Mapping):
            if not matches_existing(current if isinstance(current, Mapping) else {}, wanted):
                return False
        elif not _same_scalar(current, wanted):
            return False
    return True


def changed_fields(stored: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """Name the top-level fields of a body that differ from a stored record.

    Args:
        stored: A record in wire form.
        body: A write body.

    Returns:
        The differing field names, sorted.
    """
    return sorted(key for key, value in body.items() if not matches_existing(stored, {key: value}))
