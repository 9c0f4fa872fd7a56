"""Records in wire form: every scalar a string, collections double-wrapped, one item as an
object, an empty collection as ``""``, unset fields omitted (section 6 of the API reference).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from lightspeed_client.wire import EXTRA_FIELDS
from tap_lightspeed.client import ACCOUNT_ID, SCHEMAS, LightspeedStream
from tap_lightspeed.streams import (
    DERIVED_STREAM_TYPES,
    REFERENCE_STREAM_TYPES,
    CreditAccountsStream,
    ReferenceStream,
)

BASE = dt.datetime(2024, 3, 1, 10, 0, 0, tzinfo=dt.timezone.utc)


def ts(seconds: int) -> str:
    """A wire timestamp ``seconds`` after BASE."""
    return (BASE + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def wrap(items: list[dict], name: str) -> Any:
    """Double-wrap a collection as Lightspeed does."""
    if not items:
        return ""
    return {name: items[0] if len(items) == 1 else items}


def stock_valuation(qoh: int) -> dict:
    """The ItemShop reservation and valuation fields added 2025-01-30, as the payload spells
    them (``onWorkorder``, where the field table says ``onWorkOrder``)."""
    on_hand = max(qoh, 0)
    return {
        "onLayaway": "1",
        "onSpecialOrder": "0",
        "onWorkorder": "2",
        "onTransferOut": "0",
        "onTransferIn": "3",
        "averageCost": "4.25",
        "nextFifoLotID": "313086",
        "nextFifoLotCost": "4.5",
        "lastReceivedLotID": "313089",
        "lastReceivedCost": "4.75",
        "totalValueFifo": str(on_hand * 4.5),
        "totalValueAvgCost": str(on_hand * 4.25),
        "totalValueNegativeInventory": "0" if qoh >= 0 else str(qoh * 4.25),
    }


def customer(
    i: int,
    second: int,
    *,
    emails: int = 1,
    phones: int = 0,
    addresses: int = 1,
    archived: bool = False,
    dob: bool = True,
    **extra: Any,
) -> dict:
    stamp = ts(second)
    record = {
        "customerID": str(i),
        "firstName": f"First{i}",
        "lastName": f"Last{i}",
        "title": "",
        "company": "Kit Kraft" if i % 2 else "",
        "companyRegistrationNumber": "",
        "vatNumber": "",
        "measurementID": "0",
        "archived": "true" if archived else "false",
        "createTime": ts(0),
        "timeStamp": stamp,
        "contactID": str(i),
        "creditAccountID": "0",
        "customerTypeID": "1",
        "discountID": "0",
        "taxCategoryID": "0",
        "employeeID": "1",
        "noteID": "0",
        "Contact": {
            "custom": "",
            "noEmail": "false",
            "noPhone": "true" if not phones else "false",
            "noMail": "false",
            "Addresses": wrap(
                [
                    {
                        "address1": f"{n} Main St",
                        "address2": "",
                        "city": "Montréal",
                        "state": "Quebec",
                        "stateCode": "QC",
                        "zip": "H2X 1Y4",
                        "country": "Canada",
                        "countryCode": "CA",
                    }
                    for n in range(addresses)
                ],
                "ContactAddress",
            ),
            "Phones": wrap(
                [{"number": f"514-555-{i:02d}{n:02d}", "useType": "Mobile"} for n in range(phones)],
                "ContactPhone",
            ),
            "Emails": wrap(
                [
                    {
                        "address": f"c{i}.{n}@example.com",
                        "useType": "Primary" if not n else "Secondary",
                    }
                    for n in range(emails)
                ],
                "ContactEmail",
            ),
            "Websites": "",
            "timeStamp": stamp,
        },
        "CustomFieldValues": wrap(
            [
                {
                    "customFieldValueID": str(i * 10 + 1),
                    "customFieldID": "6",
                    "name": "Student",
                    "type": "boolean",
                    "value": "true" if i % 2 else "false",
                    "deleted": "false",
                    "timeStamp": stamp,
                },
                {
                    "customFieldValueID": str(i * 10 + 2),
                    "customFieldID": "8",
                    "name": "Size",
                    "type": "single_choice",
                    "value": {"customFieldChoiceID": "3", "name": "L", "value": "L"},
                    "deleted": "false",
                    "timeStamp": stamp,
                },
            ][: i % 3],
            "CustomFieldValue",
        ),
    }
    if dob:
        record["dob"] = "1990-04-29T04:00:00+00:00"
    record.update(extra)
    return record


def item(i: int, second: int, *, shops: int = 2, archived: bool = False, **extra: Any) -> dict:
    stamp = ts(second)
    record = {
        "itemID": str(i),
        "systemSku": str(210000000000 + i),
        "defaultCost": "4.5",
        "avgCost": "4.25",
        "fifoCost": "4.5",
        "discountable": "true",
        "tax": "true",
        "archived": "true" if archived else "false",
        "itemType": "default",
        "serialized": "false",
        "description": f"Item {i}",
        "modelYear": "0",
        "upc": "",
        "ean": "",
        "customSku": f"SKU-{i}",
        "manufacturerSku": "",
        "createTime": ts(0),
        "timeStamp": stamp,
        "publishToEcom": "false",
        "categoryID": "3",
        "taxClassID": "1",
        "departmentID": "0",
        "itemMatrixID": "0",
        "manufacturerID": "0",
        "seasonID": "0",
        "defaultVendorID": "0",
        "itemAttributesID": str(i % 2),
        "noteID": "0",
        "Prices": wrap(
            [
                {"amount": "13.95", "useTypeID": "1", "useType": "Default"},
                {"amount": "15", "useTypeID": "2", "useType": "MSRP"},
            ],
            "ItemPrice",
        ),
        "ItemShops": wrap(
            [
                {
                    "itemShopID": str(i * 10 + n),
                    "qoh": str(5 - n * 8),
                    "sellable": str(max(5 - n * 8, 0)),
                    "backorder": "0",
                    "componentQoh": "0",
                    "componentBackorder": "0",
                    "reorderPoint": "2",
                    "reorderLevel": "10",
                    "timeStamp": stamp,
                    "itemID": str(i),
                    "shopID": str(n),
                    **stock_valuation(5 - n * 8),
                }
                for n in range(shops)
            ],
            "ItemShop",
        ),
        "ItemVendorNums": wrap(
            [
                {
                    "itemVendorNumID": str(i),
                    "value": f"V-{i}",
                    "cost": "4.1",
                    "timeStamp": stamp,
                    "itemID": str(i),
                    "vendorID": "2",
                }
            ][: i % 2],
            "ItemVendorNum",
        ),
    }
    if i % 2:  # a matrix item
        record["ItemAttributes"] = {
            "attribute1": "Red",
            "attribute2": "L",
            "attribute3": "",
            "itemAttributeSetID": "1",
        }
    record.update(extra)
    return record


def item_shop(i: int, second: int, *, qoh: int = 3, **extra: Any) -> dict:
    record = {
        "itemShopID": str(i),
        "qoh": str(qoh),
        "sellable": str(max(qoh, 0)),
        "backorder": "0",
        "componentQoh": "0",
        "componentBackorder": "0",
        "reorderPoint": "1",
        "reorderLevel": "4",
        "timeStamp": ts(second),
        "itemID": str(i // 10),
        "shopID": str(i % 10),
        **stock_valuation(qoh),
    }
    record.update(extra)
    return record


def image(i: int, second: int, *, filename: str | None = None, **extra: Any) -> dict:
    record = {
        "imageID": str(i),
        "description": "",
        "filename": filename if filename is not None else f"photo-{i}.JPG",
        "ordering": str(i % 3),
        "publicID": f"abc{i}xyz",
        "baseImageURL": "https://res.cloudinary.com/lightspeed-retail/image/upload/",
        "size": str(1000 + i),
        "createTime": ts(0),
        "timeStamp": ts(second),
        "itemID": str(i),
        "itemMatrixID": "0",
    }
    record.update(extra)
    return record


def sale(
    i: int,
    second: int,
    *,
    lines: int = 2,
    payments: int = 1,
    completed: bool = True,
    archived: bool = False,
    updated: int | None = None,
    **extra: Any,
) -> dict:
    """A sale whose ``timeStamp`` is ``second``; ``updatetime`` is ``updated`` (default the same).

    A completed sale changed later (voided, archived, edited) keeps its ``timeStamp`` (the
    completion time) while its ``updatetime`` moves: pass ``updated`` for that.
    """
    stamp = ts(second)
    record = {
        "saleID": str(i),
        "timeStamp": stamp,
        "discountPercent": "0",
        "completed": "true" if completed else "false",
        "archived": "true" if archived else "false",
        "voided": "false",
        "enablePromotions": "true",
        "isTaxInclusive": "false",
        "createTime": ts(0),
        "updatetime": ts(second if updated is None else updated),
        "referenceNumber": f"WEB-{i}",
        "referenceNumberSource": "webshop",
        "tax1Rate": "0.05",
        "tax2Rate": "0.09975",
        "change": "0",
        "tipEnabled": "true",
        "receiptPreference": "printed",
        "displayableSubtotal": "27.9",
        "displayableTotal": "32.08",
        "ticketNumber": f"22000000{i:04d}",
        "calcDiscount": "0",
        "calcTaxable": "27.9",
        "calcNonTaxable": "0",
        "calcAvgCost": "0",
        "calcFIFOCost": "0",
        "discountID": "0",
        "shipToID": "0",
        "calcTotal": "32.08",
        "calcSubtotal": "27.9",
        "calcTax1": "1.4",
        "calcTax2": "2.78",
        "calcPayments": "32.08" if completed else "0",
        "calcTips": "0",
        "total": "32.08",
        "totalDue": "32.08",
        "balance": "0",
        "taxTotal": "4.18",
        "customerID": str(i % 3),
        "employeeID": "1",
        "tipEmployeeID": "1",
        "registerID": "1",
        "shopID": "1",
        "taxCategoryID": "1",
        "quoteID": "0",
        "SaleLines": wrap(
            [
                {
                    "saleLineID": str(i * 100 + n),
                    "itemID": str(n + 1),
                    "unitQuantity": "-1" if n == 2 else "1",
                    "unitPrice": "13.95",
                    "normalUnitPrice": "13.95",
                    "discountAmount": "0",
                    "tax": "true",
                    "calcTotal": "16.04",
                    "calcSubtotal": "13.95",
                    "createTime": ts(0),
                    "timeStamp": stamp,
                    "saleID": str(i),
                    "shopID": "1",
                    "taxCategoryID": "1",
                    "sortorder": str(n),
                    "priceRuleID": "0",
                    "itemFeeID": "3" if n == 1 else "0",
                    "lineType": "item_fee" if n == 1 else "",
                }
                for n in range(lines)
            ],
            "SaleLine",
        ),
        "SalePayments": wrap(
            [
                {
                    "salePaymentID": str(i * 10 + n),
                    "amount": "32.08",
                    "createTime": ts(0),
                    "paymentTypeID": "1",
                    "registerID": "1",
                    "employeeID": "1",
                    "archived": "false",
                }
                for n in range(payments)
            ],
            "SalePayment",
        ),
    }
    if completed:
        record["completeTime"] = stamp
    record.update(extra)
    return record


#: The element key inside each double-wrapped collection (section 6.7 of the API reference
#: and the official pages); another collection's is its name in the singular.
ELEMENT_KEYS = {
    "Addresses": "ContactAddress",
    "Phones": "ContactPhone",
    "Emails": "ContactEmail",
    "Websites": "ContactWebsite",
    "CustomFieldValues": "CustomFieldValue",
    "Prices": "ItemPrice",
}
#: Fields that pick the request a row is read by (besides keys and replication keys): always
#: present and in wire form, so that a generated row is read at all.
SELECTING_FIELDS = {CreditAccountsStream.name: frozenset({"giftCard"})}

_MISSING: Any = object()


def element_key(collection: str) -> str:
    """The key that wraps the elements of a collection on the wire (``SaleLines.SaleLine``)."""
    if collection in ELEMENT_KEYS:
        return ELEMENT_KEYS[collection]
    return (
        collection.removesuffix("es")
        if collection.endswith("sses")
        else collection.removesuffix("s")
    )


@dataclass(frozen=True)
class Shape:
    """How a generated record is served: which wire quirks, at which depth.

    Identifying fields (:func:`identifying_fields`) always come, as text.
    """

    #: Elements of every collection, at every depth (one: an object in its wrapper).
    elements: int = 1
    #: ``"text"``: every scalar a string; ``"empty"``: every scalar that is not text is ``""``;
    #: ``"native"``: numbers and booleans as JSON numbers and booleans; ``"omitted"``: only the
    #: identifying fields come (unset fields are left out).
    scalars: str = "text"
    #: ``"present"``, or every collection and nested object at :attr:`depth` served as ``""``
    #: (``"empty"``) or left out (``"missing"``); those above it are present.
    containers: str = "present"
    #: Depth of the containers that :attr:`containers` applies to (1: the record's own).
    depth: int = 1


@dataclass(frozen=True)
class Generated:
    """A generated record: as the wire serves it, and as the tap must emit it."""

    wire: dict[str, Any]
    expected: dict[str, Any]


def identifying_fields(stream: type[LightspeedStream]) -> frozenset[str]:
    """Fields a generated record always carries as text: its key and replication key, the
    keys of the relation elements that derived streams read, the fields picking its request."""
    fields = {stream.primary_keys[0], *SELECTING_FIELDS.get(stream.name, ())}
    if stream.replication_key:
        fields.add(stream.replication_key)
    fields.update(
        derived.primary_keys[0]
        for derived in DERIVED_STREAM_TYPES
        if derived.parent_stream_type is stream
    )
    return frozenset(fields)


def container_depth(schema: dict) -> int:
    """How deep collections and nested objects go in a schema (0: a flat record)."""
    items = schema.get("items")
    if items is not None:
        return container_depth(items)
    return max(
        (
            1 + container_depth(sub)
            for name, sub in schema.get("properties", {}).items()
            if name != EXTRA_FIELDS and _is_container(sub)
        ),
        default=0,
    )


def _kinds(schema: dict) -> set[str]:
    kind = schema.get("type", [])
    return ({kind} if isinstance(kind, str) else set(kind)) - {"null"}


def _is_container(schema: dict) -> bool:
    kinds = _kinds(schema)
    return kinds == {"array"} or (kinds == {"object"} and "properties" in schema)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar(name: str, schema: dict, n: int, second: int, key: bool) -> Any:
    """A scalar's value as the tap emits it: its object's number ``n`` for an identifying
    integer, else a value of the schema type derived from ``n``."""
    kind = next(iter(_kinds(schema)))
    if schema.get("format") == "date-time":
        return ts(second)
    if kind == "boolean":
        return n % 2 == 1
    if kind == "integer":
        return n if key else n % 3
    if kind == "number":
        return n + 0.5
    return f"{name} {n}"


def _generate(
    name: str, schema: dict, n: int, second: int, shape: Shape, keep: frozenset[str], depth: int
) -> tuple[Any, Any]:
    """One value, as (wire, expected); ``_MISSING`` for a field left out."""
    kinds = _kinds(schema)
    if _is_container(schema):
        if depth == shape.depth and shape.containers == "missing":
            return _MISSING, _MISSING
        if depth == shape.depth and shape.containers == "empty":
            return "", ([] if "array" in kinds else None)
    if kinds == {"array"}:
        items = schema["items"]
        pairs = [  # the elements sit at the collection's depth
            _generate(name, items, n * 100 + k, second, shape, keep, depth)
            for k in range(shape.elements)
        ]
        wire = [w for w, _ in pairs]
        expected = [e for _, e in pairs]
        if _is_container(items):
            return wrap(wire, element_key(name)), expected
        return ("" if not wire else wire[0] if len(wire) == 1 else wire), expected
    if kinds == {"object"} and "properties" in schema:
        wire_object, expected_object = {}, {}
        for sub, sub_schema in schema["properties"].items():
            if sub == EXTRA_FIELDS:
                continue
            w, e = _generate(sub, sub_schema, n, second, shape, keep, depth + 1)
            if w is not _MISSING:
                wire_object[sub] = w
                expected_object[sub] = e
        return wire_object, expected_object
    if len(kinds) != 1 or kinds == {"object"}:  # no single type: kept as it comes
        value = {"name": f"{name} {n}"} if kinds == {"object"} else f"{name} {n}"
        return value, value
    value = _scalar(name, schema, n, second, name in keep)
    if name in keep or shape.scalars == "text":
        return _text(value), value
    if shape.scalars == "omitted":
        return _MISSING, _MISSING
    if shape.scalars == "empty":
        return "", ("" if kinds == {"string"} and "format" not in schema else None)
    return value, value  # native


def generated_record(
    stream: type[LightspeedStream], i: int, second: int, shape: Shape = Shape()
) -> Generated:
    """A record of a stream with every field of its schema file, at every depth.

    Args:
        stream: The stream class (its schema file, key and replication key).
        i: The record's id; element ``k`` of a collection is numbered ``i * 100 + k``.
        second: Its timestamps (seconds after BASE).
        shape: The wire quirks to serve it with.

    Returns:
        The record in wire form and as the tap must emit it (without ``account_id``).
    """
    schema = SCHEMAS.get_schema(stream.name)
    properties = {k: v for k, v in schema["properties"].items() if k != ACCOUNT_ID}
    wire, expected = _generate(
        "", {**schema, "properties": properties}, i, second, shape, identifying_fields(stream), 0
    )
    return Generated(wire, expected)


def reference_row(stream: type[ReferenceStream], i: int, second: int, **extra: Any) -> dict:
    """A wire record of a reference stream: every schema field, ``archived`` false.

    Args:
        stream: The stream class (its schema and primary key).
        i: The record's id.
        second: Its ``timeStamp`` (seconds after the base time).
        **extra: Fields to set or override (``archived="true"``...).
    """
    record = generated_record(stream, i, second).wire
    if "archived" in record:
        record["archived"] = "false"
    record.update(extra)
    return record


def reference_dataset() -> dict[str, list[dict]]:
    """Three rows per reference entity, the second archived where the entity archives."""
    return {
        stream.entity: [
            reference_row(stream, 1, 0),
            reference_row(
                stream, 2, 10, **({"archived": "true"} if stream.include_archived else {})
            ),
            reference_row(stream, 3, 20),
        ]
        for stream in REFERENCE_STREAM_TYPES
    }


def standard_dataset() -> dict[str, list[dict]]:
    """A few records per stream covering the wire quirks; pairs share a timeStamp second.

    Sale 1 was completed at second 0 and voided at second 40: its ``timeStamp`` stays at the
    completion, its ``updatetime`` moved, so sales sort differently on the two.
    """
    return {
        "Customer": [
            customer(1, 0, emails=2, phones=1),
            customer(2, 0, emails=1, phones=0, dob=False),
            customer(3, 10, emails=0, phones=2, addresses=0, archived=True),
            customer(4, 10, emails=1, phones=1),
            customer(5, 20, emails=3, phones=0),
            customer(6, 20, emails=1, phones=1, addresses=2),
            customer(7, 30, emails=1, phones=1, newField="surprise"),
        ],
        "Item": [
            item(1, 0, shops=2),
            item(2, 5, shops=1),
            item(3, 5, shops=0, archived=True),
            item(4, 15, shops=3),
            item(5, 25, shops=2),
        ],
        "Image": [
            image(4, 40),
            image(1, 10),
            image(3, 10, filename="no-extension"),
            image(2, 30),
        ],
        "Sale": [
            sale(1, 0, lines=1, payments=1, updated=40, voided="true"),  # voided later
            sale(2, 0, lines=0, payments=0, completed=False),
            sale(3, 12, lines=3, payments=2),
            sale(4, 12, lines=2, payments=1, archived=True),
            sale(5, 24, lines=1, payments=0, completed=False),
            sale(6, 36, lines=2, payments=1),
        ],
        "ItemShop": [
            item_shop(10, 0),
            item_shop(11, 0, qoh=-2),
            item_shop(20, 8),
            item_shop(21, 16),
            item_shop(30, 16),
            item_shop(31, 24),
        ],
        **reference_dataset(),
    }
