"""From input records to Lightspeed write payloads.

Two input shapes are accepted, per record and even mixed:

- the tap's own shape (``tap-lightspeed`` output: ``Contact.Emails[]``, ``Prices[]``,
  ``SaleLines[]``, ids of the *source* account);
- flat warehouse rows with documented snake_case columns (``email``, ``phone``, ``address1``,
  ``price``, ``msrp``, ``lines``, ``payments``...) that fold into the nested collections.

Read-only fields are never sent. Foreign keys are handled by kind:

- entity references (a sale's ``customerID``, a line's ``itemID``) are ids of the source
  account: they are mapped to the target account through the ledger (records synced earlier,
  in this run or a previous one) or a lookup by match key, else the sale is rejected;
- reference data ids (``categoryID``, ``employeeID``, ``paymentTypeID``...) are mapped with
  the ``id_map`` setting, kept as they are when listed in ``keep_foreign_keys``, else
  dropped (sales then use the ``default_*_id`` settings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lightspeed_client.wire import as_list, normalize_timestamp
from lightspeed_client.writes import (
    is_read_only,
    payload_hash,
    to_wire,
    wire_scalar,
    write_problem,
)

ENTITIES = ("customers", "items", "sales")
WIRE_ENTITY = {"customers": "Customer", "items": "Item", "sales": "Sale"}
SOURCE_ID_FIELD = {"customers": "customerID", "items": "itemID", "sales": "saleID"}

#: Match key fields per entity: name -> (filter parameter, relations the filter needs).
KEY_FIELDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "customers": {
        "email": ("Contact.email", ("Contact",)),
        "firstName": ("firstName", ()),
        "lastName": ("lastName", ()),
        "company": ("company", ()),
        "title": ("title", ()),
        "vatNumber": ("vatNumber", ()),
        "companyRegistrationNumber": ("companyRegistrationNumber", ()),
    },
    "items": {
        "customSku": ("customSku", ()),
        "upc": ("upc", ()),
        "ean": ("ean", ()),
        "manufacturerSku": ("manufacturerSku", ()),
        "systemSku": ("systemSku", ()),
        "description": ("description", ()),
    },
    "sales": {"referenceNumber": ("referenceNumber", ())},
}
DEFAULT_MATCH_KEYS: dict[str, list[str]] = {
    "customers": ["email"],
    "items": ["customSku", "upc", "ean"],
    "sales": ["referenceNumber"],
}

CUSTOMER_FIELDS = (
    "firstName",
    "lastName",
    "title",
    "company",
    "companyRegistrationNumber",
    "vatNumber",
    "dob",
    "archived",
)
CUSTOMER_REFERENCE_FKS = ("customerTypeID", "discountID", "taxCategoryID", "creditAccountID")
CONTACT_FIELDS = ("custom", "noEmail", "noPhone", "noMail")
ADDRESS_FIELDS = (
    "address1",
    "address2",
    "city",
    "state",
    "stateCode",
    "zip",
    "country",
    "countryCode",
)
ITEM_FIELDS = (
    "customSku",
    "manufacturerSku",
    "upc",
    "ean",
    "description",
    "defaultCost",
    "discountable",
    "tax",
    "archived",
    "serialized",
    "publishToEcom",
    "itemType",
    "modelYear",
)
ITEM_REFERENCE_FKS = (
    "categoryID",
    "taxClassID",
    "departmentID",
    "itemMatrixID",
    "manufacturerID",
    "seasonID",
    "defaultVendorID",
)
PRICE_TYPES = {"1": "Default", "2": "MSRP", "3": "Online"}
SALE_FIELDS = ("completed", "voided", "archived", "receiptPreference")
SALE_REFERENCE_FKS = ("employeeID", "registerID", "shopID", "taxCategoryID", "discountID")
SALE_DEFAULTED_FKS = {
    "employeeID": "default_employee_id",
    "registerID": "default_register_id",
    "shopID": "default_shop_id",
}
LINE_FIELDS = ("unitQuantity", "unitPrice", "discountAmount", "tax")

#: Flat warehouse columns: column -> tap field (top level of the entity).
FLAT_CUSTOMER_COLUMNS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "company_registration_number": "companyRegistrationNumber",
    "vat_number": "vatNumber",
    "birthday": "dob",
    "customer_type_id": "customerTypeID",
    "discount_id": "discountID",
    "tax_category_id": "taxCategoryID",
    "credit_account_id": "creditAccountID",
    "no_email": "noEmail",
    "no_phone": "noPhone",
    "no_mail": "noMail",
}
#: Flat contact columns: column -> (collection, field, useType).
FLAT_EMAIL_COLUMNS = {"email": "Primary", "email_secondary": "Secondary"}
FLAT_PHONE_COLUMNS = {
    "phone": "Home",
    "phone_home": "Home",
    "phone_work": "Work",
    "phone_mobile": "Mobile",
    "mobile": "Mobile",
    "phone_fax": "Fax",
    "phone_pager": "Pager",
}
FLAT_ADDRESS_COLUMNS = {
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "state": "state",
    "state_code": "stateCode",
    "stateCode": "stateCode",
    "zip": "zip",
    "postal_code": "zip",
    "country": "country",
    "country_code": "countryCode",
    "countryCode": "countryCode",
}
FLAT_WEBSITE_COLUMNS = ("website",)
FLAT_ITEM_COLUMNS = {
    "custom_sku": "customSku",
    "sku": "customSku",
    "manufacturer_sku": "manufacturerSku",
    "default_cost": "defaultCost",
    "cost": "defaultCost",
    "publish_to_ecom": "publishToEcom",
    "item_type": "itemType",
    "model_year": "modelYear",
    "category_id": "categoryID",
    "tax_class_id": "taxClassID",
    "department_id": "departmentID",
    "manufacturer_id": "manufacturerID",
    "season_id": "seasonID",
    "default_vendor_id": "defaultVendorID",
    "system_sku": "systemSku",
}
FLAT_PRICE_COLUMNS = {"price": "Default", "msrp": "MSRP", "online_price": "Online"}
FLAT_SALE_COLUMNS = {
    "reference_number": "referenceNumber",
    "customer_id": "customerID",
    "employee_id": "employeeID",
    "register_id": "registerID",
    "shop_id": "shopID",
    "tax_category_id": "taxCategoryID",
    "sale_id": "saleID",
    "lines": "SaleLines",
    "payments": "SalePayments",
}
FLAT_LINE_COLUMNS = {
    "item_id": "itemID",
    "quantity": "unitQuantity",
    "unit_price": "unitPrice",
    "discount": "discountAmount",
    "custom_sku": "customSku",
    "sku": "customSku",
}
FLAT_PAYMENT_COLUMNS = {"payment_type_id": "paymentTypeID"}

#: Fields that are read but never written, per entity (no "unknown column" warning).
_KNOWN_READ_ONLY = {
    "customers": {"customerID", "contactID", "createTime", "timeStamp", "measurementID"},
    "items": {"itemID", "systemSku", "createTime", "timeStamp", "avgCost", "ItemShops"},
    "sales": {
        "saleID",
        "timeStamp",
        "createTime",
        "updatetime",
        "updateTime",
        "completeTime",
        "ticketNumber",
        "discountPercent",
        "enablePromotions",
        "isTaxInclusive",
        "tax1Rate",
        "tax2Rate",
        "change",
        "displayableSubtotal",
        "displayableTotal",
        "total",
        "totalDue",
        "balance",
        "taxTotal",
        "quoteID",
        "shipToID",
        "referenceNumberSource",
        "customer_email",
    },
}


class MappingError(Exception):
    """A record cannot become a write payload; the message names the field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MatchKey:
    """One match key candidate of a record: field names and their (normalised) values."""

    fields: tuple[str, ...]
    values: tuple[str, ...]

    @property
    def name(self) -> str:
        """The key's name, e.g. ``email`` or ``firstName+lastName``."""
        return "+".join(self.fields)

    @property
    def text(self) -> str:
        """The key as stored in the ledger and the rejects file, e.g. ``email=a@b.com``."""
        return f"{self.name}={'|'.join(self.values)}"


@dataclass
class Mapped:
    """A record ready to be written."""

    stream: str
    record: dict[str, Any]
    payload: dict[str, Any]
    body: dict[str, Any]
    keys: list[MatchKey]
    source_id: str | None
    notes: list[str] = field(default_factory=list)
    hash: str = ""

    def __post_init__(self) -> None:
        """Hash the body."""
        self.hash = payload_hash(self.body)

    @property
    def ledger_key(self) -> str:
        """The record's key in the ledger: its first match key, else its source id or hash."""
        if self.keys:
            return self.keys[0].text
        if self.source_id is not None:
            return f"source:{self.stream}:{self.source_id}"
        return f"content:{self.hash[:32]}"

    @property
    def source_key(self) -> str | None:
        """The record's source key in the ledger: ``<stream>:<source id>`` (None: no id)."""
        return f"{self.stream}:{self.source_id}" if self.source_id is not None else None

    @property
    def match_key_text(self) -> str | None:
        """The first match key as text, or None when the record has none."""
        return self.keys[0].text if self.keys else None


@dataclass
class SaleRefs:
    """What a sale refers to, resolved to ids of the target account.

    Attributes:
        customers: Source customer id -> target id (None: unknown).
        items: Source item id -> target id (None: unknown).
        customers_by_email: Email (lower case) -> target id.
        items_by_key: ``field=value`` (e.g. ``customSku=A-1``) -> target id.
        ambiguous: ``customers:<source id>`` or ``items:<source id>`` -> the streams that
            each hold a record with that source id, none nearer to the sale's stream.
    """

    customers: dict[str, str | None] = field(default_factory=dict)
    items: dict[str, str | None] = field(default_factory=dict)
    customers_by_email: dict[str, str | None] = field(default_factory=dict)
    items_by_key: dict[str, str | None] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)

    def check_unambiguous(self, entity: str, source: str, where: str) -> None:
        """Reject a reference that records of several streams could mean.

        Args:
            entity: ``customers`` or ``items``.
            source: The source id.
            where: The field, for the message.

        Raises:
            MappingError: Several streams hold a record with that source id.
        """
        streams = self.ambiguous.get(f"{entity}:{source}")
        if streams:
            msg = (
                f"field '{where}': {entity[:-1]} {source} of the source account is ambiguous: "
                f"streams {', '.join(streams)} each hold one, and none is nearer to this "
                "stream by name"
            )
            raise MappingError(msg, field=where)


# Value helpers ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Decimal, float, datetime, date)):
        return str(wire_scalar(value))
    return str(value).strip()


def _number(value: Any, where: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MappingError(f"field '{where}': expected a number, got a boolean", field=where)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise MappingError(f"field '{where}': {value!r} is not a number", field=where) from None
    if not number.is_finite():
        raise MappingError(f"field '{where}': {value!r} is not a finite number", field=where)
    return number


def _integer(value: Any, where: str) -> int | None:
    number = _number(value, where)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise MappingError(f"field '{where}': {value!r} is not a whole number", field=where)
    return int(number)


def _boolean(value: Any, where: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "t"):
        return True
    if text in ("false", "0", "no", "n", "f"):
        return False
    raise MappingError(f"field '{where}': {value!r} is not a boolean", field=where)


def _timestamp(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return normalize_timestamp(value)
    except (ValueError, TypeError, AttributeError):
        raise MappingError(f"field '{where}': {value!r} is not a date-time", field=where) from None


def _id_text(value: Any, where: str) -> str | None:
    """Read a foreign key: None for missing, ``""``, ``0`` and ``"0"`` (none)."""
    number = _integer(value, where)
    return None if number in (None, 0) else str(number)


_BOOLEAN_FIELDS = frozenset(
    {
        "archived",
        "noEmail",
        "noPhone",
        "noMail",
        "discountable",
        "tax",
        "serialized",
        "publishToEcom",
        "completed",
        "voided",
    }
)
_NUMBER_FIELDS = frozenset({"defaultCost", "unitPrice", "discountAmount", "amount"})
_INTEGER_FIELDS = frozenset({"modelYear", "unitQuantity"})
_TIMESTAMP_FIELDS = frozenset({"dob"})


def _scalar(name: str, value: Any, where: str) -> Any:
    if name in _BOOLEAN_FIELDS:
        return _boolean(value, where)
    if name in _NUMBER_FIELDS:
        return _number(value, where)
    if name in _INTEGER_FIELDS:
        return _integer(value, where)
    if name in _TIMESTAMP_FIELDS:
        return _timestamp(value, where)
    if value is None:
        return None
    if isinstance(value, (Mapping, list)):
        raise MappingError(f"field '{where}': expected a single value", field=where)
    return _text(value) if not isinstance(value, str) else value


def _elements(value: Any, element: str, where: str) -> list[dict[str, Any]]:
    """Read a collection given as a plain list, the wrapped form, one object, or ``""``."""
    if isinstance(value, Mapping) and set(value) == {element}:
        value = value[element]
    out = []
    for index, item in enumerate(as_list(value)):
        if not isinstance(item, Mapping):
            raise MappingError(
                f"field '{where}[{index}]': expected an object, got {type(item).__name__}",
                field=where,
            )
        out.append(dict(item))
    return out


# The mapper -------------------------------------------------------------------------------


@dataclass
class MapperSettings:
    """What the mapper needs from the target's settings."""

    match_keys: dict[str, list[tuple[str, ...]]]
    id_map: dict[str, dict[str, str]]
    keep_foreign_keys: frozenset[str]
    reference_number_source: str
    defaults: dict[str, str | None]


class RecordMapper:
    """Maps the records of one stream to payloads for one entity."""

    def __init__(
        self,
        stream: str,
        entity: str,
        settings: MapperSettings,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        """Create a mapper.

        Args:
            stream: The input stream name.
            entity: ``customers``, ``items`` or ``sales``.
            settings: The mapping settings.
            warn: Called once per new kind of problem that does not stop a record
                (unknown columns, dropped foreign keys).
        """
        self.stream = stream
        self.entity = entity
        self.wire_entity = WIRE_ENTITY[entity]
        self.settings = settings
        self._warn = warn or (lambda message: None)
        self._warned: set[str] = set()

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self._warn(message)

    # -- foreign keys ------------------------------------------------------------------------

    def reference_fk(self, name: str, value: Any, where: str) -> str | None:
        """Map a reference-data foreign key of the source account (or drop it).

        Args:
            name: The field (``categoryID``, ``paymentTypeID``...).
            value: The source value.
            where: Field path for messages.

        Returns:
            The id to send, or None to leave the field out.
        """
        source = _id_text(value, where)
        if source is None:
            return None
        mapped = self.settings.id_map.get(name)
        if mapped is not None and source in mapped:
            return str(mapped[source])
        if name in self.settings.keep_foreign_keys:
            return source
        self._warn_once(
            f"fk:{name}",
            f"Stream '{self.stream}': foreign key '{name}' holds ids of the source account; "
            f"they are not sent. Map them with the id_map setting "
            f'(e.g. {{"{name}": {{"{source}": "<id in the target account>"}}}}) or list '
            f"'{name}' in keep_foreign_keys when both accounts share these ids.",
        )
        return None

    # -- match keys --------------------------------------------------------------------------

    def match_keys(self, normalized: Mapping[str, Any]) -> list[MatchKey]:
        """Return the record's match key candidates that have values, in setting order.

        Args:
            normalized: The record in tap shape (flat columns folded in).

        Returns:
            The candidates.
        """
        keys = []
        for fields in self.settings.match_keys[self.entity]:
            values = tuple(key_value(self.entity, name, normalized) for name in fields)
            if all(values):
                keys.append(MatchKey(fields, values))
        return keys

    # -- entry point -------------------------------------------------------------------------

    def map(
        self,
        record: Mapping[str, Any],
        refs: SaleRefs | None = None,
        key_properties: tuple[str, ...] = (),
    ) -> Mapped:
        """Map one record.

        Args:
            record: The input record.
            refs: Resolved references (sales only).
            key_properties: The stream's key properties: identify a flat row that has no
                id of its entity (``customerID``...), so that a changed row updates its record.

        Returns:
            The mapped record.

        Raises:
            MappingError: The record cannot be written; the message names the field.
        """
        normalized = self.normalize(record)
        source_id = _text(normalized.get(SOURCE_ID_FIELD[self.entity])) or None
        if source_id is None and key_properties:
            values = [_text(record.get(k)) for k in key_properties]
            if all(values):
                source_id = "|".join(values)
        notes: list[str] = []
        if self.entity == "customers":
            payload = self._customer(normalized)
        elif self.entity == "items":
            payload = self._item(normalized)
        else:
            payload = self._sale(normalized, source_id, refs or SaleRefs(), notes)
            normalized["referenceNumber"] = payload["referenceNumber"]
        keys = self.match_keys(normalized)
        body = to_wire(self.wire_entity, payload)
        problem = write_problem(self.wire_entity, body)
        if problem is not None:
            raise MappingError(problem)
        # The record itself, not a copy: a reject finds its input line by identity.
        kept = record if isinstance(record, dict) else dict(record)
        return Mapped(self.stream, kept, payload, body, keys, source_id, notes)

    def normalize(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Fold flat warehouse columns into the tap's shape.

        Args:
            record: The input record.

        Returns:
            A new dict in tap shape.
        """
        if self.entity == "customers":
            return self._normalize_customer(record)
        if self.entity == "items":
            return self._normalize_item(record)
        return self._normalize_sale(record)

    def _unknown(self, record: Mapping[str, Any], known: set[str]) -> None:
        extra = sorted(
            key
            for key, value in record.items()
            if key not in known and not key.startswith("_sdc_") and value not in (None, "")
        )
        if extra:
            self._warn_once(
                "unknown:" + ",".join(extra),
                f"Stream '{self.stream}': columns not written to Lightspeed "
                f"{self.wire_entity} (not documented input columns): {', '.join(extra)}",
            )

    # -- customers ---------------------------------------------------------------------------

    def _normalize_customer(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        known = set(CUSTOMER_FIELDS) | set(CUSTOMER_REFERENCE_FKS) | {"Contact"}
        known |= _KNOWN_READ_ONLY["customers"] | set(FLAT_CUSTOMER_COLUMNS)
        known |= set(FLAT_EMAIL_COLUMNS) | set(FLAT_PHONE_COLUMNS) | set(FLAT_ADDRESS_COLUMNS)
        known |= set(FLAT_WEBSITE_COLUMNS) | set(CONTACT_FIELDS)
        for key, value in record.items():
            out[FLAT_CUSTOMER_COLUMNS.get(key, key)] = value
        contact = out.get("Contact")
        if contact is not None and not isinstance(contact, Mapping):
            raise MappingError("field 'Contact': expected an object", field="Contact")
        contact = dict(contact or {})
        for name in CONTACT_FIELDS:
            if name in out and name not in contact:
                contact[name] = out.pop(name)
        emails = [
            {"address": _text(record[col]), "useType": use}
            for col, use in FLAT_EMAIL_COLUMNS.items()
            if _text(record.get(col))
        ]
        phones = [
            {"number": _text(record[col]), "useType": use}
            for col, use in FLAT_PHONE_COLUMNS.items()
            if _text(record.get(col))
        ]
        address = {
            name: _text(record[col])
            for col, name in FLAT_ADDRESS_COLUMNS.items()
            if _text(record.get(col))
        }
        websites = [{"url": _text(record[c])} for c in FLAT_WEBSITE_COLUMNS if _text(record.get(c))]
        for name, flat in (
            ("Emails", emails),
            ("Phones", phones),
            ("Addresses", [address] if address else []),
            ("Websites", websites),
        ):
            if flat and contact.get(name) in (None, "", []):
                contact[name] = flat
        if contact:
            out["Contact"] = contact
        self._unknown(record, known)
        return out

    def _customer(self, rec: Mapping[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for name in CUSTOMER_FIELDS:
            if name in rec:
                payload[name] = _scalar(name, rec[name], name)
        for name in CUSTOMER_REFERENCE_FKS:
            if name in rec:
                mapped = self.reference_fk(name, rec[name], name)
                if mapped is not None:
                    payload[name] = mapped
        contact_in = rec.get("Contact") or {}
        contact: dict[str, Any] = {}
        for name in CONTACT_FIELDS:
            if name in contact_in:
                contact[name] = _scalar(name, contact_in[name], f"Contact.{name}")
        shapes = (
            ("Emails", "ContactEmail", ("address", "useType")),
            ("Phones", "ContactPhone", ("number", "useType")),
            ("Addresses", "ContactAddress", ADDRESS_FIELDS),
            ("Websites", "ContactWebsite", ("url",)),
        )
        for name, element, fields in shapes:
            if name not in contact_in:
                continue
            rows = []
            for index, item in enumerate(_elements(contact_in[name], element, f"Contact.{name}")):
                row = {f: _text(item.get(f)) for f in fields if f in item}
                if name == "Emails":
                    address = row.get("address", "")
                    if address and "@" not in address:
                        msg = (
                            f"field 'Contact.Emails[{index}].address': {address!r} is not an email"
                        )
                        raise MappingError(msg, field="Contact.Emails.address")
                rows.append(row)
            contact[name] = rows
        if contact:
            payload["Contact"] = contact
        return payload

    # -- items -------------------------------------------------------------------------------

    def _normalize_item(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        known = set(ITEM_FIELDS) | set(ITEM_REFERENCE_FKS) | {"Prices"}
        known |= _KNOWN_READ_ONLY["items"] | set(FLAT_ITEM_COLUMNS) | set(FLAT_PRICE_COLUMNS)
        for key, value in record.items():
            out[FLAT_ITEM_COLUMNS.get(key, key)] = value
        flat_prices = [
            {"amount": record[col], "useType": use}
            for col, use in FLAT_PRICE_COLUMNS.items()
            if record.get(col) not in (None, "")
        ]
        if flat_prices:
            given = {
                str(p.get("useType") or PRICE_TYPES.get(_text(p.get("useTypeID")), ""))
                for p in _elements(out.get("Prices"), "ItemPrice", "Prices")
            }
            prices = _elements(out.get("Prices"), "ItemPrice", "Prices")
            prices += [p for p in flat_prices if p["useType"] not in given]
            out["Prices"] = prices
        self._unknown(record, known)
        return out

    def _item(self, rec: Mapping[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for name in ITEM_FIELDS:
            if name in rec:
                payload[name] = _scalar(name, rec[name], name)
        if "description" in payload and payload["description"] is not None:
            payload["description"] = payload["description"].strip()
        for name in ITEM_REFERENCE_FKS:
            if name in rec:
                mapped = self.reference_fk(name, rec[name], name)
                if mapped is not None:
                    payload[name] = mapped
        if "Prices" in rec:
            prices = []
            for index, price in enumerate(_elements(rec["Prices"], "ItemPrice", "Prices")):
                use = _text(price.get("useType")) or PRICE_TYPES.get(
                    _text(price.get("useTypeID")), ""
                )
                if use not in PRICE_TYPES.values():
                    msg = f"field 'Prices[{index}].useType': {use!r} is not Default, MSRP or Online"
                    raise MappingError(msg, field="Prices.useType")
                amount = _number(price.get("amount"), f"Prices[{index}].amount")
                prices.append(
                    {"amount": amount if amount is not None else Decimal(0), "useType": use}
                )
            payload["Prices"] = prices
        for key in ("upc", "ean"):
            value = payload.get(key)
            if value and not (value.isdigit() and 11 <= len(value) <= 14):
                raise MappingError(f"field '{key}': {value!r} must be 11 to 14 digits", field=key)
        return payload

    # -- sales -------------------------------------------------------------------------------

    def _normalize_sale(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        known = set(SALE_FIELDS) | set(SALE_REFERENCE_FKS) | {"SaleLines", "SalePayments"}
        known |= {"referenceNumber", "customerID", "calcTotal"} | _KNOWN_READ_ONLY["sales"]
        known |= set(FLAT_SALE_COLUMNS)
        for key, value in record.items():
            out[FLAT_SALE_COLUMNS.get(key, key)] = value
        out["SaleLines"] = [
            {FLAT_LINE_COLUMNS.get(k, k): v for k, v in line.items()}
            for line in _elements(out.get("SaleLines"), "SaleLine", "SaleLines")
        ]
        out["SalePayments"] = [
            {FLAT_PAYMENT_COLUMNS.get(k, k): v for k, v in payment.items()}
            for payment in _elements(out.get("SalePayments"), "SalePayment", "SalePayments")
        ]
        self._unknown({k: v for k, v in record.items() if not k.startswith("calc")}, known)
        return out

    def reference_number(self, rec: Mapping[str, Any], source_id: str | None) -> str:
        """Return the sale's reference number: given, else derived from its source id.

        Args:
            rec: The sale in tap shape.
            source_id: The source saleID.

        Returns:
            The reference number.

        Raises:
            MappingError: Neither a reference number nor a source id.
        """
        given = _text(rec.get("referenceNumber"))
        if given:
            return given
        if source_id:
            return f"{self.stream}-{source_id}"
        msg = "sales need a referenceNumber (or reference_number) or a saleID to be matched"
        raise MappingError(msg, field="referenceNumber")

    def _sale(
        self, rec: Mapping[str, Any], source_id: str | None, refs: SaleRefs, notes: list[str]
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "referenceNumber": self.reference_number(rec, source_id),
            "referenceNumberSource": self.settings.reference_number_source,
        }
        for name in SALE_FIELDS:
            if name in rec:
                payload[name] = _scalar(name, rec[name], name)
        for name in SALE_REFERENCE_FKS:
            mapped = self.reference_fk(name, rec.get(name), name) if name in rec else None
            if mapped is None and name in SALE_DEFAULTED_FKS:
                mapped = self.settings.defaults.get(SALE_DEFAULTED_FKS[name])
                if not mapped:
                    setting = SALE_DEFAULTED_FKS[name]
                    msg = (
                        f"field '{name}': a sale needs one in the target account; set the "
                        f"{setting} setting (or map {name} with id_map)"
                    )
                    raise MappingError(msg, field=name)
            if mapped is not None:
                payload[name] = mapped
        customer = self._sale_customer(rec, refs)
        if customer is not None:
            payload["customerID"] = customer
        lines = []
        for index, line in enumerate(rec.get("SaleLines") or []):
            lines.append(self._line(line, index, refs))
        payments = []
        for index, payment in enumerate(rec.get("SalePayments") or []):
            payments.append(self._payment(payment, index))
        payload["SaleLines"] = lines
        payload["SalePayments"] = payments
        if payload.get("completed"):
            total = _number(
                rec.get("total") if rec.get("total") not in (None, "") else rec.get("calcTotal"),
                "total",
            )
            paid = sum((p["amount"] for p in payments if not p.get("archived")), start=Decimal(0))
            if total is None or paid < total:
                payload["completed"] = False
                shown = "unknown" if total is None else wire_scalar(total)
                notes.append(
                    f"left open: payments {wire_scalar(paid)} do not cover the total {shown}"
                )
        return payload

    def _sale_customer(self, rec: Mapping[str, Any], refs: SaleRefs) -> str | None:
        email = _text(rec.get("customer_email")).lower()
        if email:
            target = refs.customers_by_email.get(email)
            if target is None:
                msg = (
                    f"field 'customer_email': no customer with email {email!r} in the target "
                    "account (sync the customers first)"
                )
                raise MappingError(msg, field="customer_email")
            return target
        source = _id_text(rec.get("customerID"), "customerID")
        if source is None:
            return None
        refs.check_unambiguous("customers", source, "customerID")
        target = refs.customers.get(source)
        if target is not None:
            return target
        if "customerID" in self.settings.keep_foreign_keys:
            return source
        msg = (
            f"field 'customerID': customer {source} of the source account has no counterpart "
            "in the target account: write the customers stream first (same ledger), or list "
            "customerID in keep_foreign_keys if the ids are the target's"
        )
        raise MappingError(msg, field="customerID")

    def _line(self, line: Mapping[str, Any], index: int, refs: SaleRefs) -> dict[str, Any]:
        where = f"SaleLines[{index}]"
        out: dict[str, Any] = {}
        item: str | None = None
        by_key = next(
            (f"{k}={_text(line[k])}" for k in ("customSku", "upc", "ean") if _text(line.get(k))),
            None,
        )
        if by_key is not None:
            item = refs.items_by_key.get(by_key)
            if item is None:
                msg = f"field '{where}': no item with {by_key} in the target account"
                raise MappingError(msg, field=f"{where}.itemID")
        else:
            source = _id_text(line.get("itemID"), f"{where}.itemID")
            if source is not None:
                refs.check_unambiguous("items", source, f"{where}.itemID")
                item = refs.items.get(source)
                if item is None and "itemID" in self.settings.keep_foreign_keys:
                    item = source
                if item is None:
                    msg = (
                        f"field '{where}.itemID': item {source} of the source account has no "
                        "counterpart in the target account: write the items stream first "
                        "(same ledger)"
                    )
                    raise MappingError(msg, field=f"{where}.itemID")
        if item is not None:
            out["itemID"] = item
        for name in LINE_FIELDS:
            if name in line and line[name] not in (None, ""):
                out[name] = _scalar(name, line[name], f"{where}.{name}")
        if out.get("unitQuantity") == 0:
            raise MappingError(f"field '{where}.unitQuantity': cannot be 0", field="unitQuantity")
        return out

    def _payment(self, payment: Mapping[str, Any], index: int) -> dict[str, Any]:
        where = f"SalePayments[{index}]"
        amount = _number(payment.get("amount"), f"{where}.amount")
        if amount is None:
            raise MappingError(f"field '{where}.amount': missing", field="amount")
        out: dict[str, Any] = {"amount": amount}
        ptype = self.reference_fk(
            "paymentTypeID", payment.get("paymentTypeID"), f"{where}.paymentTypeID"
        )
        ptype = ptype or self.settings.defaults.get("default_payment_type_id")
        if not ptype:
            msg = (
                f"field '{where}.paymentTypeID': a payment needs a payment type of the target "
                "account; set default_payment_type_id (or map paymentTypeID with id_map)"
            )
            raise MappingError(msg, field="paymentTypeID")
        out["paymentTypeID"] = ptype
        archived = _boolean(payment.get("archived"), f"{where}.archived")
        if archived:
            out["archived"] = True
        return out


def source_id_text(value: Any) -> str:
    """A source id as text, ``""`` for none (``0``, ``""``, None, not a number).

    Args:
        value: The id as read.

    Returns:
        The id, or ``""``.
    """
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return ""
    return str(number) if number else ""


def key_value(entity: str, name: str, normalized: Mapping[str, Any]) -> str:
    """Read one match key field of a record in tap shape (normalised for comparison).

    Args:
        entity: ``customers``, ``items`` or ``sales``.
        name: The key field.
        normalized: The record in tap shape.

    Returns:
        The value (emails in lower case), ``""`` when absent.
    """
    if entity == "customers" and name == "email":
        contact = normalized.get("Contact")
        if not isinstance(contact, Mapping):
            return ""
        emails = [e for e in _elements(contact.get("Emails"), "ContactEmail", "Emails")]
        emails.sort(key=lambda e: 0 if _text(e.get("useType")) == "Primary" else 1)
        return next(
            (_text(e.get("address")).lower() for e in emails if _text(e.get("address"))), ""
        )
    return _text(normalized.get(name))


def stored_key_values(entity: str, name: str, stored: Mapping[str, Any]) -> list[str]:
    """Read one match key field of a stored record (wire form) for matching lookups.

    Args:
        entity: ``customers``, ``items`` or ``sales``.
        name: The key field.
        stored: A record as the API returned it.

    Returns:
        Every value the record can be found by (all its emails), normalised.
    """
    if entity == "customers" and name == "email":
        contact = stored.get("Contact")
        if not isinstance(contact, Mapping):
            return []
        return [
            _text(e.get("address")).lower()
            for e in _elements(contact.get("Emails"), "ContactEmail", "Emails")
            if _text(e.get("address"))
        ]
    value = _text(stored.get(name))
    return [value] if value else []


def is_writable(entity: str, name: str) -> bool:
    """Tell whether a top-level field is ever sent for an entity (docs and tests).

    Args:
        entity: ``customers``, ``items`` or ``sales``.
        name: The field.

    Returns:
        False for read-only fields.
    """
    return not is_read_only(WIRE_ENTITY[entity], name)
