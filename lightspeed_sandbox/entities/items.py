"""Items with their ItemShops (stock per shop): generated tables, relations, writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import generate as g
from ..store import EntitySpec, Table
from ..wire import ApiError, as_bool, fmt_cents, fmt_ts, to_cents, unwrap, wire_scalar, wrap
from .base import Entity, empty_relations, foreign_key, parent_item, row_relations
from .images import image_ids
from .price_levels import levels

if TYPE_CHECKING:
    from ..accounts import Account

ITEM_TYPES = frozenset(
    {"default", "non_inventory", "serialized", "box", "serialized_assembly", "assembly"}
)


FIELDS = frozenset(
    [
        "itemID",
        "systemSku",
        "defaultCost",
        "avgCost",
        "discountable",
        "tax",
        "archived",
        "itemType",
        "serialized",
        "description",
        "modelYear",
        "upc",
        "ean",
        "customSku",
        "manufacturerSku",
        "createTime",
        "timeStamp",
        "publishToEcom",
        "categoryID",
        "taxClassID",
        "departmentID",
        "itemMatrixID",
        "manufacturerID",
        "seasonID",
        "defaultVendorID",
        "itemAttributesID",
        "noteID",
    ]
)


ITEMSHOP_FIELDS = frozenset(
    [
        "itemShopID",
        "qoh",
        "sellable",
        "backorder",
        "componentQoh",
        "componentBackorder",
        "reorderPoint",
        "reorderLevel",
        "timeStamp",
        "itemID",
        "shopID",
        *g.itemshop_value_fields(0, 0, 0),  # the fields added 2025-01-30
    ]
)


SPEC = EntitySpec(
    "Item",
    "itemID",
    g.K_ITEM,
    {
        "Category": False,
        "TaxClass": False,
        "ItemAttributes": False,
        "Manufacturer": False,
        "Note": False,
        "Images": True,
        "ItemShops": True,
        "ItemVendorNums": True,
        "ItemComponents": True,
        "ItemECommerce": False,
        "TagRelations": True,
        "CustomFieldValues": True,
        "ItemPrices": True,
    },
    frozenset(),
    ("itemID", "timeStamp", "description"),
    FIELDS,
    True,
    frozenset({"itemID", "timeStamp"}),
    {"ItemShops.Shop": False, "Images.Image": False},
)

ITEMSHOP_SPEC = EntitySpec(
    "ItemShop",
    "itemShopID",
    g.K_ITEMSHOP,
    {"Item": False},
    frozenset(),
    ("itemShopID", "timeStamp", "itemID"),
    ITEMSHOP_FIELDS,
    False,
    frozenset({"itemShopID", "timeStamp", "itemID"}),
    {"Item.Prices": True},
)


def itemshop_ids(account: Account, iid: int) -> list[int]:
    """Return the ids of an item's ItemShops (summary first)."""
    if iid <= account.gen.n_items:
        return list(account.gen.itemshop_ids(iid))
    return list(account.extra_itemshops.get(iid, []))


def relations(account: Account, rec: dict[str, Any], rid: int, rels: frozenset[str]) -> None:
    """Add an item's computed relations (Category, TaxClass, Images, ItemShops, ...)."""
    # Category, TaxClass and Manufacturer are the rows their endpoints serve.
    row_relations(
        account,
        rec,
        rels,
        (
            ("Category", "categoryID"),
            ("TaxClass", "taxClassID"),
            ("Manufacturer", "manufacturerID"),
        ),
    )
    if "Images" in rels:
        images = account.tables["Image"]
        rec["Images"] = wrap([images.get(i) for i in image_ids(account, rid)], "Image")
    if "ItemShops" in rels:
        shops = account.tables["ItemShop"]
        rec["ItemShops"] = wrap([shops.get(i) for i in itemshop_ids(account, rid)], "ItemShop")
    generated = rid <= account.gen.n_items
    if "ItemAttributes" in rels and generated:
        attributes = account.gen.item_attributes(rid)
        if attributes is not None:
            rec["ItemAttributes"] = attributes
    if "ItemVendorNums" in rels:
        vendor_nums = account.gen.item_vendor_nums(rid) if generated else []
        rec["ItemVendorNums"] = wrap(vendor_nums, "ItemVendorNum")
    empty_relations(rec, rels, ("ItemComponents", "TagRelations", "CustomFieldValues"))


def _price_level(account: Account, el: dict[str, Any], verb: str) -> dict[str, Any]:
    """Find the account's price level a written price names (by ``useTypeID``, else ``useType``).

    Raises:
        ApiError: 400 when the account has no such (active) level.
    """
    active = [level for level in levels(account) if level["archived"] != "true"]
    level_id = wire_scalar(el.get("useTypeID", "")).strip()
    if level_id not in ("", "0"):
        found = next((lv for lv in active if lv["priceLevelID"] == level_id), None)
        if found is None:
            raise ApiError(400, f"Item not {verb}. PriceLevel with ID '{level_id}' does not exist.")
        return found
    name = wire_scalar(el.get("useType", "")).strip()
    found = next((lv for lv in active if lv["name"] == name), None)
    if found is None:
        raise ApiError(400, f"Item not {verb}. PriceLevel '{name}' does not exist.")
    return found


def write(
    account: Account, table: Table, rid: int | None, p: dict[str, Any], verb: str, now: int
) -> int:
    """Create (``rid`` None) or update an item, its prices and its stock; return its id.

    Raises:
        ApiError: 400 on invalid fields.
    """
    creating = rid is None
    if creating:
        desc = wire_scalar(p.get("description", "")).strip()
        if not desc:
            raise ApiError(400, "Item not created. An Item must have a description.")
        rid = table.n + 1
        rec: dict[str, Any] = {
            "itemID": str(rid),
            "systemSku": str(210_000_000_000 + rid),
            "defaultCost": "0",
            "avgCost": "0",
            "fifoCost": "0",
            "discountable": "true",
            "tax": "true",
            "archived": "false",
            "itemType": "default",
            "serialized": "false",
            "description": desc,
            "modelYear": "0",
            "upc": "",
            "ean": "",
            "customSku": "",
            "manufacturerSku": "",
            "createTime": fmt_ts(now),
            "timeStamp": fmt_ts(now),
            "publishToEcom": "false",
            "categoryID": "0",
            "taxClassID": "1",
            "departmentID": "0",
            "itemMatrixID": "0",
            "manufacturerID": "0",
            "seasonID": "0",
            "defaultVendorID": "0",
            "itemAttributesID": "0",
            "noteID": "0",
            "Prices": {
                "ItemPrice": [
                    {"amount": "0", "useTypeID": lv["priceLevelID"], "useType": lv["name"]}
                    for lv in levels(account)
                    if lv["canBeArchived"] == "false"
                ]
            },
        }
    else:
        rec = table.full(rid)
        if "description" in p and not wire_scalar(p["description"]).strip():
            raise ApiError(400, "Item not updated. An Item must have a description.")
    for key in ("upc", "ean"):
        if key in p:
            value = wire_scalar(p[key]).strip()
            if value and not (value.isdigit() and 11 <= len(value) <= 14):
                raise ApiError(
                    400, f"Item not {verb}. {key.upper()} must be 11 to 14 digits: '{value}'."
                )
            rec[key] = value
    for key in ("description", "customSku", "manufacturerSku"):
        if key in p:
            rec[key] = wire_scalar(p[key]).strip() if key == "description" else wire_scalar(p[key])
    for key in ("discountable", "tax", "serialized", "publishToEcom"):
        if key in p:
            rec[key] = "true" if as_bool(p[key]) else "false"
    if not creating and "archived" in p and not as_bool(p["archived"]):
        rec["archived"] = "false"  # restores; archived=true is ignored: only DELETE archives
    if "itemType" in p:
        itype = wire_scalar(p["itemType"])
        if itype not in ITEM_TYPES:
            raise ApiError(400, f"Item not {verb}. Invalid itemType '{itype}'.")
        rec["itemType"] = itype
    if "modelYear" in p:
        rec["modelYear"] = wire_scalar(p["modelYear"]) or "0"
    if "defaultCost" in p:
        try:
            cost = to_cents(p["defaultCost"])
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"Item not {verb}. defaultCost must be a number.") from exc
        rec["defaultCost"] = fmt_cents(cost)
        if creating:
            rec["avgCost"] = fmt_cents(cost)
    fks = {
        "categoryID": g.CATEGORIES,
        "taxClassID": g.TAX_CLASSES,
        "manufacturerID": g.MANUFACTURERS,
        "departmentID": {},
        "itemMatrixID": {},
        "seasonID": g.SEASON_ROWS,
        "defaultVendorID": g.VENDORS,
    }
    for key, known in fks.items():
        if key in p:
            rec[key] = foreign_key("Item", verb, key, p[key], known)
    if "Prices" in p:
        prices = {pr["useTypeID"]: dict(pr) for pr in unwrap(rec["Prices"], "ItemPrice")}
        for el in unwrap(p["Prices"], "ItemPrice"):
            level = _price_level(account, el, verb)
            try:
                amount = fmt_cents(to_cents(el.get("amount", 0)))
            except (TypeError, ValueError) as exc:
                raise ApiError(400, f"Item not {verb}. Price amount must be a number.") from exc
            level_id = level["priceLevelID"]
            prices[level_id] = {"amount": amount, "useTypeID": level_id, "useType": level["name"]}
        rec["Prices"] = {"ItemPrice": [prices[k] for k in sorted(prices, key=int)]}
    stock = unwrap(p.get("ItemShops"), "ItemShop") if "ItemShops" in p else None
    if stock:
        for el in stock:
            shop = wire_scalar(el.get("shopID", ""))
            if not shop.isdigit() or not 1 <= int(shop) <= account.shops:
                raise ApiError(400, f"Item not {verb}. Shop with ID '{shop}' does not exist.")
    only_stock = not creating and set(p) <= {"ItemShops", "itemID"}
    if not only_stock:
        rec["timeStamp"] = fmt_ts(now)
    table.put(rid, rec)
    if creating:
        _create_itemshops(account, rid, now)
    for el in stock or []:
        set_stock(account, rid, int(wire_scalar(el["shopID"])), el, now)
    return rid


def _create_itemshops(account: Account, iid: int, now: int) -> None:
    shops = account.tables["ItemShop"]
    ids = []
    for shop in range(account.shops + 1):
        isid = shops.n + 1
        shops.put(
            isid,
            {
                "itemShopID": str(isid),
                "qoh": "0",
                "sellable": "0",
                "backorder": "0",
                "componentQoh": "0",
                "componentBackorder": "0",
                **g.itemshop_value_fields(0, 0, shop),
                "reorderPoint": "0",
                "reorderLevel": "0",
                "timeStamp": fmt_ts(now),
                "itemID": str(iid),
                "shopID": str(shop),
            },
        )
        ids.append(isid)
    account.extra_itemshops[iid] = ids


def set_stock(
    account: Account, iid: int, shop: int, el: dict[str, Any], now: int, delta: int | None = None
) -> None:
    """Set an item's stock in one shop (from ``el``, or by ``delta``) and its summary's total."""
    shops = account.tables["ItemShop"]
    ids = itemshop_ids(account, iid)
    if not ids:
        return
    target = shops.full(ids[shop])
    if delta is not None:
        target["qoh"] = str(int(target["qoh"]) + delta)
    elif "qoh" in el:
        target["qoh"] = str(int(float(wire_scalar(el["qoh"]) or 0)))
    for key in ("reorderPoint", "reorderLevel", "backorder"):
        if key in el:
            target[key] = str(int(float(wire_scalar(el[key]) or 0)))
    cost = _unit_cost(account, iid)
    target["sellable"] = str(max(int(target["qoh"]), 0))
    target.update(_values(target, cost, shop))
    target["timeStamp"] = fmt_ts(now)
    shops.put(ids[shop], target)
    summary = shops.full(ids[0])
    total = sum(int(shops.get(i)["qoh"]) for i in ids[1:])
    summary["qoh"] = str(total)
    summary["sellable"] = str(max(total, 0))
    summary.update(_values(summary, cost, 0))
    summary["timeStamp"] = fmt_ts(now)
    shops.put(ids[0], summary)


def _unit_cost(account: Account, iid: int) -> int:
    """The item's unit cost in cents (its defaultCost), for its stock's value fields."""
    return to_cents(account.tables["Item"].raw_value(iid, "defaultCost") or 0)


def _values(itemshop: dict[str, Any], cost: int, shop: int) -> dict[str, str]:
    """An ItemShop's value fields for its current qoh; what is on order or reserved is kept."""
    values = g.itemshop_value_fields(int(itemshop["qoh"]), cost, shop)
    return {k: v for k, v in values.items() if not k.startswith("on")}


def zero_stock(account: Account, iid: int, now: int) -> None:
    """Zero an archived item's stock in every shop (what a DELETE of an item does)."""
    for shop in range(1, len(itemshop_ids(account, iid))):
        set_stock(account, iid, shop, {"qoh": 0}, now)


def make_table(account: Account) -> Table:
    """The account's generated items."""
    gen = account.gen
    return Table(
        SPEC,
        account.volumes["items"],
        gen.item,
        {"description": gen.item_description},
        lambda i: gen.timestamp(g.K_ITEM, i),
        lambda i: gen.archived(g.K_ITEM, i),
    )


def make_itemshop_table(account: Account) -> Table:
    """The account's generated ItemShops: per item, the summary (shop 0) then one per shop."""
    gen = account.gen
    per_item = account.shops + 1
    return Table(
        ITEMSHOP_SPEC,
        gen.n_itemshops,
        lambda i, _r: gen.itemshop(i),
        {"itemID": lambda i: str((i - 1) // per_item + 1)},
        lambda i: gen.timestamp(g.K_ITEMSHOP, i),
        lambda i: False,
    )


ITEM = Entity(
    SPEC,
    make_table,
    relations,
    write,
    write_relations=frozenset({"ItemShops"}),
    record_relations=frozenset({"ItemShops", "Images"}),
    on_archive=zero_stock,
)
ITEM_SHOP = Entity(ITEMSHOP_SPEC, make_itemshop_table, parent_item)
