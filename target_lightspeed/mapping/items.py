"""Items: matched by customSku, then upc, then ean by default; prices on the target's levels.

A price names its level by ``useType`` (the level's name) and/or ``useTypeID`` (its id) in
the *source* account. :class:`PriceLevels` holds the target account's own levels (read once
per run by the item writer); each price goes to the target level of the same name, else, by
id, to a built-in level (Default, MSRP, Online: ids 1-3 in every account, whatever they are
called there), or to the level of that id when the price has no name. A price whose level
the target account lacks rejects the record, naming the level.

``archived`` is read (it says whether the source item is archived) but never written in an
Item body: only a DELETE archives an item (:class:`~target_lightspeed.writer.ItemWriter`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
#: Flat price columns -> the built-in price level they fill: (name, id).
FLAT_PRICE_COLUMNS = {"price": ("Default", 1), "msrp": ("MSRP", 2), "online_price": ("Online", 3)}
#: Fields read but never written (no "unknown column" warning).
READ_ONLY = frozenset(
    {
        "itemID",
        "systemSku",
        "createTime",
        "timeStamp",
        "avgCost",
        "fifoCost",
        "itemAttributesID",
        "noteID",
        "ItemShops",
        "ItemAttributes",
        "ItemVendorNums",
    }
)


@dataclass(frozen=True)
class PriceLevel:
    """One price level of the target account."""

    level_id: str
    name: str
    built_in: bool

    @property
    def text(self) -> str:
        """The level as messages name it: ``'Web Store' (id 3)``."""
        return f"{self.name!r} (id {self.level_id})"


class PriceLevels:
    """The price levels of the target account, by name and by id."""

    def __init__(self, levels: Iterable[PriceLevel]) -> None:
        """Index the levels.

        Args:
            levels: The account's (active) levels.
        """
        self.levels = list(levels)
        self.by_name = {level.name.casefold(): level for level in self.levels}
        self.by_id = {level.level_id: level for level in self.levels}

    @classmethod
    def from_wire(cls, records: Iterable[Mapping[str, Any]]) -> PriceLevels:
        """Read ``GET /PriceLevel.json`` records (a level that cannot be archived is built in).

        Args:
            records: PriceLevel records in wire form.

        Returns:
            The levels.
        """
        return cls(
            PriceLevel(
                to_text(record.get("priceLevelID")),
                to_text(record.get("name")),
                to_text(record.get("canBeArchived")).lower() == "false",
            )
            for record in records
            if to_text(record.get("archived")).lower() != "true"
        )

    def find(self, name: str, level_id: str) -> PriceLevel | None:
        """Return the target level of a source price's level name and/or id (None: none).

        By name first; else by id when the price has no name, or when the target's level of
        that id is built in (the built-ins keep their ids in every account, renamed or not).
        A custom level is found by its name only: its id means nothing in another account.

        Args:
            name: The source level's name (``""``: not given).
            level_id: The source level's id (``""``: not given).

        Returns:
            The target level.
        """
        if name and name.casefold() in self.by_name:
            return self.by_name[name.casefold()]
        level = self.by_id.get(level_id) if level_id else None
        if level is not None and (not name or level.built_in):
            return level
        return None

    def describe(self) -> str:
        """The levels as a list for messages: ``Default (1), MSRP (2), Web Store (3)``."""
        return ", ".join(f"{level.name} ({level.level_id})" for level in self.levels)


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
        {"amount": record[col], "useType": name, "useTypeID": level_id}
        for col, (name, level_id) in FLAT_PRICE_COLUMNS.items()
        if record.get(col) not in (None, "")
    ]
    if flat_prices:
        prices = elements(out.get("Prices"), "ItemPrice", "Prices")
        given = {to_text(p.get("useType")) for p in prices}
        given |= {to_text(p.get("useTypeID")) for p in prices}
        prices += [p for p in flat_prices if not {p["useType"], str(p["useTypeID"])} & given]
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
        payload["Prices"] = prices(rec["Prices"], mapper.price_levels)
    for key in ("upc", "ean"):
        value = payload.get(key)
        if value and not (value.isdigit() and 11 <= len(value) <= 14):
            raise MappingError(f"field '{key}': {value!r} must be 11 to 14 digits", field=key)
    return payload


def prices(value: Any, levels: PriceLevels | None) -> list[dict[str, Any]]:
    """Put a record's prices on the target account's price levels.

    Args:
        value: The record's ``Prices`` (any collection form).
        levels: The target account's levels (None: not known, prices kept as given).

    Returns:
        The prices, each with the target level's ``useTypeID`` and ``useType``.

    Raises:
        MappingError: A price names no level, or a level the target account lacks, or two
            prices fall on the same level.
    """
    out: list[dict[str, Any]] = []
    placed: dict[str, int] = {}
    for index, price in enumerate(elements(value, "ItemPrice", "Prices")):
        where = f"Prices[{index}]"
        name, level_id = to_text(price.get("useType")), to_text(price.get("useTypeID"))
        if not name and not level_id:
            msg = f"field '{where}.useType': the price names no price level"
            raise MappingError(msg, field="Prices.useType")
        amount = to_number(price.get("amount"), f"{where}.amount")
        entry = {"amount": amount if amount is not None else Decimal(0)}
        if levels is None:
            out.append({**entry, "useType": name or None, "useTypeID": level_id or None})
            continue
        level = levels.find(name, level_id)
        if level is None:
            source = f"{name!r} (id {level_id})" if name and level_id else repr(name or level_id)
            msg = (
                f"field '{where}.useType': price level {source} does not exist in the target "
                f"account (its levels: {levels.describe()})"
            )
            raise MappingError(msg, field="Prices.useType")
        if level.level_id in placed:
            msg = (
                f"field '{where}.useType': Prices[{placed[level.level_id]}] is on the same "
                f"price level of the target account, {level.text}"
            )
            raise MappingError(msg, field="Prices.useType")
        placed[level.level_id] = index
        out.append({**entry, "useType": level.name, "useTypeID": level.level_id})
    return out


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
