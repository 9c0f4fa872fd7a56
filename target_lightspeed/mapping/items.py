"""Items: matched by customSku, then upc, then ean by default; flat price columns."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from target_lightspeed.mapping.fields import (
    BuildContext,
    EntityRules,
    MappingError,
    elements,
    scalars,
    to_number,
    to_text,
)

if TYPE_CHECKING:
    from target_lightspeed.mapping.mapper import RecordMapper

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
#: Fields read but never written (no "unknown column" warning).
READ_ONLY = frozenset({"itemID", "systemSku", "createTime", "timeStamp", "avgCost", "ItemShops"})


def normalize(mapper: RecordMapper, record: Mapping[str, Any]) -> dict[str, Any]:
    """Fold flat columns (``sku``, ``price``, ``msrp``...) into the item's fields and Prices.

    The ``normalize`` of :class:`~target_lightspeed.mapping.fields.EntityRules`.
    """
    out: dict[str, Any] = {}
    known = set(ITEM_FIELDS) | set(ITEM_REFERENCE_FKS) | {"Prices"}
    known |= READ_ONLY | set(FLAT_ITEM_COLUMNS) | set(FLAT_PRICE_COLUMNS)
    for key, value in record.items():
        out[FLAT_ITEM_COLUMNS.get(key, key)] = value
    flat_prices = [
        {"amount": record[col], "useType": use}
        for col, use in FLAT_PRICE_COLUMNS.items()
        if record.get(col) not in (None, "")
    ]
    if flat_prices:
        given = {
            str(p.get("useType") or PRICE_TYPES.get(to_text(p.get("useTypeID")), ""))
            for p in elements(out.get("Prices"), "ItemPrice", "Prices")
        }
        prices = elements(out.get("Prices"), "ItemPrice", "Prices")
        prices += [p for p in flat_prices if p["useType"] not in given]
        out["Prices"] = prices
    mapper.warn_unknown(record, known)
    return out


def build(mapper: RecordMapper, rec: dict[str, Any], context: BuildContext) -> dict[str, Any]:
    """Build an item's payload (Prices by use type; upc and ean checked).

    The ``build`` of :class:`~target_lightspeed.mapping.fields.EntityRules`.
    """
    payload = scalars(rec, ITEM_FIELDS)
    if "description" in payload and payload["description"] is not None:
        payload["description"] = payload["description"].strip()
    payload.update(mapper.reference_fks(rec, ITEM_REFERENCE_FKS))
    if "Prices" in rec:
        prices = []
        for index, price in enumerate(elements(rec["Prices"], "ItemPrice", "Prices")):
            use = to_text(price.get("useType")) or PRICE_TYPES.get(
                to_text(price.get("useTypeID")), ""
            )
            if use not in PRICE_TYPES.values():
                msg = f"field 'Prices[{index}].useType': {use!r} is not Default, MSRP or Online"
                raise MappingError(msg, field="Prices.useType")
            amount = to_number(price.get("amount"), f"Prices[{index}].amount")
            prices.append({"amount": amount if amount is not None else Decimal(0), "useType": use})
        payload["Prices"] = prices
    for key in ("upc", "ean"):
        value = payload.get(key)
        if value and not (value.isdigit() and 11 <= len(value) <= 14):
            raise MappingError(f"field '{key}': {value!r} must be 11 to 14 digits", field=key)
    return payload


RULES = EntityRules(
    entity="items",
    wire="Item",
    source_id_field="itemID",
    key_fields={
        "customSku": ("customSku", ()),
        "upc": ("upc", ()),
        "ean": ("ean", ()),
        "manufacturerSku": ("manufacturerSku", ()),
        "systemSku": ("systemSku", ()),
        "description": ("description", ()),
    },
    default_match_keys=("customSku", "upc", "ean"),
    normalize=normalize,
    build=build,
)
